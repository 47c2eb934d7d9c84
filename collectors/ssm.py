"""Start and follow a log collection through SSM: the AWS runbook, or Run Command with the collector script.

Path A (default): Automation runbook AWSSupport-CollectEKSInstanceLogs. It uploads
`eks_<instance-id>_<execution-id>.tar.gz` to the bucket root (undocumented; we list to find it).
Path B (`--method run-command`): AWS-RunShellScript runs the eks-log-collector script shipped in
EKS AMIs and `aws s3 cp` uploads the tarball, keeping its own name, under `<prefix>eks_<iid>_<stamp>/`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from eksdoctor.errors import AwsError, InputError

from .gateway import AwsGateway, CallFailed, PermissionDenied, Throttled

RUNBOOK = "AWSSupport-CollectEKSInstanceLogs"
RUN_SHELL = "AWS-RunShellScript"
COLLECTOR_PATH = "/etc/eks/log-collector-script/eks-log-collector.sh"
COLLECTOR_URL = "https://amazon-eks.s3.amazonaws.com/support/log-collector-script/linux/eks-log-collector.sh"
AUTOMATION_TERMINAL = frozenset({"Success", "Failed", "TimedOut", "Cancelled", "CompletedWithSuccess",
                                 "CompletedWithFailure", "Rejected", "ChangeCalendarOverrideRejected", "Exited"})
AUTOMATION_SUCCESS = frozenset({"Success", "CompletedWithSuccess"})
COMMAND_TERMINAL = frozenset({"Success", "Cancelled", "TimedOut", "Failed"})

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9._/-]{0,512}$")  # also keeps the shell command free of quoting issues
_INSTANCE = re.compile(r"^i-[0-9a-f]{8,17}$")


@dataclass
class Poller:
    """How to wait: interval, overall deadline, and the clock (injectable so tests never sleep)."""

    interval: float = 15.0
    timeout: float = 1800.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    max_backoff: float = 120.0
    _deadline: float = field(default=0.0, init=False)

    def start(self) -> None:
        self._deadline = self.clock() + self.timeout

    def expired(self) -> bool:
        return self.clock() >= self._deadline

    def wait(self, throttled: int = 0) -> None:
        """Sleep one interval; after throttling, back off exponentially (capped)."""
        self.sleep(min(self.interval * (2 ** throttled), self.max_backoff) if throttled else self.interval)


def validate_target(instance_id: str, bucket: str, prefix: str) -> None:
    """Reject bad ids, bucket names and prefixes before anything is started (they end up in a shell command)."""
    if not _INSTANCE.match(instance_id or ""):
        raise InputError(f"not an EC2 instance id: {instance_id!r}", hint="use the id of the node, like i-0abc123def4567890")
    if not _BUCKET.match(bucket or "") or ".." in bucket:
        raise InputError(f"not a valid S3 bucket name: {bucket!r}", hint="pass the bucket name only, without s3:// or a path")
    if not _PREFIX.match(prefix or ""):
        raise InputError(f"invalid --prefix {prefix!r}: use letters, digits and . _ / - only")


def not_managed(instance_id: str, detail: str) -> AwsError:
    """The error for a node SSM cannot reach, with what to do instead (diagnosis still works)."""
    return AwsError(
        f"instance {instance_id} is not reachable through SSM ({detail}), so its logs cannot be collected remotely",
        hint=(f"nodes that never joined often cannot reach SSM either (no AmazonSSMManagedInstanceCore on the node role, "
              f"or no route / VPC endpoints to ssm, ssmmessages, ec2messages). Next: "
              f"`aws ec2 get-console-output --instance-id {instance_id} --latest --output text` (bootstrap errors reach "
              f"the serial console), read the user data in `eksdoctor context {instance_id}`, and diagnose from AWS "
              f"context alone: `eksdoctor diagnose {instance_id} --aws`"))


def preflight(gw: AwsGateway, instance_id: str) -> dict | None:
    """Is the instance an Online SSM managed instance? Raises the not-managed error when it is not.

    Returns its InstanceInformation, or None when we may not ask (then the start call will tell)."""
    try:
        found = gw.call("ssm", "DescribeInstanceInformation",
                        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])
    except PermissionDenied:
        return None
    items = found.get("InstanceInformationList") or []
    if not items:
        raise not_managed(instance_id, "it is not registered with Systems Manager")
    info = items[0]
    if info.get("PingStatus") != "Online":
        last = info.get("LastPingDateTime")
        raise not_managed(instance_id, f"SSM agent status {info.get('PingStatus')}"
                          + (f", last seen {last:%Y-%m-%d %H:%M} UTC" if isinstance(last, datetime) else ""))
    if info.get("PlatformType") not in (None, "Linux"):
        raise InputError(f"instance {instance_id} runs {info.get('PlatformType')}; the EKS log collector runbook "
                         "is Linux-only", hint="collect Windows node logs with eks-log-collector.ps1 on the node")
    return info


def _started_error(err: CallFailed, instance_id: str) -> AwsError:
    if err.code in ("InvalidInstanceId", "InvalidTarget"):
        return not_managed(instance_id, f"SSM answered {err.code}")
    return err


def start_runbook(gw: AwsGateway, instance_id: str, bucket: str, role_arn: str | None = None) -> str:
    """Start AWSSupport-CollectEKSInstanceLogs; returns the automation execution id."""
    params = {"EKSInstanceId": [instance_id], "LogDestination": [bucket]}
    if role_arn:
        params["AutomationAssumeRole"] = [role_arn]
    try:
        return gw.call("ssm", "StartAutomationExecution", DocumentName=RUNBOOK, Parameters=params)["AutomationExecutionId"]
    except CallFailed as err:
        raise _started_error(err, instance_id) from err


def run_id_for(instance_id: str, now: datetime | None = None) -> str:
    """Folder of one run-command collection: eks_<iid>_<UTC stamp>."""
    return f"eks_{instance_id}_{(now or datetime.now(timezone.utc)):%Y-%m-%d_%H%M%S}-UTC"


def collector_commands(bucket: str, destination: str) -> list[str]:
    """Shell lines for AWS-RunShellScript: run the AMI's collector (download it if absent), upload the newest tarball."""
    return [
        "set -eu",
        f"S={COLLECTOR_PATH}",
        f'if [ ! -f "$S" ]; then S=/tmp/eks-log-collector.sh; curl -fsSL -o "$S" {COLLECTOR_URL}; fi',
        "rm -f /var/log/eks_i-*.tar.gz",
        'bash "$S" >/tmp/eks-log-collector.out 2>&1 || echo "collector exited with $?"',
        'F=$(ls -t /var/log/eks_i-*.tar.gz 2>/dev/null | head -1 || true)',
        'if [ -z "$F" ]; then echo "no bundle produced"; tail -20 /tmp/eks-log-collector.out; exit 1; fi',
        f'aws s3 cp "$F" "s3://{bucket}/{destination}$(basename "$F")" --only-show-errors',
        f'echo "UPLOADED s3://{bucket}/{destination}$(basename "$F")"',
    ]


def start_run_command(gw: AwsGateway, instance_id: str, bucket: str, prefix: str = "") -> tuple[str, str]:
    """Send AWS-RunShellScript; returns (command id, S3 key prefix the tarball will be uploaded under)."""
    destination = f"{prefix}{run_id_for(instance_id)}/"
    try:
        command = gw.call("ssm", "SendCommand", InstanceIds=[instance_id], DocumentName=RUN_SHELL,
                          TimeoutSeconds=600, Comment="eksdoctor: EKS log collection",
                          Parameters={"commands": collector_commands(bucket, destination),
                                      "executionTimeout": ["1800"]})["Command"]
    except CallFailed as err:
        raise _started_error(err, instance_id) from err
    return command["CommandId"], destination


def _poll(fetch: Callable[[], dict | None], done: Callable[[dict], bool], poller: Poller,
          on_update: Callable[[dict], None] | None, what: str) -> dict:
    poller.start()
    throttled = 0
    while True:
        try:
            state = fetch()
            throttled = 0
        except Throttled:
            throttled += 1
            state = None
        if state is not None:
            if on_update:
                on_update(state)
            if done(state):
                return state
        if poller.expired():
            raise AwsError(f"{what} still running after {poller.timeout:g} s",
                           hint="it keeps running in AWS: check later with `eksdoctor status <id>`, or raise --timeout")
        poller.wait(throttled)


def wait_automation(gw: AwsGateway, execution_id: str, poller: Poller,
                    on_update: Callable[[dict], None] | None = None) -> dict:
    """Poll GetAutomationExecution until a terminal status; returns the AutomationExecution."""
    return _poll(lambda: gw.call("ssm", "GetAutomationExecution", AutomationExecutionId=execution_id)["AutomationExecution"],
                 lambda ae: ae.get("AutomationExecutionStatus") in AUTOMATION_TERMINAL, poller, on_update,
                 f"automation {execution_id}")


def wait_command(gw: AwsGateway, command_id: str, instance_id: str, poller: Poller,
                 on_update: Callable[[dict], None] | None = None) -> dict:
    """Poll GetCommandInvocation until terminal; 'InvocationDoesNotExist' right after sending is normal."""
    def fetch() -> dict | None:
        try:
            return gw.call("ssm", "GetCommandInvocation", CommandId=command_id, InstanceId=instance_id)
        except CallFailed as err:
            if err.code == "InvocationDoesNotExist":  # eventually consistent right after SendCommand
                return None
            raise

    return _poll(fetch, lambda inv: inv.get("Status") in COMMAND_TERMINAL, poller, on_update, f"command {command_id}")


def automation_failure(ae: dict) -> str:
    """One line: why an automation failed (the failed step's message, else the top-level one)."""
    for step in ae.get("StepExecutions") or []:
        if step.get("StepStatus") not in (None, "Success", "Pending", "InProgress") and step.get("FailureMessage"):
            return f"step {step.get('StepName')}: {_one_line(step['FailureMessage'])}"
    return _one_line(ae.get("FailureMessage") or ae.get("AutomationExecutionStatus") or "unknown failure")


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
