"""`eksdoctor collect` and `eksdoctor status`: start a collection, follow it, fetch and import the bundle."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from eksdoctor.errors import AwsError, InputError

from . import ssm
from .gateway import AwsGateway, CallFailed, make_session
from .s3_bundle import download, find_bundle

METHODS = ("runbook", "run-command")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_UPLOAD_TARGET = re.compile(r'aws s3 cp "\$F" "s3://([^/"]+)/([^"$]*)\$\(basename')

Event = Callable[[str, dict], None]


def collect(instance_id: str, bucket: str, *, prefix: str = "", method: str = "runbook", role_arn: str | None = None,
            wait: bool = False, timeout: float = 1800, poll_interval: float = 15, region: str | None = None,
            profile: str | None = None, workspace=None, on_event: Event | None = None,
            gateway: AwsGateway | None = None, poller: ssm.Poller | None = None) -> dict:
    """Start log collection from `instance_id` into `bucket`; with wait=True also poll it, download
    the tarball and import it into the workspace.

    `on_event(kind, data)` is told "started" (execution id known: print it first), "progress"
    (each poll) and "download" (bytes done/total). Returns the status dict, plus "download" and
    "import" when waited for."""
    if method not in METHODS:
        raise InputError(f"unknown --method {method!r}; use one of {', '.join(METHODS)}")
    if method == "runbook" and prefix:
        raise InputError("the runbook has no key-prefix parameter: it always uploads to the bucket root",
                         hint="drop --prefix, or use --method run-command to upload under a prefix")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    ssm.validate_target(instance_id, bucket, prefix)
    emit = on_event or (lambda kind, data: None)
    gw = gateway or AwsGateway(make_session(region, profile))
    ssm.preflight(gw, instance_id)
    started_at = datetime.now(timezone.utc)
    if method == "runbook":
        execution_id = ssm.start_runbook(gw, instance_id, bucket, role_arn)
        destination = f"s3://{bucket}/eks_{instance_id}_{execution_id}.tar.gz"
    else:
        execution_id, key_prefix = ssm.start_run_command(gw, instance_id, bucket, prefix)
        destination = f"s3://{bucket}/{key_prefix}"
    result = {"execution_id": execution_id, "method": method, "instance_id": instance_id, "bucket": bucket,
              "destination": destination, "started_at": started_at.isoformat().replace("+00:00", "Z"),
              "status": "Pending"}
    emit("started", dict(result))
    if not wait:
        return result

    poller = poller or ssm.Poller(interval=poll_interval, timeout=timeout)
    state = _wait(gw, method, execution_id, instance_id, poller, lambda s: emit("progress", s))
    result.update(state)
    if not state["succeeded"]:
        raise AwsError(f"collection {execution_id} ended {state['status']}: {state.get('failure') or 'no reason given'}",
                       hint=f"details: eksdoctor status {execution_id}")
    prefixes = ([f"eks_{instance_id}_{execution_id}", f"eks_{instance_id}"] if method == "runbook"
                else [destination.split("/", 3)[3]])
    located = find_bundle(gw, bucket, prefixes, not_before=started_at)
    if located is None:
        raise AwsError(f"collection {execution_id} succeeded but no bundle was found in s3://{bucket} "
                       f"under {' or '.join(prefixes)}",
                       hint="the node may lack s3:PutObject on the bucket, or the bucket is public (the runbook refuses "
                            "to upload to public buckets); see `eksdoctor status " + execution_id + "`")
    result["bundle"] = located
    result.update(fetch_and_import(gw, located, workspace, lambda done, total: emit("download", {"done": done, "total": total})))
    return result


def import_from_s3(uri: str, *, workspace=None, progress=None, region: str | None = None,
                   profile: str | None = None, gateway: AwsGateway | None = None) -> dict:
    """`import s3://BUCKET/KEY`: download (verified) into the workspace and import. The import record,
    plus "download" {size, sha256, verified} and "source" (the URI)."""
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket or not key or key.endswith("/"):
        raise InputError(f"bad S3 object {uri!r}", hint="give s3://BUCKET/KEY of one bundle tarball "
                                                        "(for a whole prefix use `eksdoctor batch s3://BUCKET/PREFIX/`)")
    gw = gateway or AwsGateway(make_session(region, profile))
    on_bytes = (lambda done, total: progress("download", done, total)) if progress else None
    fetched = fetch_and_import(gw, {"bucket": bucket, "key": key}, workspace, on_bytes)
    return {**fetched["import"], "source": uri, "download": fetched["download"]}


def fetch_and_import(gw: AwsGateway, located: dict, workspace, progress) -> dict:
    """Download the located tarball into the workspace's scratch space and import it."""
    from eksdoctor import api
    from eksdoctor.workspace import resolve_workspace

    ws = resolve_workspace(workspace)
    ws.ensure()
    with ws.scratch("download") as scratch:
        fetched = download(gw, located["bucket"], located["key"], Path(scratch), progress)
        record = api.import_bundle(fetched["path"], workspace=workspace)
    fetched.pop("path", None)
    return {"download": fetched, "import": record}


def _wait(gw: AwsGateway, method: str, execution_id: str, instance_id: str, poller: ssm.Poller, update) -> dict:
    if method == "runbook":
        ae = ssm.wait_automation(gw, execution_id, poller, lambda ae: update(automation_summary(ae)))
        return automation_summary(ae)
    inv = ssm.wait_command(gw, execution_id, instance_id, poller, lambda inv: update(invocation_summary(inv)))
    return invocation_summary(inv)


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return value or None


def automation_summary(ae: dict) -> dict:
    """The parts of an AutomationExecution a user needs: status, steps, failure reason."""
    status = ae.get("AutomationExecutionStatus")
    steps = [{"name": s.get("StepName"), "action": s.get("Action"), "status": s.get("StepStatus"),
              "started": _iso(s.get("ExecutionStartTime")), "ended": _iso(s.get("ExecutionEndTime")),
              "failure": s.get("FailureMessage"), "outputs": s.get("Outputs") or {}}
             for s in ae.get("StepExecutions") or []]
    out = {"status": status, "terminal": status in ssm.AUTOMATION_TERMINAL,
           "succeeded": status in ssm.AUTOMATION_SUCCESS, "current_step": ae.get("CurrentStepName"),
           "steps": steps, "outputs": ae.get("Outputs") or {},
           "started": _iso(ae.get("ExecutionStartTime")), "ended": _iso(ae.get("ExecutionEndTime"))}
    if ae.get("ProgressCounters"):
        out["progress"] = ae["ProgressCounters"]
    if status in ssm.AUTOMATION_TERMINAL and status not in ssm.AUTOMATION_SUCCESS:
        out["failure"] = ssm.automation_failure(ae)
    return out


def invocation_summary(inv: dict) -> dict:
    """The parts of a command invocation a user needs: status, details, the tail of stdout/stderr."""
    status = inv.get("Status")
    out = {"status": status, "terminal": status in ssm.COMMAND_TERMINAL, "succeeded": status == "Success",
           "status_details": inv.get("StatusDetails"), "response_code": inv.get("ResponseCode"),
           "stdout_tail": _tail(inv.get("StandardOutputContent")), "stderr_tail": _tail(inv.get("StandardErrorContent")),
           "started": _iso(inv.get("ExecutionStartDateTime")), "ended": _iso(inv.get("ExecutionEndDateTime"))}
    if out["terminal"] and status != "Success":
        out["failure"] = (f"{inv.get('StatusDetails') or status}"
                          + (f": {ssm._one_line(out['stderr_tail'] or out['stdout_tail'])}"
                             if out["stderr_tail"] or out["stdout_tail"] else ""))
    return out


def _tail(text: str | None, lines: int = 20) -> str:
    return "\n".join((text or "").rstrip().splitlines()[-lines:])


def status(execution_id: str, *, region: str | None = None, profile: str | None = None,
           gateway: AwsGateway | None = None) -> dict:
    """State of an automation execution or Run Command id: status, step outputs, where the bundle is."""
    execution_id = (execution_id or "").strip().lower()
    if not _UUID.match(execution_id):
        raise InputError(f"not an execution id: {execution_id!r}",
                         hint="use the id `eksdoctor collect` printed, like 94dc3448-b94b-470b-8f2d-99b81aad4c53")
    gw = gateway or AwsGateway(make_session(region, profile))
    try:
        ae = gw.call("ssm", "GetAutomationExecution", AutomationExecutionId=execution_id)["AutomationExecution"]
    except CallFailed as err:
        if err.code not in ("AutomationExecutionNotFoundException", "ValidationException"):
            raise
        return _command_status(gw, execution_id)
    params = ae.get("Parameters") or {}
    instance_id = (params.get("EKSInstanceId") or [None])[0]
    bucket = (params.get("LogDestination") or [None])[0]
    out = {"execution_id": execution_id, "method": "runbook", "document": ae.get("DocumentName"),
           "instance_id": instance_id, "bucket": bucket or None, **automation_summary(ae)}
    out["bundle"] = None
    if out["succeeded"] and bucket and instance_id:
        started = ae.get("ExecutionStartTime")
        out["bundle"] = find_bundle(gw, bucket, [f"eks_{instance_id}_{execution_id}", f"eks_{instance_id}"],
                                    not_before=started if isinstance(started, datetime) else None)
    elif out["succeeded"] and not bucket:
        out["note"] = "no LogDestination was given: the bundle stays on the node under /var/log/"
    return out


def _command_status(gw: AwsGateway, command_id: str) -> dict:
    commands = gw.call("ssm", "ListCommands", CommandId=command_id).get("Commands") or []
    if not commands:
        raise InputError(f"no automation execution or command {command_id} in {gw.region}",
                         hint="check the id and --region/--profile (ids are per region and account)")
    command = commands[0]
    instance_ids = command.get("InstanceIds") or []
    bucket, key_prefix = _upload_target(command.get("Parameters") or {})
    out = {"execution_id": command_id, "method": "run-command", "document": command.get("DocumentName"),
           "command_status": command.get("Status"), "instance_id": instance_ids[0] if instance_ids else None,
           "bucket": bucket, "destination": f"s3://{bucket}/{key_prefix}" if bucket else None}
    if out["instance_id"]:
        try:
            inv = gw.call("ssm", "GetCommandInvocation", CommandId=command_id, InstanceId=out["instance_id"])
            out.update(invocation_summary(inv))
        except CallFailed as err:
            if err.code != "InvocationDoesNotExist":
                raise
            out.update({"status": command.get("Status"), "terminal": False, "succeeded": False})
    out["bundle"] = None
    if out.get("succeeded") and bucket:
        requested = command.get("RequestedDateTime")
        out["bundle"] = find_bundle(gw, bucket, [key_prefix],
                                    not_before=requested if isinstance(requested, datetime) else None)
    return out


def _upload_target(parameters: dict) -> tuple[str | None, str]:
    """(bucket, key prefix) from the `aws s3 cp` line eksdoctor put into the command it sent."""
    for line in parameters.get("commands") or []:
        if m := _UPLOAD_TARGET.search(line):
            return m.group(1), m.group(2)
    return None, ""

