"""The EKS side of aws-context.json (and of cluster-health): cluster, access entries, node groups."""

from __future__ import annotations

import re

from .checks import NotChecked
from .gateway import AwsGateway, CallFailed

# Describing every access entry costs one call each; the rules only need the node role's entries.
MAX_DESCRIBED_ENTRIES = 20


def _issues(health: dict | None) -> list[dict]:
    return [{"code": i.get("code"), "message": i.get("message"), "resource_ids": i.get("resourceIds") or []}
            for i in (health or {}).get("issues") or []]


def describe_cluster(gw: AwsGateway, name: str) -> dict | None:
    """Raw DescribeCluster; None when no such cluster in this region (PermissionDenied propagates)."""
    try:
        return gw.call("eks", "DescribeCluster", name=name).get("cluster")
    except CallFailed as err:
        if err.code == "ResourceNotFoundException":
            return None
        raise


def cluster_facts(raw: dict) -> dict:
    """Schema `cluster` from DescribeCluster."""
    vpc_cfg = raw.get("resourcesVpcConfig") or {}
    net = raw.get("kubernetesNetworkConfig") or {}
    out = {
        "name": raw.get("name"), "status": raw.get("status"), "version": raw.get("version"),
        "platform_version": raw.get("platformVersion"), "endpoint": raw.get("endpoint"),
        "endpoint_public_access": vpc_cfg.get("endpointPublicAccess"),
        "endpoint_private_access": vpc_cfg.get("endpointPrivateAccess"),
        "public_access_cidrs": vpc_cfg.get("publicAccessCidrs"),
        "cluster_security_group_id": vpc_cfg.get("clusterSecurityGroupId"),
        "security_group_ids": vpc_cfg.get("securityGroupIds") or [],
        "vpc_id": vpc_cfg.get("vpcId"), "subnet_ids": vpc_cfg.get("subnetIds") or [],
        "authentication_mode": (raw.get("accessConfig") or {}).get("authenticationMode"),
        "service_ipv4_cidr": net.get("serviceIpv4Cidr"), "ip_family": net.get("ipFamily"),
        "health_issues": _issues(raw.get("health")),
    }
    return {k: v for k, v in out.items() if v is not None}


def _bare(arn: str) -> str:
    """Role ARN without its path: access entries and aws-auth match on arn:...:role/<name>."""
    m = re.match(r"(arn:aws[a-z-]*:iam::\d+:role)/(?:.+/)?([^/]+)$", arn or "")
    return f"{m.group(1)}/{m.group(2)}" if m else (arn or "")


def access_entries(gw: AwsGateway, cluster: str, node_role_arn: str | None, nc: NotChecked) -> list[dict] | None:
    """Schema `access_entries`. Entries for the node role are described (type, username, groups);
    the others are listed by principal only, to bound the number of calls on big clusters."""
    principals = nc.attempt(lambda: list(gw.paginate("eks", "ListAccessEntries", "accessEntries", clusterName=cluster)))
    if principals is None:
        return None
    wanted = _bare(node_role_arn) if node_role_arn else None
    out = []
    described = 0
    for arn in principals:
        if wanted and _bare(arn) == wanted and described < MAX_DESCRIBED_ENTRIES:
            described += 1
            entry = nc.attempt(gw.call, "eks", "DescribeAccessEntry", clusterName=cluster, principalArn=arn)
            if entry and (e := entry.get("accessEntry")):
                out.append({"principal_arn": arn, "type": e.get("type"), "username": e.get("username"),
                            "groups": e.get("kubernetesGroups") or []})
                continue
        out.append({"principal_arn": arn})
    return out


def nodegroup_facts(raw: dict) -> dict:
    """Schema `nodegroup` from DescribeNodegroup."""
    resources = raw.get("resources") or {}
    out = {"name": raw.get("nodegroupName"), "status": raw.get("status"), "node_role": raw.get("nodeRole"),
           "ami_type": raw.get("amiType"), "release_version": raw.get("releaseVersion"), "version": raw.get("version"),
           "capacity_type": raw.get("capacityType"), "scaling": raw.get("scalingConfig"),
           "launch_template": raw.get("launchTemplate"),
           "autoscaling_groups": [g["name"] for g in resources.get("autoScalingGroups") or [] if "name" in g],
           "health_issues": _issues(raw.get("health"))}
    return {k: v for k, v in out.items() if v is not None}


def nodegroup(gw: AwsGateway, cluster: str, name: str, nc: NotChecked) -> dict | None:
    """Schema `nodegroup` for one node group (None when denied or gone)."""
    def describe() -> dict | None:
        try:
            return gw.call("eks", "DescribeNodegroup", clusterName=cluster, nodegroupName=name).get("nodegroup")
        except CallFailed as err:
            if err.code == "ResourceNotFoundException":
                return None
            raise

    raw = nc.attempt(describe)
    return nodegroup_facts(raw) if raw else None
