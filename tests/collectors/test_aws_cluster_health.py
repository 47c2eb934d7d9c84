"""cluster-health: moto for what it has, Stubber for node group health issues, add-ons and ASG failures."""

from __future__ import annotations

import datetime as dt

import pytest
from aws_world import build
from botocore.stub import Stubber

from eksdoctor.collectors.cluster_health import cluster_health
from eksdoctor.errors import InputError

T0 = dt.datetime(2024, 6, 6, 19, 40, tzinfo=dt.timezone.utc)


def test_healthy_cluster_from_moto(aws, gateway):
    build(aws)
    report = cluster_health("demo", gateway=gateway)
    assert report["cluster"]["status"] == "ACTIVE" and report["cluster"]["version"] == "1.29"
    assert report["cluster"]["endpoint_public_access"] is True
    assert [ng["name"] for ng in report["nodegroups"]] == ["ng-1"]
    assert report["failed_scaling_activities"] == []
    # moto has no add-on API: that part is "not checked", the rest is still a valid answer
    assert [i["call"] for i in report["not_checked"]] == ["eks:ListAddons"]
    assert report["healthy"] is True and report["problems"] == []


def test_unknown_cluster(fresh_aws, gateway):
    with pytest.raises(InputError, match="cluster 'nope' not found in us-east-1"):
        cluster_health("nope", gateway=gateway)


def test_node_creation_failure_addons_and_asg_failures(gateway):
    eks, asg = gateway.client("eks"), gateway.client("autoscaling")
    issue = {"code": "NodeCreationFailure", "message": "Instances failed to join the kubernetes cluster",
             "resourceIds": ["i-0abc123def4567890"]}
    with Stubber(eks) as eks_stub, Stubber(asg) as asg_stub:
        eks_stub.add_response("describe_cluster", {"cluster": {
            "name": "prod", "status": "ACTIVE", "version": "1.29", "platformVersion": "eks.7",
            "resourcesVpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True,
                                   "clusterSecurityGroupId": "sg-0cluster"},
            "accessConfig": {"authenticationMode": "API"}}}, {"name": "prod"})
        eks_stub.add_response("list_nodegroups", {"nodegroups": ["ng-b", "ng-a"]}, {"clusterName": "prod"})
        eks_stub.add_response("describe_nodegroup", {"nodegroup": {
            "nodegroupName": "ng-a", "status": "DEGRADED", "health": {"issues": [issue]},
            "resources": {"autoScalingGroups": [{"name": "eks-ng-a-1234"}]}}},
            {"clusterName": "prod", "nodegroupName": "ng-a"})
        eks_stub.add_client_error("describe_nodegroup", "AccessDeniedException", "no")
        eks_stub.add_response("list_addons", {"addons": ["vpc-cni"]}, {"clusterName": "prod"})
        eks_stub.add_response("describe_addon", {"addon": {"addonName": "vpc-cni", "addonVersion": "v1.18.1-eksbuild.1",
                                                           "status": "DEGRADED", "health": {"issues": []}}},
                              {"clusterName": "prod", "addonName": "vpc-cni"})
        asg_stub.add_response("describe_scaling_activities", {"Activities": [
            {"ActivityId": "a1", "AutoScalingGroupName": "eks-ng-a-1234", "Cause": "scale out", "StartTime": T0,
             "StatusCode": "Failed", "StatusMessage": "We currently do not have sufficient m5.large capacity"},
            {"ActivityId": "a2", "AutoScalingGroupName": "eks-ng-a-1234", "Cause": "scale out", "StartTime": T0,
             "StatusCode": "Successful"}]}, {"AutoScalingGroupName": "eks-ng-a-1234"})
        report = cluster_health("prod", gateway=gateway)
        eks_stub.assert_no_pending_responses()
        asg_stub.assert_no_pending_responses()

    assert report["cluster"]["authentication_mode"] == "API" and report["cluster"]["endpoint_private_access"] is True
    assert report["nodegroups"][0]["health_issues"] == [{"code": "NodeCreationFailure",
                                                         "message": "Instances failed to join the kubernetes cluster",
                                                         "resource_ids": ["i-0abc123def4567890"]}]
    assert report["addons"] == [{"name": "vpc-cni", "version": "v1.18.1-eksbuild.1", "status": "DEGRADED",
                                 "health_issues": []}]
    assert [a["status_message"] for a in report["failed_scaling_activities"]] == [
        "We currently do not have sufficient m5.large capacity"]
    assert report["healthy"] is False
    assert report["problems"] == [
        "node group ng-a is DEGRADED",
        "node group ng-a: NodeCreationFailure: Instances failed to join the kubernetes cluster",
        "add-on vpc-cni is DEGRADED",
        "Auto Scaling eks-ng-a-1234: Failed: We currently do not have sufficient m5.large capacity"]
    assert report["not_checked"] == [{"call": "eks:DescribeNodegroup",
                                      "reason": "AccessDeniedException: missing permission eks:DescribeNodegroup"}]
