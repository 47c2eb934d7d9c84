"""Line parsers for the non-journal file kinds (kinds.file_kind): each takes (ctx, lineno, text),
returns a LogLine, and falls back to sniffing when a line is not in the file's usual format."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial

from eksdoctor.models import LogLine
from eksdoctor.parsing.bodies import parse_body, parse_iso_led, parse_json, parse_klog
from eksdoctor.parsing.context import FileContext, new_line
from eksdoctor.parsing.journal import journal_parser
from eksdoctor.parsing.keyvalues import unquote
from eksdoctor.parsing.sniff import DMESG_CTIME_RE, dmesg_ctime_from_match, sniff_line
from eksdoctor.parsing.timestamps import parse_iso
from eksdoctor.parsing.wincsv import parse_wincsv_line

PROM_SAMPLE_RE = re.compile(r"([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+(-?\d+))?\s*")
PROM_COMMENT_RE = re.compile(r"#\s*(HELP|TYPE)\s+(\S+)\s?(.*)", re.S)
PROM_LABEL_RE = re.compile(r'([A-Za-z_]\w*)\s*=\s*"((?:[^"\\]|\\.)*)"')
CURL_HEADER_RE = re.compile(r"curling (\S+) \((\d+) of (\d+)\)\s*(.*)", re.S)


def parse_klog_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    """A bare klog stream (legacy var_log/kube-proxy.log)."""
    b = parse_klog(text, ctx.clock)
    if b is None:
        return sniff_line(ctx, lineno, text)
    return new_line(ctx.path, lineno, b.ts, ctx.source, b.level, b.message, text, "klog", b.fields)


def parse_zap_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    """VPC CNI host logs: zap JSON with ISO ts, or legacy seelog `<ISO> [LEVEL] msg`."""
    c = text[:1]
    b = parse_json(text) if c == "{" else parse_iso_led(text) if c.isdigit() else None
    if b is None:
        return sniff_line(ctx, lineno, text)
    return new_line(ctx.path, lineno, b.ts, ctx.source, b.level, b.message, text, b.fmt, b.fields)


def parse_cri_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    """Container logs: CRI `<RFC3339Nano> <stream> <P|F> <content>`, or docker json-file records."""
    c = text[:1]
    if c.isdigit():
        b = parse_iso_led(text)
        if b is not None and b.fmt.startswith("cri"):
            return new_line(ctx.path, lineno, b.ts, ctx.source, b.level, b.message, text, b.fmt, b.fields)
    elif c == "{":
        line = _docker_json(ctx, lineno, text)
        if line is not None:
            return line
    return sniff_line(ctx, lineno, text)


def _docker_json(ctx: FileContext, lineno: int, text: str) -> LogLine | None:
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("log"), str):
        return None
    content = obj["log"].rstrip("\r\n")
    ts = parse_iso(obj["time"]) if isinstance(obj.get("time"), str) else None
    fields = {"stream": obj.get("stream")}
    inner = parse_body(content, None)
    if inner is None:
        return new_line(ctx.path, lineno, ts, ctx.source, None, content, text, "docker-json", fields)
    if inner.fields:
        fields.update(inner.fields)
    return new_line(ctx.path, lineno, ts or inner.ts, ctx.source, inner.level, inner.message, text,
                   ctx.fmt("docker-json", inner.fmt), fields)


def parse_dmesg_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    """`[seconds.micro] msg`: ts only when the boot time is known; systemd lines inside are parsed."""
    line = sniff_line(ctx, lineno, text)
    if line.fmt == "raw":
        return ctx.raw(lineno, text, "kernel")
    return line


def parse_dmesg_human_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    m = DMESG_CTIME_RE.match(text)
    if m is None:
        return parse_dmesg_file(ctx, lineno, text)
    return dmesg_ctime_from_match(ctx, lineno, text, m)


def parse_prometheus_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    """Prometheus text exposition (ipamd/metrics.json despite its name)."""
    if text[:1] == "#":
        m = PROM_COMMENT_RE.match(text)
        if m is None:
            return ctx.raw(lineno, text)
        kind = m.group(1).lower()
        return new_line(ctx.path, lineno, None, ctx.source, None, text, text, "prometheus",
                       {"metric": m.group(2), kind: m.group(3)})
    m = PROM_SAMPLE_RE.fullmatch(text)
    if m is None:
        return ctx.raw(lineno, text)
    try:
        value = float(m.group(3))
    except ValueError:
        return ctx.raw(lineno, text)
    labels = {k: unquote(v) for k, v in PROM_LABEL_RE.findall(m.group(2) or "")}
    return new_line(ctx.path, lineno, None, ctx.source, None, text, text, "prometheus",
                   {"metric": m.group(1), "labels": labels, "value": value})


def parse_curl_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    """networking/curl_api_server.txt: `curling <url> (i of 5) <time>` headers, then `curl -v` output.

    Lines after a header take its time (each attempt is capped at 10 s), so curl failures can be
    placed on the timeline; lines before any header have none.
    """
    m = CURL_HEADER_RE.match(text)
    if m is not None:
        ts = parse_iso(m.group(4))
        ctx.carry_ts = ts
        return new_line(ctx.path, lineno, ts, ctx.source, None, text, text, "curl",
                       {"url": m.group(1), "attempt": int(m.group(2)), "attempts": int(m.group(3))})
    if not text.strip():
        return ctx.raw(lineno, text)
    level = None
    fields = None
    if text.startswith("curl: ("):
        b = parse_body(text, None)
        if b is not None:
            level, fields = b.level, b.fields
    return new_line(ctx.path, lineno, ctx.carry_ts, ctx.source, level, text, text, "curl", fields)


def parse_text_file(ctx: FileContext, lineno: int, text: str) -> LogLine:
    """Command output and config files: kept raw (search still sees every line)."""
    return new_line(ctx.path, lineno, None, ctx.source, None, text, text, "raw", None)


LineParser = Callable[[int, str], LogLine]

_LINE_PARSERS = {
    "cloud-init-output": sniff_line,
    "sniff": sniff_line,
    "klog": parse_klog_file,
    "zap-json": parse_zap_file,
    "cri": parse_cri_file,
    "dmesg": parse_dmesg_file,
    "dmesg-human": parse_dmesg_human_file,
    "prometheus": parse_prometheus_file,
    "curl": parse_curl_file,
    "text": parse_text_file,
    "wincsv": parse_wincsv_line,
}


def line_parser(kind: str, ctx: FileContext) -> LineParser:
    """The (lineno, text) -> LogLine function for one file of the given kind."""
    if kind == "journal":
        return journal_parser(ctx, "journal", sniff_line)
    if kind in ("rsyslog", "cloud-init-log"):  # classic syslog prefix, hostname optional
        return journal_parser(ctx, "syslog", sniff_line)
    return partial(_LINE_PARSERS.get(kind, sniff_line), ctx)
