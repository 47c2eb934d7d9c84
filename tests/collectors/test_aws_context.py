"""gather_context against moto: the schema the rules read, denied calls, cluster-name discovery."""

from __future__ import annotations

import gzip
import types

import pytest
from aws_world import Clients, b64, build
from botocore.stub import Stubber

from conftest import reset_moto

from eksdoctor.collectors import context_cluster
from eksdoctor.collectors.aws_context import gather_context
from eksdoctor.collectors.checks import NotChecked
from eksdoctor.collectors.userdata import cluster_name_from_user_data, decode_user_data
from eksdoctor.context import validate_context
from eksdoctor.errors import AwsError, InputError

AL2_USER_DATA = ("#!/bin/bash\nset -ex\nexport AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
                 "/etc/eks/bootstrap.sh demo --b64-cluster-ca AAAA --apiserver-endpoint https://x.eks.amazonaws.com\n")


@pytest.fixture(scope="module")
def world(moto_endpoint):
    """One fake account for the whole module: gather_context is read-only, so tests cannot disturb it."""
    reset_moto(moto_endpoint)
    return build(Clients(), user_data=AL2_USER_DATA)


def test_full_context_follows_schema(world, gateway):
    w = world
    ctx = gather_context(w.instance_id, gateway=gateway)
    validate_context(ctx)  # the lead's loader accepts it as-is

    inst = ctx["instance"]
    assert inst["id"] == w.instance_id and inst["subnet_id"] == w.subnet and inst["vpc_id"] == w.vpc
    assert inst["security_group_ids"] == [w.node_sg]
    assert inst["tags"]["eks:cluster-name"] == "demo"
    assert inst["role_name"] == "eks-node-role" and inst["role_arn"] == w.role_arn
    assert inst["instance_profile_arn"].endswith(":instance-profile/eks-node-profile")
    assert "/etc/eks/bootstrap.sh demo" in inst["user_data"]
    assert "wJalrXUtnFEMI" not in inst["user_data"]  # secrets in user data never leave redacted

    assert ctx["account"] == "123456789012" and ctx["region"] == "us-east-1"
    assert set(ctx["node_role"]["attached_policies"]) == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
                                                          "AmazonEC2ContainerRegistryReadOnly"}
    assert ctx["node_role"]["inline_policies"] == ["extra"]
    assert ctx["subnet"] == {"id": w.subnet, "cidr": "10.0.1.0/24", "available_ips": 249, "az": "us-east-1a",  # 251 - node - endpoint ENI
                             "map_public_ip": False}
    assert ctx["route_table"]["id"] == w.rtb and ctx["route_table"]["main"] is False
    assert {"destination": "0.0.0.0/0", "target": w.igw, "state": "active"} in ctx["route_table"]["routes"]
    assert any(e["rule_number"] == 100 and e["action"] == "allow" for e in ctx["network_acl"]["entries"])
    groups = {g["id"]: g for g in ctx["security_groups"]}
    assert set(groups) == {w.node_sg, w.cluster_sg}  # the cluster's groups too, for SEC-002
    assert groups[w.node_sg]["ingress"] == [{"protocol": "tcp", "from_port": 10250, "to_port": 10250, "cidrs": [],
                                             "groups": [w.cluster_sg], "prefix_lists": []}]
    assert ctx["vpc"]["enable_dns_support"] is True and ctx["vpc"]["enable_dns_hostnames"] is True
    assert ctx["vpc"]["dhcp_options"] == {"domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}
    assert [(e["service"], e["type"], e["private_dns"]) for e in ctx["vpc_endpoints"]] == [
        ("com.amazonaws.us-east-1.sts", "Interface", True)]
    cluster = ctx["cluster"]
    assert (cluster["name"], cluster["version"], cluster["status"]) == ("demo", "1.29", "ACTIVE")
    assert cluster["endpoint_public_access"] is True and cluster["endpoint_private_access"] is False
    assert cluster["public_access_cidrs"] == ["0.0.0.0/0"] and cluster["name_source"] == "tag eks:cluster-name"
    assert ctx["nodegroup"]["name"] == "ng-1" and ctx["nodegroup"]["health_issues"] == []
    assert ctx["ami"]["id"] == w.image and ctx["ami"]["accessible"] is True
    # moto has no access-entry API: recorded as not checked, the rest is still there
    assert [i["call"] for i in ctx["not_checked"]] == ["eks:ListAccessEntries"]


def _deny(gateway, service: str, operation: str) -> None:
    """Make one operation answer AccessDenied, the way AWS does when the caller lacks the permission."""
    def handler(**_):
        code = "UnauthorizedOperation" if service == "ec2" else "AccessDeniedException"
        return (types.SimpleNamespace(status_code=403, headers={}),
                {"Error": {"Code": code, "Message": "You are not authorized"}, "ResponseMetadata": {"HTTPStatusCode": 403}})

    gateway.client(service).meta.events.register(f"before-call.{service}.{operation}", handler)


@pytest.mark.parametrize("service,operation,action,missing_key", [
    ("eks", "DescribeCluster", "eks:DescribeCluster", "cluster"),
    ("ec2", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", "security_groups"),
    ("iam", "GetInstanceProfile", "iam:GetInstanceProfile", "node_role"),
    ("ec2", "DescribeSubnets", "ec2:DescribeSubnets", "subnet"),
])
def test_denied_call_is_not_checked_never_a_crash(world, gateway, service, operation, action, missing_key):
    w = world
    _deny(gateway, service, operation)
    ctx = gather_context(w.instance_id, gateway=gateway)
    assert missing_key not in ctx
    reasons = {i["call"]: i["reason"] for i in ctx["not_checked"]}
    assert f"missing permission {action}" in reasons[action]
    assert "instance" in ctx and "vpc" in ctx  # the other facts are still collected
    validate_context(ctx)


def test_denied_policy_listing_keeps_role_identity(world, gateway):
    w = world
    _deny(gateway, "iam", "ListAttachedRolePolicies")
    ctx = gather_context(w.instance_id, gateway=gateway)
    assert ctx["node_role"]["arn"] == w.role_arn
    assert "attached_policies" not in ctx["node_role"]  # unknown, not "no policies"


def test_explicit_cluster_that_does_not_exist(world, gateway):
    ctx = gather_context(world.instance_id, gateway=gateway, cluster="nope")
    assert "cluster" not in ctx
    assert any("'nope' (from --cluster) does not exist" in i["reason"] for i in ctx["not_checked"])


def test_missing_instance_is_input_error(world, gateway):
    with pytest.raises(InputError, match="not found in us-east-1"):
        gather_context("i-0123456789abcdef0", gateway=gateway)


def test_credentials_rejected_is_aws_error(gateway):
    import botocore.exceptions

    err = botocore.exceptions.ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, "GetCallerIdentity")
    assert isinstance(gateway.classify(err, "sts:GetCallerIdentity"), AwsError)
    assert "credentials" in str(gateway.classify(botocore.exceptions.NoCredentialsError(), "x:Y"))


def test_access_entries_describe_only_the_node_role(gateway):
    eks = gateway.client("eks")
    node_role = "arn:aws:iam::111122223333:role/dev/eks-node-role"
    with Stubber(eks) as stub:
        stub.add_response("list_access_entries", {"accessEntries": [
            "arn:aws:iam::111122223333:role/admin", "arn:aws:iam::111122223333:role/eks-node-role"]},
            {"clusterName": "demo"})
        stub.add_response("describe_access_entry", {"accessEntry": {
            "principalArn": "arn:aws:iam::111122223333:role/eks-node-role", "type": "EC2_LINUX",
            "username": "system:node:{{EC2PrivateDNSName}}", "kubernetesGroups": []}},
            {"clusterName": "demo", "principalArn": "arn:aws:iam::111122223333:role/eks-node-role"})
        entries = context_cluster.access_entries(gateway, "demo", node_role, NotChecked())
        stub.assert_no_pending_responses()
    assert entries == [{"principal_arn": "arn:aws:iam::111122223333:role/admin"},
                       {"principal_arn": "arn:aws:iam::111122223333:role/eks-node-role", "type": "EC2_LINUX",
                        "username": "system:node:{{EC2PrivateDNSName}}", "groups": []}]


def test_user_data_decoding_and_cluster_names():
    nodeconfig = ("MIME-Version: 1.0\n--B\nContent-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\n"
                  "kind: NodeConfig\nspec:\n  cluster:\n    apiServerEndpoint: https://x\n    name: prod-east\n--B--\n")
    assert decode_user_data(b64(nodeconfig)) == nodeconfig
    packed = __import__("base64").b64encode(gzip.compress(AL2_USER_DATA.encode())).decode()
    assert decode_user_data(packed) == AL2_USER_DATA
    assert decode_user_data(None) is None
    assert cluster_name_from_user_data(nodeconfig) == "prod-east"
    assert cluster_name_from_user_data(AL2_USER_DATA) == "demo"
    assert cluster_name_from_user_data('[settings.kubernetes]\ncluster-name = "br-1"\n') == "br-1"
    assert cluster_name_from_user_data("#!/bin/bash\necho hi\n") is None
