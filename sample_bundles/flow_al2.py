"""The AL2 node's timeline: boot -> cloud-init -> bootstrap.sh -> containerd/sandbox -> kubelet -> aws-node.

Scenario setups change the story through `b.story` knobs and `b.story.hooks`:
  hooks["userdata"](b, t) -> (end, exit_code, kubelet_starts)   replaces the bootstrap.sh run
  hooks["after_kubelet_start"](b, t)                             extra lines once kubelet is up
  hooks["sandbox"](b, t)                                         replaces the sandbox-image pull
"""

from __future__ import annotations

from datetime import datetime

from . import components as c
from . import lines
from .builder import Builder
from .kubelet import Kubelet

CLOUD_INIT_VERSION = "19.3-46.amzn2.0.2"


def bootstrap_args(b: Builder, *, ca: bool = True, endpoint: bool = True, cluster: str | None = None) -> list[tuple[str, str]]:
    """bootstrap.sh flags as a managed/self-managed node group passes them."""
    n, args = b.node, []
    if ca:
        args.append(("--b64-cluster-ca", n.ca_b64))
    if endpoint:
        args.append(("--apiserver-endpoint", n.endpoint))
    args.append(("--dns-cluster-ip", n.dns_cluster_ip))
    labels = f"eks.amazonaws.com/nodegroup-image={n.ami_id},eks.amazonaws.com/capacityType=ON_DEMAND,eks.amazonaws.com/nodegroup=ng-1"
    args.append(("--kubelet-extra-args", f"--node-labels={labels} --max-pods=29"))
    if n.runtime == "containerd" and n.k8s_minor < 24:
        args.append(("--container-runtime", "containerd"))
    return args


def run_bootstrap(b: Builder, t: datetime, args: list[tuple[str, str]], cluster: str | None = None,
                  trace: bool = True) -> tuple[datetime, int, bool]:
    """Healthy bootstrap.sh output up to 'complete!' (flags, versions, files installed)."""
    n, out = b.node, "var_log/cloud-init-output.log"
    cluster = cluster or n.cluster_name
    cmd = " ".join([f"/etc/eks/bootstrap.sh {cluster}"] + [f"{k} {v!r}" if " " in v else f"{k} {v}" for k, v in args])
    if trace:
        b.add(out, t, f"+ {cmd}")
    modern = n.k8s_minor >= 24  # [eks-bootstrap] logging arrived with the 2023-04 AMIs
    say = (lambda ts, lvl, text: b.add(out, ts, lines.bootstrap(ts, lvl, text))) if modern else (lambda ts, lvl, text: b.add(out, ts, text))
    t = c.sec(t, 0.2)
    say(t, "INFO", "starting...")
    for k, v in args:
        say(t, "INFO", f"{k}='{v}'")
    kver = n.kubelet_version[1:].split("-")[0]
    say(c.sec(t, 0.1), "INFO", f"Using kubelet version {kver}")
    say(c.sec(t, 0.1), "INFO", f"Using {n.runtime} as the container runtime")
    return c.sec(t, 0.3), 0, True


def finish_bootstrap(b: Builder, t: datetime) -> datetime:
    n, out = b.node, "var_log/cloud-init-output.log"
    modern = n.k8s_minor >= 24
    say = (lambda ts, lvl, text: b.add(out, ts, lines.bootstrap(ts, lvl, text))) if modern else (lambda ts, lvl, text: b.add(out, ts, text))
    say(t, "INFO", "Using IP family: ipv4")
    say(t, "INFO", f"Detected VPC CIDR (IPv4) in {n.vpc_cidr.split('.')[0]}.0.0.0/8 range. Will set DNS_CLUSTER_IP as '{n.dns_cluster_ip}'."
        if n.vpc_cidr.startswith("10.") else "Using DNS_CLUSTER_IP as given")
    if n.runtime == "containerd":
        b.add(out, c.sec(t, 0.2), "'/etc/eks/containerd/containerd-config.toml' -> '/etc/containerd/config.toml'")
        b.add(out, c.sec(t, 0.2), "'/etc/eks/containerd/sandbox-image.service' -> '/etc/systemd/system/sandbox-image.service'")
        b.add(out, c.sec(t, 0.2), "'/etc/eks/containerd/kubelet-containerd.service' -> '/etc/systemd/system/kubelet.service'")
    b.add(out, c.sec(t, 0.5), "Created symlink from /etc/systemd/system/multi-user.target.wants/kubelet.service to /etc/systemd/system/kubelet.service.")
    say(c.sec(t, 0.9), "INFO", "complete!")
    return c.sec(t, 1.0)


def default_userdata(b: Builder, t: datetime) -> tuple[datetime, int, bool]:
    end, _, _ = run_bootstrap(b, t, bootstrap_args(b))
    return finish_bootstrap(b, end), 0, True


def sandbox(b: Builder, t: datetime) -> None:
    n, unit = b.node, "sandbox-image"
    pid = b.pid("pull-sandbox", 4000, 4400)
    b.systemd(unit, t, "Starting pull sandbox image defined in containerd config.toml...")
    ts = c.sec(t, 1.2)
    b.log(unit, ts, "pull-sandbox-image.sh", pid, lines.logrus(ts, "warning", "image connect using default endpoints: [unix:///run/containerd/containerd.sock unix:///run/crio/crio.sock unix:///var/run/cri-dockerd.sock]. As the default settings are now deprecated, you should set the endpoint instead."))
    b.log(unit, c.sec(t, 2.4), "pull-sandbox-image.sh", pid, "Image is up to date for sha256:6996f8da07bd405c6f82a549ef041deda57d1d658ec20a78584f9f436c9a3bb7")
    b.systemd(unit, c.sec(t, 2.5), "Started pull sandbox image defined in containerd config.toml.")
    c.pull(b, c.sec(t, 0.3), n.pause_image)


def start_kubelet_unit(b: Builder, t: datetime) -> Kubelet | None:
    """systemd starts kubelet; returns None when the unit cannot spawn it (restart loop written)."""
    s = b.story
    if s.kubelet_exec_fails:
        exec_loop(b, t)
        return None
    b.systemd("kubelet", t, "Starting Kubernetes Kubelet...")
    b.systemd("kubelet", c.sec(t, 0.1), "Started Kubernetes Kubelet.")
    return Kubelet(b)


def exec_loop(b: Builder, t: datetime) -> None:
    """kubelet.service Restart=always with a missing binary: 203/EXEC every 5 s (systemd 219)."""
    while t < b.end:
        pid = b.rng.randint(5000, 30000)
        b.systemd("kubelet", t, "Starting Kubernetes Kubelet...")
        b.systemd("kubelet", c.sec(t, 0.01), "Started Kubernetes Kubelet.")
        b.log("kubelet", c.sec(t, 0.02), "systemd", pid, "kubelet.service: Failed at step EXEC spawning /usr/bin/kubelet: No such file or directory")
        b.systemd("kubelet", c.sec(t, 0.03), "kubelet.service: main process exited, code=exited, status=203/EXEC")
        b.systemd("kubelet", c.sec(t, 0.03), "Unit kubelet.service entered failed state.")
        b.systemd("kubelet", c.sec(t, 0.03), "kubelet.service failed.")
        b.systemd("kubelet", c.sec(t, 5.03), "kubelet.service holdoff time over, scheduling restart.")
        b.systemd("kubelet", c.sec(t, 5.04), "Stopped Kubernetes Kubelet.")
        t = c.sec(t, 5.05)


def fatal_loop(b: Builder, t: datetime) -> None:
    """kubelet starts, logs its fatal error, exits 1; systemd restarts it every 5 s (+ start-up lines)."""
    while t < b.end:
        k = Kubelet(b, pid=b.rng.randint(5000, 30000))
        b.systemd("kubelet", t, "Started Kubernetes Kubelet.")
        ts = k.start(c.sec(t, 0.05))
        for hook in b.story.extra.get("before_fatal", []):
            hook(b, k, ts)
        k.emit(c.sec(ts, 0.3), "E", "server.go:294", lines.kv("Failed to run kubelet", err=b.story.kubelet_fatal),
               b.story.kubelet_fatal)
        b.systemd("kubelet", c.sec(ts, 0.35), "kubelet.service: main process exited, code=exited, status=1/FAILURE")
        b.systemd("kubelet", c.sec(ts, 0.35), "Unit kubelet.service entered failed state.")
        b.systemd("kubelet", c.sec(ts, 0.35), "kubelet.service failed.")
        b.systemd("kubelet", c.sec(ts, 5.35), "kubelet.service holdoff time over, scheduling restart.")
        b.systemd("kubelet", c.sec(ts, 5.36), "Stopped Kubernetes Kubelet.")
        t = c.sec(ts, 5.4)


def run(b: Builder) -> None:
    n, s = b.node, b.story
    n.collected = n.boot + s.duration
    c.boot(b)
    b.systemd(None, b.at(3), "Starting Initial cloud-init job (pre-networking)...")
    if n.runtime == "docker":
        docker_start(b, b.at(7.5))
    if not s.extra.get("no_containerd"):
        c.containerd(b, b.at(7), "containerd container runtime")
    state: dict = {}

    def userdata(t: datetime) -> tuple[datetime, int]:
        end, code, starts = s.hooks.get("userdata", default_userdata)(b, t)
        state["kubelet"] = starts
        return end, code

    end = c.cloud_init(b, CLOUD_INIT_VERSION, userdata)
    if not state.get("kubelet"):
        return
    t = c.sec(end, 0.5)
    if n.runtime == "containerd":
        s.hooks.get("sandbox", sandbox)(b, t)
        t = c.sec(t, 3.0)
    if s.kubelet_fatal:
        fatal_loop(b, t)
        return
    k = start_kubelet_unit(b, t)
    if k is None:
        return
    first = k.start(c.sec(t, 0.2))
    if "after_kubelet_start" in s.hooks:
        s.hooks["after_kubelet_start"](b, first)
    run_kubelet(b, k, first)


def run_kubelet(b: Builder, k: Kubelet, first: datetime) -> None:
    """API loop, then (once registered) the DaemonSet pods, aws-node and readiness; both families."""
    s = b.story

    def on_registered(registered: datetime) -> datetime | None:
        k.steady(registered)
        ready = c.aws_node(b, registered)
        for hook in s.extra.get("after_registered", []):
            hook(b, k, registered)
        return ready

    k.run(first, on_registered)


def docker_start(b: Builder, t: datetime) -> None:
    pid = b.pid("dockerd", 1800, 1900)
    b.systemd("docker", t, "Starting Docker Application Container Engine...")
    for off, lvl, msg in ((0.1, "info", "Starting up"), (0.3, "info", "Loading containers: start."),
                          (0.9, "info", "Default bridge (docker0) is assigned with an IP address 172.17.0.0/16. Daemon option --bip can be used to set a preferred IP address"),
                          (1.1, "info", "Loading containers: done."), (1.2, "info", "Docker daemon"),
                          (1.3, "info", "API listen on /run/docker.sock")):
        ts = c.sec(t, off)
        b.log("docker", ts, "dockerd", pid, lines.logrus(ts, lvl, msg))
    b.systemd("docker", c.sec(t, 1.3), "Started Docker Application Container Engine.")
