"""Minimal but valid Windows (collector zip) and Bottlerocket (logdog) bundles.

They exist so bundle readers and family detection have real layouts to chew on: healthy nodes of both
layouts, and a Windows node whose role is not mapped (kubelet's event log then carries the same klog
Unauthorized loop as a Linux journal, and the remediation must be the Windows one).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import lines, tree
from .model import Scenario


def _ids(scenario: Scenario, seed: int) -> tuple[random.Random, str, datetime]:
    rng = random.Random(f"{scenario.name}:{seed}")
    iid = "i-0" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
    boot = datetime(2025, rng.randint(1, 9), rng.randint(1, 28), rng.randint(0, 22), rng.randint(0, 59), rng.randint(0, 59), tzinfo=UTC)
    return rng, iid, boot


def write(scenario: Scenario, out_dir: Path, seed: int) -> Path:
    return (_windows if scenario.family == "windows" else _bottlerocket)(scenario, out_dir, seed)


def _windows(scenario: Scenario, out_dir: Path, seed: int) -> Path:
    rng, iid, boot = _ids(scenario, seed)
    collected = boot + timedelta(minutes=14, seconds=rng.randint(0, 59), microseconds=rng.randint(0, 999999))
    host = f"EC2AMAZ-{''.join(rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789') for _ in range(7))}"
    node = f"ip-10-0-2-{rng.randint(10, 250)}.ec2.internal"
    pid = rng.randint(2000, 6000)
    klog = _windows_kubelet(scenario, node)
    rows = ['#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord', '"Message","Id","Level","ProviderName","LogName","ProcessId","MachineName","TimeCreated","LevelDisplayName"']
    for off, lvl, src, msg in klog:
        ts = boot + timedelta(seconds=60 + off)
        text = lines.klog(lvl, ts, pid, src, msg).replace('"', '""')
        level, name = {"E": ("2", "Error"), "W": ("3", "Warning")}.get(lvl, ("4", "Information"))
        rows.append(f'"{text}","1","{level}","kubelet","EKS","{pid}","{host}","{ts:%m/%d/%Y %I:%M:%S %p}","{name}"')
    files = {
        "system/sysinfo": f"\r\nHost Name:                 {host}\r\nOS Name:                   Microsoft Windows Server 2022 Datacenter\r\n"
                          f"OS Version:                10.0.20348 N/A Build 20348\r\nSystem Boot Time:          {boot:%m/%d/%Y, %I:%M:%S %p}\r\n",
        "system/services": "\r\nStatus   Name               DisplayName\r\n------   ----               -----------\r\nRunning  containerd         containerd\r\nRunning  kubelet            kubelet\r\nRunning  kube-proxy         kube-proxy\r\n",
        "system/kubelet/kubelet-service.csv": "\r\n".join(rows) + "\r\n",
        "system/kubelet/kubeconfig": "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: C:\\ProgramData\\kubernetes\\ca.crt\n    server: https://0F1E2D3C4B5A69788796A5B4C3D2E1F0.gr7.us-east-1.eks.amazonaws.com\n  name: kubernetes\n",
        "system/kubelet/kubelet-config.json": json.dumps({"kind": "KubeletConfiguration", "apiVersion": "kubelet.config.k8s.io/v1beta1", "clusterDNS": ["172.20.0.10"]}),
        "system/containerd/containerd-version.txt": "Client:\r\n  Version:  v1.7.20\r\n",
        "system/network/ip.txt": f"\r\nWindows IP Configuration\r\n\r\n   Host Name . . . . . . . . . . . . : {host}\r\n",
        "system/network/routes.txt": "IPv4 Route Table\r\n===========================================================================\r\nActive Routes:\r\nNetwork Destination        Netmask          Gateway       Interface  Metric\r\n          0.0.0.0          0.0.0.0         10.0.2.1      10.0.2.57     15\r\n",
        "system/system-eventlogs.csv": '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n"Message","Id","Level","ProviderName","TimeCreated"\r\n"The kubelet service entered the running state.","7036","4","Service Control Manager","' + f"{boot + timedelta(seconds=64):%m/%d/%Y %I:%M:%S %p}" + '"\r\n',
    }
    stamp = f"{collected:%Y%m%dT%H%M%S}{collected.microsecond // 100:04d}Z"
    dest = out_dir / f"eks_{iid}_{stamp}.zip"
    tree.write_zip(dest, files, collected)
    return dest


def _windows_kubelet(scenario: Scenario, node: str) -> list[tuple[float, str, str, str]]:
    """(seconds after kubelet start, level, caller, message) of kubelet's event-log rows."""
    rows = [(5, "I", "server.go:487", lines.kv("Kubelet version", kubeletVersion="v1.30.4-eks-a737599")),
            (5.2, "W", "feature_gate.go:241", "Setting GA feature gate WindowsHostNetwork=true. It will be removed "
                                              "in a future release."),
            (7, "I", "kubelet_node_status.go:73", lines.kv("Attempting to register node", node=node))]
    if scenario.expected_category != "iam_auth":
        return rows + [(8, "I", "kubelet_node_status.go:76", lines.kv("Successfully registered node", node=node))]
    for i in range(80):  # ~10 minutes of the retry loop until the collector ran
        t = 7.1 + i * 7.5
        rows += [(t, "E", "kubelet_node_status.go:96", lines.kv("Unable to register node with API server",
                                                                err="Unauthorized", node=node)),
                 (t + 0.4, "E", "controller.go:145", lines.kv("Failed to ensure lease exists, will retry",
                                                              err="Unauthorized", interval="7s")),
                 (t + 1.1, "E", "kubelet.go:2461", lines.kv("Error getting node", err=f'node "{node}" not found')),
                 (t + 3.0, "I", "kubelet_node_status.go:73", lines.kv("Attempting to register node", node=node))]
    return rows


def _bottlerocket(scenario: Scenario, out_dir: Path, seed: int) -> Path:
    rng, iid, boot = _ids(scenario, seed)
    host = f"ip-192-168-{rng.randint(1, 200)}-{rng.randint(2, 250)}.us-west-2.compute.internal"
    pid = rng.randint(1200, 1800)
    journal = []
    for off, ident, body in ((1.2, "systemd[1]", "Starting Kubelet..."), (1.9, "systemd[1]", "Started Kubelet."),
                             (2.0, f"kubelet[{pid}]", lines.klog("I", boot + timedelta(seconds=2.0), pid, "server.go:487", lines.kv("Kubelet version", kubeletVersion="v1.31.4-eks-1-31-28"))),
                             (3.1, f"kubelet[{pid}]", lines.klog("I", boot + timedelta(seconds=3.1), pid, "kubelet_node_status.go:76", lines.kv("Successfully registered node", node=host)))):
        ts = boot + timedelta(seconds=off)
        journal.append(f"{ts:%b %d %H:%M:%S}.{ts.microsecond:06d} {host} {ident}: {body}")
    files = {
        "os-release": 'NAME=Bottlerocket\nID=bottlerocket\nVERSION="1.29.0 (aws-k8s-1.31)"\nPRETTY_NAME="Bottlerocket OS 1.29.0 (aws-k8s-1.31)"\nVARIANT_ID=aws-k8s-1.31\nVERSION_ID=1.29.0\nBUILD_ID=c3c8e2b1\n',
        "journalctl.log": "\n".join(journal) + "\n",
        "journalctl.errors": "-- No entries --\n",
        "settings.json": json.dumps({"kubernetes": {"cluster-name": "br-fleet", "api-server": "https://6A5B4C3D2E1F0A9B8C7D6E5F4A3B2C1D.yl4.us-west-2.eks.amazonaws.com",
                                                    "cluster-certificate": "REDACTED", "cluster-dns-ip": "10.100.0.10"},
                                     "aws": {"region": "us-west-2"}, "host-containers": {"admin": {"enabled": True}}}, indent=2),
        "dmesg": "[    0.000000] Linux version 6.1.119 (builder@buildkitsandbox) #1 SMP\n",
        "logdog.errors": "",
        "proc-mounts": "/dev/root / ext4 ro,relatime 0 0\n",
    }
    dest = out_dir / "bottlerocket-logs.tar.gz"
    tree.write_plain_tar(dest, files, boot + timedelta(minutes=20), "bottlerocket-logs")
    return dest
