"""Line formats exactly as the node's components print them (bundle-format.md section 3).

Pure functions: a timestamp and fields in, one line of text out (no trailing newline).
"""

from __future__ import annotations

import json
from datetime import datetime


def journal(ts: datetime, host: str, ident: str, pid: int | None, body: str) -> str:
    """journalctl --output=short: `Jun 06 19:33:03 host ident[pid]: body` (day zero-padded)."""
    tag = f"{ident}[{pid}]" if pid is not None else ident
    return f"{ts:%b %d %H:%M:%S} {host} {tag}: {body}"


def rsyslog(ts: datetime, host: str, ident: str, body: str) -> str:
    """AL2 /var/log/messages (rsyslog traditional format): day space-padded, short host, no pid."""
    return f"{ts:%b} {ts.day:>2} {ts:%H:%M:%S} {host} {ident}: {body}"


def journal_header(first: datetime, last: datetime) -> str:
    """systemd 219 (AL2) header; AL2023's systemd 252 prints none."""
    return f"-- Logs begin at {first:%a %Y-%m-%d %H:%M:%S} UTC, end at {last:%a %Y-%m-%d %H:%M:%S} UTC. --"


NO_ENTRIES = "-- No entries --"


def klog(level: str, ts: datetime, pid: int, src: str, msg: str) -> str:
    """klog header `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, PID right-aligned in 7 chars."""
    return f"{level}{ts:%m%d %H:%M:%S}.{ts.microsecond:06d} {pid:7d} {src}] {msg}"


def gostr(value: str) -> str:
    """Go %q quoting (enough for ASCII log values)."""
    return json.dumps(value)


def kv(msg: str, **fields: object) -> str:
    """Structured klog body: `"Message" key="value" n=3` (strings quoted, numbers bare)."""
    parts = [gostr(msg)]
    for key, value in fields.items():
        if isinstance(value, bool):
            parts.append(f"{key}={str(value).lower()}")
        elif isinstance(value, int | float):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={gostr(str(value))}")
    return " ".join(parts)


def logrus(ts: datetime, level: str, msg: str, **fields: object) -> str:
    """containerd/dockerd logfmt: `time="...Z" level=info msg="..." k=v` (RFC3339Nano)."""
    nanos = f"{ts.microsecond:06d}{(ts.microsecond * 7) % 1000:03d}"
    quoted = msg if msg.replace(".", "").replace("/", "").isalnum() else gostr(msg)
    text = f'time="{ts:%Y-%m-%dT%H:%M:%S}.{nanos}Z" level={level} msg={quoted}'
    for key, value in fields.items():
        s = str(value)
        text += f" {key}={s if s and all(c.isalnum() or c in '._-/:' for c in s) else gostr(s)}"
    return text


def nodeadm_json(ts: datetime, level: str, caller: str, msg: str, **fields: object) -> str:
    """nodeadm before AMI v20251217: zap production JSON, epoch float `ts`."""
    record = {"level": level, "ts": round(ts.timestamp(), 7), "caller": caller, "msg": msg}
    record.update(fields)
    return json.dumps(record, separators=(",", ":"))


def nodeadm_console(level: str, caller: str, msg: str, **fields: object) -> str:
    """nodeadm from AMI v20251217: zap console encoder, no time key, fields as `{"k": v, ...}`."""
    text = f"{level} {caller} {msg}"
    if fields:
        inner = ", ".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in fields.items())
        text += " {" + inner + "}"
    return text


def sdk_retry(ts: datetime, operation: str, attempt: int) -> str:
    """aws-sdk-go-v2 ClientLogMode(LogRetries) line, plain text inside the nodeadm journal."""
    return f"SDK {ts:%Y/%m/%d %H:%M:%S} DEBUG retrying request {operation}, attempt {attempt}"


def zap_iso(ts: datetime, level: str, caller: str, msg: str) -> str:
    """VPC CNI ipamd/plugin JSON with ISO-8601 millisecond timestamps."""
    stamp = f"{ts:%Y-%m-%dT%H:%M:%S}.{ts.microsecond // 1000:03d}Z"
    return json.dumps({"level": level, "ts": stamp, "caller": caller, "msg": msg}, separators=(",", ":"))


def bootstrap(ts: datetime, level: str, text: str) -> str:
    """AL2 bootstrap.sh log helper: `2023-11-17T02:16:06+0000 [eks-bootstrap] INFO: ...`."""
    return f"{ts:%Y-%m-%dT%H:%M:%S}+0000 [eks-bootstrap] {level}: {text}"


def cloud_init_log(ts: datetime, pid: int, module: str, level: str, msg: str) -> str:
    """/var/log/cloud-init.log: `Jun 06 19:32:01 cloud-init[2512]: util.py[DEBUG]: msg` (no host)."""
    return f"{ts:%b %d %H:%M:%S} cloud-init[{pid}]: {module}[{level}]: {msg}"


def cloud_init_banner(ts: datetime, version: str, stage: str, uptime: float) -> str:
    return f"Cloud-init v. {version} running '{stage}' at {ts:%a, %d %b %Y %H:%M:%S} +0000. Up {uptime:.2f} seconds."


def cloud_init_finished(ts: datetime, version: str, datasource: str, uptime: float) -> str:
    return f"Cloud-init v. {version} finished at {ts:%a, %d %b %Y %H:%M:%S} +0000. Datasource {datasource}.  Up {uptime:.2f} seconds"


def dmesg_raw(uptime: float, msg: str) -> str:
    return f"[{uptime:12.6f}] {msg}"


def dmesg_human(ts: datetime, msg: str) -> str:
    return f"[{ts:%a %b} {ts.day:>2} {ts:%H:%M:%S %Y}] {msg}"
