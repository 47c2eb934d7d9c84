"""The one seam between eksdoctor and AWS: every boto3 call the tool makes goes through `AwsGateway`.

`OPERATIONS` is the registry of (service, operation) -> IAM action. The gateway refuses any operation
not listed there, so the registry is the complete list of what eksdoctor can do to an account.
Two tests hold it honest: only Describe/List/Get/Head operations plus the two collection starts
(ssm StartAutomationExecution, SendCommand) may appear, and docs/iam-policy.json must grant exactly
these actions.

Errors are classified once, here: a denied call becomes `PermissionDenied` (callers record it in
`not_checked`), missing or invalid credentials become `AwsError` (nothing can work without them),
throttling is retried by botocore's adaptive retry mode before it surfaces.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eksdoctor.errors import AwsError

# (service, operation) -> IAM action; None = needs no permission (sts:GetCallerIdentity).
OPERATIONS: dict[tuple[str, str], str | None] = {
    ("sts", "GetCallerIdentity"): None,
    # collection (the only two mutating calls: they start a collection, they change no resource)
    ("ssm", "StartAutomationExecution"): "ssm:StartAutomationExecution",
    ("ssm", "SendCommand"): "ssm:SendCommand",
    ("ssm", "GetAutomationExecution"): "ssm:GetAutomationExecution",
    ("ssm", "GetCommandInvocation"): "ssm:GetCommandInvocation",
    ("ssm", "ListCommands"): "ssm:ListCommands",
    ("ssm", "DescribeInstanceInformation"): "ssm:DescribeInstanceInformation",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "GetObject"): "s3:GetObject",
    # instance, network, identity
    ("ec2", "DescribeInstances"): "ec2:DescribeInstances",
    ("ec2", "DescribeInstanceAttribute"): "ec2:DescribeInstanceAttribute",
    ("ec2", "DescribeLaunchTemplateVersions"): "ec2:DescribeLaunchTemplateVersions",
    ("ec2", "DescribeImages"): "ec2:DescribeImages",
    ("ec2", "DescribeSubnets"): "ec2:DescribeSubnets",
    ("ec2", "DescribeRouteTables"): "ec2:DescribeRouteTables",
    ("ec2", "DescribeNetworkAcls"): "ec2:DescribeNetworkAcls",
    ("ec2", "DescribeSecurityGroups"): "ec2:DescribeSecurityGroups",
    ("ec2", "DescribeVpcs"): "ec2:DescribeVpcs",
    ("ec2", "DescribeVpcAttribute"): "ec2:DescribeVpcAttribute",
    ("ec2", "DescribeDhcpOptions"): "ec2:DescribeDhcpOptions",
    ("ec2", "DescribeVpcEndpoints"): "ec2:DescribeVpcEndpoints",
    ("ec2", "DescribeNatGateways"): "ec2:DescribeNatGateways",
    ("iam", "GetInstanceProfile"): "iam:GetInstanceProfile",
    ("iam", "ListAttachedRolePolicies"): "iam:ListAttachedRolePolicies",
    ("iam", "ListRolePolicies"): "iam:ListRolePolicies",
    # cluster
    ("eks", "DescribeCluster"): "eks:DescribeCluster",
    ("eks", "ListNodegroups"): "eks:ListNodegroups",
    ("eks", "DescribeNodegroup"): "eks:DescribeNodegroup",
    ("eks", "ListAccessEntries"): "eks:ListAccessEntries",
    ("eks", "DescribeAccessEntry"): "eks:DescribeAccessEntry",
    ("eks", "ListAddons"): "eks:ListAddons",
    ("eks", "DescribeAddon"): "eks:DescribeAddon",
    ("autoscaling", "DescribeScalingActivities"): "autoscaling:DescribeScalingActivities",
}

# The only operations allowed to change anything: they start a log collection on the node.
COLLECTION_STARTS = frozenset({("ssm", "StartAutomationExecution"), ("ssm", "SendCommand")})
READ_PREFIXES = ("Describe", "List", "Get", "Head")

# Actions the policy needs that are not an API operation of ours: passing the automation role.
EXTRA_ACTIONS = {"iam:PassRole": "StartAutomationExecution with --role-arn passes AutomationAssumeRole to SSM"}

DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                          "UnauthorizedAccess", "AuthorizationError", "Forbidden", "403"})
CREDENTIAL_CODES = frozenset({"InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken",
                              "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                              "AuthFailure", "RequestExpired"})
THROTTLE_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
                            "SlowDown", "RequestThrottled", "RequestThrottledException"})


class PermissionDenied(AwsError):
    """One AWS call was denied. Collectors catch it and record "not checked: missing permission X"."""

    def __init__(self, action: str, code: str, message: str = "") -> None:
        super().__init__(f"{code}: missing permission {action}",
                         hint=f"grant {action} (docs/iam-policy.json lists every permission eksdoctor uses)")
        self.action, self.code, self.aws_message = action, code, message


class Throttled(AwsError):
    """Still throttled after botocore's retries; pollers back off and try again until their deadline."""


class CallFailed(AwsError):
    """An AWS call failed with a service error that is not a permission problem (not found, invalid...)."""

    def __init__(self, action: str, code: str, message: str) -> None:
        super().__init__(f"{action} failed: {code}: {message}")
        self.action, self.code, self.aws_message = action, code, message


def error_code(err: Exception) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(err, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


def make_session(region: str | None = None, profile: str | None = None):
    """A boto3 session on the user's normal credential chain (profile, env, SSO, instance role)."""
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(region_name=region, profile_name=profile)
    except botocore.exceptions.ProfileNotFound as err:
        raise AwsError(f"AWS profile {profile!r} not found", hint="check ~/.aws/config or drop --profile") from err
    if not session.region_name:
        raise AwsError("no AWS region configured", hint="pass --region (e.g. --region us-east-1) or set AWS_REGION")
    return session


class AwsGateway:
    """Wraps a boto3 session: clients with retries, registry check, error classification, call log.

    `calls` records every (service, operation) actually sent, including those of paginators, so tests
    can assert the tool never sent anything outside the registry.
    """

    def __init__(self, session, *, max_attempts: int = 8) -> None:
        self.session = session
        self.region: str = session.region_name
        self.max_attempts = max_attempts
        self.calls: list[tuple[str, str]] = []
        self._clients: dict[str, Any] = {}

    def client(self, service: str):
        """The cached botocore client for `service`, with adaptive retries (throttling backs off)."""
        if service not in self._clients:
            from botocore.config import Config

            config = Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                            connect_timeout=10, read_timeout=60, user_agent_extra="eksdoctor")
            client = self.session.client(service, config=config)
            client.meta.events.register("before-call.*.*", self._record)
            self._clients[service] = client
        return self._clients[service]

    def _record(self, model, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def action(self, service: str, operation: str) -> str:
        """The IAM action of a registered operation; a bug (not a user error) when unregistered."""
        if (service, operation) not in OPERATIONS:
            raise RuntimeError(f"AWS operation {service}:{operation} is not in the gateway registry")
        return OPERATIONS[(service, operation)] or f"{service}:{operation}"

    def call(self, service: str, operation: str, **params: Any) -> dict:
        """Call one registered operation (CamelCase name); classify failures into our errors."""
        action = self.action(service, operation)
        client = self.client(service)
        method = getattr(client, _snake(operation))
        try:
            return method(**params)
        except Exception as err:  # noqa: BLE001 - classified below, re-raised as ours or untouched
            raise self.classify(err, action) from err

    def paginate(self, service: str, operation: str, result_key: str, *, limit: int = 10_000,
                 **params: Any) -> Iterator[dict]:
        """Items of `result_key` across all pages (at most `limit`, so a huge account stays bounded)."""
        action = self.action(service, operation)
        client = self.client(service)
        try:
            if client.can_paginate(_snake(operation)):
                pages = client.get_paginator(_snake(operation)).paginate(**params)
            else:
                pages = iter([getattr(client, _snake(operation))(**params)])
            count = 0
            for page in pages:
                for item in page.get(result_key) or []:
                    yield item
                    count += 1
                    if count >= limit:
                        return
        except Exception as err:  # noqa: BLE001
            raise self.classify(err, action) from err

    def classify(self, err: Exception, action: str) -> Exception:
        """Map a boto3/botocore failure to PermissionDenied, AwsError or CallFailed."""
        import botocore.exceptions as bex

        if isinstance(err, (bex.NoCredentialsError, bex.PartialCredentialsError)):
            return AwsError("no AWS credentials found",
                            hint="run `aws configure` / `aws sso login`, set AWS_PROFILE, or pass --profile")
        if isinstance(err, (bex.SSOTokenLoadError, bex.UnauthorizedSSOTokenError, bex.TokenRetrievalError)):
            return AwsError("the AWS SSO session has expired", hint="run `aws sso login` (with --profile if needed)")
        if isinstance(err, bex.EndpointConnectionError):
            return AwsError(f"cannot reach the AWS endpoint for {action.split(':')[0]} in {self.region}: {err}",
                            hint="check the network/proxy and --region")
        if isinstance(err, bex.ClientError):
            code = error_code(err)
            message = str((err.response.get("Error") or {}).get("Message") or "").splitlines()[0:1]
            message = message[0] if message else ""
            if code in DENIED_CODES:
                return PermissionDenied(action, code, message)
            if code in CREDENTIAL_CODES:
                return AwsError(f"AWS rejected the credentials ({code})",
                                hint="refresh them (aws sso login / new session token) or pick another --profile")
            if code in THROTTLE_CODES:
                return Throttled(f"{action} is still throttled after {self.max_attempts} attempts ({code})",
                                hint="wait a minute and retry, or lower the batch concurrency")
            return CallFailed(action, code or "Error", message)
        if isinstance(err, bex.BotoCoreError):
            return AwsError(f"{action} failed: {err}")
        return err


def _snake(operation: str) -> str:
    """CamelCase API name -> boto3 method name (DescribeVpcs -> describe_vpcs, ListObjectsV2 -> list_objects_v2)."""
    from botocore import xform_name

    return xform_name(operation)
