"""Where gather_context finds the cluster name: tags, user data, --cluster; and what it says when it cannot."""

from __future__ import annotations

from aws_world import build

from eksdoctor.collectors.aws_context import gather_context

AL2_USER_DATA = "#!/bin/bash\n/etc/eks/bootstrap.sh demo --apiserver-endpoint https://x.eks.amazonaws.com\n"


def test_cluster_name_from_user_data_when_untagged(aws, gateway):
    w = build(aws, tags={}, user_data=AL2_USER_DATA)
    ctx = gather_context(w.instance_id, gateway=gateway)
    assert ctx["cluster"]["name"] == "demo" and ctx["cluster"]["name_source"] == "user data"
    assert "nodegroup" not in ctx  # no eks:nodegroup-name tag: nothing to look up


def test_unknown_cluster_is_explained(aws, gateway):
    w = build(aws, tags={}, create_cluster=False)
    ctx = gather_context(w.instance_id, gateway=gateway)
    assert "cluster" not in ctx
    assert any(i["call"] == "eks:DescribeCluster" and "--cluster" in i["reason"] for i in ctx["not_checked"])


def test_explicit_cluster_wins_over_tags(aws, gateway):
    w = build(aws, cluster="other", tags={"eks:cluster-name": "demo"})
    ctx = gather_context(w.instance_id, gateway=gateway, cluster="other")
    assert ctx["cluster"]["name"] == "other" and ctx["cluster"]["name_source"] == "--cluster"
