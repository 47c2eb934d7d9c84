"""Fill rule text placeholders from facts, context and the matched signals — never with empty values.

Syntax in rule text: `{name}` is a placeholder; `{{` and `}}` are literal braces; `[[ ... ]]` is an
optional segment, dropped when any placeholder inside it is unknown. An unknown placeholder outside
an optional segment renders as an explicit token such as `<cluster-name>`, and the finding's
`lookups` say how to find the value. No report ever prints "None" or an empty value.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)

# placeholder -> (token shown when unknown, how to look it up)
LOOKUPS: dict[str, tuple[str, str]] = {
    "cluster_name": ("<cluster-name>", "cluster name: the EKS console, `aws eks list-clusters --region <region>`, or the node's user data"),
    "region": ("<region>", "region: system/region.txt in the bundle or the instance's availability zone"),
    "role_arn": ("<node-role-arn>", "node role ARN: `aws ec2 describe-instances --instance-ids <id> --query 'Reservations[].Instances[].IamInstanceProfile.Arn'` then `aws iam get-instance-profile --instance-profile-name <name> --query 'InstanceProfile.Roles[].Arn'` (use the role ARN without its path)"),
    "role_name": ("<node-role-name>", "node role name: the last part of the role ARN behind the instance profile"),
    "instance_profile_arn": ("<instance-profile-arn>", "instance profile: `aws ec2 describe-instances --instance-ids <id> --query 'Reservations[].Instances[].IamInstanceProfile.Arn'`"),
    "instance_id": ("<instance-id>", "instance id: the bundle file name or system/instance-id.txt"),
    "subnet_id": ("<subnet-id>", "subnet: `aws ec2 describe-instances --instance-ids <id> --query 'Reservations[].Instances[].SubnetId'`"),
    "vpc_id": ("<vpc-id>", "VPC: `aws ec2 describe-instances --instance-ids <id> --query 'Reservations[].Instances[].VpcId'`"),
    "node_sg": ("<node-security-group-ids>", "node security groups: `aws ec2 describe-instances --instance-ids <id> --query 'Reservations[].Instances[].SecurityGroups'`"),
    "node_sg_first": ("<node-security-group-id>", "node security group: `aws ec2 describe-instances --instance-ids <id> --query 'Reservations[].Instances[].SecurityGroups'`"),
    "cluster_sg": ("<cluster-security-group-id>", "cluster security group: `aws eks describe-cluster --name <cluster> --query cluster.resourcesVpcConfig.clusterSecurityGroupId`"),
    "nacl_id": ("<network-acl-id>", "network ACL: `aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=<subnet-id>`"),
    "route_table_id": ("<route-table-id>", "route table: `aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=<subnet-id>`"),
    "api_endpoint": ("<api-server-endpoint>", "API endpoint: `aws eks describe-cluster --name <cluster> --query cluster.endpoint`"),
    "api_host": ("<api-server-host>", "API host: the host part of `aws eks describe-cluster --name <cluster> --query cluster.endpoint`"),
    "cluster_version": ("<cluster-version>", "cluster version: `aws eks describe-cluster --name <cluster> --query cluster.version`"),
    "kubelet_version": ("<kubelet-version>", "kubelet version: the 'Kubelet version' line in kubelet/kubelet.log"),
    "image_id": ("<ami-id>", "AMI: `aws ec2 describe-instances --instance-ids <id> --query 'Reservations[].Instances[].ImageId'`"),
    "node_name": ("<node-name>", "node name: the instance's PrivateDnsName"),
}
for _alias, _base in (("cluster_name_or_lookup", "cluster_name"), ("cluster_version_or_lookup", "cluster_version"),
                      ("node_name_or_lookup", "node_name"), ("api_endpoint_or_lookup", "api_endpoint")):
    LOOKUPS[_alias] = LOOKUPS[_base]


def _known(value) -> bool:
    return value is not None and value != "" and value != []


def fill(template: str | None, values: dict, lookups: dict[str, str]) -> str:
    """Render `template`; unknown placeholders become tokens and record a lookup hint."""
    if not template:
        return ""

    def optional(m: re.Match) -> str:
        names = _PLACEHOLDER.findall(m.group(1))
        if all(_known(values.get(n)) for n in names):
            return _substitute(m.group(1), values, lookups)
        return ""

    text = _OPTIONAL.sub(optional, template)
    return _substitute(text, values, lookups).replace("{{", "{").replace("}}", "}")


def _substitute(text: str, values: dict, lookups: dict[str, str]) -> str:
    # Protect literal {{ }} while substituting single-brace placeholders.
    protected = text.replace("{{", "\x00").replace("}}", "\x01")

    def one(m: re.Match) -> str:
        name = m.group(1)
        value = values.get(name)
        if _known(value):
            return str(value)
        token, how = LOOKUPS.get(name, (f"<{name.replace('_', '-')}>", ""))
        if how:
            lookups.setdefault(name.removesuffix("_or_lookup"), how)
        return token

    return _PLACEHOLDER.sub(one, protected).replace("\x00", "{{").replace("\x01", "}}")


def placeholder_values(facts: dict, ctx: dict | None, derived: dict, signal_attrs: dict) -> dict:
    """Every value a rule text may use: bundle facts, AWS context, derived checks, matched signal attrs."""
    ctx = ctx or {}
    inst = ctx.get("instance") or {}
    cluster = ctx.get("cluster") or {}
    role = ctx.get("node_role") or {}
    v: dict[str, object] = dict(facts)
    v.update({k: val for k, val in signal_attrs.items() if _known(val)})
    region = facts.get("region") or ctx.get("region")
    role_arn = role.get("arn") or inst.get("role_arn")
    if role_arn:
        m = re.match(r"(arn:aws[a-z-]*:iam::\d+:role)/(?:.+/)?([^/]+)$", role_arn)
        role_arn = f"{m.group(1)}/{m.group(2)}" if m else role_arn
    sgs = inst.get("security_group_ids") or []
    api_endpoint = facts.get("api_endpoint") or cluster.get("endpoint")
    cluster_name = facts.get("cluster_name") or cluster.get("name")
    v.update({
        "region": region,
        "cluster_name": cluster.get("name") or cluster_name,
        "role_arn": role_arn,
        "role_name": role.get("name") or inst.get("role_name") or (role_arn.rsplit("/", 1)[-1] if role_arn else None),
        "instance_profile_arn": inst.get("instance_profile_arn"),
        "instance_id": facts.get("instance_id") or inst.get("id"),
        "subnet_id": inst.get("subnet_id") or (ctx.get("subnet") or {}).get("id"),
        "vpc_id": inst.get("vpc_id") or (ctx.get("vpc") or {}).get("id"),
        "node_sg": ", ".join(sgs) if sgs else None,
        "node_sg_first": sgs[0] if sgs else None,
        "cluster_sg": cluster.get("cluster_security_group_id"),
        "nacl_id": (ctx.get("network_acl") or {}).get("id"),
        "route_table_id": (ctx.get("route_table") or {}).get("id"),
        "route_target": derived.get("route.default_target"),
        "api_endpoint": api_endpoint,
        "api_host": re.sub(r"^https?://", "", str(api_endpoint)).split("/")[0] if api_endpoint else None,
        "cluster_version": cluster.get("version"),
        "image_id": inst.get("image_id") or (ctx.get("ami") or {}).get("id"),
        "missing_policies": derived.get("node_role.missing_policies") or None,
        "missing_endpoints": derived.get("endpoints.missing") or None,
        "hop_limit": inst.get("metadata_hop_limit"),
        "node_cluster_name": facts.get("cluster_name"),
        "context_cluster_name": cluster.get("name"),
        "case_note": "the names differ only in letter case" if derived.get("cluster.name_case_only") else None,
        "dhcp_domain": ("ec2.internal" if region == "us-east-1" else f"{region}.compute.internal") if region else None,
    })
    if v.get("missing_policies"):
        v["missing_policies_spaced"] = str(v["missing_policies"]).replace(",", " ")
    for flag in ("nacl.egress_443", "nacl.ingress_ephemeral"):
        if flag in derived:
            v[flag.replace(".", "_")] = "allowed" if derived[flag] else "blocked"
    minor = facts.get("kubelet_minor")
    v["cluster_version_or_lookup"] = v.get("cluster_version") or (f"1.{minor}" if isinstance(minor, int) else None)
    v["cluster_name_or_lookup"] = v.get("cluster_name")
    v["node_name_or_lookup"] = facts.get("node_name") or inst.get("private_dns_name")
    v["api_endpoint_or_lookup"] = api_endpoint
    v["binary_or_component"] = signal_attrs.get("binary") or "a required component"
    # A Windows node needs its own access-entry type and, in aws-auth, the kube-proxy-windows group.
    windows = facts.get("ami_family") == "windows" or "windows" in str((ctx.get("ami") or {}).get("platform") or "").lower()
    v["access_entry_type"] = "EC2_WINDOWS" if windows else "EC2_LINUX"
    v["node_groups_flags"] = ("--group system:bootstrappers --group system:nodes"
                              + (" --group eks:kube-proxy-windows" if windows else ""))
    return v
