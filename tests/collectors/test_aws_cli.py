"""The AWS commands as users run them: separate processes against the moto server, plus CliRunner
where SSM must be stubbed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from aws_world import build
from botocore.stub import Stubber
from click.testing import CliRunner

from eksdoctor.cli import main


def _run(*args: str, workspace=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if workspace:
        env["EKSDOCTOR_HOME"] = str(workspace)
    return subprocess.run([sys.executable, "-m", "eksdoctor", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_context_and_cluster_health_in_subprocesses(aws, tmp_path):
    w = build(aws)
    out = tmp_path / "ctx.json"
    proc = _run("context", w.instance_id, "-o", str(out), "--region", "us-east-1")
    assert proc.returncode == 0, proc.stderr
    ctx = json.loads(out.read_text())
    assert ctx["instance"]["id"] == w.instance_id and ctx["cluster"]["name"] == "demo"
    assert f"wrote {out} (1 not checked)" in proc.stderr

    proc = _run("cluster-health", "demo")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("cluster demo: ACTIVE, Kubernetes 1.29")
    assert "node group ng-1: ACTIVE (no health issues)" in proc.stdout
    assert "not checked: eks:ListAddons" in proc.stdout


def test_errors_map_to_exit_codes(fresh_aws):
    proc = _run("context", "i-0123456789abcdef0")
    assert proc.returncode == 1 and "instance i-0123456789abcdef0 not found in us-east-1" in proc.stderr
    proc = _run("status", "not-an-id")
    assert proc.returncode == 1 and "not an execution id" in proc.stderr
    proc = _run("cluster-health", "nope", "--profile", "does-not-exist")
    assert proc.returncode == 3 and "profile 'does-not-exist' not found" in proc.stderr


def test_context_is_stored_next_to_imported_bundle(aws, gateway, tmp_path, monkeypatch):
    w = build(aws)
    bundle_dir = tmp_path / "ws" / "bundles" / w.instance_id
    bundle_dir.mkdir(parents=True)
    (bundle_dir / "meta.json").write_text("{}")
    monkeypatch.setattr("eksdoctor.collectors.aws_context.make_session", lambda region, profile: gateway.session)
    result = CliRunner().invoke(main, ["context", w.instance_id, "--workspace", str(tmp_path / "ws"), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"instance {w.instance_id} (running) in us-east-1")
    assert json.loads((bundle_dir / "aws-context.json").read_text())["instance"]["id"] == w.instance_id


def test_collect_unmanaged_instance_exit_3_with_next_steps(gateway, monkeypatch):
    iid = "i-0123456789abcdef0"
    monkeypatch.setattr("eksdoctor.collectors.collect.AwsGateway", lambda session: gateway)
    monkeypatch.setattr("eksdoctor.collectors.collect.make_session", lambda region, profile: None)
    with Stubber(gateway.client("ssm")) as stub:
        stub.add_response("describe_instance_information", {"InstanceInformationList": []})
        result = CliRunner().invoke(main, ["collect", iid, "--bucket", "eks-log-bundles"])
    assert result.exit_code == 3
    err = result.stderr.splitlines()
    assert err[0].startswith(f"eksdoctor: error: instance {iid} is not reachable through SSM")
    assert err[1].startswith("hint: ") and "get-console-output" in err[1] and len(err) == 2


def test_help_teaches_with_examples():
    runner = CliRunner()
    for command in ("collect", "status", "context", "cluster-health"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Examples:" in result.output and f"eksdoctor {command}" in result.output


def test_status_text_shows_steps_failure_and_next_step(gateway, monkeypatch):
    exec_id = "94dc3448-b94b-470b-8f2d-99b81aad4c53"
    monkeypatch.setattr("eksdoctor.collectors.collect.AwsGateway", lambda session: gateway)
    monkeypatch.setattr("eksdoctor.collectors.collect.make_session", lambda region, profile: None)
    with Stubber(gateway.client("ssm")) as stub:
        stub.add_response("get_automation_execution", {"AutomationExecution": {
            "AutomationExecutionId": exec_id, "AutomationExecutionStatus": "Failed",
            "Parameters": {"EKSInstanceId": ["i-0123456789abcdef0"], "LogDestination": ["eks-log-bundles"]},
            "StepExecutions": [
                {"StepName": "assertLinux", "Action": "aws:assertAwsResourceProperty", "StepStatus": "Success"},
                {"StepName": "collectLogs", "Action": "aws:runCommand", "StepStatus": "Failed",
                 "FailureMessage": "Insufficient disk space"}]}})
        result = CliRunner().invoke(main, ["status", exec_id])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"runbook {exec_id} on i-0123456789abcdef0: Failed",
        "  Success      assertLinux (aws:assertAwsResourceProperty)",
        "  Failed       collectLogs (aws:runCommand): Insufficient disk space",
        "failure: step collectLogs: Insufficient disk space",
    ]
