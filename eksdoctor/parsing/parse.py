"""Entry points: parse the lines of one bundle member, or lines pasted into a ticket."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from eksdoctor.models import LogLine
from eksdoctor.parsing.context import FileContext
from eksdoctor.parsing.files import line_parser
from eksdoctor.parsing.kinds import file_kind, source_for_path
from eksdoctor.parsing.sniff import sniff_line
from eksdoctor.parsing.timestamps import SyslogClock


def parse_lines(
    path: str,
    lines: Iterable[tuple[int, str]],
    *,
    year: int,
    ref: datetime | None = None,
    boot_time: datetime | None = None,
) -> Iterator[LogLine]:
    """Parse every line of one bundle member, lazily, one LogLine per input line.

    `path` is the normalised member path ("kubelet/kubelet.log"): it picks the format
    (see `file_kind`). `lines` yields (1-based lineno, text without newline). `year` dates
    year-less stamps (journal, klog, cloud-init.log); with `ref` (collection time) a month/day
    more than a day after `ref` belongs to year-1. `boot_time` turns dmesg uptimes into times.
    Never raises on bad input: an unparsable line becomes a raw LogLine (ts=None, level=None).
    """
    ctx = FileContext(path, source_for_path(path), SyslogClock(year, ref), boot_time)
    parse = line_parser(file_kind(path), ctx)
    for lineno, text in lines:
        if text[-1:] in ("\r", "\n"):
            text = text.rstrip("\r\n")
        try:
            yield parse(lineno, text)
        except Exception:  # noqa: BLE001 - a parser bug on one odd line must not lose the file
            yield ctx.raw(lineno, text)


def make_parser(
    path: str, *, year: int, ref: datetime | None = None, boot_time: datetime | None = None
) -> Callable[[int, str], LogLine]:
    """A reusable (lineno, text) -> LogLine function for one member, for callers that parse only
    some lines of a file (search hits, timeline windows): same results as parse_lines, but the
    per-file setup (format choice, year clock, caches) is paid once instead of per line.
    Lines of a curl file take the time of the last `curling` header this parser has seen."""
    ctx = FileContext(path, source_for_path(path), SyslogClock(year, ref), boot_time)
    parse = line_parser(file_kind(path), ctx)

    def parse_one(lineno: int, text: str) -> LogLine:
        if text[-1:] in ("\r", "\n"):
            text = text.rstrip("\r\n")
        try:
            return parse(lineno, text)
        except Exception:  # noqa: BLE001 - same guarantee as parse_lines
            return ctx.raw(lineno, text)

    return parse_one


def parse_text(text: str, *, year: int, ref: datetime | None = None, path: str = "<pasted>") -> list[LogLine]:
    """Parse log lines pasted from anywhere; each line's format is sniffed on its own.

    Accepts lines with or without the journal prefix, timestamp or pid: a klog line alone,
    nodeadm JSON or console lines, ipamd JSON, logfmt, console captures (`[ 5.24] nodeadm[1879]: ...`),
    or a bare message (kept raw). Lines are split on "\\n" (a trailing "\\r" is dropped);
    numbering starts at 1.
    """
    rows = text.split("\n")
    if rows[-1] == "":  # text ending in a newline (or empty) has no line after it
        rows.pop()
    ctx = FileContext(path, source_for_path(path), SyslogClock(year, ref))
    out = []
    for lineno, row in enumerate(rows, start=1):
        row = row.rstrip("\r")
        try:
            out.append(sniff_line(ctx, lineno, row))
        except Exception:  # noqa: BLE001 - same guarantee as parse_lines
            out.append(ctx.raw(lineno, row))
    return out
