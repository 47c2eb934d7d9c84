"""Throughput of eksdoctor.parsing.parse_lines on journal+klog lines, against a baseline.

Generates N realistic kubelet journal lines in memory (klog legacy and structured, systemd lines,
AL2 rsyslog form, containerd logfmt for the mixed case), then times:
  baseline  `for line in lines: PRE.match(line)` with one compiled journal regex
  parse     `for _ in parse_lines(path, numbered, year=...)` (every line becomes a LogLine)
and prints lines/second and the ratio parse/baseline. Run: .venv/bin/python bench/parse.py [N]
"""

from __future__ import annotations

import random
import re
import sys
import time
from datetime import datetime, timedelta, timezone

from eksdoctor.parsing import parse_lines

PRE = re.compile(r"([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: (.*)")

HOSTS = ["ip-10-0-1-229.us-west-2.compute.internal", "ip-10-150-127-198", "localhost"]
KLOG_BODIES = [
    '"Attempting to register node" node="{node}"',
    '"Unable to register node with API server" err="Unauthorized" node="{node}"',
    '"Failed to ensure lease exists, will retry" err="Unauthorized" interval="7s"',
    '"Error getting node" err="node \\"{node}\\" not found"',
    'Unable to register node "{node}" with API server: Unauthorized',
    "k8s.io/client-go/informers/factory.go:133: Failed to list *v1.Service: Get https://ABCD.gr7.us-west-2"
    ".eks.amazonaws.com/api/v1/services?limit=500: dial tcp 10.0.0.12:443: i/o timeout",
    '"Container runtime network not ready" networkReady="NetworkReady=false reason:NetworkPluginNotReady '
    'message:Network plugin returns error: cni plugin not initialized"',
]
CALLERS = ["kubelet_node_status.go:96", "controller.go:145", "kubelet.go:2855", "reflector.go:205"]
SYSTEMD_BODIES = [
    "Started Kubernetes Kubelet.",
    "kubelet.service: Main process exited, code=exited, status=1/FAILURE",
    "kubelet.service: Failed with result 'exit-code'.",
]
LOGFMT = 'time="{iso}" level=info msg="Start recovering state" revision=de8046a5 version=1.6.2'


def generate(n: int, mixed: bool, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    t = datetime(2024, 6, 6, 19, 0, 0, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        t += timedelta(microseconds=rnd.randint(1000, 400000))
        host = HOSTS[i % len(HOSTS)]
        stamp = t.strftime("%b %d %H:%M:%S")
        roll = rnd.random()
        if roll < 0.05:
            out.append(f"{stamp} {host} systemd[1]: {rnd.choice(SYSTEMD_BODIES)}")
            continue
        if mixed and roll < 0.25:
            iso = t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
            out.append(f"{stamp} {host} containerd[1602]: {LOGFMT.format(iso=iso)}")
            continue
        body = rnd.choice(KLOG_BODIES).format(node=host)
        klog = f"{'IWE'[i % 3]}{t.strftime('%m%d %H:%M:%S.%f')}    3214 {rnd.choice(CALLERS)}] {body}"
        ident = "kubelet[3214]" if roll > 0.1 else "kubelet"  # AL2 rsyslog form has no pid
        out.append(f"{stamp} {host} {ident}: {klog}")
    return out


def rates(fns, lines: list[str], rounds: int = 3) -> list[float]:
    """Lines/second of each fn, best of `rounds`, interleaved so machine noise hits all alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn(lines)
            best[i] = min(best[i], time.perf_counter() - start)
    return [len(lines) / b for b in best]


def baseline(lines: list[str]) -> None:
    match = PRE.match
    for line in lines:
        match(line)


def parse_all(lines: list[str]) -> None:
    for _ in parse_lines("kubelet/kubelet.log", enumerate(lines, 1), year=2024):
        pass


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    for label, mixed in (("journal+klog", False), ("mixed (+20% containerd logfmt)", True)):
        lines = generate(n, mixed)
        base, parsed = rates((baseline, parse_all), lines)
        print(f"{label:32s} n={n}  baseline {base:>10,.0f} lines/s   parse_lines {parsed:>9,.0f} lines/s"
              f"   ratio {parsed / base:.3f}")


if __name__ == "__main__":
    main()
