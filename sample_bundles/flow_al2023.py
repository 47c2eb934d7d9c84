"""The AL2023 node's timeline: boot -> nodeadm-config -> cloud-init -> nodeadm-run -> containerd/kubelet -> aws-node.

nodeadm logs JSON (AMI < v20251217) or console lines (>= v20251217) depending on `node.nodeadm_format`.
Scenario hooks:
  hooks["nodeadm_config"](b, t) -> (end, ok)   replaces the healthy config phase (ok=False: unit failed)
  hooks["instance_details"](b, t) -> t         extra lines while fetching EC2 instance details
  hooks["userdata"](b, t) -> (end, exit_code)  a user-data shell script run by cloud-init (default: none)
  hooks["after_kubelet_start"](b, t)
"""

from __future__ import annotations

import json
from datetime import datetime

from . import components as c
from . import lines
from .builder import Builder
from .flow_al2 import run_kubelet
from .kubelet import Kubelet

CLOUD_INIT_VERSION = "22.2.2"
CALLERS = {  # message -> caller (console builds print short callers; json builds the same path)
    "Checking user is root..": "init/init.go:55", "Loading configuration..": "init/init.go:65",
    "Setting up nodeadm environment aspect...": "init/init.go:73", "Enriching configuration..": "init/init.go:81",
    "Fetching kubelet version..": "init/init.go:180", "Fetched kubelet version": "init/init.go:186",
    "Fetching instance details..": "init/init.go:171", "Instance details populated": "init/init.go:201",
    "Default options populated": "init/init.go:170", "Loaded configuration": "init/init.go:89",
    "Validating configuration..": "init/init.go:94", "Creating daemon manager..": "init/init.go:99",
    "Setting up system config aspects...": "init/init.go:118", "Configuring daemons...": "init/init.go:125",
    "Writing containerd config to file..": "containerd/config.go:66", "Writing kubelet config to file..": "kubelet/config.go:389",
    "Setting up system run aspects...": "init/init.go:134", "Running daemons...": "init/init.go:141",
    "Ensuring daemon is running..": "init/init.go:146", "Daemon is running": "init/init.go:150", "done!": "init/init.go:156",
    "failed to load cached config": "cli/config.go:25", "Command failed": "cli/main.go:44",
}


class Nodeadm:
    """Writes nodeadm lines of one unit (nodeadm-config or nodeadm-run) in the node's format."""

    def __init__(self, b: Builder, unit: str) -> None:
        self.b, self.unit = b, unit
        self.pid = b.pid(unit, 1500, 2200)

    def log(self, ts: datetime, level: str, msg: str, **fields: object) -> None:
        caller = CALLERS.get(msg, "init/init.go:60")
        if self.b.node.nodeadm_format == "json":
            body = lines.nodeadm_json(ts, level, caller, msg, **fields)
        else:
            body = lines.nodeadm_console(level, caller, msg, **fields)
        self.b.log(self.unit, ts, "nodeadm", self.pid, body)

    def sdk(self, ts: datetime, operation: str, attempt: int) -> None:
        self.b.log(self.unit, ts, "nodeadm", self.pid, lines.sdk_retry(ts, operation, attempt))


def node_config(b: Builder, **cluster_overrides: object) -> dict:
    n = b.node
    labels = f"eks.amazonaws.com/nodegroup-image={n.ami_id},eks.amazonaws.com/capacityType=ON_DEMAND,eks.amazonaws.com/nodegroup=ng-1"
    cluster = {"name": n.cluster_name, "apiServerEndpoint": n.endpoint, "certificateAuthority": n.ca_b64,
               "cidr": n.service_cidr}
    cluster.update(cluster_overrides)
    cluster = {k: v for k, v in cluster.items() if v is not None}
    return {"metadata": {"creationTimestamp": None} if n.nodeadm_format == "json" else {},
            "spec": {"cluster": cluster, "containerd": {}, "instance": {"localStorage": {}},
                     "kubelet": {"config": {"clusterDNS": [n.dns_cluster_ip], "maxPods": 29},
                                 "flags": [f"--node-labels={labels}"]}},
            "status": {"instance": {}, "defaults": {}}}


def config_phase(b: Builder, t: datetime, config: dict | None = None, *, stop_after_load: bool = False) -> datetime:
    """Healthy nodeadm-config run up to `done!` (or just after 'Loaded configuration')."""
    n, na = b.node, Nodeadm(b, "nodeadm-config")
    console = n.nodeadm_format == "console"
    seq = c.sec
    na.log(seq(t, 0.01), "info", "Checking user is root..")
    if console:
        na.log(seq(t, 0.02), "info", "Loading configuration..", configSource=["imds://user-data"], configCache="/run/eks/nodeadm/config.json")
        na.log(seq(t, 0.03), "warn", "failed to load cached config", error="open /run/eks/nodeadm/config.json: no such file or directory")
        na.log(seq(t, 0.04), "info", "Setting up nodeadm environment aspect...")
    else:
        na.log(seq(t, 0.02), "info", "Loading configuration..", configSource="imds://user-data")
    na.log(seq(t, 0.26), "info", "Enriching configuration..")
    na.log(seq(t, 0.27), "info", "Fetching kubelet version..")
    na.log(seq(t, 0.31), "info", "Fetched kubelet version", version=n.kubelet_version)
    na.log(seq(t, 0.31), "info", "Fetching instance details..")
    t = seq(t, 0.32)
    if "instance_details" in b.story.hooks:
        t = b.story.hooks["instance_details"](b, t)
        if t is None:
            return None
    details = {"id": n.instance_id, "region": n.region, "type": n.instance_type, "availabilityZone": n.az,
               "mac": n.mac, "privateDnsName": n.hostname}
    na.log(seq(t, 0.18), "info", "Instance details populated", details=details)
    if not console:
        na.log(seq(t, 0.19), "info", "Default options populated", defaults={"sandboxImage": "localhost/kubernetes/pause"})
    na.log(seq(t, 0.2), "info", "Loaded configuration", config=config or node_config(b))
    if stop_after_load:
        return seq(t, 0.2)
    na.log(seq(t, 0.21), "info", "Validating configuration..")
    na.log(seq(t, 0.21), "info", "Creating daemon manager..")
    if console:
        na.log(seq(t, 0.22), "info", "Setting up system config aspects...")
    na.log(seq(t, 0.23), "info", "Configuring daemons...")
    na.log(seq(t, 0.24), "info", "Writing containerd config to file..", path="/etc/containerd/config.toml")
    na.log(seq(t, 0.26), "info", "Writing kubelet config to file..", path="/etc/kubernetes/kubelet/config.json")
    na.log(seq(t, 0.27), "info", "done!", duration=0.3361)
    return seq(t, 0.28)


def default_config(b: Builder, t: datetime) -> tuple[datetime, bool]:
    end = config_phase(b, t)
    return end, end is not None


def fail_unit(b: Builder, unit: str, desc: str, t: datetime, error: str) -> None:
    """The fatal `Command failed` line, then systemd 252's failure lines for the oneshot unit."""
    na = Nodeadm(b, unit)
    na.log(t, "fatal", "Command failed", error=error)
    b.systemd(unit, c.sec(t, 0.01), f"{unit}.service: Main process exited, code=exited, status=1/FAILURE")
    b.systemd(unit, c.sec(t, 0.01), f"{unit}.service: Failed with result 'exit-code'.")
    b.systemd(unit, c.sec(t, 0.02), f"Failed to start {unit}.service - {desc}.")


def run_phase(b: Builder, t: datetime) -> datetime:
    na = Nodeadm(b, "nodeadm-run")
    b.systemd("nodeadm-run", t, "Starting nodeadm-run.service - EKS Nodeadm Run...")
    na.log(c.sec(t, 0.05), "info", "Checking user is root..")
    na.log(c.sec(t, 0.06), "info", "Loading configuration..", configSource=["imds://user-data", "file:///etc/eks/nodeadm.d/"]
           if b.node.nodeadm_format == "console" else "imds://user-data")
    na.log(c.sec(t, 0.4), "info", "Loaded configuration", config=node_config(b))
    na.log(c.sec(t, 0.41), "info", "Validating configuration..")
    na.log(c.sec(t, 0.41), "info", "Creating daemon manager..")
    na.log(c.sec(t, 0.42), "info", "Setting up system run aspects...")
    na.log(c.sec(t, 0.43), "info", "Running daemons...")
    na.log(c.sec(t, 0.43), "info", "Ensuring daemon is running..", name="containerd")
    c.containerd(b, c.sec(t, 0.44), "containerd.service - containerd container runtime")
    na.log(c.sec(t, 0.8), "info", "Daemon is running", name="containerd")
    na.log(c.sec(t, 0.8), "info", "Ensuring daemon is running..", name="kubelet")
    b.systemd("kubelet", c.sec(t, 0.85), "Started kubelet.service - Kubernetes Kubelet.")
    na.log(c.sec(t, 0.9), "info", "Daemon is running", name="kubelet")
    na.log(c.sec(t, 0.9), "info", "done!", duration=0.8612)
    b.systemd("nodeadm-run", c.sec(t, 0.95), "nodeadm-run.service: Deactivated successfully.")
    b.systemd("nodeadm-run", c.sec(t, 0.95), "Finished nodeadm-run.service - EKS Nodeadm Run.")
    return c.sec(t, 0.85)


def unknown_content_type(b: Builder, t: datetime, pid: int) -> None:
    """cloud-init does not know nodeadm's MIME part: a benign WARNING on every AL2023 node."""
    doc = "---\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  cluster:\n    name: " + b.node.cluster_name
    b.add("var_log/cloud-init.log", t, lines.cloud_init_log(
        t, pid, "__init__.py", "WARNING", f"Unhandled unknown content-type (application/node.eks.aws) userdata: 'b'{json.dumps(doc)[1:-1][:80]}...''"))


def run(b: Builder) -> None:
    n, s = b.node, b.story
    n.collected = n.boot + s.duration
    c.boot(b)
    if "boot_hook" in n.features:
        b.systemd("nodeadm-boot-hook", b.at(1.2), "Starting nodeadm-boot-hook.service - EKS Nodeadm Boot Hook...")
        b.systemd("nodeadm-boot-hook", b.at(2.0), "nodeadm-boot-hook.service: Deactivated successfully.")
        b.systemd("nodeadm-boot-hook", b.at(2.0), "Finished nodeadm-boot-hook.service - EKS Nodeadm Boot Hook.")
    t = b.at(2.2)
    b.systemd("nodeadm-config", t, "Starting nodeadm-config.service - EKS Nodeadm Config...")
    end, ok = s.hooks.get("nodeadm_config", default_config)(b, c.sec(t, 0.6))
    if ok:
        b.systemd("nodeadm-config", c.sec(end, 0.01), "nodeadm-config.service: Deactivated successfully.")
        b.systemd("nodeadm-config", c.sec(end, 0.01), "Finished nodeadm-config.service - EKS Nodeadm Config.")
    s.extra.setdefault("cloud_init_log", []).append(unknown_content_type)
    if "userdata" not in s.hooks:
        s.extra["no_scripts"] = True  # a NodeConfig-only user data has no shell part for cloud-init to run

    def userdata(t: datetime) -> tuple[datetime, int]:
        if "userdata" in s.hooks:
            return s.hooks["userdata"](b, t)
        return t, 0

    # nodeadm-config.service is ordered before cloud-init: a slow config phase delays it.
    ci_end = c.cloud_init(b, CLOUD_INIT_VERSION, userdata, start=max(5.5, (end - n.boot).total_seconds() + 0.6))
    t = c.sec(max(ci_end, end), 0.4)
    if not ok:
        b.systemd("nodeadm-run", t, "Dependency failed for nodeadm-run.service - EKS Nodeadm Run.")
        b.systemd("nodeadm-run", t, "nodeadm-run.service: Job nodeadm-run.service/start failed with result 'dependency'.")
        return
    if not s.userdata_ok:
        return
    kubelet_at = run_phase(b, t)
    k = Kubelet(b)
    first = k.start(c.sec(kubelet_at, 0.1))
    if "after_kubelet_start" in s.hooks:
        s.hooks["after_kubelet_start"](b, first)
    run_kubelet(b, k, first)
