"""Stories of the node's daemons shared by both families: boot, cloud-init, containerd, aws-node.

Each function writes one component's lines through the Builder, starting at a given time, and
returns the time it finished (or whatever the next phase needs).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from . import lines
from .builder import Builder

CNI_VERSION = "v1.18.3"


def sec(t: datetime, s: float) -> datetime:
    return t + timedelta(seconds=s)


def boot(b: Builder) -> None:
    """Kernel, systemd, chrony, ssm-agent and dhclient at boot; dmesg files (both families)."""
    n, t0 = b.node, b.node.boot
    kmsgs = [
        (0.0, f"Linux version {n.kernel} (mockbuild@ip-10-0-47-81) (gcc10-gcc (GCC) 10.5.0) #1 SMP"),
        (0.0, "Command line: BOOT_IMAGE=/boot/vmlinuz root=UUID=2c3f1e8a nvme_core.io_timeout=4294967295 rd.emergency=poweroff rd.shell=0"),
        (0.31, "ena 0000:00:05.0: Elastic Network Adapter (ENA) v2.12.0g"),
        (0.9, "EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode. Opts: (null)" if n.family == "al2"
              else "XFS (nvme0n1p1): Mounting V5 Filesystem"),
        (1.4, "systemd[1]: Detected virtualization amazon."),
        (2.2, "ena 0000:00:05.0 eth0: renamed from enp0s5" if n.family == "al2023" else "IPv6: ADDRCONF(NETDEV_UP): eth0: link is not ready"),
        (9.7, "bridge: filtering via arp/ip/ip6tables is no longer available by default. Update your scripts to load br_netfilter if you need this."),
        (9.8, "Bridge firewalling registered"),
    ]
    raw, human = [], []
    for up, msg in kmsgs:
        raw.append(lines.dmesg_raw(up, msg))
        human.append(lines.dmesg_human(sec(t0, up), msg))
        if n.family == "al2" and up > 0.5 and not msg.startswith("systemd["):
            b.log(None, sec(t0, up), "kernel", None, msg)
    b.files["kernel/dmesg.current"] = "\n".join(raw) + "\n"
    b.files["kernel/dmesg.human.current"] = "\n".join(human) + "\n"
    if n.family == "al2":
        b.files["kernel/dmesg.boot"] = "\n".join(raw[:6]) + "\n"
    # journald-only on AL2023 (not collected except per unit); rsyslog copies on AL2.
    chrony_pid, ssm_pid, dh_pid = b.pid("chronyd", 2000, 2400), b.pid("ssm", 2400, 2800), b.pid("dhclient", 1900, 2000)
    b.systemd(None, b.at(1), "Started Journal Service.")
    b.log(None, b.at(2), "dhclient", dh_pid, "DHCPREQUEST on eth0 to 255.255.255.255 port 67 (xid=0x5b3c2e9d)")
    b.log(None, b.at(2.3), "dhclient", dh_pid, f"DHCPACK from {n.subnet_cidr.rsplit('.', 1)[0]}.1 (xid=0x5b3c2e9d)")
    b.log(None, b.at(2.6), "dhclient", dh_pid, f"bound to {n.ip} -- renewal in 1754 seconds.")
    b.log(None, b.at(4), "chronyd", chrony_pid, "chronyd version 4.2 starting (+CMDMON +NTP +REFCLOCK +RTC +PRIVDROP +SCFILTER +SIGND +ASYNCDNS +NTS +SECHASH +IPV6 +DEBUG)")
    b.log(None, b.at(4.3), "chronyd", chrony_pid, "Frequency -11.402 +/- 0.142 ppm read from /var/lib/chrony/drift")
    if not b.story.extra.get("clock_unsynced"):
        b.log(None, b.at(11), "chronyd", chrony_pid, "Selected source 169.254.169.123")
    b.systemd(None, b.at(5), "Started amazon-ssm-agent.")
    for off, text in ((6, "amazon-ssm-agent - v3.3.987.0"), (7, "Starting Core Agent")):
        ts = b.at(off)
        b.log(None, ts, "amazon-ssm-agent", ssm_pid, f"{ts:%Y-%m-%d %H:%M:%S} INFO [amazon-ssm-agent] {text}")
    b.log(None, b.at(8), "systemd-logind", 1870, "New seat seat0.")


def ci_table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    """cloud-init's `ci-info:` PrettyTable rendering (centred cells)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(header)]
    sep = "+" + "+".join("-" * w for w in widths) + "+"
    fmt = lambda cells: "|" + "|".join(c.center(w) for c, w in zip(cells, widths, strict=True)) + "|"  # noqa: E731
    out = [title.center(len(sep), "+"), sep, fmt(header), sep, *(fmt(r) for r in rows), sep]
    return [f"ci-info: {line}" for line in out]


def cloud_init(b: Builder, version: str, userdata: callable, start: float = 5.5) -> datetime:
    """cloud-init stages into cloud-init-output.log and cloud-init.log; `userdata(t)` runs part-001.

    `userdata` writes its own output and returns (finish time, exit code); cloud-init then logs the
    scripts-user failure exactly as it does on a real node when the code is non-zero.
    """
    n, out, log = b.node, "var_log/cloud-init-output.log", "var_log/cloud-init.log"
    pid = b.pid("cloud-init", 1700, 1900)
    t = b.at(start)
    b.add(out, t, lines.cloud_init_banner(t, version, "init", b.uptime(t)))
    gw = n.subnet_cidr.rsplit(".", 1)[0] + ".1"
    net = [["eth0", "True", n.ip, "255.255.255.0", "global", n.mac], ["lo", "True", "127.0.0.1", "255.0.0.0", "host", "."]]
    for i, text in enumerate(ci_table("Net device info", ["Device", "Up", "Address", "Mask", "Scope", "Hw-Address"], net)):
        b.add(out, t + timedelta(microseconds=i + 1), text)
    routes = [["0", "0.0.0.0", gw, "0.0.0.0", "eth0", "UG"]] if b.story.default_route else []
    routes += [[str(len(routes)), n.subnet_cidr.split("/")[0], "0.0.0.0", "255.255.255.0", "eth0", "U"]]
    for i, text in enumerate(ci_table("Route IPv4 info", ["Route", "Destination", "Gateway", "Genmask", "Interface", "Flags"], routes)):
        b.add(out, t + timedelta(microseconds=100 + i), text)
    b.add(log, t, lines.cloud_init_log(t, pid, "util.py", "DEBUG", f"Cloud-init v. {version} running 'init' at {t:%a, %d %b %Y %H:%M:%S} +0000. Up {b.uptime(t):.2f} seconds."))
    b.add(log, sec(t, 0.2), lines.cloud_init_log(sec(t, 0.2), pid, "__init__.py", "DEBUG", "Looking for data source in: ['Ec2', 'None'], via packages ['', 'cloudinit.sources'] that matches dependencies ['FILESYSTEM', 'NETWORK']"))
    b.add(log, sec(t, 0.4), lines.cloud_init_log(sec(t, 0.4), pid, "__init__.py", "DEBUG", "Searching for network data source in: [u'DataSourceEc2', u'DataSourceNone']" if n.family == "al2" else "Searching for network data source in: ['DataSourceEc2', 'DataSourceNone']"))
    b.add(log, sec(t, 0.9), lines.cloud_init_log(sec(t, 0.9), pid, "DataSourceEc2.py", "DEBUG", "Fetching Ec2 IMDSv2 API Token"))
    for hook in b.story.extra.get("cloud_init_log", []):
        hook(b, sec(t, 1.2), pid)
    t = b.at(start + 2.6)
    b.add(out, t, lines.cloud_init_banner(t, version, "modules:config", b.uptime(t)))
    t = b.at(start + 3.5)
    b.add(out, t, lines.cloud_init_banner(t, version, "modules:final", b.uptime(t)))
    fpid = b.pid("cloud-final", 2500, 2900)
    if not b.story.extra.get("no_scripts"):
        b.add(log, sec(t, 0.3), lines.cloud_init_log(sec(t, 0.3), fpid, "util.py", "DEBUG", "Running command ['/var/lib/cloud/instance/scripts/part-001'] with allowed return codes [0] (shell=True, capture=False)"))
    end, code = userdata(sec(t, 0.4))
    if code:
        b.add(log, end, lines.cloud_init_log(end, fpid, "util.py", "WARNING", f"Failed running /var/lib/cloud/instance/scripts/part-001 [{code}]"))
        b.add(out, sec(end, 0.01), f"{end:%Y-%m-%d %H:%M:%S},{end.microsecond // 1000:03d} - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [{code}]")
        b.add(out, sec(end, 0.02), f"{end:%Y-%m-%d %H:%M:%S},{end.microsecond // 1000 + 1:03d} - cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)")
        module = ("/usr/lib/python2.7/site-packages/cloudinit/config/cc_scripts_user.pyc" if n.family == "al2"
                  else "/usr/lib/python3.9/site-packages/cloudinit/config/cc_scripts_user.py")
        b.add(out, sec(end, 0.03), f"{end:%Y-%m-%d %H:%M:%S},{end.microsecond // 1000 + 2:03d} - util.py[WARNING]: Running module scripts-user (<module 'cloudinit.config.cc_scripts_user' from '{module}'>) failed")
        b.add(log, sec(end, 0.02), lines.cloud_init_log(sec(end, 0.02), fpid, "cc_scripts_user.py", "WARNING", "Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)"))
    fin = sec(end, 0.3)
    ds = "DataSourceEc2" if n.family == "al2" else "DataSourceEc2Local"
    b.add(out, fin, lines.cloud_init_finished(fin, version, ds, b.uptime(fin)))
    b.add(log, fin, lines.cloud_init_log(fin, fpid, "util.py", "DEBUG", f"cloud-init mode 'modules' took {(fin - t).total_seconds():.3f} seconds ({(fin - t).total_seconds():.2f})"))
    return end


def containerd(b: Builder, t: datetime, unit_desc: str) -> None:
    """containerd start-up: 'starting containerd', the benign 'failed to load cni during init'."""
    n, pid = b.node, b.pid("containerd", 1500, 1800)
    b.systemd("containerd", t, f"Starting {unit_desc}...")
    b.log("containerd", sec(t, 0.05), "containerd", pid, lines.logrus(sec(t, 0.05), "info", "starting containerd",
          revision="8fc6bcff51318944179630522a095cc9dbf9f353", version=n.containerd_version))
    for i, plugin in enumerate(("io.containerd.content.v1.content", "io.containerd.snapshotter.v1.overlayfs",
                                "io.containerd.metadata.v1.bolt", "io.containerd.grpc.v1.cri")):
        b.log("containerd", sec(t, 0.1 + i * 0.01), "containerd", pid, lines.logrus(
            sec(t, 0.1 + i * 0.01), "info", "loading plugin \"" + plugin + "\"...", type=plugin.rsplit(".", 1)[0]))
    b.log("containerd", sec(t, 0.2), "containerd", pid, lines.logrus(sec(t, 0.2), "error",
          "failed to load cni during init, please check CRI plugin status before setting up network for pods",
          error="cni config load failed: no network config found in /etc/cni/net.d: cni plugin not initialized: failed to load cni config"))
    b.log("containerd", sec(t, 0.22), "containerd", pid, lines.logrus(sec(t, 0.22), "info", "serving...", address="/run/containerd/containerd.sock.ttrpc"))
    b.log("containerd", sec(t, 0.22), "containerd", pid, lines.logrus(sec(t, 0.22), "info", "serving...", address="/run/containerd/containerd.sock"))
    b.log("containerd", sec(t, 0.23), "containerd", pid, lines.logrus(sec(t, 0.23), "info", "Start recovering state"))
    b.log("containerd", sec(t, 0.25), "containerd", pid, lines.logrus(sec(t, 0.25), "info", "containerd successfully booted in 0.081234s"))
    b.systemd("containerd", sec(t, 0.26), f"Started {unit_desc}.")


def pull(b: Builder, t: datetime, image: str, ok: bool = True, err: str | None = None) -> None:
    pid = b.pid("containerd")
    b.log("containerd", t, "containerd", pid, lines.logrus(t, "info", f'PullImage "{image}"'))
    if ok:
        b.log("containerd", sec(t, 2.1), "containerd", pid, lines.logrus(sec(t, 2.1), "info",
              f'ImageCreate event name:"{image}" labels:{{key:"io.cri-containerd.image" value:"managed"}}'))
        b.log("containerd", sec(t, 2.2), "containerd", pid, lines.logrus(sec(t, 2.2), "info",
              f'PullImage "{image}" returns image reference "sha256:6996f8da07bd405c6f82a549ef041deda57d1d658ec20a78584f9f436c9a3bb7"'))
    else:
        b.log("containerd", sec(t, 30), "containerd", pid, lines.logrus(sec(t, 30), "error", f'PullImage "{image}" failed',
              error=f'failed to pull and unpack image "{image}": failed to resolve reference "{image}": {err}'))


def aws_node(b: Builder, registered: datetime) -> datetime | None:
    """aws-node pod: image pull, ipamd start, CNI config written. Returns when the CNI became ready."""
    n, s = b.node, b.story
    if not s.aws_node_runs:
        return None
    image = f"602401143452.dkr.ecr.{n.region}.amazonaws.com/amazon-k8s-cni:{CNI_VERSION}-eksbuild.1"
    t = sec(registered, 2.5)
    pull(b, sec(t, -1.5), image.replace("amazon-k8s-cni:", "amazon-k8s-cni-init:"))
    pull(b, t, image)
    ipamd = "var_log/aws-routed-eni/ipamd.log"
    start = sec(t, 4.0)
    z = lambda dt, lvl, caller, msg: b.add(ipamd, dt, lines.zap_iso(dt, lvl, caller, msg))  # noqa: E731
    z(start, "info", "logger/logger.go:52", "Constructed new logger instance")
    z(sec(start, 0.001), "info", "eniconfig/eniconfig.go:61", "Initialized new logger as an existing instance was not found")
    z(sec(start, 0.01), "info", "aws-k8s-agent/main.go:64", f"Starting L-IPAMD {CNI_VERSION}  ...")
    z(sec(start, 0.02), "info", "aws-k8s-agent/main.go:42", "Testing communication with server")
    z(sec(start, 0.04), "info", "aws-k8s-agent/main.go:42", f"Successful communication with the Cluster! Cluster Version is: v1.{n.k8s_minor}+. "
      f"git version: v1.{n.k8s_minor}.4-eks-036c24b. git tree state: clean. commit: 5236faf39f1b7a7dabea8df12726f25608131aa9. platform: linux/amd64")
    if s.ipamd_error is not None:
        s.ipamd_error(b, sec(start, 0.3))
        if not s.cni_ready:
            return None
    z(sec(start, 0.3), "info", "ipamd/ipamd.go:482", f"Got network card index 0 for ENI {n.eni_id}")
    z(sec(start, 0.5), "debug", "ipamd/ipamd.go:632", "IP pool is too low: available (0) < ENI target (1) * addrsPerENI (9)")
    base = n.ip.rsplit(".", 1)[0]
    for i in range(3):
        z(sec(start, 0.9 + i * 0.01), "info", "ipamd/ipamd.go:1025", f"Added ENI({n.eni_id})'s IP/Prefix {base}.{60 + i * 7}/32 to datastore")
    z(sec(start, 1.0), "info", "ipamd/ipamd.go:700", "Successfully increased IP pool, total: 9, used: 0")
    z(sec(start, 1.1), "info", "aws-k8s-agent/main.go:110", f"Serving RPC Handler version {CNI_VERSION} on 127.0.0.1:50051")
    z(sec(start, 1.1), "info", "runtime/asm_amd64.s:1650", "Serving metrics on port 61678")
    z(sec(start, 1.1), "info", "runtime/asm_amd64.s:1650", "Serving introspection endpoints on 127.0.0.1:61679")
    ready = sec(start, 2.4)
    _aws_node_container_log(b, start, ready)
    b.files["cni/10-aws.conflist"] = json.dumps({
        "cniVersion": "0.4.0", "name": "aws-cni", "disableCheck": True, "plugins": [
            {"name": "aws-cni", "type": "aws-cni", "vethPrefix": "eni", "mtu": "9001", "podSGEnforcingMode": "strict",
             "pluginLogFile": "/var/log/aws-routed-eni/plugin.log", "pluginLogLevel": "DEBUG", "capabilities": {"io.kubernetes.cri.pod-annotations": True}},
            {"name": "egress-cni", "type": "egress-cni", "mtu": "9001", "enabled": "false", "randomizeSNAT": "prng",
             "nodeIP": "", "ipam": {"type": "host-local", "ranges": [[{"subnet": "fd00::ac:00/118"}]], "routes": [{"dst": "::/0"}], "dataDir": "/run/cni/v4pd/egress-v6-ipam"},
             "pluginLogFile": "/var/log/aws-routed-eni/egress-v6-plugin.log", "pluginLogLevel": "DEBUG"},
            {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True}]}, indent=2) + "\n"
    plugin = "var_log/aws-routed-eni/plugin.log"
    cid = "".join(b.rng.choice("0123456789abcdef") for _ in range(64))
    t = sec(ready, 4)
    b.add(plugin, t, lines.zap_iso(t, "info", "routed-eni-cni-plugin/cni.go:125", f"Received CNI add request: ContainerID({cid}) Netns(/var/run/netns/cni-2b0e2c41-5d9c-a1f3-7c1e-0f5a4d7d3e11) IfName(eth0) Args(K8S_POD_INFRA_CONTAINER_ID={cid};K8S_POD_UID=9d1c1b0e-6c3b-4a8b-9d62-1f0e2f3a4b5c;IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-54d6f577c6-7xkq2) Path(/opt/cni/bin) argsStdinData({{\"cniVersion\":\"0.4.0\",\"mtu\":\"9001\",\"name\":\"aws-cni\",\"pluginLogFile\":\"/var/log/aws-routed-eni/plugin.log\",\"pluginLogLevel\":\"DEBUG\",\"podSGEnforcingMode\":\"strict\",\"type\":\"aws-cni\",\"vethPrefix\":\"eni\"}})"))
    b.add(plugin, sec(t, 0.02), lines.zap_iso(sec(t, 0.02), "info", "routed-eni-cni-plugin/cni.go:125", f"Received add network response from ipamd for container {cid} interface eth0: Success:true IPAllocationMetadata:{{IPv4Addr:\"{base}.60\" DeviceNumber:0 RouteTableId:254}} VPCv4CIDRs:\"{n.vpc_cidr}\""))
    return ready


def _aws_node_container_log(b: Builder, start: datetime, ready: datetime) -> None:
    """Flattened /var/log/containers/aws-node-*.log (CRI format) with the entrypoint's JSON lines."""
    pod = b.story.extra.get("pods", {}).get("aws-node", "aws-node-x7k2p")
    cid = "".join(b.rng.choice("0123456789abcdef") for _ in range(64))
    path = f"var_log/{pod}_kube-system_aws-node-{cid}.log"
    msgs = [(-0.4, "Validating env variables ..."), (-0.3, "Install CNI binaries.."), (-0.1, "Starting IPAM daemon in the background ... "),
            (0.0, "Checking for IPAM connectivity ... "), (2.3, "Copying config file ... "),
            (2.35, "Successfully copied CNI plugin binary and config file."), (2.4, "Foregrounding IPAM daemon ...")]
    text = []
    for off, msg in msgs:
        ts = sec(start, off)
        inner = json.dumps({"level": "info", "ts": f"{ts:%Y-%m-%dT%H:%M:%S}.{ts.microsecond // 1000:03d}Z", "caller": "entrypoint.sh", "msg": msg}, separators=(",", ":"))
        text.append(f"{ts:%Y-%m-%dT%H:%M:%S}.{ts.microsecond:06d}123Z stdout F {inner}")
    b.files[path] = "\n".join(text) + "\n"
