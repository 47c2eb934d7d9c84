"""Commands that talk to AWS: collect, status, context, cluster-health (read-only except starting a collection)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from eksdoctor import api
from eksdoctor.cli import main

from .common import emit, format_option, profile_option, region_option, workspace_option

quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")


def _say(message: str, quiet: bool) -> None:
    if not quiet:
        click.echo(message, err=True)


# --- collect ---------------------------------------------------------------------------------


class _CollectFeedback:
    """Turns collection events into stderr lines and a rich progress bar (only on a tty, never with --quiet)."""

    def __init__(self, fmt: str, quiet: bool) -> None:
        self.fmt, self.quiet = fmt, quiet
        self.last: tuple | None = None
        self.bar = None
        self.task = None

    def __call__(self, kind: str, data: dict) -> None:
        if kind == "started":
            line = (f"execution {data['execution_id']} started ({data['method']} on {data['instance_id']} "
                    f"-> {data['destination']})")
            if self.fmt == "text":
                click.echo(line)
                click.echo(f"follow it with: eksdoctor status {data['execution_id']}")
            else:
                _say(line, self.quiet)
        elif kind == "progress" and not self.quiet:
            steps = data.get("steps") or []
            done = sum(1 for s in steps if s.get("status") == "Success")
            key = (data.get("status"), data.get("current_step"), done)
            if key != self.last:
                self.last = key
                where = f" step {data['current_step']} ({done}/{len(steps)} done)" if data.get("current_step") else ""
                click.echo(f"  {data.get('status')}{where}", err=True)
        elif kind == "download" and not self.quiet and sys.stderr.isatty():
            self._bar(data["done"], data.get("total"))

    def _bar(self, done: int, total: int | None) -> None:
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

            self.bar = Progress("downloading", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("download", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _collect_text(r: dict) -> str:
    if "import" not in r:
        return ""
    imp, dl = r["import"], r["download"]
    return "\n".join([
        f"collection {r['execution_id']}: {r['status']}",
        f"bundle: {r['bundle']['uri']} ({dl['size']} bytes, {dl['verified']} verified)",
        f"imported as {imp.get('key')} ({imp.get('status')})",
        f"next: eksdoctor diagnose {imp.get('key')}   (add --aws for the AWS side)",
    ])


@main.command("collect")
@click.argument("instance_id")
@click.option("--bucket", required=True, help="S3 bucket the node uploads the bundle to (bucket name only).")
@click.option("--prefix", default="", help="Key prefix for the upload (run-command only; the runbook writes to the bucket root).")
@click.option("--method", type=click.Choice(["runbook", "run-command"]), default="runbook", show_default=True,
              help="runbook: AWSSupport-CollectEKSInstanceLogs. run-command: AWS-RunShellScript running the "
                   "EKS log collector and `aws s3 cp` (for accounts where the runbook cannot be used).")
@click.option("--role-arn", default=None, help="AutomationAssumeRole for the runbook (default: your own permissions).")
@click.option("--wait", is_flag=True, help="Poll until done, download the bundle (size/checksum verified) and import it.")
@click.option("--timeout", type=click.FloatRange(min=1), default=1800, show_default=True, help="Seconds --wait waits.")
@click.option("--poll-interval", type=click.FloatRange(min=0), default=15, show_default=True, help="Seconds between polls.")
@region_option
@profile_option
@workspace_option
@format_option("text", "json")
@quiet_option
def collect_cmd(instance_id, bucket, prefix, method, role_arn, wait, timeout, poll_interval, region, profile,
                workspace, fmt, quiet) -> None:
    """Collect a node's log bundle through SSM into S3 (and, with --wait, into the workspace).

    Prints the execution id first: you can Ctrl-C and come back with `eksdoctor status ID`.
    The node must be an Online SSM managed instance and may upload to the bucket (its role
    needs s3:PutObject). Works for untagged and never-registered instances. When SSM cannot
    reach the node, the error says what to do instead (console output, `diagnose --aws`).

    \b
    Examples:
      eksdoctor collect i-0abc123def4567890 --bucket my-eks-logs --wait
      eksdoctor collect i-0abc123def4567890 --bucket my-eks-logs --role-arn arn:aws:iam::111122223333:role/ssm-automation
      eksdoctor collect i-0abc123def4567890 --bucket my-eks-logs --method run-command --prefix nodes/ --wait
      eksdoctor status 94dc3448-b94b-470b-8f2d-99b81aad4c53
    """
    feedback = _CollectFeedback(fmt, quiet)
    try:
        result = api.collect(instance_id, bucket, prefix=prefix, method=method, role_arn=role_arn, wait=wait,
                             timeout=timeout, poll_interval=poll_interval, region=region, profile=profile,
                             workspace=workspace, on_event=feedback)
    finally:
        feedback.close()
    if fmt == "json":
        emit(result, fmt)
    elif text := _collect_text(result):
        click.echo(text)


# --- status ----------------------------------------------------------------------------------


def _status_text(r: dict) -> str:
    lines = [f"{r['method']} {r['execution_id']} on {r.get('instance_id') or '?'}: {r.get('status')}"]
    for step in r.get("steps") or []:
        lines.append(f"  {step.get('status') or '-':<12} {step.get('name')} ({step.get('action')})"
                     + (f": {step['failure']}" if step.get("failure") else ""))
    if r.get("status_details"):
        lines.append(f"  details: {r['status_details']}")
    if r.get("failure"):
        lines.append(f"failure: {r['failure']}")
    if r.get("stdout_tail"):
        lines += ["stdout (tail):"] + [f"  {x}" for x in r["stdout_tail"].splitlines()]
    if r.get("bundle"):
        lines.append(f"bundle: {r['bundle']['uri']} ({r['bundle'].get('size')} bytes)")
    elif r.get("succeeded"):
        lines.append(r.get("note") or f"bundle: not found in {r.get('destination') or 's3://' + str(r.get('bucket'))}")
    elif not r.get("terminal"):
        lines.append("still running: run this command again in a minute")
    return "\n".join(lines)


@main.command("status")
@click.argument("execution_id")
@region_option
@profile_option
@format_option("text", "json")
def status_cmd(execution_id, region, profile, fmt) -> None:
    """State of a collection started by `eksdoctor collect`: status, steps, and where the bundle is.

    EXECUTION_ID is an automation execution id (runbook) or a Run Command id (run-command).

    \b
    Examples:
      eksdoctor status 94dc3448-b94b-470b-8f2d-99b81aad4c53
      eksdoctor status 94dc3448-b94b-470b-8f2d-99b81aad4c53 --format json
    """
    emit(api.status(execution_id, region=region, profile=profile), fmt, _status_text)


# --- context ---------------------------------------------------------------------------------


def _context_text(ctx: dict) -> str:
    inst, cluster = ctx.get("instance") or {}, ctx.get("cluster") or {}
    lines = [f"instance {inst.get('id')} ({inst.get('state')}) in {ctx.get('region')}, account {ctx.get('account')}",
             f"  subnet {inst.get('subnet_id')}: {(ctx.get('subnet') or {}).get('available_ips', '?')} free IPs; "
             f"security groups {', '.join(inst.get('security_group_ids') or []) or '-'}",
             f"  role {inst.get('role_arn') or '?'}; AMI {inst.get('image_id')} "
             f"({(ctx.get('ami') or {}).get('name') or 'not visible'})"]
    if cluster:
        lines.append(f"cluster {cluster.get('name')} ({cluster.get('status')}, {cluster.get('version')}), "
                     f"endpoint public={cluster.get('endpoint_public_access')} private={cluster.get('endpoint_private_access')}, "
                     f"auth {cluster.get('authentication_mode') or '?'}")
    for item in ctx.get("not_checked") or []:
        lines.append(f"not checked: {item['call']}: {item['reason']}")
    return "\n".join(lines)


@main.command("context")
@click.argument("instance_id")
@click.option("--cluster", default=None, help="Cluster name, when the instance's tags and user data do not name it.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write aws-context.json here (default: print it).")
@click.option("--save/--no-save", default=True, show_default=True,
              help="Also store it next to the instance's imported bundle, where `diagnose` picks it up.")
@region_option
@profile_option
@workspace_option
@format_option("json", "text", default="json")
def context_cmd(instance_id, cluster, output, save, region, profile, workspace, fmt) -> None:
    """Gather the AWS facts the rules need about a node and write aws-context.json.

    Instance (subnet, security groups, tags, instance profile and role, AMI, user data decoded
    and redacted), subnet free IPs, route table, NACL, security group rules, VPC DNS settings,
    DHCP options, VPC endpoints, NAT gateways, the EKS cluster, access entries, node group
    health, node role policies. Read-only. A denied call is listed under not_checked instead
    of failing. Works without any bundle: diagnose from it with --context.

    \b
    Examples:
      eksdoctor context i-0abc123def4567890 -o ctx.json
      eksdoctor diagnose i-0abc123def4567890 --context ctx.json
      eksdoctor context i-0abc123def4567890 --cluster prod-east --format text
    """
    ctx = api.gather_context(instance_id, region=region, profile=profile, cluster=cluster)
    saved = _save_next_to_bundle(instance_id, ctx, workspace) if save else None
    if output:
        Path(output).write_text(json.dumps(ctx, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {output} ({len(ctx.get('not_checked') or [])} not checked)", err=True)
        if fmt == "text":
            click.echo(_context_text(ctx))
    else:
        emit(ctx, fmt, _context_text)
    if saved:
        click.echo(f"stored with the imported bundle: {saved}", err=True)


def _save_next_to_bundle(instance_id: str, ctx: dict, workspace) -> str | None:
    """bundles/<instance-id>/aws-context.json, only when that bundle is imported (diagnose reads it)."""
    from eksdoctor.errors import InputError
    from eksdoctor.workspace import resolve_workspace

    try:
        bundle_dir = resolve_workspace(workspace).bundle_dir(instance_id)
    except InputError:
        return None
    if not (bundle_dir / "meta.json").is_file():
        return None
    path = bundle_dir / "aws-context.json"
    try:
        path.write_text(json.dumps(ctx, indent=2) + "\n", encoding="utf-8")
    except OSError:
        return None
    return str(path)


# --- cluster-health --------------------------------------------------------------------------


def _health_text(r: dict) -> str:
    c = r["cluster"]
    lines = [f"cluster {c.get('name')}: {c.get('status')}, Kubernetes {c.get('version')} ({c.get('platform_version')})",
             f"  endpoint public={c.get('endpoint_public_access')} private={c.get('endpoint_private_access')} "
             f"public CIDRs={','.join(c.get('public_access_cidrs') or []) or '-'}; auth {c.get('authentication_mode') or '?'}"]
    for ng in r.get("nodegroups") or []:
        issues = ", ".join(i["code"] for i in ng.get("health_issues") or []) or "no health issues"
        lines.append(f"  node group {ng.get('name')}: {ng.get('status')} ({issues})")
    for addon in r.get("addons") or []:
        lines.append(f"  add-on {addon['name']} {addon.get('version') or ''}: {addon.get('status')}")
    lines.append("healthy" if r.get("healthy") else "problems:")
    lines += [f"  - {p}" for p in r.get("problems") or []]
    lines += [f"not checked: {i['call']}: {i['reason']}" for i in r.get("not_checked") or []]
    return "\n".join(lines)


@main.command("cluster-health")
@click.argument("cluster")
@region_option
@profile_option
@format_option("text", "json")
def cluster_health_cmd(cluster, region, profile, fmt) -> None:
    """Is the cluster accepting nodes? Status, version, endpoint access, node groups and their
    health issues (NodeCreationFailure...), add-ons, recent failed Auto Scaling activities.

    \b
    Examples:
      eksdoctor cluster-health prod-east --region us-east-1
      eksdoctor cluster-health prod-east --format json
    """
    emit(api.cluster_health(cluster, region=region, profile=profile), fmt, _health_text)
