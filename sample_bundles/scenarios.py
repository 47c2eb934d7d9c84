"""The scenario table: every sample bundle, what it shows, and the category a diagnosis must name.

Each row is data: a family, a Profile (versions, formats, names that must hold), a `setup` that
bends the shared healthy timeline into the failure, and a `context_setup` that breaks the AWS side.
"""

from __future__ import annotations

from . import stories_auth_net as an
from . import stories_boot as bt
from . import stories_misc as ms
from .context import node_mapping, with_aws_auth
from .model import Profile, Scenario

# Planted for redaction tests (al2-secrets): fake, well-formed, never valid anywhere.
PLANTED_SECRETS = (
    "AKIA4Q7XJ2M5N8RT3VWZ",                                         # access key id
    "wJ8rXq2Lk9Tz4Bv7Nm1Pq6Sd3Fg5Hj0KlZxCvBnM",                     # secret access key (40)
    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDx7Fk2mQp9Lr3Vt8Zs1Wy4Ha6Nc0Jb5Gd2Ke7Pf9UiAIgR3tY6uI8oP1aS4dF7gH0jK2lZ5xC8vB3nM6qW9eR1tYq",  # session token
    "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtZWFzdC0xLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTY",
    "Tr0ub4dor-prod-db-9931",                                       # DB_PASSWORD in user data
)


def _secrets_setup(b) -> None:
    b.story.extra["planted"] = PLANTED_SECRETS
    an.unauthorized_with_secrets(b)


def _ctx_instance_profile(n, ctx) -> None:
    with_aws_auth(ctx, [node_mapping(n.instance_profile_arn)])


LEGACY_AL2 = Profile(k8s_minor=19, klog="legacy", runtime="docker", host_style="fqdn")

_ROWS = [
    # name, family, category, description, kwargs
    ("al2-healthy", "al2", "none", "AL2 node that joins: transient API warm-up errors, aws-node up, CNI config written",
     dict(with_context=True, tags=("healthy",))),
    ("al2023-healthy", "al2023", "none", "AL2023 node that joins (nodeadm JSON logs): benign cloud-init/nodeadm warnings",
     dict(with_context=True, tags=("healthy", "nodeadm-json"), profile=Profile(nodeadm_format="json"))),
    # IAM / STS
    ("al2-unauthorized", "al2", "iam_auth", "kubelet 1.19 (printf klog) rejected as Unauthorized for the whole run; rsyslog copies",
     dict(tags=("iam", "legacy-klog", "docker"), profile=LEGACY_AL2, setup=an.unauthorized)),
    ("al2023-unauthorized-access-entry", "al2023", "iam_auth", "Unauthorized; cluster in API auth mode has no access entry for the node role",
     dict(needs_context=True, tags=("iam", "nodeadm-console"), profile=Profile(nodeadm_format="console"),
          setup=an.unauthorized, context_setup=an.ctx_access_entry_missing)),
    ("al2-instance-profile-arn", "al2", "iam_auth", "Unauthorized; aws-auth maps the instance PROFILE arn instead of the role arn",
     dict(needs_context=True, tags=("iam",), profile=Profile(host_style="short"), setup=an.unauthorized, context_setup=_ctx_instance_profile)),
    ("al2-role-arn-path", "al2", "iam_auth", "Unauthorized; node role has path /development/apps/ and aws-auth maps the arn with the path",
     dict(needs_context=True, tags=("iam",), setup=an.role_with_path, context_setup=an.ctx_role_path_mapped)),
    ("al2023-missing-cni-policy", "al2023", "iam_auth", "registers, stays NotReady: ipamd UnauthorizedOperation (no AmazonEKS_CNI_Policy), aws-node restarts",
     dict(with_context=True, tags=("iam", "cni", "nodeadm-json"), profile=Profile(nodeadm_format="json"),
          setup=an.cni_policy_missing, context_setup=an.ctx_no_cni_policy)),
    # ami_issue, not iam_auth: the token helper binary is missing from the image (SOP 2G: custom AMIs
    # must include aws-iam-authenticator); no IAM change can fix it.
    ("al2-credential-helper", "al2", "ami_issue", "kubelet's exec credential plugin aws-iam-authenticator is not installed",
     dict(tags=("iam",), setup=an.credential_helper)),
    ("al2-sts-invalid-token", "al2", "sts_endpoint", "InvalidClientTokenId from the regional STS endpoint of an opt-in region; kubelet Unauthorized",
     dict(with_context=True, tags=("sts",), profile=Profile(region="ap-southeast-3"), setup=an.sts_invalid_token, context_setup=an.ctx_sts_inactive)),
    ("al2023-sts-expired-clock", "al2023", "sts_endpoint", "clock never synchronised: SDK retries, signatures expired, kubelet Unauthorized",
     dict(tags=("sts", "nodeadm-console"), profile=Profile(nodeadm_format="console"), setup=an.sts_clock_skew)),
    # network
    ("al2-tls-handshake-timeout", "al2", "network_connectivity", "kubelet TLS handshake timeouts; curl to /livez times out five times",
     dict(with_context=True, tags=("network",), setup=an.tls_timeout)),
    ("al2023-private-no-endpoints", "al2023", "network_connectivity", "private cluster, no NAT, no VPC endpoints: nodeadm EC2 calls time out",
     dict(needs_context=True, tags=("network", "nodeadm-json"), profile=Profile(nodeadm_format="json", endpoint_private=True),
          setup=an.private_no_endpoints, context_setup=an.ctx_private_no_endpoints)),
    ("al2-connection-refused", "al2", "network_connectivity", "connection refused to the endpoint for the whole run (never registers)",
     dict(tags=("network",), setup=an.connection_refused)),
    ("al2-no-route", "al2", "network_connectivity", "no default route: network is unreachable, curl fails, ping 100% loss",
     dict(tags=("network",), setup=an.no_route)),
    # DNS
    ("al2-dns-no-such-host", "al2", "dns_config", "endpoint lookup fails (no such host) on the VPC resolver; VPC DNS support off",
     dict(with_context=True, tags=("dns",), setup=an.dns_no_such_host, context_setup=an.ctx_dns_support_off)),
    ("al2-node-not-found-dhcp", "al2", "dns_config", "short hostname ip-10-0-3-17 (DHCP options without domain-name): node not found all run",
     dict(needs_context=True, tags=("dns",), profile=Profile(node_ip="10.0.3.17", k8s_minor=25, host_style="short"),
          setup=an.dhcp_no_domain, context_setup=an.ctx_dhcp_no_domain)),
    # bootstrap
    ("al2023-legacy-userdata", "al2023", "bootstrap_config", "AL2 bootstrap.sh user data on AL2023: no NodeConfig, stub bootstrap.sh exits 1",
     dict(tags=("bootstrap", "nodeadm-console"), profile=Profile(nodeadm_format="console"), setup=bt.legacy_userdata)),
    ("al2-cluster-name-mismatch", "al2", "bootstrap_config", "--cluster-name Prod-East vs real prod-east: DescribeCluster ResourceNotFound, retries exhausted",
     dict(with_context=True, tags=("bootstrap",), profile=Profile(cluster_name="prod-east"), setup=bt.cluster_name_mismatch,
          context_setup=bt.ctx_cluster_name)),
    ("al2023-nodeconfig-invalid", "al2023", "bootstrap_config", "NodeConfig without apiServerEndpoint: nodeadm-config fails, nodeadm-run dependency failed",
     dict(tags=("bootstrap", "nodeadm-json"), profile=Profile(nodeadm_format="json"), setup=bt.nodeconfig_invalid)),
    ("al2-describe-cluster-throttled", "al2", "bootstrap_config", "DescribeCluster ThrottlingException until bootstrap.sh gives up",
     dict(tags=("bootstrap",), setup=bt.describe_throttled)),
    ("al2-userdata-never-ran", "al2", "bootstrap_config", "broken MIME boundary: cloud-init runs no user-data script, kubelet never starts",
     dict(with_context=True, tags=("bootstrap",), setup=bt.userdata_never_ran, context_setup=bt.ctx_userdata_broken)),
    ("al2-private-missing-args", "al2", "bootstrap_config", "private cluster, no --apiserver-endpoint/--b64-cluster-ca: DescribeCluster connect timeouts",
     dict(with_context=True, tags=("bootstrap", "network"), profile=Profile(endpoint_private=True), setup=bt.private_missing_args,
          context_setup=bt.ctx_private_cluster)),
    # security groups / NACLs
    ("al2-sg-no-443-egress", "al2", "security_rules", "API calls time out; node SG egress allows only tcp/80",
     dict(needs_context=True, tags=("security",), setup=ms.sg_no_443, context_setup=ms.ctx_sg_only_80)),
    ("al2023-nacl-blocks-ephemeral", "al2023", "security_rules", "every reply dropped (NACL denies inbound 1025-65535): EC2 calls time out",
     dict(needs_context=True, tags=("security", "nodeadm-console"), profile=Profile(nodeadm_format="console"),
          setup=ms.nacl_blocks_ephemeral, context_setup=ms.ctx_nacl_deny_ephemeral)),
    # tags
    ("al2-missing-cluster-tag", "al2", "tagging", "kubelet 1.23 in-tree AWS provider: no cluster tag, ClusterID not found, restart loop",
     dict(with_context=True, tags=("tags", "docker"), profile=Profile(k8s_minor=23, runtime="docker", in_tree_cloud_provider=True),
          setup=bt.missing_cluster_tag, context_setup=bt.ctx_no_cluster_tag)),
    # AMI
    ("al2-kubelet-missing", "al2", "ami_issue", "custom AMI without /usr/bin/kubelet: 203/EXEC restart loop",
     dict(tags=("ami",), setup=bt.kubelet_missing)),
    ("al2-not-eks-ami", "al2", "ami_issue", "plain Amazon Linux 2 AMI: /etc/eks/bootstrap.sh: No such file or directory",
     dict(with_context=True, tags=("ami",), setup=bt.not_eks_ami, context_setup=bt.ctx_not_eks_ami)),
    ("al2023-version-skew", "al2023", "ami_issue", "kubelet v1.31 on a 1.28 control plane (kubelet newer than the API server)",
     dict(needs_context=True, tags=("ami", "nodeadm-console"), profile=Profile(k8s_minor=31, nodeadm_format="console"),
          context_setup=bt.ctx_version_skew)),
    # IP exhaustion, VPC CNI
    ("al2-ip-exhaustion", "al2", "ip_exhaustion", "registered; subnet out of addresses: InsufficientFreeAddressesInSubnet, pods get no IP",
     dict(with_context=True, tags=("ip",), setup=ms.ip_exhaustion, context_setup=ms.ctx_subnet_full)),
    ("al2023-ipamd-imds-hop-limit", "al2023", "cni_plugin", "registered, NotReady: ipamd cannot get an IMDSv2 token (hop limit 1), aws-node crash-loops",
     dict(with_context=True, tags=("cni", "nodeadm-json"), profile=Profile(nodeadm_format="json"), setup=ms.imds_hop_limit,
          context_setup=ms.ctx_hop_limit_1)),
    # red herrings
    ("rh-transient-refused-then-joined", "al2", "none", "loud warm-up errors (refused, node not found, TLS timeout) all before registration",
     dict(red_herring=True, with_context=True, tags=("red-herring",), setup=ms.transient_then_joined)),
    ("rh-node-not-found-but-unauthorized", "al2", "iam_auth", "thousands of 'node not found' and NetworkPluginNotReady; the Unauthorized lines are the cause",
     dict(red_herring=True, tags=("red-herring", "iam"), setup=ms.not_found_flood)),
    ("rh-old-ip-exhaustion-name-mismatch", "al2", "bootstrap_config", "old rotated ipamd log shows IP exhaustion (recovered); this boot fails on the cluster name",
     dict(red_herring=True, tags=("red-herring", "bootstrap"), profile=Profile(cluster_name="prod-east"), setup=ms.old_exhaustion_then_mismatch)),
    ("rh-dns-warning-but-sg", "al2", "security_rules", "one early-boot resolver warning for an NTP pool; API calls time out on the SG",
     dict(red_herring=True, needs_context=True, tags=("red-herring", "security"), setup=ms.dns_warning_but_sg, context_setup=ms.ctx_sg_only_80)),
    # redaction
    ("al2-secrets", "al2", "iam_auth", "al2-unauthorized plus planted secrets (keys, session token, bearer token, DB password)",
     dict(tags=("iam", "secrets", "legacy-klog", "docker"), profile=LEGACY_AL2, setup=_secrets_setup, planted_secrets=PLANTED_SECRETS)),
    # other layouts
    ("windows-sample", "windows", "none", "Windows collector zip (system\\ layout) of a healthy node", dict(tags=("layout",))),
    ("bottlerocket-sample", "bottlerocket", "none", "Bottlerocket logdog tarball of a healthy node", dict(tags=("layout",))),
    ("windows-unauthorized", "windows", "iam_auth", "Windows node whose role is not mapped: kubelet's event log loops on Unauthorized",
     dict(tags=("layout", "iam"))),
]

SCENARIOS: dict[str, Scenario] = {
    name: Scenario(name=name, family=family, expected_category=category, description=description, **kwargs)
    for name, family, category, description, kwargs in _ROWS
}
