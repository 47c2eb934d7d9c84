"""Reading a bundle's files as text lines: which files are text, what year their stamps belong to,
and where boot markers sit in time. Shared by the index, search and timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from eksdoctor.models import LogLine
from eksdoctor.parsing import parse_lines

# Compressed or binary members (rotated ipamd logs, nvidia report, Windows .evtx): not text lines.
_BINARY_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"\xfd7zXZ\x00", b"BZh", b"\x28\xb5\x2f\xfd", b"ElfFile\x00",
                 b"\x89PNG")
BOOT_MARKERS = ("reboot", "boot")
_READ = 8 << 20          # bytes per read in text_blocks
_SLOW_BLOCK_LINES = 50_000
_DEFAULT_MAX_LINE = 1 << 20


def clock(bundle) -> tuple[int, datetime | None]:
    """(year, ref) for year-less timestamps: the collection time when known, else the current year."""
    ref = bundle.info.collected_at
    if ref is not None:
        return ref.year, ref
    return datetime.now(timezone.utc).year, None


def is_text(bundle, path: str) -> bool:
    """False for compressed/binary members, which hold no log lines we can read."""
    try:
        with bundle.open(path) as fh:
            head = fh.read(8)
    except OSError:
        return False
    return not any(head.startswith(m) for m in _BINARY_MAGIC)


def text_files(bundle, matches=None) -> list[str]:
    """Sorted text member paths, optionally filtered by `matches(path) -> bool`."""
    return [p for p in bundle.files() if (matches is None or matches(p)) and is_text(bundle, p)]


def parsed_lines(bundle, path: str, year: int, ref: datetime | None) -> Iterator[LogLine]:
    return parse_lines(path, bundle.lines(path), year=year, ref=ref)


def is_boot_marker(line: LogLine) -> bool:
    return line.fmt == "journal-marker" and bool(line.fields) and line.fields.get("marker") in BOOT_MARKERS


def iso(ts: datetime | float | None) -> str | None:
    """ISO-8601 UTC with 'Z' (the JSON contract), from a datetime or epoch seconds."""
    if ts is None:
        return None
    if not isinstance(ts, datetime):
        ts = datetime.fromtimestamp(ts, timezone.utc)
    text = ts.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def max_line_bytes() -> int:
    """The bundle reader's line cut-off (eksdoctor.bundle.Limits), so fast reads agree with Bundle.lines."""
    try:
        from eksdoctor.bundle import Limits

        return int(Limits().max_line_bytes)
    except Exception:  # noqa: BLE001 - older/partial bundle module: use the documented default
        return _DEFAULT_MAX_LINE


def text_blocks(bundle, path: str, skip_unless: list[bytes] | None = None) -> Iterator[tuple[int, str]]:
    """(first line number, block) where block is many consecutive lines joined by '\\n', exactly the
    texts `bundle.lines(path)` yields, but read in big binary chunks and decoded in C (no Python
    loop per line). A file with a line over the reader's limit is read through `bundle.lines`,
    which knows how to cut such lines. With `skip_unless`, blocks whose bytes contain none of those
    strings are not decoded nor yielded (line numbers still count them)."""
    limit = max_line_bytes()
    first = 1
    try:
        with bundle.open(path) as fh:
            carry = b""
            while True:
                chunk = fh.read(_READ)
                if not chunk:
                    break
                data = carry + chunk if carry else chunk
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    if len(carry) > limit:
                        raise _LongLine
                    continue
                body, carry = data[:cut], data[cut + 1:]
                if len(body) > limit and _has_long_line(body, limit):
                    raise _LongLine
                if skip_unless is None or any(s in body for s in skip_unless):
                    yield first, _decode(body)
                first += body.count(b"\n") + 1
            if carry:
                if len(carry) > limit:
                    raise _LongLine
                if skip_unless is None or any(s in carry for s in skip_unless):
                    yield first, _decode(carry)
    except _LongLine:
        yield from _slow_blocks(bundle, path, first)


class _LongLine(Exception):
    pass


def _has_long_line(body: bytes, limit: int) -> bool:
    """True if some line of `body` is longer than `limit` bytes, without a Python loop per line:
    such a line fully covers one of the aligned segments of limit/2 bytes, so only segments
    without any newline need a closer look."""
    step = max(limit // 2, 1)
    for seg in range(0, len(body), step):
        if body.find(b"\n", seg, seg + step) >= 0:
            continue
        start = body.rfind(b"\n", 0, seg) + 1
        end = body.find(b"\n", seg + step)
        if (len(body) if end < 0 else end) - start > limit:
            return True
    return False


def _decode(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if text.endswith("\r"):
            text = text[:-1]
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text


def _slow_blocks(bundle, path: str, skip_before: int) -> Iterator[tuple[int, str]]:
    lines: list[str] = []
    first = skip_before
    for lineno, text in bundle.lines(path):
        if lineno < skip_before:
            continue
        lines.append(text)
        if len(lines) >= _SLOW_BLOCK_LINES:
            yield first, "\n".join(lines)
            first += len(lines)
            lines = []
    if lines:
        yield first, "\n".join(lines)
