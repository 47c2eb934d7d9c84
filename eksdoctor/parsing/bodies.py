"""Sub-formats of a log message body: what follows a journal prefix, a CRI prefix, or stands alone.

`parse_body` picks the format from the first character (cheap) and returns a `Body` tuple, or None
when the text is a plain message. Each format keeps its own timestamp when it has one, because it
is more precise than the journal prefix (klog: microseconds; logfmt/zap: also the year).

Message conventions (what rules and search match on):
- klog: the text after `] ` verbatim, both printf style and structured `"Msg" k="v"`.
- zap JSON / nodeadm console: `msg` followed by the remaining fields as JSON (`Command failed
  {"error": "..."}`), so the JSON and console encoders of nodeadm read the same.
- logfmt: the unquoted `msg` followed by the pairs written after it (`starting containerd version=1.6.2`).
`fields` holds the decoded key/values (structured klog, logfmt, zap) and is None otherwise.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import NamedTuple

from eksdoctor.parsing.keyvalues import KV_RE, QUOTED_RE, parse_pairs, unquote
from eksdoctor.parsing.levels import KLOG_LEVELS, level_word
from eksdoctor.parsing.timestamps import ISO_RE, SyslogClock, from_unix, iso_from_match, parse_iso


class Body(NamedTuple):
    ts: datetime | None
    level: str | None
    message: str
    fmt: str
    fields: dict | None = None
    source: str | None = None  # only when the body names its producer ("eks-bootstrap")


KLOG_RE = re.compile(r"([IWEF])(\d{4} \d\d:\d\d:\d\d)\.(\d+)\s+(\d+) ([^:\]]+:\d+)\] ?(.*)", re.S)
CONSOLE_RE = re.compile(r"(debug|info|warn|error|dpanic|panic|fatal) (\S+\.go:\d+) (.*)", re.S)
SDK_RE = re.compile(r"SDK (\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) (\w+) (.*)", re.S)
# A body that starts with an ISO timestamp: bootstrap.sh, seelog, cloud-init modules, CRI, ISO syslog.
ISO_LINE_RE = re.compile(ISO_RE.pattern + r" (.*)", re.S)
BRACKET_RE = re.compile(r"\[([\w.\-]+)\] (?:(INFO|WARNING|WARN|ERROR|DEBUG|FATAL):? )?(.*)", re.S)
MODULE_RE = re.compile(r"(?:- )?([\w.\-]+\.py)\[(\w+)\]: ?(.*)", re.S)
CRI_RE = re.compile(r"(stdout|stderr) ([PF]) ?(.*)", re.S)
BANNER_RE = re.compile(
    r"Cloud-init v\. \S+ (?:running '[^']*'|finished) at \w{3}, (\d\d) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d)"
)
AWS_CLI_RE = re.compile(
    r"An error occurred \(([^)]*)\) when calling the (\S+) operation(?: \([^)]*\))?: ?(.*)", re.S
)
LEADING_LEVEL_RE = re.compile(r"(INFO|WARNING|WARN|ERROR|FATAL|DEBUG|CRITICAL):\s(.*)", re.S)
CURL_ERR_RE = re.compile(r"curl: \((\d+)\) ?(.*)", re.S)
# Fields of a zap JSON line cut short (truncated in a ticket or by a size limit).
_PARTIAL_LEVEL_RE = re.compile(r'"level":"(\w+)"')
_PARTIAL_TS_RE = re.compile(r'"ts":(?:"([^"]+)"|([\d.eE+]+))')
_PARTIAL_MSG_RE = re.compile(r'"msg":"([^"\\]*(?:\\.[^"\\]*)*)', re.S)

_ZAP_META = ("level", "ts", "time", "caller", "msg", "message")
_CONSOLE_LEVEL_FIRST = frozenset("diwefp")


def parse_klog(body: str, clock: SyslogClock | None) -> Body | None:
    """`Lmmdd hh:mm:ss.uuuuuu tid file:line] msg` (legacy printf or structured `"Msg" k=v`).

    klog has no year: `clock` supplies it; without a clock (inside a CRI line) ts is None.
    """
    m = KLOG_RE.match(body)
    if m is None:
        return None
    sev, stamp, frac, _tid, caller, msg = m.groups()
    fields = klog_fields(msg, caller) if msg[:1] == '"' else None
    ts = clock.klog(stamp, frac) if clock is not None else None
    return Body(ts, KLOG_LEVELS[sev], msg, "klog", fields)


def klog_fields(msg: str, caller: str) -> dict | None:
    """Structured klog `"Message" key="value" key2=value2` -> {"msg", "caller", key: value...}."""
    q = QUOTED_RE.match(msg)
    if q is None:
        return None
    fields = parse_pairs(msg, q.end())
    fields["msg"] = unquote(q.group(1))
    fields["caller"] = caller
    return fields


def parse_logfmt(body: str) -> Body | None:
    """logrus `time="..." level=info msg="..." k=v`; msg may be bare or quoted with \\" escapes."""
    fields: dict = {}
    msg = None
    msg_end = 0
    for m in KV_RE.finditer(body):
        quoted = m.group(2)
        value = unquote(quoted) if quoted is not None else m.group(3)
        fields[m.group(1)] = value
        if m.group(1) == "msg" and msg is None:
            msg, msg_end = value, m.end()
    if "level" not in fields and "time" not in fields:
        return None
    ts = parse_iso(fields["time"]) if "time" in fields else None
    message = msg + body[msg_end:] if msg is not None else body
    return Body(ts, level_word(fields.get("level")), message, "logfmt", fields)


def _zap_message(obj: dict) -> str:
    msg = obj.get("msg")
    if msg is None:
        msg = obj.get("message", "")
    if not isinstance(msg, str):
        msg = json.dumps(msg)
    rest = {k: v for k, v in obj.items() if k not in _ZAP_META}
    if not rest:
        return msg
    try:
        return f"{msg} {json.dumps(rest)}"
    except (TypeError, ValueError, RecursionError):
        return msg


def parse_json(body: str) -> Body | None:
    """zap JSON: nodeadm (`"ts"` unix float) or VPC CNI (`"ts"` ISO-8601); truncated lines too."""
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return _parse_partial_json(body)
    if not isinstance(obj, dict):
        return None
    raw_ts = obj.get("ts", obj.get("time"))
    if isinstance(raw_ts, (int, float)) and not isinstance(raw_ts, bool):
        ts, fmt = from_unix(raw_ts), "nodeadm-json"
    elif isinstance(raw_ts, str):
        ts, fmt = parse_iso(raw_ts), "zap-json"
    else:
        ts, fmt = None, "json"
    level = level_word(obj.get("level"))
    if level is None and fmt == "json" and "msg" not in obj and "message" not in obj:
        return None  # some other JSON document (config, checkpoint): not a log record
    return Body(ts, level, _zap_message(obj), fmt, obj)


def _parse_partial_json(body: str) -> Body | None:
    lm = _PARTIAL_LEVEL_RE.search(body)
    mm = _PARTIAL_MSG_RE.search(body)
    if lm is None or mm is None:
        return None
    ts = None
    tm = _PARTIAL_TS_RE.search(body)
    if tm is not None:
        if tm.group(1):
            ts = parse_iso(tm.group(1))
        else:
            try:
                ts = from_unix(float(tm.group(2)))
            except ValueError:
                ts = None
    return Body(ts, level_word(lm.group(1)), unquote(mm.group(1)), "zap-json", None)


def parse_console(body: str) -> Body | None:
    """nodeadm console encoder: `info init/init.go:55 Checking user is root.. {"k": "v"}`."""
    m = CONSOLE_RE.match(body)
    if m is None:
        return None
    word, caller, rest = m.groups()
    fields: dict = {"caller": caller, "msg": rest}
    brace = rest.find(" {")
    if brace >= 0:
        fields["msg"] = rest[:brace]
        try:
            extra = json.loads(rest[brace + 1:])
        except (ValueError, RecursionError):
            extra = None
        if isinstance(extra, dict):
            fields.update(extra)
    return Body(None, level_word(word), rest, "nodeadm-console", fields)


def parse_sdk(body: str) -> Body | None:
    """AWS SDK for Go v2 client log: `SDK 2026/05/26 14:57:57 DEBUG retrying request ...`."""
    m = SDK_RE.match(body)
    if m is None:
        return None
    g = m.groups()
    ts = parse_iso(f"{g[0]}-{g[1]}-{g[2]}T{g[3]}:{g[4]}:{g[5]}Z")
    return Body(ts, level_word(g[6]), g[7], "sdk")


def parse_iso_led(body: str) -> Body | None:
    """Lines led by an ISO timestamp: bootstrap.sh, seelog, cloud-init modules, CRI, ISO syslog."""
    m = ISO_LINE_RE.match(body)
    if m is None:
        return None
    ts = iso_from_match(m)
    rest = m.group(9)
    first = rest[:1]
    if first == "[":
        b = BRACKET_RE.match(rest)
        if b is not None:
            tag, word, msg = b.groups()
            tag_level = level_word(tag)
            if tag_level is not None:  # seelog "[INFO] msg"
                return Body(ts, tag_level, (word + ": " + msg) if word else msg, "seelog")
            return Body(ts, level_word(word), msg, "bootstrap", None, tag)
    elif first == "-":
        mod = MODULE_RE.match(rest)
        if mod is not None:
            return Body(ts, level_word(mod.group(2)), mod.group(3), "cloud-init-module",
                        {"module": mod.group(1)})
    elif first == "s":
        cri = CRI_RE.match(rest)
        if cri is not None:
            inner = parse_body(cri.group(3), None)
            fields = {"stream": cri.group(1), "partial": cri.group(2) == "P"}
            if inner is None:
                return Body(ts, None, cri.group(3), "cri", fields)
            if inner.fields:
                fields.update(inner.fields)
            return Body(ts, inner.level, inner.message, "cri+" + inner.fmt, fields, inner.source)
    return Body(ts, None, rest, "iso")


def parse_body(body: str, clock: SyslogClock | None) -> Body | None:
    """Recognise the body's format, or None for a plain message. Never raises on odd text.

    The first character picks the one format worth trying; when it does not match, the generic
    checks below (AWS CLI error, `ERROR:` prefix, cloud-init module) still get their turn.
    """
    c = body[:1]
    if not c:
        return None
    parsed = _by_first_char(c, body, clock)
    if parsed is not None:
        return parsed
    if "An error occurred (" in body:
        return _parse_aws_cli(body)
    if c.isupper():
        m = LEADING_LEVEL_RE.match(body)
        if m is not None:
            return Body(None, level_word(m.group(1)), body, "leveled")
    if ".py[" in body[:80]:
        mod = MODULE_RE.match(body)
        if mod is not None:
            return Body(None, level_word(mod.group(2)), mod.group(3), "cloud-init-module",
                        {"module": mod.group(1)})
    return None


def _by_first_char(c: str, body: str, clock: SyslogClock | None) -> Body | None:
    if c in "IWEF" and body[1:2].isdigit():
        return parse_klog(body, clock)
    if c == "{":
        return parse_json(body)
    if c == "t" and body.startswith('time="') or c == "l" and body.startswith("level="):
        return parse_logfmt(body)
    if c in _CONSOLE_LEVEL_FIRST:
        return parse_console(body)
    if c.isdigit():
        return parse_iso_led(body)
    if c == "S" and body.startswith("SDK "):
        return parse_sdk(body)
    if c == "+":
        stripped = body.lstrip("+")
        return Body(None, None, stripped[1:] if stripped[:1] == " " else stripped, "trace")
    if c == "C" and body.startswith("Cloud-init v. "):
        return _parse_banner(body)
    if c == "[":
        b = BRACKET_RE.match(body)
        if b is not None and level_word(b.group(1)) is not None:
            return Body(None, level_word(b.group(1)), b.group(3), "bracket-level")
    elif c == "c" and body.startswith("curl: ("):
        m = CURL_ERR_RE.match(body)
        if m is not None:
            return Body(None, "error", body, "curl", {"exit_code": int(m.group(1))})
    return None


def _parse_banner(body: str) -> Body:
    m = BANNER_RE.match(body)
    ts = None
    if m is not None:
        day, mon, year, hh, mm, ss = m.groups()
        ts = parse_iso(f"{year}-{_MONTH_NUM.get(mon, '00')}-{day}T{hh}:{mm}:{ss}Z")
    return Body(ts, "info", body, "cloud-init-banner")


def _parse_aws_cli(body: str) -> Body | None:
    m = AWS_CLI_RE.search(body)
    if m is None:
        return None
    return Body(None, "error", body, "aws-cli", {"code": m.group(1), "operation": m.group(2),
                                                 "error": m.group(3)})


_MONTH_NUM = {m: f"{i:02d}" for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
