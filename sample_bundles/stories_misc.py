"""Scenario setups for security rules, IP exhaustion, VPC CNI, and the red herrings."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta

from . import components as c
from . import lines
from .builder import Builder
from .identity import Node
from .stories_auth_net import crashloop, io_timeout, private_no_endpoints, unauthorized
from .stories_boot import cluster_name_mismatch

IPAMD = "var_log/aws-routed-eni/ipamd.log"


def cached_sandbox(b: Builder, t: datetime) -> None:
    """pull-sandbox-image.sh short-circuits when the pause image is already in the image store."""
    pid = b.pid("pull-sandbox", 4000, 4400)
    b.systemd("sandbox-image", t, "Starting pull sandbox image defined in containerd config.toml...")
    b.log("sandbox-image", c.sec(t, 0.4), "pull-sandbox-image.sh", pid,
          f"Sandbox image {b.node.pause_image} is already present, skipping pull")
    b.systemd("sandbox-image", c.sec(t, 0.5), "Started pull sandbox image defined in containerd config.toml.")


# --- security groups / NACLs ------------------------------------------------------------------
def sg_no_443(b: Builder) -> None:
    s = b.story
    s.api_error = io_timeout(b.node)
    s.registered, s.curl = False, "timeout"
    s.hooks["sandbox"] = cached_sandbox
    s.duration = timedelta(minutes=13)


def ctx_sg_only_80(n: Node, ctx: dict) -> None:
    ctx["security_groups"][0]["egress"] = [{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidrs": ["0.0.0.0/0"], "groups": [], "prefix_lists": []}]


def nacl_blocks_ephemeral(b: Builder) -> None:
    private_no_endpoints(b)  # every TCP reply is dropped: nodeadm's EC2 calls time out exactly the same way


def ctx_nacl_deny_ephemeral(n: Node, ctx: dict) -> None:
    ctx["network_acl"] = {"id": ctx["network_acl"]["id"], "default": False, "entries": [
        {"rule_number": 90, "protocol": "6", "action": "deny", "egress": False, "cidr": "0.0.0.0/0", "port_from": 1025, "port_to": 65535},
        {"rule_number": 100, "protocol": "-1", "action": "allow", "egress": False, "cidr": "0.0.0.0/0", "port_from": None, "port_to": None},
        {"rule_number": 100, "protocol": "-1", "action": "allow", "egress": True, "cidr": "0.0.0.0/0", "port_from": None, "port_to": None},
        {"rule_number": 32767, "protocol": "-1", "action": "deny", "egress": False, "cidr": "0.0.0.0/0", "port_from": None, "port_to": None},
        {"rule_number": 32767, "protocol": "-1", "action": "deny", "egress": True, "cidr": "0.0.0.0/0", "port_from": None, "port_to": None}]}


# --- IP exhaustion ----------------------------------------------------------------------------
def ip_exhaustion(b: Builder) -> None:
    s = b.story
    s.extra["quiet_ipamd"] = True
    s.duration = timedelta(minutes=16)

    def ipamd_error(b: Builder, t: datetime) -> None:
        n = b.node
        while t < b.end:
            rid = f"{b.rng.getrandbits(32):08x}-{b.rng.getrandbits(16):04x}-4{b.rng.getrandbits(12):03x}-8{b.rng.getrandbits(12):03x}-{b.rng.getrandbits(48):012x}"
            b.add(IPAMD, t, lines.zap_iso(t, "debug", "ipamd/ipamd.go:632", "IP pool is too low: available (0) < ENI target (1) * addrsPerENI (9)"))
            t1 = c.sec(t, 0.4)
            b.add(IPAMD, t1, lines.zap_iso(t1, "error", "ipamd/ipamd.go:934",
                  f"Failed to allocate a private IP/Prefix addresses on ENI {n.eni_id}: InsufficientFreeAddressesInSubnet: "
                  f"The specified subnet does not have enough free addresses to satisfy the request.\n\tstatus code: 400, request id: {rid}"))
            t2 = c.sec(t1, 0.6)
            b.add(IPAMD, t2, lines.zap_iso(t2, "error", "ipamd/ipamd.go:825",
                  "Failed to increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: failed to create network interface: "
                  f"InvalidParameterValue: There aren't sufficient free Ipv4 addresses or prefixes\n\tstatus code: 400, request id: {rid}"))
            t = c.sec(t2, 30 + b.rng.random() * 3)

    s.ipamd_error = ipamd_error

    def pods_fail(b: Builder, k, registered: datetime) -> None:
        pods = ["default/web-7d9f8c6b5-x2kqz", "default/web-7d9f8c6b5-m4hzt", "kube-system/coredns-54d6f577c6-7xkq2"]
        t, i = c.sec(registered, 40), 0
        while t < b.end:
            pod = pods[i % len(pods)]
            sandbox = "%064x" % b.rng.getrandbits(256)
            err = (f'rpc error: code = Unknown desc = failed to setup network for sandbox "{sandbox}": plugin type="aws-cni" '
                   'name="aws-cni" failed (add): add cmd: failed to assign an IP address to container')
            k.emit(t, "E", "log.go:32", lines.kv("RunPodSandbox from runtime service failed", err=err))
            k.emit(c.sec(t, 0.001), "E", "kuberuntime_sandbox.go:72", lines.kv("Failed to create sandbox for pod", err=err, pod=pod))
            k.emit(c.sec(t, 0.002), "E", "pod_workers.go:1298", lines.kv(
                "Error syncing pod, skipping", err=f'failed to "CreatePodSandbox" for "{pod.split("/")[1]}_{pod.split("/")[0]}" with CreatePodSandboxError: '
                f'"Failed to create sandbox for pod \\"{pod.split("/")[1]}_{pod.split("/")[0]}\\": {err}"', pod=pod))
            b.add("var_log/aws-routed-eni/plugin.log", t, lines.zap_iso(t, "error", "routed-eni-cni-plugin/cni.go:283",
                  f"Error received from AddNetwork grpc call for containerID {sandbox}: rpc error: code = Unknown desc = failed to assign an IP address to container"))
            t = c.sec(t, 11 + b.rng.random() * 6)
            i += 1

    s.extra.setdefault("after_registered", []).append(pods_fail)


def ctx_subnet_full(n: Node, ctx: dict) -> None:
    ctx["subnet"]["available_ips"] = 0


# --- VPC CNI ----------------------------------------------------------------------------------
def imds_hop_limit(b: Builder) -> None:
    s = b.story
    s.cni_ready = False
    s.extra["quiet_ipamd"] = True
    s.duration = timedelta(minutes=12)

    def ipamd_error(b: Builder, t: datetime) -> None:
        count = 0
        while t < b.end and count < 7:
            if count:
                b.add(IPAMD, t, lines.zap_iso(t, "info", "aws-k8s-agent/main.go:64", f"Starting L-IPAMD {c.CNI_VERSION}  ..."))
            for attempt in range(1, 4):
                ts = c.sec(t, attempt * 1.1)
                b.add(IPAMD, ts, lines.zap_iso(ts, "warn", "awsutils/imds.go:482",
                      f"Retrying IMDS request: attempt {attempt}, error: EC2MetadataError: failed to get IMDSv2 token and fallback to IMDSv1 is not allowed"))
            ts = c.sec(t, 4.5)
            b.add(IPAMD, ts, lines.zap_iso(ts, "error", "aws-k8s-agent/main.go:32",
                  "Initialization failure: ipamd: can not initialize with AWS SDK interface: refreshSGIDs: get security groups failed: "
                  "failed to retrieve security-group-ids data from instance metadata service: EC2MetadataError: failed to get IMDSv2 token "
                  "and fallback to IMDSv1 is not allowed"))
            count += 1
            t = c.sec(ts, min(10 * 2 ** count, 300))

    s.ipamd_error = ipamd_error
    s.extra.setdefault("after_registered", []).append(crashloop("aws-node"))


def ctx_hop_limit_1(n: Node, ctx: dict) -> None:
    ctx["instance"]["metadata_hop_limit"] = 1
    ctx["instance"]["metadata_http_tokens"] = "required"


# --- red herrings -----------------------------------------------------------------------------
def transient_then_joined(b: Builder) -> None:
    s = b.story
    s.warmup_errors = 7

    def tls_blips(b: Builder, t: datetime) -> None:
        from .kubelet import Kubelet
        k = Kubelet(b)
        for off in (0.35, 1.6):
            k.lease_failed(c.sec(t, off), "net/http: TLS handshake timeout", "800ms" if off < 1 else "1.6s")

    s.hooks["after_kubelet_start"] = tls_blips


def not_found_flood(b: Builder) -> None:
    unauthorized(b)
    b.story.duration = timedelta(minutes=9)
    b.story.extra["not_found_every"] = (0.05, 0.35)


def old_exhaustion_then_mismatch(b: Builder) -> None:
    cluster_name_mismatch(b)
    n = b.node
    prev = n.boot - timedelta(days=12, hours=3)

    def files(b: Builder) -> None:
        rid = "aeac321e-be9f-4a13-9b2f-e6ef5985689a"
        old = [lines.zap_iso(prev + timedelta(seconds=s), lvl, caller, msg) for s, lvl, caller, msg in (
            (30, "info", "aws-k8s-agent/main.go:64", f"Starting L-IPAMD {c.CNI_VERSION}  ..."),
            (31, "debug", "ipamd/ipamd.go:632", "IP pool is too low: available (0) < ENI target (1) * addrsPerENI (9)"),
            (32, "error", "ipamd/ipamd.go:934", f"Failed to allocate a private IP/Prefix addresses on ENI {n.eni_id}: InsufficientFreeAddressesInSubnet: "
                                                f"The specified subnet does not have enough free addresses to satisfy the request.\n\tstatus code: 400, request id: {rid}"),
            (95, "debug", "ipamd/ipamd.go:632", "IP pool is too low: available (0) < ENI target (1) * addrsPerENI (9)"))]
        b.files["var_log/aws-routed-eni/ipamd-" + f"{prev + timedelta(hours=2):%Y-%m-%dT%H-%M-%S}.000.log.gz"] = gzip.compress(
            ("\n".join(old) + "\n").encode(), mtime=0)
        recovered = [lines.zap_iso(prev + timedelta(hours=2, seconds=s), lvl, caller, msg) for s, lvl, caller, msg in (
            (5, "info", "ipamd/ipamd.go:1025", f"Added ENI({n.eni_id})'s IP/Prefix {n.ip.rsplit('.', 1)[0]}.88/32 to datastore"),
            (6, "info", "ipamd/ipamd.go:700", "Successfully increased IP pool, total: 9, used: 7"),
            (70, "debug", "ipamd/ipamd.go:652", "IP stats - total IPs: 9, assigned IPs: 7, cooldown IPs: 0"),
            (130, "debug", "ipamd/ipamd.go:1421", "Successfully Reconciled ENI/IP pool"))]
        b.files[IPAMD] = "\n".join(recovered) + "\n"
        b.files["var_log/aws-routed-eni/plugin.log"] = lines.zap_iso(prev + timedelta(hours=2, seconds=9), "info", "routed-eni-cni-plugin/cni.go:125",
                                                                     "Received add network response from ipamd for container 9f2c: Success:true") + "\n"

    b.story.extra.setdefault("post", []).append(files)


def dns_warning_but_sg(b: Builder) -> None:
    sg_no_443(b)

    def resolver_blip(b: Builder, t: datetime, pid: int) -> None:
        ts = b.at(4.6)
        b.log(None, ts, "chronyd", b.pid("chronyd", 2000, 2400), "Could not resolve address of 2.amazon.pool.ntp.org: Temporary failure in name resolution")

    b.story.extra.setdefault("cloud_init_log", []).append(resolver_blip)
