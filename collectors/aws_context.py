"""`eksdoctor context INSTANCE_ID`: gather the AWS facts the rules need, as aws-context.json.

Schema: docs/aws-context-schema.md. Every section is optional; a denied call leaves its section out
and adds {"call": "<iam action>", "reason": "...missing permission..."} to `not_checked`. Only a
missing instance or missing credentials stop the collection: without them nothing can be checked.
"""

from __future__ import annotations

from datetime import datetime, timezone

from . import context_cluster, context_instance, context_network
from .checks import NotChecked
from .gateway import AwsGateway, make_session
from .userdata import cluster_name_from_user_data

SCHEMA_VERSION = 1


def cluster_name_for(instance: dict, user_data: str | None, explicit: str | None) -> tuple[str | None, str]:
    """(cluster name, where it came from): --cluster, the eks:cluster-name tag, a
    kubernetes.io/cluster/<name> tag, else the name bootstrap/nodeadm was given in user data."""
    if explicit:
        return explicit, "--cluster"
    tags = instance.get("tags") or {}
    if tags.get("eks:cluster-name"):
        return tags["eks:cluster-name"], "tag eks:cluster-name"
    for key in sorted(tags):
        if key.startswith("kubernetes.io/cluster/") and len(key) > len("kubernetes.io/cluster/"):
            return key.split("/", 2)[2], f"tag {key}"
    if name := cluster_name_from_user_data(user_data):
        return name, "user data"
    return None, ""


def gather_context(instance_id: str, *, region: str | None = None, profile: str | None = None,
                   cluster: str | None = None, gateway: AwsGateway | None = None) -> dict:
    """AWS facts about `instance_id` and its cluster in the aws-context.json schema (user data redacted)."""
    gw = gateway or AwsGateway(make_session(region, profile))
    nc = NotChecked()
    identity = gw.call("sts", "GetCallerIdentity")  # fails fast on missing/expired credentials
    ctx: dict = {"schema_version": SCHEMA_VERSION,
                 "collected_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "region": gw.region, "account": identity.get("Account")}

    inst = context_instance.instance_facts(context_instance.describe_instance(gw, instance_id))
    if (text := context_instance.user_data(gw, inst, nc)) is not None:
        inst["user_data"] = text
    role = context_instance.node_role(gw, inst.get("instance_profile_arn"), nc)
    if role and role.get("name"):
        inst["role_name"], inst["role_arn"] = role["name"], role.get("arn")
    ctx["instance"] = inst
    _put(ctx, "node_role", role)
    _put(ctx, "ami", context_instance.ami(gw, inst.get("image_id"), nc))

    name, source = cluster_name_for(inst, inst.get("user_data"), cluster)
    cluster_sgs: list[str] = []
    if name is None:
        nc.add("eks:DescribeCluster", "cluster unknown: the instance has no eks:cluster-name or "
               "kubernetes.io/cluster/<name> tag and its user data names none; pass --cluster")
    else:
        cluster_sgs = _cluster_part(gw, ctx, name, source, inst, role, nc)

    subnet_id, vpc_id = inst.get("subnet_id"), inst.get("vpc_id")
    if subnet_id:
        _put(ctx, "subnet", context_network.subnet(gw, subnet_id, nc))
        _put(ctx, "route_table", context_network.route_table(gw, subnet_id, vpc_id, nc))
        _put(ctx, "network_acl", context_network.network_acl(gw, subnet_id, nc))
    _put(ctx, "security_groups", context_network.security_groups(
        gw, list(inst.get("security_group_ids") or []) + cluster_sgs, nc))
    if vpc_id:
        _put(ctx, "vpc", context_network.vpc(gw, vpc_id, nc))
        _put(ctx, "vpc_endpoints", context_network.vpc_endpoints(gw, vpc_id, nc))
        _put(ctx, "nat_gateways", context_network.nat_gateways(gw, vpc_id, nc))
    ctx["not_checked"] = nc.items
    return ctx


def _cluster_part(gw: AwsGateway, ctx: dict, name: str, source: str, inst: dict, role: dict | None,
                  nc: NotChecked) -> list[str]:
    """Fill cluster, access_entries and nodegroup; return the cluster's security group ids."""
    raw = nc.attempt(context_cluster.describe_cluster, gw, name)
    if raw is None:
        if not any(i["call"] == "eks:DescribeCluster" for i in nc.items):
            nc.add("eks:DescribeCluster", f"cluster {name!r} (from {source}) does not exist in {gw.region}")
        return []
    facts = context_cluster.cluster_facts(raw)
    facts["name_source"] = source
    ctx["cluster"] = facts
    _put(ctx, "access_entries", context_cluster.access_entries(gw, name, (role or {}).get("arn"), nc))
    ng_name = (inst.get("tags") or {}).get("eks:nodegroup-name")
    if ng_name:
        _put(ctx, "nodegroup", context_cluster.nodegroup(gw, name, ng_name, nc))
    sgs = [facts[k] for k in ("cluster_security_group_id",) if facts.get(k)]
    return sgs + list(facts.get("security_group_ids") or [])


def _put(ctx: dict, key: str, value) -> None:
    if value is not None:
        ctx[key] = value
