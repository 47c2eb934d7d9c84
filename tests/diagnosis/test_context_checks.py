"""Derived AWS-context checks: each SOP question answered from the context, unknown when not collected."""

from __future__ import annotations

import copy

import pytest

from eksdoctor.context import load_context, validate_context
from eksdoctor.context_checks import derive
from eksdoctor.errors import ContextError

ROLE = "arn:aws:iam::111122223333:role/eks-node-role"
BASE = {
    "region": "us-east-1",
    "instance": {"id": "i-0abc", "security_group_ids": ["sg-node"], "tags": {"kubernetes.io/cluster/prod": "owned"},
                 "instance_profile_arn": "arn:aws:iam::111122223333:instance-profile/eks-node-profile",
                 "role_arn": ROLE, "metadata_hop_limit": 2},
    "security_groups": [
        {"id": "sg-node", "ingress": [{"protocol": "tcp", "from_port": 10250, "to_port": 10250, "cidrs": [], "groups": ["sg-cluster"]}],
         "egress": [{"protocol": "-1", "from_port": None, "to_port": None, "cidrs": ["0.0.0.0/0"], "groups": []}]},
        {"id": "sg-cluster", "ingress": [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidrs": [], "groups": ["sg-node"]}],
         "egress": []}],
    "network_acl": {"id": "acl-1", "entries": [
        {"rule_number": 100, "protocol": "-1", "action": "allow", "egress": False, "cidr": "0.0.0.0/0"},
        {"rule_number": 100, "protocol": "-1", "action": "allow", "egress": True, "cidr": "0.0.0.0/0"},
        {"rule_number": 32767, "protocol": "-1", "action": "deny", "egress": False, "cidr": "0.0.0.0/0"},
        {"rule_number": 32767, "protocol": "-1", "action": "deny", "egress": True, "cidr": "0.0.0.0/0"}]},
    "route_table": {"id": "rtb-1", "routes": [{"destination": "10.0.0.0/16", "target": "local", "state": "active"},
                                             {"destination": "0.0.0.0/0", "target": "nat-1", "state": "active"}]},
    "vpc": {"id": "vpc-1", "enable_dns_support": True, "enable_dns_hostnames": True,
            "dhcp_options": {"domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}},
    "vpc_endpoints": [],
    "cluster": {"name": "prod", "version": "1.29", "endpoint_public_access": True, "endpoint_private_access": False,
                "cluster_security_group_id": "sg-cluster", "authentication_mode": "API_AND_CONFIG_MAP"},
    "access_entries": [],
    "aws_auth": {"map_roles": [{"rolearn": ROLE, "groups": ["system:nodes"]}]},
    "node_role": {"name": "eks-node-role", "arn": ROLE, "attached_policies": [
        "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]},
}


def ctx(**changes):
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        cur = doc
        keys = path.split("__")
        for k in keys[:-1]:
            cur = cur[k]
        cur[keys[-1]] = value
    return validate_context(doc)


def test_healthy_context_raises_no_flags():
    d = derive(ctx(), {"cluster_name": "prod", "kubelet_minor": 29})
    assert d["sg.egress_443"] is True and d["sg.cluster_ingress_443"] is True and d["sg.ingress_10250"] is True
    assert d["nacl.blocks_required"] is False
    assert d["route.default_target"] == "nat" and d["route.internet_path"] is True
    assert d["aws_auth.maps_node_role"] is True and d["node_role.mapped"] is True
    assert d["node_role.missing_policies"] == ""
    assert d["instance.cluster_tag"] is True and d["cluster.name_matches"] is True
    assert d["skew.kubelet_newer"] is False and d["skew.kubelet_too_old"] is False
    assert d["dhcp.domain_name"] is True and d["dhcp.custom_dns"] is False


def test_sg_without_443_egress():
    d = derive(ctx(security_groups=[{"id": "sg-node", "ingress": [], "egress": [
        {"protocol": "tcp", "from_port": 80, "to_port": 80, "cidrs": ["0.0.0.0/0"], "groups": []}]}]), {})
    assert d["sg.egress_443"] is False


def test_nacl_deny_ephemeral_before_allow():
    entries = BASE["network_acl"]["entries"] + [
        {"rule_number": 50, "protocol": "6", "action": "deny", "egress": False, "cidr": "0.0.0.0/0",
         "port_from": 1025, "port_to": 65535}]
    d = derive(ctx(network_acl__entries=entries), {})
    assert d["nacl.ingress_ephemeral"] is False and d["nacl.blocks_required"] is True
    assert d["nacl.egress_443"] is True


def test_instance_profile_arn_and_path_mistakes():
    profile = BASE["instance"]["instance_profile_arn"]
    d = derive(ctx(aws_auth={"map_roles": [{"rolearn": profile}]}), {})
    assert d["aws_auth.maps_instance_profile"] is True and d["aws_auth.maps_node_role"] is False
    with_path = "arn:aws:iam::111122223333:role/development/apps/eks-node-role"
    d = derive(ctx(node_role__arn=with_path, instance__role_arn=with_path,
                   aws_auth={"map_roles": [{"rolearn": with_path}]}), {})
    assert d["node_role.has_path"] is True and d["aws_auth.maps_role_with_path"] is True
    assert d["aws_auth.maps_node_role"] is False


def test_api_mode_needs_access_entry():
    d = derive(ctx(cluster__authentication_mode="API"), {})
    assert d["access_entries.has_node_role"] is False and d["node_role.mapped"] is False
    d = derive(ctx(cluster__authentication_mode="API",
                   access_entries=[{"principal_arn": ROLE, "type": "EC2_LINUX"}]), {})
    assert d["node_role.mapped"] is True


def test_private_cluster_endpoints_and_routes():
    d = derive(ctx(cluster__endpoint_public_access=False, cluster__endpoint_private_access=True,
                   route_table__routes=[{"destination": "10.0.0.0/16", "target": "local"}],
                   vpc_endpoints=[{"service": "com.amazonaws.us-east-1.sts", "state": "available"}]), {})
    assert d["cluster.private_only"] is True and d["route.internet_path"] is False
    assert d["endpoints.missing"] == "ec2,ecr.api,ecr.dkr,s3" and d["endpoints.missing_count"] == 4


def test_missing_policies_and_skew_and_tags():
    d = derive(ctx(node_role__attached_policies=["AmazonEKSWorkerNodePolicy"], instance__tags={}),
               {"cluster_name": "Prod", "kubelet_minor": 31})
    assert d["node_role.missing_policies"] == "AmazonEKS_CNI_Policy,AmazonEC2ContainerRegistryReadOnly"
    assert d["node_role.missing_cni_policy"] is True
    assert d["instance.cluster_tag"] is False
    assert d["cluster.name_matches"] is False and d["cluster.name_case_only"] is True
    assert d["skew.kubelet_newer"] is True


def test_absent_inputs_give_no_fact():
    d = derive({"region": "us-east-1"}, {})
    assert d == {}


@pytest.mark.parametrize("doc, where", [
    ([], "top level"), ({"subnet": {"available_ips": "zero"}}, "subnet.available_ips"),
    ({"subnet": {"available_ips": True}}, "subnet.available_ips"),
    ({"security_groups": ["sg-1"]}, "security_groups[0]"), ({"cluster": "prod"}, "cluster"),
])
def test_malformed_context_names_the_path(doc, where):
    with pytest.raises(ContextError, match=where.replace("[", r"\[").replace("]", r"\]")):
        validate_context(doc)


def test_context_file_errors(tmp_path):
    f = tmp_path / "ctx.json"
    f.write_text("{not json")
    with pytest.raises(ContextError, match="not valid JSON"):
        load_context(f)
    f.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ContextError):
        load_context(f)
    with pytest.raises(ContextError, match="cannot read"):
        load_context(tmp_path / "absent.json")
