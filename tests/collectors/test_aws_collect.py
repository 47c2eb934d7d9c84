"""collect / status: SSM is stubbed (moto lacks Automation and DescribeInstanceInformation), S3 is moto.

The "node" is played by the test: when the collection starts, it uploads a sample bundle where
the real runbook or collector script would (found by listing, never by a hard-coded key)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from eksdoctor.collectors import ssm
from eksdoctor.collectors.collect import collect, status
from eksdoctor.collectors.s3_bundle import download
from eksdoctor.errors import AwsError, InputError

BUCKET = "eks-log-bundles"
EXEC = "94dc3448-b94b-470b-8f2d-99b81aad4c53"
CMD = "0b8fc7a0-1d2e-4f3a-9b8c-7d6e5f4a3b2c"
T0 = dt.datetime(2024, 6, 6, 19, 40, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from eksdoctor.sample_bundles import generate

    return generate("al2-sg-no-443-egress", tmp_path_factory.mktemp("sample"))


@pytest.fixture
def iid(sample):
    return sample.path.name.split("_")[1]


@pytest.fixture
def bucket(fresh_aws):
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    return s3


class FakeClock:
    """Poller clock/sleep that never sleeps: records the waits instead."""

    def __init__(self) -> None:
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def poller(self, interval: float = 15, timeout: float = 1800) -> ssm.Poller:
        return ssm.Poller(interval=interval, timeout=timeout, sleep=self.sleep, clock=lambda: self.now)


def _online(stub, iid, ping="Online"):
    stub.add_response("describe_instance_information",
                      {"InstanceInformationList": [{"InstanceId": iid, "PingStatus": ping, "PlatformType": "Linux",
                                                    "LastPingDateTime": T0}]},
                      {"Filters": [{"Key": "InstanceIds", "Values": [iid]}]})


def _automation(status_, steps=(), **extra):
    return {"AutomationExecution": {
        "AutomationExecutionId": EXEC, "DocumentName": ssm.RUNBOOK, "AutomationExecutionStatus": status_,
        "ExecutionStartTime": T0, "CurrentStepName": steps[-1][0] if steps else "assertLinux",
        "StepExecutions": [{"StepName": n, "Action": a, "StepStatus": s} for n, a, s in steps], **extra}}


def _node_uploads(s3, sample, key_of):
    """on_event handler: when collection starts, the 'node' puts the tarball where it would land."""
    events = []

    def on_event(kind, data):
        events.append((kind, data))
        if kind == "started":
            s3.put_object(Bucket=BUCKET, Key=key_of(data), Body=sample.path.read_bytes())
    return on_event, events


def test_runbook_collect_wait_downloads_and_imports(gateway, bucket, sample, iid, tmp_path):
    ssm_client = gateway.client("ssm")
    clock = FakeClock()
    on_event, events = _node_uploads(bucket, sample, lambda d: f"eks_{iid}_{d['execution_id']}.tar.gz")
    bucket.put_object(Bucket=BUCKET, Key=f"eks_{iid}_older-run.tar.gz", Body=b"an older, unrelated upload")
    with Stubber(ssm_client) as stub:
        _online(stub, iid)
        stub.add_response("start_automation_execution", {"AutomationExecutionId": EXEC},
                          {"DocumentName": "AWSSupport-CollectEKSInstanceLogs",
                           "Parameters": {"EKSInstanceId": [iid], "LogDestination": [BUCKET],
                                          "AutomationAssumeRole": ["arn:aws:iam::123456789012:role/ssm-automation"]}})
        stub.add_response("get_automation_execution", _automation("InProgress", [("collectLogs", "aws:runCommand", "InProgress")]),
                          {"AutomationExecutionId": EXEC})
        stub.add_client_error("get_automation_execution", "ThrottlingException", "Rate exceeded")
        stub.add_response("get_automation_execution", _automation("Success", [
            ("collectLogs", "aws:runCommand", "Success"), ("uploadLogs", "aws:runCommand", "Success")]),
            {"AutomationExecutionId": EXEC})
        result = collect(iid, BUCKET, role_arn="arn:aws:iam::123456789012:role/ssm-automation", wait=True,
                         workspace=tmp_path / "ws", on_event=on_event, gateway=gateway, poller=clock.poller())
        stub.assert_no_pending_responses()

    assert events[0][0] == "started" and events[0][1]["execution_id"] == EXEC  # the id comes first
    assert [d["status"] for k, d in events if k == "progress"] == ["InProgress", "Success"]
    assert clock.sleeps == [15, 30]  # the throttled poll backed off
    assert result["status"] == "Success" and result["succeeded"]
    assert result["bundle"]["key"] == f"eks_{iid}_{EXEC}.tar.gz"
    assert result["download"]["verified"] == "md5" and result["download"]["size"] == sample.path.stat().st_size
    assert result["download"]["sha256"] == hashlib.sha256(sample.path.read_bytes()).hexdigest()
    assert result["import"]["key"] == iid
    assert (tmp_path / "ws" / "bundles" / iid / "meta.json").is_file()
    assert not any((tmp_path / "ws" / "tmp").iterdir())  # the download scratch is gone


def test_run_command_collect_uploads_under_prefix(gateway, bucket, sample, iid, tmp_path):
    ssm_client = gateway.client("ssm")
    on_event, _ = _node_uploads(bucket, sample, lambda d: d["destination"].split("/", 3)[3] + sample.path.name)
    sent = {}

    with Stubber(ssm_client) as stub:
        _online(stub, iid)
        stub.add_response("send_command", {"Command": {"CommandId": CMD}},
                          {"InstanceIds": [iid], "DocumentName": "AWS-RunShellScript", "TimeoutSeconds": 600,
                           "Comment": ANY, "Parameters": ANY})
        stub.add_client_error("get_command_invocation", "InvocationDoesNotExist", "not yet")
        stub.add_response("get_command_invocation", {"Status": "InProgress", "InstanceId": iid, "CommandId": CMD},
                          {"CommandId": CMD, "InstanceId": iid})
        stub.add_response("get_command_invocation", {"Status": "Success", "ResponseCode": 0, "InstanceId": iid,
                                                     "StandardOutputContent": "UPLOADED s3://..."},
                          {"CommandId": CMD, "InstanceId": iid})
        ssm_client.meta.events.register("provide-client-params.ssm.SendCommand",
                                        lambda params, **_: sent.update(params))
        result = collect(iid, BUCKET, prefix="nodes", method="run-command", wait=True, workspace=tmp_path / "ws",
                         on_event=on_event, gateway=gateway, poller=FakeClock().poller(interval=5))
        stub.assert_no_pending_responses()

    commands = sent["Parameters"]["commands"]
    assert any(ssm.COLLECTOR_PATH in c for c in commands)
    upload = next(c for c in commands if c.startswith("aws s3 cp"))
    assert f's3://{BUCKET}/nodes/eks_{iid}_' in upload
    assert result["bundle"]["key"].startswith(f"nodes/eks_{iid}_") and result["bundle"]["key"].endswith(sample.path.name)
    assert result["import"]["key"] == iid


def test_not_ssm_managed_explains_next_steps(gateway, iid):
    with Stubber(gateway.client("ssm")) as stub:
        stub.add_response("describe_instance_information", {"InstanceInformationList": []},
                          {"Filters": [{"Key": "InstanceIds", "Values": [iid]}]})
        with pytest.raises(AwsError) as err:
            collect(iid, BUCKET, gateway=gateway)
    assert err.value.exit_code == 3
    assert "not reachable through SSM" in str(err.value) and "not registered" in str(err.value)
    assert f"aws ec2 get-console-output --instance-id {iid} --latest" in err.value.hint
    assert f"eksdoctor diagnose {iid} --aws" in err.value.hint
    assert "AmazonSSMManagedInstanceCore" in err.value.hint


def test_agent_offline_and_invalid_instance_are_not_managed(gateway, iid):
    with Stubber(gateway.client("ssm")) as stub:
        _online(stub, iid, ping="ConnectionLost")
        with pytest.raises(AwsError, match="SSM agent status ConnectionLost, last seen 2024-06-06 19:40"):
            collect(iid, BUCKET, gateway=gateway)
        # without permission to pre-check, the start call itself says the instance is unknown to SSM
        stub.add_client_error("describe_instance_information", "AccessDeniedException", "no")
        stub.add_client_error("start_automation_execution", "InvalidInstanceId", "not managed")
        with pytest.raises(AwsError, match="not reachable through SSM .SSM answered InvalidInstanceId"):
            collect(iid, BUCKET, gateway=gateway)


def test_failed_runbook_names_the_failed_step(gateway, iid):
    with Stubber(gateway.client("ssm")) as stub:
        _online(stub, iid)
        stub.add_response("start_automation_execution", {"AutomationExecutionId": EXEC})
        failed = _automation("Failed", [("collectLogs", "aws:runCommand", "Failed")])
        failed["AutomationExecution"]["StepExecutions"][0]["FailureMessage"] = "Step fails when it is\nverifying disk space"
        stub.add_response("get_automation_execution", failed)
        with pytest.raises(AwsError) as err:
            collect(iid, BUCKET, wait=True, gateway=gateway, poller=FakeClock().poller())
    assert str(err.value) == (f"collection {EXEC} ended Failed: step collectLogs: Step fails when it is verifying disk space")
    assert err.value.hint == f"details: eksdoctor status {EXEC}"


def test_wait_timeout_points_to_status(gateway, iid):
    clock = FakeClock()
    with Stubber(gateway.client("ssm")) as stub:
        _online(stub, iid)
        stub.add_response("start_automation_execution", {"AutomationExecutionId": EXEC})
        for _ in range(4):  # polls at 0, 15, 30 and a last one at 45 s, past the 40 s deadline
            stub.add_response("get_automation_execution", _automation("InProgress"))
        with pytest.raises(AwsError, match="still running after 40 s") as err:
            collect(iid, BUCKET, wait=True, gateway=gateway, poller=clock.poller(interval=15, timeout=40))
        stub.assert_no_pending_responses()
    assert "eksdoctor status" in err.value.hint and clock.sleeps == [15, 15, 15]


@pytest.mark.parametrize("kwargs,message", [
    ({"instance_id": "node-1"}, "not an EC2 instance id"),
    ({"bucket": "s3://b/x"}, "not a valid S3 bucket name"),
    ({"prefix": "x; rm -rf /", "method": "run-command"}, "invalid --prefix"),
    ({"prefix": "nodes/"}, "runbook has no key-prefix"),
    ({"method": "scp"}, "unknown --method"),
])
def test_bad_input_is_rejected_before_any_call(gateway, kwargs, message):
    args = {"instance_id": "i-0123456789abcdef0", "bucket": BUCKET, **kwargs}
    with pytest.raises(InputError, match=message):
        collect(args.pop("instance_id"), args.pop("bucket"), gateway=gateway, **args)
    assert gateway.calls == []


def test_status_of_runbook_finds_bundle(gateway, bucket, iid):
    bucket.put_object(Bucket=BUCKET, Key=f"eks_{iid}_{EXEC}.tar.gz", Body=b"x" * 10)
    done = _automation("Success", [("collectLogs", "aws:runCommand", "Success")],
                       Parameters={"EKSInstanceId": [iid], "LogDestination": [BUCKET]})
    with Stubber(gateway.client("ssm")) as stub:
        stub.add_response("get_automation_execution", done, {"AutomationExecutionId": EXEC})
        result = status(EXEC.upper(), gateway=gateway)
    assert result["method"] == "runbook" and result["status"] == "Success" and result["instance_id"] == iid
    assert result["steps"][0]["name"] == "collectLogs"
    assert result["bundle"]["uri"] == f"s3://{BUCKET}/eks_{iid}_{EXEC}.tar.gz" and result["bundle"]["size"] == 10


def test_status_of_run_command_reads_destination_from_the_command(gateway, bucket, iid):
    destination = f"nodes/eks_{iid}_2024-06-06_194000-UTC/"
    bucket.put_object(Bucket=BUCKET, Key=destination + "eks_x.tar.gz", Body=b"y" * 7)
    with Stubber(gateway.client("ssm")) as stub:
        stub.add_client_error("get_automation_execution", "AutomationExecutionNotFoundException", "no such")
        stub.add_response("list_commands", {"Commands": [{
            "CommandId": CMD, "DocumentName": "AWS-RunShellScript", "Status": "Success", "InstanceIds": [iid],
            "Parameters": {"commands": ssm.collector_commands(BUCKET, destination)}}]}, {"CommandId": CMD})
        stub.add_response("get_command_invocation", {"Status": "Success", "ResponseCode": 0,
                                                     "StandardOutputContent": "line1\nUPLOADED s3://x\n"},
                          {"CommandId": CMD, "InstanceId": iid})
        result = status(CMD, gateway=gateway)
    assert result["method"] == "run-command" and result["destination"] == f"s3://{BUCKET}/{destination}"
    assert result["bundle"]["key"] == destination + "eks_x.tar.gz" and result["stdout_tail"].endswith("UPLOADED s3://x")


def test_status_unknown_id(gateway):
    with Stubber(gateway.client("ssm")) as stub:
        stub.add_client_error("get_automation_execution", "AutomationExecutionNotFoundException", "no such")
        stub.add_response("list_commands", {"Commands": []})
        with pytest.raises(InputError, match=f"no automation execution or command {CMD}"):
            status(CMD, gateway=gateway)
    with pytest.raises(InputError, match="not an execution id"):
        status("i-0123", gateway=gateway)


def _body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def test_download_rejects_corruption_after_one_retry(gateway, tmp_path):
    good = b"the real tarball bytes"
    head = {"ContentLength": len(good), "ETag": f'"{hashlib.md5(good).hexdigest()}"'}
    with Stubber(gateway.client("s3")) as stub:
        stub.add_response("head_object", head)
        for _ in range(2):
            stub.add_response("get_object", {"Body": _body(b"the real tarball byteZ"), "ContentLength": len(good)})
        with pytest.raises(AwsError, match="is corrupt .MD5 does not match"):
            download(gateway, BUCKET, "k/eks_i-1.tar.gz", tmp_path)
        assert not (tmp_path / "eks_i-1.tar.gz").exists()
        # truncated transfer, then a good one: the retry saves it; a SHA-256 checksum wins over the ETag
        import base64
        sha = base64.b64encode(hashlib.sha256(good).digest()).decode()
        stub.add_response("head_object", {"ContentLength": len(good), "ETag": '"abc-2"', "ChecksumSHA256": sha})
        stub.add_response("get_object", {"Body": _body(good[:5]), "ContentLength": len(good)})
        stub.add_response("get_object", {"Body": _body(good), "ContentLength": len(good)})
        fetched = download(gateway, BUCKET, "k/eks_i-1.tar.gz", tmp_path)
    assert fetched["verified"] == "sha256" and (tmp_path / "eks_i-1.tar.gz").read_bytes() == good
