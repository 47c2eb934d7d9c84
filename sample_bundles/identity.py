"""Who the sample node is: ids, addresses, names, versions and dates, drawn from a seeded RNG.

All values are fake but well-formed (instance ids of 17 hex digits, 12-digit accounts, EKS endpoint
hosts, AMI release tags). Versions follow the collection date the way a real fleet would: an AL2023
node collected after AMI v20251217 logs nodeadm in console format, the collector version matches the
date, and features the collector added later are absent from older bundles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from .model import Profile, Scenario

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1")
CLUSTERS = ("prod-east", "payments-prod", "data-platform", "staging-eu", "checkout", "ml-training", "platform-core")

# Kubernetes minor -> (EKS-built kubelet patch, containerd version shipped on AMIs of that era).
KUBELET_PATCH = {19: "1.19.15", 22: "1.22.17", 23: "1.23.17", 24: "1.24.17", 25: "1.25.16", 26: "1.26.15",
                 27: "1.27.13", 28: "1.28.8", 29: "1.29.3", 30: "1.30.4", 31: "1.31.2", 32: "1.32.0"}

# First collection date carrying each collector version (bundle-format.md 5.1).
COLLECTOR_VERSIONS = (
    ("2020-06-03", "0.6.2"), ("2022-08-10", "0.7.2"), ("2022-11-10", "0.7.3"), ("2023-04-20", "0.7.5"),
    ("2023-07-06", "0.7.6"), ("2024-05-02", "0.7.7"), ("2024-05-17", "0.7.8"), ("2025-11-26", "0.7.9"),
)

# Collector features by the date they were added (bundle-format.md 5.1); absent from older bundles.
FEATURE_DATES = {
    "resolv_conf": "2022-11-10", "ping": "2022-11-10", "curl_api": "2022-11-10", "region_txt": "2022-11-10",
    "xfs": "2022-11-10", "ethtool": "2023-04-20", "cni_vars": "2023-10-01", "nodeadm": "2024-02-01",
    "cron": "2024-05-02", "large_env": "2024-05-17", "al2_kubelet_config": "2024-08-01", "last_reboot": "2024-08-01",
    "ipvs": "2024-10-01", "aws_node_run_files": "2025-07-01", "boot_hook": "2025-11-01",
}
NODEADM_CONSOLE_FROM = date(2025, 12, 17)


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


@dataclass
class Node:
    """Identity and versions of one sample node (mutable: scenario setups may adjust fields)."""

    family: str
    instance_id: str
    account: str
    region: str
    az: str
    cluster_name: str
    vpc_cidr: str
    vpc_base: str               # "10.0" of a 10.0.0.0/16 VPC
    subnet_cidr: str
    ip: str
    hostname: str               # FQDN as EC2 private DNS (ip-10-0-1-23.ec2.internal)
    journal_host: str           # what journald prints (FQDN or short)
    endpoint_host: str
    endpoint_ips: list[str]
    service_cidr: str
    dns_cluster_ip: str
    kubelet_version: str        # v1.29.3-eks-ae9a62a
    k8s_minor: int
    klog: str
    runtime: str
    containerd_version: str
    kernel: str
    ami_id: str
    ami_release: str            # v20240605
    nodeadm_format: str
    boot: datetime
    collected: datetime
    collector_version: str
    role_name: str
    role_path: str
    instance_profile_name: str
    vpc_id: str
    subnet_id: str
    node_sg: str
    cluster_sg: str
    eni_id: str
    mac: str
    instance_type: str
    ca_b64: str
    in_tree_cloud_provider: bool
    features: set[str] = field(default_factory=set)

    @property
    def short_host(self) -> str:
        return self.hostname.split(".")[0]

    @property
    def endpoint(self) -> str:
        return f"https://{self.endpoint_host}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role{self.role_path}{self.role_name}"

    @property
    def instance_profile_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:instance-profile/{self.instance_profile_name}"

    @property
    def vpc_resolver(self) -> str:
        return f"{self.vpc_base}.0.2"

    @property
    def node_name(self) -> str:
        """Name kubelet registers under (the EC2 private DNS name on EKS AMIs)."""
        return self.hostname

    @property
    def pause_image(self) -> str:
        return f"602401143452.dkr.ecr.{self.region}.amazonaws.com/eks/pause:3.5"


def _pick_date(rng: random.Random, start: str, end: str) -> date:
    a, b = date.fromisoformat(start), date.fromisoformat(end)
    return a + timedelta(days=rng.randrange((b - a).days + 1))


def _default_window(family: str, minor: int | None, nodeadm_format: str | None) -> tuple[str, str]:
    if family == "al2023":
        return ("2025-12-20", "2026-06-30") if nodeadm_format == "console" else ("2024-03-01", "2025-11-20")
    if minor is not None and minor <= 19:
        return ("2022-03-01", "2022-07-31")
    if minor is not None and minor <= 23:
        return ("2023-01-10", "2023-06-30")
    return ("2024-06-01", "2025-10-31")


def _minor_for(d: date, family: str, rng: random.Random) -> int:
    # The EKS versions in standard support at that date (roughly), so the fleet looks current.
    year_minor = {2022: (21, 23), 2023: (24, 27), 2024: (27, 30), 2025: (29, 32), 2026: (31, 32)}
    lo, hi = year_minor.get(d.year, (29, 31))
    if family == "al2":
        hi = min(hi, 31)  # last EKS-optimised AL2 AMIs
    return rng.randint(lo, hi)


def collector_version(d: date) -> str:
    version = COLLECTOR_VERSIONS[0][1]
    for first, ver in COLLECTOR_VERSIONS:
        if d >= date.fromisoformat(first):
            version = ver
    return version


def make_node(scenario: Scenario, seed: int) -> Node:
    """Draw a node for `scenario`; the same (scenario name, seed) always gives the same node."""
    rng = random.Random(f"{scenario.name}:{seed}")
    p: Profile = scenario.profile
    family = scenario.family
    nodeadm_format = p.nodeadm_format or rng.choice(("json", "console"))
    start, end = _default_window(family, p.k8s_minor, nodeadm_format)
    day = _pick_date(rng, p.date_from or start, p.date_to or end)
    minor = p.k8s_minor or _minor_for(day, family, rng)
    region = p.region or rng.choice(REGIONS)
    second_octet = rng.choice((0, 0, 1, 16, 32, 64, 100))
    vpc_base = f"10.{second_octet}"
    if p.node_ip:
        ip = p.node_ip
        vpc_base = ".".join(ip.split(".")[:2])
    else:
        ip = f"{vpc_base}.{rng.choice((1, 2, 3, 17, 34, 48))}.{rng.randint(10, 250)}"
    subnet_third = ip.split(".")[2]
    dns_suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    hostname = f"ip-{ip.replace('.', '-')}.{dns_suffix}"
    host_style = p.host_style or rng.choice(("fqdn", "short"))
    endpoint_id = "".join(rng.choice("0123456789ABCDEF") for _ in range(32))
    endpoint_host = f"{endpoint_id}.{rng.choice(('gr7', 'yl4', 'sk1'))}.{region}.eks.amazonaws.com"
    if p.endpoint_private or rng.random() < 0.6:  # private access on: the VPC resolves to ENIs in the VPC
        endpoint_ips = [f"{vpc_base}.{rng.randint(1, 3)}.{rng.randint(10, 250)}" for _ in range(2)]
    else:
        endpoint_ips = [f"{rng.choice((3, 18, 34, 52, 54))}.{rng.randint(1, 250)}.{rng.randint(1, 250)}."
                        f"{rng.randint(1, 250)}" for _ in range(2)]
    service_cidr = "172.20.0.0/16" if vpc_base.startswith("10.") else "10.100.0.0/16"
    dns_cluster_ip = "172.20.0.10" if service_cidr.startswith("172.") else "10.100.0.10"
    boot = datetime(day.year, day.month, day.day, rng.randint(0, 22), rng.randint(0, 59), rng.randint(0, 59),
                    rng.randint(0, 999999), tzinfo=UTC)
    ami_day = day - timedelta(days=rng.randint(5, 40))
    if family == "al2023" and nodeadm_format == "console":
        ami_day = max(ami_day, NODEADM_CONSOLE_FROM)
    elif family == "al2023":
        ami_day = min(ami_day, NODEADM_CONSOLE_FROM - timedelta(days=3))
    if family == "al2":
        kernel = "4.14.296-222.539.amzn2.x86_64" if minor <= 23 else "5.10.225-213.878.amzn2.x86_64"
        containerd = "1.4.13" if minor <= 19 else ("1.6.19" if minor <= 26 else "1.7.22")
    else:
        kernel = "6.1.115-126.197.amzn2023.x86_64" if day.year < 2025 else "6.12.40-63.114.amzn2023.x86_64"
        containerd = "1.7.27" if day.year < 2026 else "2.1.4"
    cluster = p.cluster_name or rng.choice(CLUSTERS)
    node = Node(
        family=family,
        instance_id=f"i-0{_hex(rng, 16)}",
        account=str(rng.randint(100000000000, 999999999999)),
        region=region,
        az=f"{region}{rng.choice('abc')}",
        cluster_name=cluster,
        vpc_cidr=f"{vpc_base}.0.0/16",
        vpc_base=vpc_base,
        subnet_cidr=f"{vpc_base}.{subnet_third}.0/24",
        ip=ip,
        hostname=hostname,
        journal_host=hostname if host_style == "fqdn" else hostname.split(".")[0],
        endpoint_host=endpoint_host,
        endpoint_ips=endpoint_ips,
        service_cidr=service_cidr,
        dns_cluster_ip=dns_cluster_ip,
        kubelet_version=f"v{KUBELET_PATCH.get(minor, f'1.{minor}.0')}-eks-{_hex(rng, 7)}",
        k8s_minor=minor,
        klog=p.klog,
        runtime=p.runtime,
        containerd_version=containerd,
        kernel=kernel,
        ami_id=f"ami-0{_hex(rng, 16)}",
        ami_release=f"v{ami_day:%Y%m%d}",
        nodeadm_format=nodeadm_format,
        boot=boot,
        collected=boot,  # set by the flow once the story length is known
        collector_version=collector_version(day),
        role_name=rng.choice(("eks-node-role", f"{cluster}-node-role", f"eksctl-{cluster}-nodegroup-ng-1-NodeInstanceRole-{_hex(rng, 12).upper()}")),
        role_path="/",
        instance_profile_name=f"eks-{_hex(rng, 8)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 12)}",
        vpc_id=f"vpc-0{_hex(rng, 16)}",
        subnet_id=f"subnet-0{_hex(rng, 16)}",
        node_sg=f"sg-0{_hex(rng, 16)}",
        cluster_sg=f"sg-0{_hex(rng, 16)}",
        eni_id=f"eni-0{_hex(rng, 16)}",
        mac=":".join(["02"] + [_hex(rng, 2) for _ in range(5)]),
        instance_type=rng.choice(("m5.large", "m5.xlarge", "t3.medium", "c5.2xlarge", "m6i.large", "r5.large")),
        ca_b64="LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMv" + "".join(
            rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(60)),
        in_tree_cloud_provider=p.in_tree_cloud_provider,
    )
    node.features = {f for f, since in FEATURE_DATES.items() if day >= date.fromisoformat(since)}
    return node
