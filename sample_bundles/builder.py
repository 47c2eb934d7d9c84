"""Accumulates a node's story as timestamped lines per bundle file, then renders the files.

Flows (flow_al2.py, flow_al2023.py) and scenario setups write through one Builder: `log()` puts a
journal line in the unit's journal file and, on AL2, its rsyslog copy in var_log/messages, exactly
as journald + rsyslog duplicate them on a real node. Files are sorted by time when rendered, so a
scenario can add lines in any order.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import lines
from .identity import Node

# systemd unit -> journal file the collector writes with `journalctl --unit=<unit>`.
UNIT_FILES = {
    "kubelet": "kubelet/kubelet.log",
    "containerd": "containerd/containerd-log.txt",
    "sandbox-image": "sandbox-image/sandbox-image-log.txt",
    "docker": "docker/docker.log",
    "nodeadm-config": "nodeadm/nodeadm-config.log",
    "nodeadm-run": "nodeadm/nodeadm-run.log",
    "nodeadm-boot-hook": "nodeadm/nodeadm-boot-hook.log",
    "configure-multicard-interfaces": "networking/configure-multicard-interfaces.txt",
}

Hook = Callable[["Builder", datetime], Any]


@dataclass
class Story:
    """Knobs the flows read; scenario setups flip them. Defaults are a healthy node."""

    userdata_ok: bool = True            # bootstrap.sh / nodeadm finished and started kubelet
    kubelet_exec_fails: bool = False    # the unit cannot spawn /usr/bin/kubelet (203/EXEC)
    kubelet_fatal: str | None = None    # kubelet exits at start-up with this error (restart loop)
    api_error: str | None = None        # transport/auth error of every API call for the whole run
    api_error_legacy: str | None = None  # same error as printed by a printf-style (legacy) kubelet
    register_forbidden: str | None = None  # register rejected by the node authorizer (name mismatch)
    registered: bool = True
    aws_node_runs: bool = True          # the aws-node DaemonSet pod started on the node
    cni_ready: bool = True              # aws-node wrote /etc/cni/net.d/10-aws.conflist
    ipamd_error: Callable[["Builder", datetime], None] | None = None  # ipamd failure story
    duration: timedelta = timedelta(minutes=12)  # boot -> collection
    warmup_errors: int = 3              # transient API errors before registering (healthy noise)
    curl: str = "ok"                    # curl_api_server.txt outcome: ok|timeout|refused|resolve|noroute
    default_route: bool = True
    resolv_search: str | None = None    # custom search domain (DHCP options)
    resolv_nameservers: list[str] | None = None
    hostname_short: bool = False        # kubelet registers the short hostname (DHCP without domain-name)
    has_kubeconfig: bool = True
    pkglist_has_kubelet: bool = True
    hooks: dict[str, Hook] = field(default_factory=dict)  # phase name -> replacement/extra story
    extra: dict[str, Any] = field(default_factory=dict)


class Builder:
    """Collects lines per file; `render()` returns {path: text | iterator-of-lines}."""

    def __init__(self, node: Node, rng: random.Random, scale: int = 1) -> None:
        self.node = node
        self.rng = rng
        self.scale = scale
        self.story = Story()
        self._events: dict[str, list[tuple[datetime, int, str]]] = {}
        self._seq = 0
        self._noise: dict[str, list[Iterable[tuple[datetime, str]]]] = {}
        self.files: dict[str, str | bytes] = {}   # static files, written verbatim
        self.journal_units: set[str] = set()      # units whose journal file exists (maybe "-- No entries --")
        self.pids: dict[str, int] = {}

    # --- time helpers -------------------------------------------------------------------------
    def at(self, seconds: float) -> datetime:
        """Boot time + seconds, with jitter under 0.25 s (callers space their offsets wider than that)."""
        return self.node.boot + timedelta(seconds=seconds, microseconds=self.rng.randint(0, 249_999))

    def uptime(self, ts: datetime) -> float:
        return (ts - self.node.boot).total_seconds() + 1.8  # the kernel started ~2 s before journald

    @property
    def end(self) -> datetime:
        return self.node.collected

    def pid(self, name: str, lo: int = 1200, hi: int = 4800) -> int:
        if name not in self.pids:
            self.pids[name] = self.rng.randint(lo, hi)
        return self.pids[name]

    # --- writing lines ------------------------------------------------------------------------
    def add(self, path: str, ts: datetime, text: str) -> None:
        """A line of a plain (non-journal) file, ordered by time when rendered."""
        self._seq += 1
        self._events.setdefault(path, []).append((ts, self._seq, text))

    def host_at(self, ts: datetime) -> str:
        """AL2023 logs `localhost` until systemd-hostnamed applies the EC2 name (~2 s after boot)."""
        if self.node.family == "al2023" and (ts - self.node.boot).total_seconds() < 2.5:
            return "localhost"
        return self.node.journal_host

    def log(self, unit: str | None, ts: datetime, ident: str, pid: int | None, body: str,
            syslog: bool = True) -> None:
        """One journal entry: into the unit's journal file, and its rsyslog copy on AL2."""
        if ts > self.end:
            return
        if unit is not None:
            path = UNIT_FILES[unit]
            self.journal_units.add(unit)
            text = lines.journal(ts, self.host_at(ts), ident, pid, body)
            if "\n" in body:  # journalctl indents the continuation lines of a multi-line message
                first, *rest = text.split("\n")
                indent = " " * (len(first) - len(body.split("\n", 1)[0]))
                text = "\n".join([first, *(indent + r for r in rest)])
            self.add(path, ts, text)
        if syslog and self.node.family == "al2":  # rsyslog escapes control characters: newline -> #012
            self.add("var_log/messages", ts, lines.rsyslog(ts, self.node.short_host, ident, body.replace("\n", "#012")))

    def systemd(self, unit: str | None, ts: datetime, text: str) -> None:
        self.log(unit, ts, "systemd", 1, text)

    def noise(self, path: str, stream: Iterable[tuple[datetime, str]]) -> None:
        """Register a lazily generated, time-ordered stream of benign lines for `path`."""
        self._noise.setdefault(path, []).append(stream)

    # --- rendering ----------------------------------------------------------------------------
    def render(self) -> dict[str, str | bytes | Callable[[], Iterator[str]]]:
        out: dict[str, str | bytes | Callable[[], Iterator[str]]] = dict(self.files)
        journal_paths = {UNIT_FILES[u] for u in self.journal_units}
        for path in sorted(set(self._events) | set(self._noise) | journal_paths):
            out[path] = self._renderer(path, path in journal_paths or path == "var_log/messages")
        return out

    def _renderer(self, path: str, is_journal: bool) -> Callable[[], Iterator[str]]:
        events = sorted(self._events.get(path, []))
        streams = self._noise.get(path, [])
        is_unit_journal = is_journal and path != "var_log/messages"

        def lines_of() -> Iterator[str]:
            merged = heapq.merge(((ts, text) for ts, _, text in events),
                                 *[iter(s) for s in streams], key=lambda e: e[0])
            first = True
            for ts, text in merged:
                if ts > self.end:
                    break
                if first and is_unit_journal and self.node.family == "al2":
                    yield lines.journal_header(self.node.boot - timedelta(seconds=3), self.end)
                first = False
                yield text
            if first and is_unit_journal:
                if self.node.family == "al2":
                    yield lines.journal_header(self.node.boot - timedelta(seconds=3), self.end)
                yield lines.NO_ENTRIES

        return lines_of
