"""The gateway registry is the contract: read-only except the two collection starts, every operation real,
every call in the code registered, and docs/iam-policy.json granting exactly what the code uses."""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import botocore.exceptions
import botocore.session
import pytest

from eksdoctor.collectors.gateway import (
    COLLECTION_STARTS,
    EXTRA_ACTIONS,
    OPERATIONS,
    READ_PREFIXES,
    AwsGateway,
    CallFailed,
    PermissionDenied,
    Throttled,
)
from eksdoctor.errors import AwsError

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "docs" / "iam-policy.json"
COLLECTORS = REPO / "collectors"


def test_registry_is_read_only_except_collection_starts():
    mutating = {op for op in OPERATIONS if not op[1].startswith(READ_PREFIXES)}
    assert mutating == set(COLLECTION_STARTS) == {("ssm", "StartAutomationExecution"), ("ssm", "SendCommand")}


def test_every_registered_operation_exists_in_botocore():
    session = botocore.session.get_session()
    for service, operation in OPERATIONS:
        assert operation in session.get_service_model(service).operation_names, f"{service}:{operation}"


def _calls_in_source() -> set[tuple[str, str]]:
    # gw.call("svc", "Op", ...), gw.paginate("svc", "Op", ...) and nc.attempt(gw.call, "svc", "Op", ...)
    pattern = re.compile(r'(?:call|paginate)[(,]\s*"([a-z0-9-]+)",\s*"([A-Za-z0-9]+)"')
    found = set()
    for path in COLLECTORS.glob("*.py"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_code_calls_only_registered_operations_and_uses_them_all():
    used = _calls_in_source()
    assert len(used) > 30  # the scan itself works
    assert used <= set(OPERATIONS), used - set(OPERATIONS)
    assert set(OPERATIONS) <= used, f"registered but never called: {set(OPERATIONS) - used}"


def test_iam_policy_grants_exactly_the_actions_of_the_code():
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    granted = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        granted |= set([actions] if isinstance(actions, str) else actions)
    needed = {action for action in OPERATIONS.values() if action} | set(EXTRA_ACTIONS)
    assert granted == needed, {"missing": needed - granted, "extra": granted - needed}
    assert not any("*" in action for action in granted)  # no wildcards: least privilege


def test_pass_role_is_restricted_to_ssm():
    policy = json.loads(POLICY.read_text(encoding="utf-8"))
    (statement,) = [s for s in policy["Statement"] if "iam:PassRole" in s["Action"]]
    assert statement["Condition"]["StringEquals"]["iam:PassedToService"] == "ssm.amazonaws.com"


def test_unregistered_operation_is_refused(gateway):
    with pytest.raises(RuntimeError, match="not in the gateway registry"):
        gateway.call("ec2", "TerminateInstances", InstanceIds=["i-0123456789abcdef0"])
    assert gateway.calls == []  # refused before anything was sent


def _client_error(code: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": f"{code} happened\nsecond line"}}, "Op")


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "UnauthorizedOperation"])
def test_denied_codes_name_the_missing_action(gateway, code):
    err = gateway.classify(_client_error(code), "eks:ListAccessEntries")
    assert isinstance(err, PermissionDenied) and err.action == "eks:ListAccessEntries"
    assert str(err) == f"{code}: missing permission eks:ListAccessEntries"


def test_other_failures_are_classified(gateway):
    assert isinstance(gateway.classify(_client_error("ThrottlingException"), "ssm:GetAutomationExecution"), Throttled)
    creds = gateway.classify(_client_error("InvalidClientTokenId"), "sts:GetCallerIdentity")
    assert type(creds) is AwsError and "credentials" in str(creds) and creds.hint
    failed = gateway.classify(_client_error("InvalidParameterValue"), "ec2:DescribeSubnets")
    assert isinstance(failed, CallFailed) and failed.aws_message == "InvalidParameterValue happened"
    assert "\n" not in str(failed)  # one-line messages
    assert type(gateway.classify(botocore.exceptions.NoCredentialsError(), "sts:GetCallerIdentity")) is AwsError


def test_denied_response_from_aws_becomes_permission_denied(gateway):
    def deny(**_):
        return (types.SimpleNamespace(status_code=403, headers={}),
                {"Error": {"Code": "AccessDenied", "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": 403}})

    gateway.client("iam").meta.events.register("before-call.iam.GetInstanceProfile", deny)
    with pytest.raises(PermissionDenied, match="missing permission iam:GetInstanceProfile"):
        gateway.call("iam", "GetInstanceProfile", InstanceProfileName="x")
    assert gateway.calls == [("iam", "GetInstanceProfile")]


def test_missing_region_is_explained(monkeypatch):
    from eksdoctor.collectors.gateway import make_session

    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsError, match="no AWS region"):
        make_session()
    with pytest.raises(AwsError, match="profile 'nope' not found"):
        make_session("us-east-1", "nope")


def test_gateway_retries_are_adaptive(gateway):
    config = gateway.client("sts").meta.config
    assert config.retries["mode"] == "adaptive" and config.retries["total_max_attempts"] >= 2
    assert isinstance(gateway, AwsGateway)
