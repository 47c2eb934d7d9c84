"""Bundle facts: what the node is and how far its join got, with the line that proves each fact.

Facts come from two places: internal probes run in the same scan as the signals (kubelet version
line, bootstrap arguments, nodeadm phases, registration) and small files read directly (uname,
region, kubeconfig, kubelet config, resolv.conf, routes, services). A fact that cannot be known
because its file was not collected is left out (unknown), never set to False; the file goes in
`missing` with why it matters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from eksdoctor import netfiles
from eksdoctor.models import Evidence
from eksdoctor.network import KUBECONFIG, WIN_IPCONFIG, WIN_KUBECONFIG, WIN_ROUTES
from eksdoctor.scanner import ScanResult
from eksdoctor.signals import Probe

_KUBELET_FILES = ("kubelet/kubelet.log", "var_log/messages", "var_log/syslog", "journalctl.log",
                  "system/kubelet/*.csv")  # the last: the Windows collector's kubelet event log
_BOOT_FILES = ("var_log/cloud-init-output.log", "var_log/cloud-init.log", "var_log/user-data.log",
               "var_log/messages", "journalctl.log")
_NODEADM_FILES = ("nodeadm/*.log", "journalctl.log")


def _p(name: str, files, pattern: str, sources=None, enough: int | None = None, **attrs: str) -> Probe:
    return Probe(name=name, pattern=pattern, files=tuple(files), internal=True, enough=enough,
                 sources=frozenset(sources) if sources else None, attrs=tuple(attrs.items()))


# Internal probes: facts and timeline milestones. Message text only, never klog file:line.
FACT_PROBES: tuple[Probe, ...] = (
    _p("kubelet_version_line", _KUBELET_FILES,
       r'("Kubelet version" kubeletVersion="v[0-9]|Kubelet version: v?[0-9]|kubelet version: v?[0-9])',
       sources=["kubelet"], version=r'(?:kubeletVersion="|[Kk]ubelet version: )(?P<v>v?[0-9]+\.[0-9]+\.[0-9]+[^"\s]*)'),
    _p("kubelet_unit_started", _KUBELET_FILES,
       r'(Started [Kk]ubelet|Started Kubernetes Kubelet|Starting Kubernetes Kubelet)', sources=["systemd"]),
    # Matches every kubelet line; only "did kubelet log at all" is asked, so the first hit is enough.
    _p("kubelet_any_line", ("kubelet/kubelet.log",), r'kubelet\[[0-9]+\]: [IWEF][0-9]{4} ', sources=["kubelet"],
       enough=1),
    _p("register_attempt", _KUBELET_FILES, r'Attempting to register node', sources=["kubelet"],
       node=r'node="(?P<v>[^"]+)"|register node (?P<v2>[A-Za-z0-9.-]+)'),
    _p("bootstrap_start", _BOOT_FILES, r'\[eks-bootstrap\] INFO: starting'),
    _p("bootstrap_arg", _BOOT_FILES, r"\[eks-bootstrap\] INFO: --[a-z0-9-]+='",
       flag=r"INFO: --(?P<v>[a-z0-9-]+)='", value=r"INFO: --[a-z0-9-]+='(?P<v>[^']*)'"),
    _p("bootstrap_invocation", _BOOT_FILES, r'/etc/eks/bootstrap\.sh [A-Za-z0-9]',
       args=r'/etc/eks/bootstrap\.sh (?P<v>.*)$'),
    _p("bootstrap_using_kubelet", _BOOT_FILES, r'Using kubelet version [0-9]',
       version=r'Using kubelet version (?P<v>[0-9][0-9.]*)'),
    _p("bootstrap_describing", _BOOT_FILES, r'is not defined, describing cluster'),
    _p("bootstrap_complete", _BOOT_FILES, r'\[eks-bootstrap\] INFO: complete'),
    _p("cloud_init_final", ("var_log/cloud-init-output.log",), r"Cloud-init v\. \S+ finished"),
    _p("userdata_script_run", _BOOT_FILES, r"Running command \['/var/lib/cloud/instance/scripts/"),
    _p("nodeadm_phase", _NODEADM_FILES,
       r'(Checking user is root|Loading configuration\.\.|Enriching configuration|Fetching kubelet version|'
       r'Fetching instance details|Validating configuration|Configuring daemons|Running daemons|'
       r'Ensuring daemon is running|Daemon is running|done!)',
       phase=r'(?P<v>Checking user is root|Loading configuration|Enriching configuration|Fetching kubelet version|'
             r'Fetching instance details|Validating configuration|Configuring daemons|Running daemons|'
             r'Ensuring daemon is running|Daemon is running|done!)'),
    _p("nodeadm_loaded_config", _NODEADM_FILES, r'Loaded configuration'),
    _p("nodeadm_kubelet_version", _NODEADM_FILES, r'Fetched kubelet version',
       version=r'"version": ?"(?P<v>v?[0-9][^"]*)"'),
    _p("containerd_version", ("containerd/containerd-log.txt", "var_log/messages", "journalctl.log"),
       r'starting containerd.*version=', version=r'version=v?(?P<v>[0-9][0-9.]*)'),
    _p("aws_node_start", ("var_log/aws-routed-eni/ipamd.log",), r'Starting L-IPAMD'),
)

# nodeadm's init phases in order (bundle-format.md 3.4): the last one reached says where init stopped.
NODEADM_PHASES = ("Checking user is root", "Loading configuration", "Enriching configuration",
                  "Fetching kubelet version", "Fetching instance details", "Validating configuration",
                  "Configuring daemons", "Running daemons", "Ensuring daemon is running", "Daemon is running",
                  "done!")

# Files whose absence limits the diagnosis, and what cannot be known without them.
EXPECTED_FILES = {
    "kubelet/kubelet.log": "kubelet journal not collected: cannot tell whether kubelet started or registered",
    "kernel/uname.txt": "kernel release not collected: AMI family inferred from other files",
    "networking/iproute.txt": "routes not collected: cannot check for a default route to the API server",
    "networking/resolv.conf": "resolver config not collected: cannot check DNS servers",
    "system/services.txt": "unit states not collected: cannot see failed systemd units",
}
# Other collectors lay a bundle out differently (bundle-format.md 1.3-1.4): expect their own files.
EXPECTED_BY_LAYOUT = {
    "windows": {
        "system/kubelet/kubelet-service.csv": "kubelet event log not collected: cannot tell whether kubelet started or registered",
        WIN_KUBECONFIG: "kubeconfig not collected: API endpoint and cluster name from it unknown",
        WIN_ROUTES: "routes not collected: cannot check for a default route to the API server",
    },
    "bottlerocket": {
        "journalctl.log": "journal not collected: cannot tell whether kubelet started or registered",
    },
}
EXPECTED_BY_FAMILY = {
    "al2": {"var_log/cloud-init-output.log": "cloud-init output not collected: bootstrap.sh arguments and errors unknown",
            "kubelet/kubeconfig.yaml": "kubeconfig not collected: API endpoint and cluster name from it unknown"},
    "al2023": {"nodeadm/nodeadm-config.log": "nodeadm-config journal not collected: NodeConfig (user data) unknown",
               "nodeadm/nodeadm-run.log": "nodeadm-run journal not collected: daemon start-up unknown"},
}


# Files the collector script only gathers from a given version on (bundle-format.md 5.1): their
# absence from an older bundle says nothing about the node.
COLLECTED_SINCE = {"networking/resolv.conf": (0, 7, 3), "networking/curl_api_server.txt": (0, 7, 3),
                   "nodeadm/nodeadm-config.log": (0, 7, 6), "nodeadm/nodeadm-run.log": (0, 7, 6)}


def _version_tuple(version) -> tuple[int, ...] | None:
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", str(version or ""))
    return tuple(int(x) for x in m.groups()) if m else None


@dataclass
class BundleFacts:
    values: dict[str, object] = field(default_factory=dict)
    evidence: dict[str, Evidence] = field(default_factory=dict)
    missing: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)

    def set(self, name: str, value, ev: Evidence | None = None) -> None:
        if value is None or value == "":
            return
        self.values[name] = value
        if ev is not None:
            self.evidence[name] = ev


def _iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def _minor(version: str | None) -> int | None:
    m = re.match(r"v?1\.(\d+)", version or "")
    return int(m.group(1)) if m else None


def _journal_state(bundle, path: str) -> str | None:
    """'missing', 'empty' (0 bytes), 'no_entries' (journalctl printed -- No entries --) or 'has_entries'."""
    if not bundle.exists(path):
        return "missing"
    head = bundle.read_text(path, max_bytes=4096) or ""
    body = [ln for ln in head.splitlines() if ln.strip() and not ln.startswith("-- Logs begin")
            and not ln.startswith("-- Journal begins")]
    if not body:
        return "empty"
    if body[0].strip() == "-- No entries --":
        return "no_entries"
    return "has_entries"


def extract_facts(bundle, scan: ScanResult) -> BundleFacts:
    """All bundle facts. `scan` must have run FACT_PROBES alongside the signal catalog."""
    f = BundleFacts()
    info = bundle.info
    f.set("ami_family", info.family)
    f.set("instance_id", info.instance_id)
    f.set("collector_version", info.collector_version)
    _small_files(bundle, f)
    _kubelet(bundle, scan, f)
    _bootstrap(scan, f)
    _nodeadm(bundle, scan, f)
    _network_files(bundle, f)
    _region_from_endpoint(f)
    _missing(bundle, f)
    _timeline(scan, f)
    return f


_EKS_ENDPOINT_REGION = re.compile(r"^https?://[^/]+?\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com(?:\.cn)?(?:[:/]|$)")


def _region_from_endpoint(f: BundleFacts) -> None:
    """An EKS endpoint names its region (https://<id>.gr7.<region>.eks.amazonaws.com): use it when no
    file of the bundle said which region the node is in."""
    if f.values.get("region"):
        return
    m = _EKS_ENDPOINT_REGION.match(str(f.values.get("api_endpoint") or ""))
    if m:
        f.set("region", m.group(1))


def _small_files(bundle, f: BundleFacts) -> None:
    uname = bundle.read_text("kernel/uname.txt", max_bytes=4096)
    if uname:
        parts = uname.split()
        f.set("kernel", parts[2] if len(parts) > 2 else uname.strip())
    for name, path in (("region", "system/region.txt"), ("availability_zone", "system/availability-zone.txt")):
        text = (bundle.read_text(path, max_bytes=256) or "").strip()
        if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]?", text):
            f.set(name, text)
    if "region" not in f.values and f.values.get("availability_zone"):
        f.set("region", str(f.values["availability_zone"])[:-1])
    if not f.values.get("instance_id"):
        iid = (bundle.read_text("system/instance-id.txt", max_bytes=64) or "").strip()
        if re.fullmatch(r"i-[0-9a-f]{8,17}", iid):
            f.set("instance_id", iid)
    # Linux collector: kubelet/kubeconfig.yaml; Windows collector: system/kubelet/kubeconfig
    kube_path = next((p for p in (KUBECONFIG, WIN_KUBECONFIG) if bundle.exists(p)), KUBECONFIG)
    kubeconfig = bundle.read_text(kube_path, max_bytes=64 << 10)
    if kubeconfig:
        m = re.search(r"server:\s*(https?://\S+)", kubeconfig)
        if m and "MASTER_ENDPOINT" not in m.group(1):
            f.set("api_endpoint", m.group(1), Evidence(kube_path, _line_of(kubeconfig, m.start()), None, m.group(0)))
        # exec args are YAML list items: `- "-i"` then `- "<cluster>"` (aws-iam-authenticator), or
        # `- --cluster-name` then `- <cluster>` (aws eks get-token)
        m = re.search(r"-\s*['\"]?(?:-i|--cluster-name|--cluster-id)['\"]?\s*\n\s*-\s*['\"]?([A-Za-z0-9][A-Za-z0-9_-]*)",
                      kubeconfig)
        if m and m.group(1) != "CLUSTER_NAME":
            f.set("cluster_name_kubeconfig", m.group(1))
        if "MASTER_ENDPOINT" in kubeconfig or "CLUSTER_NAME" in kubeconfig:
            # the AMI's template: bootstrap.sh never rendered the kubelet kubeconfig
            f.set("kubeconfig_unrendered", True, Evidence(kube_path, 1, None,
                                                          "kubeconfig still holds MASTER_ENDPOINT/CLUSTER_NAME placeholders"))
        m = re.search(r"-\s*['\"]?--region['\"]?\s*\n\s*-\s*['\"]?([a-z]{2}(?:-[a-z]+)+-\d)", kubeconfig)
        if m:
            f.set("kubeconfig_region", m.group(1))
            f.values.setdefault("region", m.group(1))
    for path in ("kubelet/kubelet-config.json", "kubelet/config.json"):
        text = bundle.read_text(path, max_bytes=256 << 10)
        if not text:
            continue
        try:
            cfg = json.loads(text)
        except ValueError:
            continue
        if isinstance(cfg, dict):
            dns = cfg.get("clusterDNS")
            if isinstance(dns, list) and dns:
                f.set("cluster_dns_ip", str(dns[0]))
            if isinstance(cfg.get("maxPods"), int):
                f.set("max_pods", cfg["maxPods"])
            if isinstance(cfg.get("providerID"), str):
                f.set("provider_id", cfg["providerID"])
    services = bundle.read_text("system/services.txt", max_bytes=1 << 20)
    if services:
        failed = sorted({m.group(1) for m in re.finditer(r"^\W*([A-Za-z0-9@_.-]+\.service)\s+\S+\s+failed\b", services, re.M)})
        if failed:
            f.set("failed_units", ",".join(failed))
        m = re.search(r"^\W*kubelet\.service\s+\S+\s+(\S+)\s+(\S+)", services, re.M)
        if m:
            f.set("kubelet_unit_state", f"{m.group(1)}/{m.group(2)}")
    pkglist = bundle.read_text("system/pkglist.txt", max_bytes=4 << 20)
    if pkglist:
        f.set("kubelet_package_installed", bool(re.search(r"^kubelet-\d", pkglist, re.M)))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _kubelet(bundle, scan: ScanResult, f: BundleFacts) -> None:
    state = _journal_state(bundle, "kubelet/kubelet.log")
    f.set("kubelet_log_state", state)
    version_hits = scan.get("kubelet_version_line")
    if version_hits.count:
        last = version_hits.samples()[-1]
        f.set("kubelet_version", last.attrs.get("version"), last.evidence())
    started = scan.get("kubelet_unit_started").count + version_hits.count + scan.get("kubelet_any_line").count
    if started:
        first = (version_hits.samples() or scan.get("kubelet_unit_started").samples()
                 or scan.get("kubelet_any_line").samples())[0]
        f.set("kubelet_started", True, first.evidence())
    elif state in ("no_entries", "empty"):
        f.set("kubelet_started", False, Evidence("kubelet/kubelet.log", 1, None, "-- No entries --"))
    registered = scan.get("node_registered")
    attempts = scan.get("register_attempt")
    if registered.count:
        hit = registered.samples()[0]
        f.set("node_registered", True, hit.evidence())
        f.set("registered_at", _iso(hit.ts))
        f.set("node_name", hit.attrs.get("node"))
    elif started or attempts.count:
        # kubelet logged but never registered. Only claim it when the kubelet journal was collected.
        if state == "has_entries" or attempts.count:
            ev = attempts.samples()[-1].evidence() if attempts.count else None
            f.set("node_registered", False, ev)
    elif state in ("no_entries", "empty"):
        f.set("node_registered", False)
    if attempts.count:
        f.set("register_attempts", attempts.count)
        f.values.setdefault("node_name", attempts.samples()[0].attrs.get("node"))
        if f.values.get("node_name") is None:
            f.values.pop("node_name")
    f.set("kubelet_minor", _minor(str(f.values.get("kubelet_version") or "")))
    cv = scan.get("containerd_version")
    if cv.count:
        f.set("containerd_version", cv.samples()[-1].attrs.get("version"))


def _bootstrap(scan: ScanResult, f: BundleFacts) -> None:
    args: dict[str, str] = {}
    for hit in scan.get("bootstrap_arg").samples():
        if "flag" in hit.attrs:
            args[hit.attrs["flag"]] = hit.attrs.get("value", "")
    invocation = scan.get("bootstrap_invocation")
    if invocation.count:
        raw = invocation.samples()[0].attrs.get("args", "")
        tokens = raw.split()
        if tokens and not tokens[0].startswith("-"):
            args.setdefault("cluster-name", tokens[0].strip("'\""))
        for m in re.finditer(r"--([a-z0-9-]+)[= ]('[^']*'|\"[^\"]*\"|\S+)", raw):
            args.setdefault(m.group(1), m.group(2).strip("'\""))
        f.set("bootstrap_invoked", True, invocation.samples()[0].evidence())
    if args:
        f.set("bootstrap_args", " ".join(f"--{k}={v}" for k, v in sorted(args.items())))
        for flag in ("apiserver-endpoint", "b64-cluster-ca", "dns-cluster-ip"):
            f.set(f"arg_{flag.replace('-', '_')}_given", bool(args.get(flag)))
        if args.get("cluster-name"):
            f.set("cluster_name", args["cluster-name"])
        if args.get("apiserver-endpoint"):
            f.values.setdefault("api_endpoint", args["apiserver-endpoint"])
    started = scan.get("bootstrap_start")
    if started.count or args or invocation.count:
        ev = (started.samples() or invocation.samples() or [None])[0]
        f.set("bootstrap_ran", True, ev.evidence() if ev else None)
    if scan.get("bootstrap_complete").count:
        f.set("bootstrap_completed", True, scan.get("bootstrap_complete").samples()[-1].evidence())
    if scan.get("bootstrap_describing").count:
        f.set("bootstrap_describe_cluster", True, scan.get("bootstrap_describing").samples()[0].evidence())
    using = scan.get("bootstrap_using_kubelet")
    if using.count:
        f.values.setdefault("kubelet_version", using.samples()[-1].attrs.get("version"))
    if scan.get("cloud_init_final").count:
        f.set("cloud_init_finished", True)
    if scan.get("userdata_script_run").count:
        f.set("userdata_script_ran", True, scan.get("userdata_script_run").samples()[0].evidence())
    f.values.setdefault("cluster_name", f.values.get("cluster_name_kubeconfig"))
    if f.values.get("cluster_name") is None:
        f.values.pop("cluster_name", None)


def _nodeadm(bundle, scan: ScanResult, f: BundleFacts) -> None:
    state = _journal_state(bundle, "nodeadm/nodeadm-config.log")
    f.set("nodeadm_config_log_state", state)
    phases = scan.get("nodeadm_phase")
    if phases.count:
        reached = [h.attrs.get("phase") for h in phases.samples()]
        last = max((NODEADM_PHASES.index(p) for p in reached if p in NODEADM_PHASES), default=-1)
        if last >= 0:
            f.set("nodeadm_last_phase", NODEADM_PHASES[last])
        f.set("bootstrap_ran", True, phases.samples()[0].evidence())
        if "done!" in reached:
            f.set("bootstrap_completed", True)
    loaded = scan.get("nodeadm_loaded_config")
    if loaded.count:
        hit = loaded.samples()[-1]
        cluster = _nodeconfig_cluster(hit.line.raw)
        for key, fact in (("name", "cluster_name"), ("apiServerEndpoint", "api_endpoint"), ("cidr", "service_cidr")):
            if cluster.get(key):
                f.set(fact, cluster[key], hit.evidence())
        f.set("nodeconfig_ca_given", bool(cluster.get("certificateAuthority")))
    nv = scan.get("nodeadm_kubelet_version")
    if nv.count:
        f.values.setdefault("kubelet_version", nv.samples()[-1].attrs.get("version"))
        if f.values.get("kubelet_minor") is None:
            f.set("kubelet_minor", _minor(str(f.values.get("kubelet_version"))))


def _nodeconfig_cluster(raw: str) -> dict:
    """spec.cluster of the NodeConfig logged in nodeadm's `Loaded configuration` line (JSON or console)."""
    start = raw.find("{")
    while start >= 0:
        try:
            obj, _ = json.JSONDecoder().raw_decode(raw[start:])
        except ValueError:
            start = raw.find("{", start + 1)
            continue
        config = obj.get("config", obj) if isinstance(obj, dict) else {}
        spec = config.get("spec", {}) if isinstance(config, dict) else {}
        cluster = spec.get("cluster") if isinstance(spec, dict) else None
        if isinstance(cluster, dict):
            return cluster
        start = raw.find("{", start + 1)
    # A truncated line still carries the fields as text.
    found = {}
    for key in ("name", "apiServerEndpoint", "cidr"):
        m = re.search(rf'"cluster":\{{[^}}]*"{key}":"([^"]+)"', raw)
        if m:
            found[key] = m.group(1)
    return found


def _network_files(bundle, f: BundleFacts) -> None:
    routes = bundle.read_text("networking/iproute.txt", max_bytes=1 << 20)
    if routes is not None:
        main_default = re.search(r"^default via (\S+) dev (\S+)", routes, re.M)
        f.set("default_route", bool(main_default))
        if main_default:
            f.set("default_gateway", main_default.group(1))
    if getattr(bundle.info, "layout", None) == "windows":
        _windows_network_files(bundle, f)
    resolv = bundle.read_text("networking/resolv.conf", max_bytes=64 << 10)
    if resolv is not None:
        servers = re.findall(r"^\s*nameserver\s+(\S+)", resolv, re.M)
        f.set("nameservers", ",".join(servers))
        search = re.search(r"^\s*search\s+(.+)$", resolv, re.M)
        if search:
            f.set("search_domains", " ".join(search.group(1).split()))
    f.set("aws_node_ran", bundle.exists("var_log/aws-routed-eni/ipamd.log") or None)
    cni = any(p.startswith(("cni/", "system/cni/")) and p.endswith((".conflist", ".conf")) for p in bundle.files())
    # Only the Linux collector copies /etc/cni/net.d: elsewhere an absent config says nothing.
    f.set("cni_config_present", cni or (False if getattr(bundle.info, "layout", "linux") == "linux" else None))
    if bundle.exists("ipamd/enis.json"):
        f.set("ipamd_listening", (bundle.size("ipamd/enis.json") or 0) > 0)


def _windows_network_files(bundle, f: BundleFacts) -> None:
    """The Windows collector's `route print` and `ipconfig /all` (bundle-format.md 1.4)."""
    routes = bundle.read_text(WIN_ROUTES, max_bytes=1 << 20)
    if routes is not None and "Active Routes:" in routes:  # a cut or odd file proves nothing either way
        defaults = [r for r in netfiles.parse_route_print(enumerate(routes.splitlines(), 1)) if r["dst"] == "default"]
        f.set("default_route", bool(defaults))
        if defaults and defaults[0].get("via"):
            f.set("default_gateway", defaults[0]["via"])
    ipconfig = bundle.read_text(WIN_IPCONFIG, max_bytes=1 << 20)
    if ipconfig is not None:
        servers = netfiles.parse_ipconfig_dns(enumerate(ipconfig.splitlines(), 1))["nameservers"]
        if servers:
            f.set("nameservers", ",".join(n["ip"] for n in servers))


def _missing(bundle, f: BundleFacts) -> None:
    layout = getattr(bundle.info, "layout", "linux")
    expected = dict(EXPECTED_BY_LAYOUT.get(layout, EXPECTED_FILES))
    expected.update(EXPECTED_BY_FAMILY.get(str(f.values.get("ami_family")), {}))
    version = _version_tuple(f.values.get("collector_version"))
    for path, why in sorted(expected.items()):
        if not bundle.exists(path):
            since = COLLECTED_SINCE.get(path)
            if since and version and version < since:
                why += f" (this collector, {f.values['collector_version']}, predates it: added in {'.'.join(map(str, since))})"
            f.missing.append({"path": path, "why": why})
    if f.values.get("ami_family") == "al2" and bundle.exists("kubelet/kubeconfig.yaml") \
            and not bundle.exists("networking/curl_api_server.txt"):
        why = "API reachability probe not collected: reachability judged from kubelet errors only"
        if version and version < COLLECTED_SINCE["networking/curl_api_server.txt"]:
            why += f" (collector {f.values['collector_version']} predates it: added in 0.7.3)"
        f.missing.append({"path": "networking/curl_api_server.txt", "why": why})


def _timeline(scan: ScanResult, f: BundleFacts) -> None:
    """Milestones of the join attempt, in time order: bootstrap, kubelet start, register, errors."""
    milestones = (
        ("bootstrap_start", "bootstrap_start", "bootstrap.sh started"),
        ("nodeadm_phase", "bootstrap_start", "nodeadm init started"),
        ("bootstrap_complete", "bootstrap_done", "bootstrap.sh complete"),
        ("kubelet_unit_started", "kubelet_start", "kubelet unit started"),
        ("kubelet_version_line", "kubelet_start", "kubelet started"),
        ("register_attempt", "register_attempt", "attempting to register node"),
        ("node_registered", "registered", "node registered"),
    )
    for probe, event, label in milestones:
        hits = scan.get(probe)
        if not hits.count:
            continue
        first = hits.samples()[0]
        text = label if hits.count == 1 else f"{label} (x{hits.count})"
        f.timeline.append({"ts": _iso(first.ts), "event": event, "label": text,
                           "path": first.line.path, "line": first.line.lineno})
