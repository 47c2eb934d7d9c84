"""Windows collector event logs: `Get-WinEvent ... | Export-Csv` rows (system/**/*.csv).

One row per line: quoted fields, a `"` inside a field doubled. Column order depends on what was
exported (bundle-format.md 1.4 does not pin it), so the row is read without a header: the time is
the field shaped like `11/27/2024 9:50:01 PM` (Export-Csv's invariant-culture format; EC2 Windows
runs in UTC by default), the message is the field carrying a klog header, else the longest field.
A kubelet message keeps its own klog time and level. A message that spans lines (rare for kubelet)
leaves its continuation lines raw.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime

from eksdoctor.models import LogLine
from eksdoctor.parsing.bodies import parse_body
from eksdoctor.parsing.context import FileContext, new_line
from eksdoctor.parsing.timestamps import UTC

_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ([AP]M))?")
_KLOG = re.compile(r"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6}")
_LEVELS = {"error": "error", "warning": "warning", "information": "info", "critical": "fatal", "verbose": "debug"}


def unescape(text: str) -> str:
    """The row as the matcher sees it: CSV's doubled quotes undone, so signal patterns written for
    the message text (`err="Unauthorized"`) match it as they do in a journal."""
    return text.replace('""', '"')


def _time(field: str) -> datetime | None:
    m = _TIME.fullmatch(field.strip())
    if m is None:
        return None
    month, day, year, hour, minute, second, ampm = m.groups()
    hour_i = int(hour) % 12 + (12 if ampm == "PM" else 0) if ampm else int(hour)
    try:
        return datetime(int(year), int(month), int(day), hour_i, int(minute), int(second), tzinfo=UTC)
    except ValueError:
        return None


def parse_wincsv_line(ctx: FileContext, lineno: int, text: str) -> LogLine:
    if not text.startswith('"'):
        return ctx.raw(lineno, text)  # `#TYPE ...` banner, or a continuation of a multi-line message
    try:
        fields = next(csv.reader([text]))
    except (csv.Error, StopIteration):
        return ctx.raw(lineno, text)
    ts = next((t for t in map(_time, fields) if t is not None), None)
    if ts is None:
        return ctx.raw(lineno, text)  # the header row
    message = next((f for f in fields if _KLOG.match(f)), None) or max(fields, key=len)
    level = next((_LEVELS[f.lower()] for f in fields if f.lower() in _LEVELS), None)
    body = parse_body(message, ctx.clock)
    if body is not None and body.fmt == "klog":
        return new_line(ctx.path, lineno, body.ts or ts, ctx.source, body.level or level, body.message, text,
                        "wincsv", body.fields)
    return new_line(ctx.path, lineno, ts, ctx.source, level, message, text, "wincsv", None)
