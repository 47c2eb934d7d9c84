"""Benign background lines a real node logs all day; `scale` multiplies them (benchmarks).

One scale unit adds, spread over the node's run: 300 kubelet lines, 500 rsyslog lines (AL2), and,
once the node is registered, 100 containerd and 150 ipamd lines. Measured (uncompressed): about
177 KB per unit for a healthy AL2 node, 129 KB for AL2023, 116 KB for an AL2 node that never joined
(so ~1130 units make a 200 MB AL2 bundle, ~5700 a 1 GB one). Lines are streamed, memory stays flat.
Lines are drawn from a seeded RNG per file, so noise is deterministic too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from . import lines
from .builder import Builder

PER_UNIT = {"kubelet": 300, "messages": 500, "containerd": 100, "ipamd": 150}


def _times(rng: random.Random, start: datetime, end: datetime, count: int) -> Iterator[datetime]:
    span = (end - start).total_seconds()
    step = span / max(count, 1)
    for i in range(count):
        yield start + timedelta(seconds=(i + rng.random() * 0.9) * step)


def add_noise(b: Builder) -> None:
    n, s, seed = b.node, b.story, b.story.extra.get("noise_seed", 0)
    start = n.boot + timedelta(seconds=70)
    end = n.collected - timedelta(seconds=1)
    joined = s.registered and not s.api_error and not s.register_forbidden and s.userdata_ok and not s.kubelet_fatal \
        and not s.kubelet_exec_fails
    kubelet_up = s.userdata_ok and not s.kubelet_exec_fails and not s.kubelet_fatal
    if kubelet_up:
        b.noise("kubelet/kubelet.log", _kubelet(b, random.Random(f"k{seed}"), start, end, PER_UNIT["kubelet"] * b.scale, joined))
    if n.family == "al2":
        b.noise("var_log/messages", _messages(b, random.Random(f"m{seed}"), start, end, PER_UNIT["messages"] * b.scale))
    if joined and s.aws_node_runs and s.cni_ready and not s.extra.get("quiet_ipamd"):
        b.noise("containerd/containerd-log.txt", _containerd(b, random.Random(f"c{seed}"), start, end, PER_UNIT["containerd"] * b.scale))
        b.noise("var_log/aws-routed-eni/ipamd.log", _ipamd(b, random.Random(f"i{seed}"), start + timedelta(seconds=60), end,
                                                           PER_UNIT["ipamd"] * b.scale))


def _kubelet(b: Builder, rng: random.Random, start: datetime, end: datetime, count: int, joined: bool) -> Iterator[tuple[datetime, str]]:
    n, pid, host = b.node, b.pid("kubelet", 2900, 4200), b.node.journal_host
    name = n.short_host if b.story.hostname_short else n.node_name
    own = b.story.extra.get("pods", {})
    pods = [f"kube-system/{own.get('aws-node', 'aws-node-x7k2p')}", f"kube-system/{own.get('kube-proxy', 'kube-proxy-9fz8q')}",
            "kube-system/coredns-54d6f577c6-7xkq2",
            "kube-system/ebs-csi-node-4hq8m", "monitoring/node-exporter-2kx9d", "default/web-7d9f8c6b5-x2kqz"]
    legacy = n.klog == "legacy"
    for ts in _times(rng, start, end, count):
        r = rng.random()
        if joined and r < 0.45:
            pod = rng.choice(pods)
            cid = "%064x" % rng.getrandbits(256)
            body = (f'"SyncLoop (PLEG): event for pod" pod="{pod}" event={{"ID":"{cid[:8]}-{cid[8:12]}-{cid[12:16]}-{cid[16:20]}-{cid[20:32]}",'
                    f'"Type":"{rng.choice(("ContainerStarted", "ContainerDied"))}","Data":"{cid}"}}')
            src = "kubelet.go:2465"
        elif joined and r < 0.7:
            vol = f"kube-api-access-{''.join(rng.choice('bcdfghjklmnpqrstvwxz2456789') for _ in range(5))}"
            body = (f'"MountVolume.SetUp succeeded for volume \\"{vol}\\" (UniqueName: \\"kubernetes.io/projected/'
                    f'{rng.getrandbits(32):08x}-{vol}\\") pod \\"{rng.choice(pods).split("/")[1]}\\""')
            src = "operation_generator.go:721"
        elif r < 0.85:
            event = rng.choice(("NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"))
            body = lines.kv("Recording event message for node", node=name, event=event) if not legacy else \
                f"Recording {event} event message for node {name}"
            src = "kubelet_node_status.go:679"
        else:
            secs = rng.uniform(1.0, 2.5)
            body = lines.kv("Housekeeping took longer than expected", err="housekeeping took too long", expected="1s", actual=f"{secs:.3f}s") \
                if not legacy else f"housekeeping took longer than expected: expected 1s, actual {secs:.3f}s"
            src = "housekeeping.go:43"
            yield ts, lines.journal(ts, host, "kubelet", pid, lines.klog("W", ts, pid, src, body))
            continue
        yield ts, lines.journal(ts, host, "kubelet", pid, lines.klog("I", ts, pid, src, body))


def _messages(b: Builder, rng: random.Random, start: datetime, end: datetime, count: int) -> Iterator[tuple[datetime, str]]:
    n, host = b.node, b.node.short_host
    gw = n.subnet_cidr.rsplit(".", 1)[0] + ".1"
    session = 1
    unsynced = b.story.extra.get("clock_unsynced")
    for ts in _times(rng, start, end, count):
        r = rng.random()
        if r < 0.25:
            msg = ("systemd", f"Started Session {session} of user root.")
            session += 1
        elif r < 0.35:
            msg = ("systemd", rng.choice(("Starting Cleanup of Temporary Directories...", "Started Cleanup of Temporary Directories.",
                                          "Created slice User Slice of root.", "Removed slice User Slice of root.")))
        elif r < 0.5:
            xid = rng.getrandbits(32)
            msg = ("dhclient[1954]", rng.choice((f"DHCPREQUEST on eth0 to {gw} port 67 (xid=0x{xid:08x})",
                                                 f"DHCPACK from {gw} (xid=0x{xid:08x})", f"bound to {n.ip} -- renewal in {rng.randint(1500, 1800)} seconds.")))
        elif r < 0.75:
            msg = ("amazon-ssm-agent", f"{ts:%Y-%m-%d %H:%M:%S} INFO " + rng.choice((
                "[CredentialRefresher] Next credential rotation will be in 29.99 minutes",
                "[ssm-agent-worker] [MessageService] [MessageHandler] Processing get messages request",
                "[ssm-agent-worker] [HealthCheck] HealthCheck reporting agent health.",
                "[ssm-agent-worker] [MessageService] [MGSInteractor] send failed reply")))
        elif r < 0.85:
            msg = ("chronyd", "Can't synchronise: no selectable sources" if unsynced else
                   rng.choice(("Selected source 169.254.169.123", "Source 169.254.169.123 online")))
        else:
            msg = ("ec2net", rng.choice((f"[get_meta] Querying IMDS for meta-data/network/interfaces/macs/{n.mac}/local-ipv4s",
                                         f"[get_meta] Getting token for IMDSv2.", "[rewrite_aliases] Rewriting aliases of eth0")))
        yield ts, lines.rsyslog(ts, host, msg[0], msg[1])


def _containerd(b: Builder, rng: random.Random, start: datetime, end: datetime, count: int) -> Iterator[tuple[datetime, str]]:
    n, pid = b.node, b.pid("containerd")
    host = n.journal_host
    for ts in _times(rng, start, end, count):
        cid = "%064x" % rng.getrandbits(256)
        r = rng.random()
        if r < 0.4:
            body = lines.logrus(ts, "info", f'StartContainer for "{cid}" returns successfully')
        elif r < 0.7:
            body = lines.logrus(ts, "info", f'ImageUpdate event name:"sha256:{cid}" labels:{{key:"io.cri-containerd.image" value:"managed"}}')
        else:
            body = lines.logrus(ts, "info", "shim disconnected", id=cid[:64], namespace="k8s.io")
        yield ts, lines.journal(ts, host, "containerd", pid, body)


def _ipamd(b: Builder, rng: random.Random, start: datetime, end: datetime, count: int) -> Iterator[tuple[datetime, str]]:
    n = b.node
    msgs = ["IP stats - total IPs: 9, assigned IPs: 2, cooldown IPs: 0",
            "Reconciling ENI/IP pool info because time since last 1m0.000307384s > 1m0s",
            "Total number of interfaces found: 1 ",
            f"Found ENI {n.eni_id} that has less than the maximum number of IP/Prefixes addresses allocated: cur=9, max=10",
            "Successfully Reconciled ENI/IP pool",
            "IP pool stats for network card 0: Total IPs/Prefixes = 9/0, AssignedIPs/CooldownIPs: 2/0, c.maxIPsPerENI = 9"]
    for ts in _times(rng, start, end, count):
        yield ts, lines.zap_iso(ts, "debug", f"ipamd/ipamd.go:{rng.choice((652, 1388, 1421, 1530))}", rng.choice(msgs))
