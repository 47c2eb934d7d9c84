"""journalctl "short" output and classic syslog (rsyslog var_log/messages, cloud-init.log).

`MMM DD HH:MM:SS host ident[pid]: body`. The hostname is one opaque token and may be absent
(cloud-init.log); the pid may be absent (AL2 rsyslog `kubelet: `); systemd's exec helper shows up
as `(nodeadm)[1748]`. The body is handed to the sub-format parsers; a body with its own timestamp
(klog, logfmt, zap) wins over the prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from eksdoctor.models import LogLine
from eksdoctor.parsing.bodies import klog_fields, parse_body
from eksdoctor.parsing.context import FileContext, new_line
from eksdoctor.parsing.keyvalues import KV_PLAIN_RE
from eksdoctor.parsing.levels import KLOG_LEVELS, systemd_level
from eksdoctor.parsing.timestamps import UTC

# The klog header is folded into the journal regex as an optional group: kubelet.log is the largest
# file of a bundle and one regex call per line instead of two is most of the parser's speed.
JOURNAL_RE = re.compile(
    r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)(?:\.\d{1,9})? "  # stamp (+ short-precise fraction, logdog)
    r"(?:[^\s\[\]:]+ )?"                        # hostname (optional: cloud-init.log has none)
    r"(\([^)\s]*\)|[^\s\[\]:]+)"                # identifier, or systemd's "(binary)" exec helper
    r"(?:\[\d+\])?: ?"                           # [pid] (optional); the body starts here
    r"(?:([IWEF])(\d{4} \d\d:\d\d:\d\d)\.(\d{6})\s+\d+ ([^:\]]+:\d+)\] ?)?"  # klog header, if any
)  # the message is text[m.end():]; slicing is cheaper than a trailing (.*) group
MARKER_RE = re.compile(r"-- (.*?) ?--\s*")
_MARKER_KINDS = (
    ("No entries", "no_entries"),
    ("Logs begin at", "logs_begin"),
    ("Journal begins at", "journal_begins"),
    ("Reboot", "reboot"),
    ("Boot ", "boot"),
)


def parse_marker(ctx: FileContext, lineno: int, text: str) -> LogLine | None:
    """`-- No entries --`, `-- Logs begin at ... --`, `-- Reboot --`, `-- Boot <id> --` ..."""
    m = MARKER_RE.fullmatch(text)
    if m is None:
        return None
    message = m.group(1)
    fields = {"marker": "other"}
    for prefix, kind in _MARKER_KINDS:
        if message.startswith(prefix):
            fields["marker"] = kind
            if kind == "boot":
                fields["boot_id"] = message[5:].strip()
            break
    return new_line(ctx.path, lineno, None, "journal", None, message, text, "journal-marker", fields)


def journal_parser(
    ctx: FileContext, outer: str, fallback: Callable[[FileContext, int, str], LogLine]
) -> Callable[[int, str], LogLine]:
    """A (lineno, text) -> LogLine parser for one journal/syslog file; lines without a syslog prefix
    (markers aside) go to `fallback`. journal+klog lines are handled inline, with the file's state
    bound to locals, because they are most of the lines of a bundle."""
    match = JOURNAL_RE.match
    path = ctx.path
    clock = ctx.clock
    parts_cache = clock.parts
    klog_parts = clock.klog_parts
    klog_fmt = ctx.fmt(outer, "klog")
    pairs = KV_PLAIN_RE.findall
    levels = KLOG_LEVELS
    missing = object()

    def parse(lineno: int, text: str) -> LogLine:
        m = match(text)
        if m is None:
            marker = parse_marker(ctx, lineno, text) if text[:3] == "-- " else None
            return marker or fallback(ctx, lineno, text)
        _stamp, ident, sev, klog_stamp, micros, caller = m.groups()
        if sev is None or ident[0] == "(":
            return journal_from_match(ctx, lineno, text, m, outer)
        msg = text[m.end():]
        parts = parts_cache.get(klog_stamp, missing)
        if parts is missing:
            parts = klog_parts(klog_stamp)
        ts = datetime(*parts, int(micros), UTC) if parts is not None else None
        fields = None
        if msg[:1] == '"':  # structured klog; same result as bodies.klog_fields, inlined for speed
            if "\\" in msg:
                fields = klog_fields(msg, caller)
            else:  # no escapes: the message ends at the next quote
                end = msg.find('"', 1)
                if end > 0:
                    fields = {"msg": msg[1:end], "caller": caller}
                    for key, value, bare in pairs(msg, end + 1):
                        fields[key] = value or bare
        return new_line(path, lineno, ts, ident, levels[sev], msg, text, klog_fmt, fields)

    return parse


def journal_from_match(ctx: FileContext, lineno: int, text: str, m: re.Match, outer: str) -> LogLine:
    """The LogLine of a line JOURNAL_RE matched (used off the hot path: sniffing, non-klog bodies)."""
    stamp, ident, sev, klog_stamp, micros, caller = m.groups()
    clock = ctx.clock
    if sev is not None and ident[0] != "(":
        msg = text[m.end():]
        fields = klog_fields(msg, caller) if msg[:1] == '"' else None
        return new_line(ctx.path, lineno, clock.klog(klog_stamp, micros), ident, KLOG_LEVELS[sev], msg, text,
                       ctx.fmt(outer, "klog"), fields)
    fields = None
    if ident[0] == "(":  # systemd's forked exec helper, logging before (or instead of) the exec
        source = "systemd"
        fields = {"exec": ident[1:-1]}
    else:
        source = ident
    body = text[m.start(3) if sev is not None else m.end():]
    b = parse_body(body, clock)
    if b is None:
        level = systemd_level(body) if source == "systemd" else None
        return new_line(ctx.path, lineno, clock.syslog(stamp), source, level, body, text, outer, fields)
    level = b.level
    if level is None and source == "systemd":
        level = systemd_level(body)
    return new_line(
        ctx.path, lineno, b.ts or clock.syslog(stamp), b.source or source, level, b.message, text,
        ctx.fmt(outer, b.fmt), b.fields if fields is None else {**fields, **(b.fields or {})},
    )
