"""Core value types shared by every layer. Plain dataclasses: cheap, picklable, JSON-friendly."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

# Normalised levels. Parsers map klog I/W/E/F, logfmt, zap, seelog, syslog words onto these.
LEVELS = ("debug", "info", "warning", "error", "fatal")


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of one file in a bundle, parsed as far as its format allows.

    `ts` is timezone-aware UTC or None (unparsable/raw line). `raw` is the decoded original text
    without the trailing newline; `message` is the body after journal/klog/etc. prefixes.
    """

    path: str            # member path inside the bundle, normalised (no leading "./")
    lineno: int          # 1-based line number in that file
    ts: datetime | None
    source: str          # journal identifier / unit ("kubelet", "nodeadm", "containerd", "systemd"),
                         # or a logical source for non-journal files ("cloud-init-output", "ipamd", "kernel")
    level: str | None    # one of LEVELS or None
    message: str
    raw: str
    fmt: str = "raw"     # parser that recognised the line: "journal", "journal+klog", "nodeadm-json", ...
    fields: dict | None = None  # structured key/values when the format carries them (klog kv, zap JSON, logfmt)

    def ref(self) -> str:
        return f"{self.path}:{self.lineno}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A line that proves something, as shown in reports: path:line, time, text."""

    path: str
    line: int
    ts: str | None   # ISO-8601 UTC ("2024-06-06T19:33:03Z") or None
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(slots=True)
class SkippedMember:
    """A member of an archive we did not read, and why (link, device, unsafe name, too large...)."""

    path: str
    reason: str


@dataclass(slots=True)
class BundleInfo:
    """What we know about a bundle before reading any log line."""

    name: str                           # file or directory name as given
    instance_id: str | None = None      # from the file name, system/instance-id.txt, or None
    collected_at: datetime | None = None  # from the file name (UTC)
    collector_version: str | None = None
    family: str = "unknown"             # al2 | al2023 | bottlerocket | windows | unknown
    layout: str = "linux"               # linux | windows | bottlerocket
    partial: bool = False               # True when the archive was truncated/corrupt but some members read
    partial_reason: str | None = None
    skipped: list[SkippedMember] = field(default_factory=list)
    source: str | None = None           # the original path/URI the bundle came from

    def to_dict(self) -> dict:
        d = asdict(self)
        d["collected_at"] = self.collected_at.isoformat().replace("+00:00", "Z") if self.collected_at else None
        return d
