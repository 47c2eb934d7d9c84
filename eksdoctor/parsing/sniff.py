"""Format sniffing for a line of unknown origin: pasted into a ticket, or a line a file's own
parser did not recognise (a snap `kubelet-eks` log in kubelet.log, a console echo in cloud-init
output). Tries, in order: journal marker, journal/syslog prefix, dmesg stamps (console captures),
`ident[pid]: body` without a time, then the body formats (klog, zap, logfmt, ...).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from eksdoctor.models import LogLine
from eksdoctor.parsing.bodies import parse_body
from eksdoctor.parsing.context import FileContext, new_line
from eksdoctor.parsing.journal import JOURNAL_RE, journal_from_match, parse_marker
from eksdoctor.parsing.levels import SYSTEMD_FAILURE_RE, systemd_level
from eksdoctor.parsing.timestamps import MONTHS, UTC

DMESG_RE = re.compile(r"\[\s*(\d+)\.(\d+)\] ?(.*)", re.S)
DMESG_CTIME_RE = re.compile(r"\[\w{3} (\w{3}) ([ \d]?\d) (\d\d):(\d\d):(\d\d) (\d{4})\] ?(.*)", re.S)
# `nodeadm[1879]: msg` (console capture) or `host kubelet[12]: msg` after an ISO stamp (snap, rsyslog
# with RFC 3339 dates). The pid is required when there is no time, to avoid taking "ERROR:" for a name.
IDENT_RE = re.compile(r"(?:[^\s\[\]:]+ )?(\([^)\s]*\)|[\w.@\-/]+)\[\d+\]: ?(.*)", re.S)

_MAX_DEPTH = 3  # console captures nest at most "[stamp] cloud-init[n]: <journal line>"


def sniff_line(ctx: FileContext, lineno: int, text: str, depth: int = 0) -> LogLine:
    """Parse `text` whatever its format; an unrecognised line comes back raw (never raises)."""
    c = text[:1]
    if not c:
        return ctx.raw(lineno, text)
    if depth < _MAX_DEPTH:
        m = JOURNAL_RE.match(text)
        if m is not None:
            return journal_from_match(ctx, lineno, text, m, "journal")
        if c == "-" and text[:3] == "-- ":
            marker = parse_marker(ctx, lineno, text)
            if marker is not None:
                return marker
        if c == "[":
            stamped = _sniff_dmesg(ctx, lineno, text, depth)
            if stamped is not None:
                return stamped
        m = IDENT_RE.match(text)
        if m is not None:
            return _with_ident(ctx, lineno, text, m.group(1), m.group(2), None, depth)
    b = parse_body(text, ctx.clock)
    if b is None:
        if SYSTEMD_FAILURE_RE.search(text):
            return new_line(ctx.path, lineno, None, "systemd", "error", text, text, "systemd", None)
        return ctx.raw(lineno, text)
    if b.fmt == "iso" and depth < _MAX_DEPTH:  # "<ISO> host ident[pid]: body" (snap, RFC 3339 syslog)
        m = IDENT_RE.match(b.message)
        if m is not None:
            return _with_ident(ctx, lineno, text, m.group(1), m.group(2), b.ts, depth)
    return new_line(ctx.path, lineno, b.ts, b.source or ctx.source, b.level, b.message, text, b.fmt, b.fields)


def _with_ident(ctx: FileContext, lineno: int, text: str, ident: str, body: str, ts, depth: int) -> LogLine:
    """A line whose producer is named (`ident[pid]: body`): parse the body, keep the name as source."""
    inner = sniff_line(ctx, lineno, body, depth + 1)
    source = "systemd" if ident[0] == "(" else ident
    if inner.fmt in ("raw", "journal-marker"):
        level = systemd_level(body) if source == "systemd" else None
        return new_line(ctx.path, lineno, ts, source, level, body, text, "ident", None)
    if inner.fmt.startswith("journal"):  # a journal line echoed inside another (console mirror)
        source = inner.source
    elif inner.source != ctx.source:
        source = inner.source  # the body named its producer ("eks-bootstrap")
    return new_line(ctx.path, lineno, inner.ts or ts, source, inner.level, inner.message, text,
                   ctx.fmt("ident", inner.fmt), inner.fields)


def _sniff_dmesg(ctx: FileContext, lineno: int, text: str, depth: int) -> LogLine | None:
    m = DMESG_RE.match(text)
    if m is not None:
        secs, frac, rest = m.groups()
        uptime = float(f"{secs}.{frac}")
        ts = None
        if ctx.boot_time is not None:
            try:
                ts = ctx.boot_time + timedelta(seconds=uptime)
            except OverflowError:
                ts = None
        inner = sniff_line(ctx, lineno, rest, depth + 1)
        if inner.fmt == "raw":
            return new_line(ctx.path, lineno, ts, "kernel", None, rest, text, "dmesg", {"uptime": uptime})
        return new_line(ctx.path, lineno, inner.ts or ts, inner.source, inner.level, inner.message, text,
                       ctx.fmt("dmesg", inner.fmt), inner.fields)
    m = DMESG_CTIME_RE.match(text)
    if m is not None:
        return dmesg_ctime_from_match(ctx, lineno, text, m)
    return None


def dmesg_ctime_from_match(ctx: FileContext, lineno: int, text: str, m: re.Match) -> LogLine:
    """`[Tue Nov 20 22:30:22 2018] msg` (dmesg --ctime / -T): the stamp carries the year."""
    mon, day, hh, mi, ss, year, rest = m.groups()
    try:
        ts = datetime(int(year), MONTHS[mon], int(day), int(hh), int(mi), int(ss), tzinfo=UTC)
    except (KeyError, ValueError, OverflowError):
        ts = None
    return new_line(ctx.path, lineno, ts, "kernel", None, rest, text, "dmesg-human", None)
