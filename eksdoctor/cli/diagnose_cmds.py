"""`diagnose`, `errors`, `triage` and `rules`: the diagnosis faces of the CLI."""

from __future__ import annotations

from pathlib import Path

import click

from eksdoctor import api

from . import main
from .common import TARGET_HELP, emit, format_option, target_argument, workspace_option, working

_aws_options = [
    click.option("--context", "context", type=click.Path(dir_okay=False, exists=True),
                 help="aws-context.json with AWS facts (see docs/aws-context-schema.md)."),
    click.option("--aws", "aws", is_flag=True,
                 help="Gather AWS context live for the bundle's instance (read-only calls)."),
    click.option("--region", help="AWS region for --aws (default: the bundle's, then your profile's)."),
    click.option("--profile", help="AWS profile for --aws."),
    click.option("--cluster", help="Cluster name for --aws when the instance tags do not say it."),
]


def aws_options(func):
    for option in reversed(_aws_options):
        func = option(func)
    return func


@main.command()
@target_argument
@format_option("text", "json", "yaml", "md", "html")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to this file.")
@aws_options
@workspace_option
def diagnose(target, fmt, output, context, aws, region, profile, cluster, workspace):
    """Name the root cause of a failed node join, with evidence and remediation.

    Runs every phase of the node-join SOP over the bundle: signals from the logs, bundle
    facts, optional AWS context, the rule base (IAM/STS, network, DNS, bootstrap, security
    groups/NACLs, tags, AMI, IP exhaustion, VPC CNI), and a causal ranking.

    \b
    Examples:
      eksdoctor diagnose eks_i-0abc123_2024-06-06_1940-UTC_0.7.8.tar.gz
      eksdoctor diagnose i-0abc123 --format yaml          # the SOP's report format
      eksdoctor diagnose i-0abc123 --aws --region us-east-1
      eksdoctor diagnose bundle.tgz --context aws-context.json --format html -o report.html

    Exit code 0 whenever a diagnosis is produced (even "none" or "unknown").
    """
    with working(f"diagnosing {target}"):
        diagnosis = api.diagnose(target, context=context, aws=aws, region=region, profile=profile,
                                 cluster=cluster, workspace=workspace)
    text = diagnosis_text(diagnosis, fmt)
    if output:
        Path(output).write_text(text + ("\n" if not text.endswith("\n") else ""), encoding="utf-8")
        click.echo(f"wrote {output} ({diagnosis['root_cause']['category']})", err=True)
    else:
        click.echo(text)


diagnose.help = (diagnose.help or "") + "\n\n" + TARGET_HELP


def diagnosis_text(diagnosis: dict, fmt: str) -> str:
    """Every format goes through the reports layer, which redacts secrets (json included)."""
    return api.render(diagnosis, fmt)


@main.command()
@target_argument
@click.option("--severity", type=click.Choice(["critical", "high", "medium", "low", "info"]),
              help="Only findings at or above this severity.")
@format_option("text", "json")
@aws_options
@workspace_option
def errors(target, severity, fmt, context, aws, region, profile, cluster, workspace):
    """List the findings of a bundle (the SOP's `errors` tool).

    \b
    Examples:
      eksdoctor errors i-0abc123 --severity critical
      eksdoctor errors bundle.tar.gz --format json
    """
    with working(f"reading {target}"):
        result = api.errors(target, severity=severity, context=context, aws=aws, region=region,
                            profile=profile, cluster=cluster, workspace=workspace)
    emit(result, fmt, _errors_text)


def _errors_text(result: dict) -> str:
    rc = result["root_cause"]
    lines = [f"root cause: {rc['summary']} (confidence {rc['confidence']})", ""]
    if not result["findings"]:
        lines.append(f"no findings at or above {result['severity']} ({result['total']} in total)")
    for f in result["findings"]:
        role = {"root_cause": "ROOT", "contributing": "also", "consequence": f"<- {f['explained_by']}"}[f["role"]]
        lines.append(f"{f['id']}  {f['severity']:<8} {f['rule']:<8} {role:<8} {f['title']}")
        for e in f["evidence"][:2]:
            where = f"{e['path']}:{e['line']}" if e.get("line") else e["path"]
            lines.append(f"           {where}: {e['text'][:150]}")
    if result["not_checked"]:
        lines.append("")
        lines.append(f"{len(result['not_checked'])} rules need AWS context: re-run with --aws or --context FILE")
    return "\n".join(lines)


@main.command()
@target_argument
@format_option("text", "json")
@workspace_option
def triage(target, fmt, workspace):
    """One-screen overview of a bundle (the SOP's quick_triage).

    AMI family and versions, whether bootstrap/nodeadm ran, kubelet started, the node
    registered, and the loudest error signals with a sample line each. No rules are run.

    \b
    Example:
      eksdoctor triage eks_i-0abc123_2024-06-06_1940-UTC_0.7.8.tar.gz
    """
    from eksdoctor.triage import render_triage_text

    with working(f"reading {target}"):
        result = api.triage(target, workspace=workspace)
    emit(result, fmt, render_triage_text)


@main.command("rules")
@click.option("--domain", help="Only rules of this failure domain (iam, sts, network, dns, ...).")
@click.option("--explain", "explain", metavar="RULE_ID", help="Print the durable_rules JSON one rule compiles to.")
@format_option("text", "json")
def rules_cmd(domain, explain, fmt):
    """List the rule base: id, domain, priority, severity and what each rule concludes.

    \b
    Examples:
      eksdoctor rules --domain iam
      eksdoctor rules --explain DNS-004
    """
    from eksdoctor.diagnosis import rule_table

    if explain:
        from eksdoctor.engine import get_engine

        emit(get_engine().explain(explain.upper()), "json")
        return

    rules = [r for r in rule_table().values() if not domain or r["domain"] == domain]
    rules.sort(key=lambda r: (r["priority"], r["id"]))
    rows = [{k: r.get(k) for k in ("id", "domain", "category", "priority", "severity", "confidence",
                                    "needs_context", "title")} for r in rules]
    emit(rows, fmt, lambda rs: "\n".join(
        f"{r['id']:<9}{r['domain']:<10}{r['priority']:>6}  {r['severity']:<9}{'ctx ' if r['needs_context'] else '    '}{r['title']}"
        for r in rs))
