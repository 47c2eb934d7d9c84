"""Value types of the sample generator: what a scenario promises and what `generate` wrote."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATEGORIES = (
    "iam_auth", "sts_endpoint", "network_connectivity", "dns_config", "bootstrap_config", "security_rules",
    "tagging", "ami_issue", "ip_exhaustion", "cni_plugin", "none", "unknown",
)
FAMILIES = ("al2", "al2023", "windows", "bottlerocket")


@dataclass(frozen=True)
class Profile:
    """How the node looks before anything goes wrong (versions, formats, dates, names).

    Every field left None is drawn from the scenario's seeded RNG, so two scenarios differ in the
    way real fleets differ (region, hostname style, kubelet minor) while staying reproducible.
    """

    k8s_minor: int | None = None          # kubelet minor version, e.g. 29 -> v1.29.x-eks-xxxxxxx
    klog: str = "structured"              # structured | legacy (printf style, kubelet <= 1.19)
    runtime: str = "containerd"           # containerd | docker (AL2, kubelet <= 1.23)
    host_style: str | None = None         # fqdn | short: hostname printed in journal lines
    nodeadm_format: str | None = None     # json (AMI < v20251217) | console (AMI >= v20251217)
    date_from: str | None = None          # collection date window (YYYY-MM-DD); the AMI era follows
    date_to: str | None = None
    region: str | None = None
    cluster_name: str | None = None
    node_ip: str | None = None            # e.g. "10.0.3.17"
    endpoint_private: bool = False        # endpoint resolves to VPC-private IPs
    in_tree_cloud_provider: bool = False  # kubelet --cloud-provider=aws (<= 1.26)


@dataclass(frozen=True)
class Scenario:
    """One sample bundle: the failure it shows and the category a correct diagnosis names."""

    name: str
    family: str                       # al2 | al2023 | windows | bottlerocket
    expected_category: str            # one of CATEGORIES
    description: str
    red_herring: bool = False
    needs_context: bool = False       # the category can only be proven with aws-context.json
    tags: tuple[str, ...] = ()
    with_context: bool = False        # an aws-context.json is written (always when needs_context)
    planted_secrets: tuple[str, ...] = ()  # values that must never survive a report (redaction tests)
    profile: Profile = field(default_factory=Profile)
    setup: Callable[[Any], None] | None = field(default=None, repr=False, compare=False)
    context_setup: Callable[[Any, dict], None] | None = field(default=None, repr=False, compare=False)

    @property
    def has_context(self) -> bool:
        return self.needs_context or self.with_context


@dataclass(frozen=True)
class GeneratedBundle:
    """What `generate` wrote: the bundle, its aws-context.json (or None), and the scenario."""

    path: Path
    context_path: Path | None
    scenario: Scenario
