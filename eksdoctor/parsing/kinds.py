"""Which format a bundle member holds, and which logical source its lines come from.

Decided from the normalised member path alone (bundle-format.md section 2), so the choice is
free per file and a renamed or unknown file still parses through line sniffing.
"""

from __future__ import annotations

import posixpath
import re

# journalctl output, by exact path (bundle-format.md 2.1, 2.2, 2.4, 2.6).
_JOURNAL_FILES = frozenset({
    "kubelet/kubelet.log",
    "containerd/containerd-log.txt",
    "containerd/soci-snapshotter/soci-snapshotter-log.txt",
    "docker/docker.log",
    "sandbox-image/sandbox-image-log.txt",
    "networking/configure-multicard-interfaces.txt",
    "journalctl.log",       # Bottlerocket logdog: every unit, `journalctl -o short-precise`
    "journalctl.errors",
})
_RSYSLOG_RE = re.compile(r"var_log/(?:messages|syslog|cron)(?:[.-][\w.-]*)?")
_ENI_SOURCES = (
    ("ipamd", "ipamd"),
    ("egress-v4-plugin", "egress-cni-plugin"),
    ("egress-v6-plugin", "egress-cni-plugin"),
    ("plugin", "cni-plugin"),
    ("network-policy-agent", "network-policy-agent"),
    ("ebpf-sdk", "network-policy-agent"),
)
# /var/log/containers/<pod>_<namespace>_<container>-<64 hex container id>.log, flattened into var_log/.
_CONTAINER_FILE_RE = re.compile(r"[^_/]+_[^_/]+_(.+)-[0-9a-f]{64}\.log")
_TOP_SOURCES = {
    "kubelet": "kubelet", "nodeadm": "nodeadm", "containerd": "containerd", "docker": "docker",
    "sandbox-image": "sandbox-image", "kernel": "kernel", "ipamd": "ipamd", "cni": "cni",
    "networking": "networking", "system": "system", "storage": "storage", "sysctls": "sysctl",
    "modinfo": "modinfo", "gpu": "gpu",
}


def normalise(path: str) -> str:
    """Member path as the bundle layer stores it: forward slashes, no leading './' or '/'."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/")


def file_kind(path: str) -> str:
    """The format of a bundle member from its path.

    One of: "journal", "rsyslog", "cloud-init-output", "cloud-init-log", "zap-json", "klog", "cri",
    "dmesg", "dmesg-human", "prometheus", "curl", "wincsv" (Windows event log CSV),
    "sniff" (an unknown log: each line is sniffed),
    "text" (command output, config: lines kept raw).
    """
    p = normalise(path)
    if p.endswith(".gz"):  # rotated logs the bundle layer decompresses keep their format
        p = p[:-3]
    if p in _JOURNAL_FILES or (p.startswith("nodeadm/") and p.endswith(".log")):
        return "journal"
    if p.startswith("var_log/"):
        return _var_log_kind(p)
    if p.startswith("kernel/dmesg"):
        return "dmesg-human" if p.startswith("kernel/dmesg.human") else "dmesg"
    if p == "ipamd/metrics.json":
        return "prometheus"
    if p == "networking/curl_api_server.txt":
        return "curl"
    if p.startswith("system/") and p.endswith(".csv"):  # the Windows collector's event logs
        return "wincsv"
    if p.endswith(".log") or p == "<pasted>":
        return "sniff"
    return "text"


def _var_log_kind(p: str) -> str:
    if _RSYSLOG_RE.fullmatch(p):
        return "rsyslog"
    name = p[len("var_log/"):]
    if name.startswith("cloud-init-output.log") or name == "user-data.log":
        return "cloud-init-output"
    if name.startswith("cloud-init.log"):
        return "cloud-init-log"
    if name.startswith("aws-routed-eni/"):
        return "zap-json" if ".log" in name else "text"
    if name == "kube-proxy.log":
        return "klog"
    if "/" not in name and name.endswith(".log"):
        return "cri"  # flattened /var/log/containers/*.log
    parts = name.split("/")
    if len(parts) == 3 and re.fullmatch(r"\d+\.log(?:\.\d{8}-\d{6})?", parts[2]):
        return "cri"  # /var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log
    return "sniff" if ".log" in name else "text"


def source_for_path(path: str) -> str:
    """The logical source of a file's lines when a line does not name its own producer."""
    p = normalise(path)
    if p.endswith(".gz"):
        p = p[:-3]
    if p == "<pasted>":
        return "pasted"
    if p == "networking/curl_api_server.txt":
        return "curl"
    if p.startswith("containerd/soci-snapshotter/"):
        return "soci-snapshotter"
    if p.startswith("system/kubelet/kubelet-service"):  # Windows: kubelet's event log as CSV
        return "kubelet"
    if p.startswith("var_log/"):
        return _var_log_source(p[len("var_log/"):])
    top = p.split("/", 1)[0]
    if top in _TOP_SOURCES:
        return _TOP_SOURCES[top]
    stem = posixpath.basename(p).split(".", 1)[0]
    return stem or "unknown"


def _var_log_source(name: str) -> str:
    if name.startswith("cloud-init-output"):
        return "cloud-init-output"
    if name.startswith("cloud-init"):
        return "cloud-init"
    if name.startswith("aws-routed-eni/"):
        base = posixpath.basename(name)
        for prefix, source in _ENI_SOURCES:
            if base.startswith(prefix):
                return source
        return base.split(".", 1)[0] or "aws-routed-eni"
    m = _CONTAINER_FILE_RE.fullmatch(name)
    if m is not None:
        return m.group(1)
    parts = name.split("/")
    if len(parts) == 3:  # pods tree: the container directory names the container
        return parts[1]
    base = posixpath.basename(name).split(".", 1)[0]
    if base in ("messages", "syslog"):
        return "syslog"
    return base or "var_log"
