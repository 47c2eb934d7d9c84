"""Per-file parsing state shared by the line parsers (one instance per parse_lines call)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from eksdoctor.models import LogLine
from eksdoctor.parsing.timestamps import SyslogClock

_LOGLINE_FIELDS = ("path", "lineno", "ts", "source", "level", "message", "raw", "fmt", "fields")


def _fast_constructor():
    """LogLine(...) without the frozen-dataclass __init__ (nine object.__setattr__ calls, half the
    cost of a parsed line). Fills the same slots through their descriptors; used only while
    LogLine still has exactly these slots and no __post_init__, otherwise the real constructor."""
    names = tuple(f.name for f in dataclasses.fields(LogLine))
    if names != _LOGLINE_FIELDS or getattr(LogLine, "__slots__", None) != names \
            or hasattr(LogLine, "__post_init__"):
        return LogLine
    new = object.__new__
    s_path, s_lineno, s_ts, s_source, s_level, s_message, s_raw, s_fmt, s_fields = (
        getattr(LogLine, name).__set__ for name in names)

    def new_line(path, lineno, ts, source, level, message, raw, fmt="raw", fields=None) -> LogLine:
        line = new(LogLine)
        s_path(line, path)
        s_lineno(line, lineno)
        s_ts(line, ts)
        s_source(line, source)
        s_level(line, level)
        s_message(line, message)
        s_raw(line, raw)
        s_fmt(line, fmt)
        s_fields(line, fields)
        return line

    return new_line


# Same signature and result as LogLine(...); every parser builds its lines through it.
new_line = _fast_constructor()


class FileContext:
    """What every line of one file shares: its path, default source, year clock, and the few bits
    of state a format carries from line to line (the last curl attempt's time)."""

    __slots__ = ("path", "source", "clock", "boot_time", "carry_ts", "_fmts")

    def __init__(self, path: str, source: str, clock: SyslogClock, boot_time: datetime | None = None) -> None:
        self.path = path
        self.source = source
        self.clock = clock
        self.boot_time = boot_time
        self.carry_ts: datetime | None = None
        self._fmts: dict[tuple[str, str], str] = {}

    def fmt(self, outer: str, inner: str) -> str:
        """'journal' + 'klog' -> 'journal+klog', interned so millions of lines share one string."""
        key = (outer, inner)
        try:
            return self._fmts[key]
        except KeyError:
            name = self._fmts[key] = f"{outer}+{inner}"
            return name

    def raw(self, lineno: int, text: str, source: str | None = None) -> LogLine:
        """An unparsable line: no time, no level, the text as message."""
        return new_line(self.path, lineno, None, source or self.source, None, text, text, "raw", None)
