"""Placeholder filling never prints empty values; ranking demotes consequences and picks the cause."""

from __future__ import annotations

from eksdoctor.ranking import Candidate, rank
from eksdoctor.remediation import fill, placeholder_values


def test_known_placeholders_and_literal_braces():
    lookups: dict = {}
    text = fill("eksctl ... --cluster {cluster_name} --username 'system:node:{{{{EC2PrivateDNSName}}}}'",
                {"cluster_name": "prod"}, lookups)
    assert text == "eksctl ... --cluster prod --username 'system:node:{{EC2PrivateDNSName}}'"
    assert lookups == {}


def test_unknown_placeholder_becomes_token_with_lookup():
    lookups: dict = {}
    text = fill("map {role_arn} in {cluster_name}", {"cluster_name": None}, lookups)
    assert text == "map <node-role-arn> in <cluster-name>"
    assert "None" not in text
    assert set(lookups) == {"role_arn", "cluster_name"}


def test_optional_segment_dropped_when_unknown():
    lookups: dict = {}
    assert fill("refused[[ at {ip}]]; fix it", {}, lookups) == "refused; fix it"
    assert fill("refused[[ at {ip}]]; fix it", {"ip": "10.0.0.1"}, lookups) == "refused at 10.0.0.1; fix it"
    assert lookups == {}


def test_placeholder_values_strip_role_path_and_derive_dhcp_domain():
    ctx = {"region": "eu-west-1", "node_role": {"arn": "arn:aws:iam::1:role/dev/apps/node"},
           "instance": {"security_group_ids": ["sg-a", "sg-b"]}}
    v = placeholder_values({"region": "eu-west-1"}, ctx, {}, {})
    assert v["role_arn"] == "arn:aws:iam::1:role/node" and v["role_name"] == "node"
    assert v["dhcp_domain"] == "eu-west-1.compute.internal" and v["node_sg_first"] == "sg-a"
    assert placeholder_values({"region": "us-east-1"}, None, {}, {})["dhcp_domain"] == "ec2.internal"


def _rule(rid, priority, category="iam_auth", severity="critical", confidence="high", explains=()):
    return {"id": rid, "priority": priority, "category": category, "severity": severity,
            "confidence": confidence, "explains": list(explains), "title": rid}


def test_consequences_are_demoted_and_root_is_most_fundamental():
    dns = Candidate(_rule("DNS-001", 200, "dns_config", explains=["NET-002"]), set())
    net = Candidate(_rule("NET-002", 310, "network_connectivity"), set())
    iam = Candidate(_rule("IAM-001", 400), set())
    ordered, root, confidence = rank([iam, net, dns])
    assert root is dns and net.role == "consequence" and net.explained_by == "DNS-001"
    assert iam.role == "contributing"
    assert confidence == "medium"  # an independent critical finding in another category remains
    assert [c.rule_id for c in ordered] == ["DNS-001", "IAM-001", "NET-002"]


def test_explanation_chains_point_at_the_top():
    sec = Candidate(_rule("SEC-001", 210, "security_rules", explains=["NET-002"]), set())
    net = Candidate(_rule("NET-002", 310, "network_connectivity", explains=["DNS-004"]), set())
    dns = Candidate(_rule("DNS-004", 450, "dns_config"), set())
    _, root, confidence = rank([dns, net, sec])
    assert root is sec and confidence == "high"
    assert dns.explained_by == "SEC-001"


def test_medium_findings_are_never_root_cause():
    tag = Candidate(_rule("TAG-002", 640, "tagging", severity="medium"), set())
    _, root, _ = rank([tag])
    assert root is None and tag.role == "contributing"
