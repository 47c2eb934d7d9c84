"""End to end: a node whose security group allows egress only on tcp/80.

`eksdoctor collect --wait` (SSM Automation stubbed, bundle from the sample generator placed in moto S3
by the "node") imports the bundle; `eksdoctor diagnose --aws` then runs as a separate process
against the moto server and must name the security group as the root cause, something the logs
alone (timeouts) cannot prove."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from aws_world import build
from botocore.stub import ANY, Stubber
from click.testing import CliRunner

from eksdoctor.cli import main

BUCKET = "eks-log-bundles"
EXEC = "94dc3448-b94b-470b-8f2d-99b81aad4c53"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from eksdoctor.sample_bundles import build as build_scenario
    from eksdoctor.sample_bundles import generate

    generated = generate("al2-sg-no-443-egress", tmp_path_factory.mktemp("sample"))
    return generated, build_scenario(generated.scenario).node


def _diagnose(iid: str, workspace, aws: bool) -> dict:
    """`diagnose [--aws]` in its own process (as the CLI would run it), reaching moto via AWS_ENDPOINT_URL.
    Through eksdoctor.api rather than the CLI while the JSON renderer (reports) is still a stub."""
    env = {**os.environ, "EKSDOCTOR_HOME": str(workspace)}
    code = f"import json; from eksdoctor import api; print(json.dumps(api.diagnose({iid!r}, aws={aws}), default=str))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_collect_then_diagnose_with_aws_context(aws, gateway, sample, tmp_path, monkeypatch):
    generated, node = sample
    iid = node.instance_id
    build(aws, cluster=node.cluster_name, instance_id=iid, vpc_cidr=node.vpc_cidr, subnet_cidr=node.subnet_cidr,
          egress=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    aws.s3.create_bucket(Bucket=BUCKET)
    workspace = tmp_path / "ws"

    # the runbook: stubbed, and the "node" uploads its bundle as soon as the execution exists
    ssm_client = gateway.client("ssm")
    stub = Stubber(ssm_client)
    stub.add_response("describe_instance_information", {"InstanceInformationList": [
        {"InstanceId": iid, "PingStatus": "Online", "PlatformType": "Linux"}]})
    stub.add_response("start_automation_execution", {"AutomationExecutionId": EXEC},
                      {"DocumentName": "AWSSupport-CollectEKSInstanceLogs", "Parameters": ANY})

    def node_uploads(**_):
        aws.s3.put_object(Bucket=BUCKET, Key=f"eks_{iid}_{EXEC}.tar.gz", Body=generated.path.read_bytes())
    ssm_client.meta.events.register("after-call.ssm.StartAutomationExecution", node_uploads)
    stub.add_response("get_automation_execution", {"AutomationExecution": {
        "AutomationExecutionId": EXEC, "AutomationExecutionStatus": "Success", "StepExecutions": []}})
    monkeypatch.setattr("eksdoctor.collectors.collect.AwsGateway", lambda session: gateway)
    monkeypatch.setattr("eksdoctor.collectors.collect.make_session", lambda region, profile: None)

    with stub:
        result = CliRunner().invoke(main, ["collect", iid, "--bucket", BUCKET, "--wait", "--poll-interval", "0",
                                           "--workspace", str(workspace)])
        stub.assert_no_pending_responses()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"execution {EXEC} started")  # the id first, so Ctrl-C is safe
    assert f"imported as {iid}" in result.stdout

    offline = _diagnose(iid, workspace, aws=False)
    assert offline["root_cause"]["category"] != "security_rules"  # logs alone only show timeouts
    online = _diagnose(iid, workspace, aws=True)
    assert online["root_cause"]["category"] == "security_rules", online["root_cause"]
    root = next(f for f in online["findings"] if f["id"] == online["root_cause"]["finding"])
    assert root["rule"] == "SEC-001"
    assert online["context"]["provided"] is True
    assert any(n["rule"] == "SEC-001" for n in offline["not_checked"])  # offline it says what it could not check
