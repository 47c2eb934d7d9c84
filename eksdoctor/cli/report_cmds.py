"""`summarize` and `compare`: the SOP's summarize and compare_nodes."""

from __future__ import annotations

import click

from eksdoctor import api

from . import main
from .common import emit, format_option, workspace_option


@main.command()
@click.argument("target", metavar="TARGET")
@click.argument("finding_ids", nargs=-1, required=True, metavar="F-001 [F-002...]")
@format_option("yaml", "json", "md", "html", "text", default="yaml")
@click.option("--context", type=click.Path(dir_okay=False, exists=True), help="aws-context.json to use.")
@workspace_option
def summarize(target, finding_ids, fmt, context, workspace):
    """Report on chosen findings only (the SOP's summarize), by default in the SOP's YAML format.

    \b
    Examples:
      eksdoctor errors i-0abc123                 # lists F-001, F-002 ...
      eksdoctor summarize i-0abc123 F-001 F-003
      eksdoctor summarize bundle.tar.gz F-001 --format md > ticket.md
    """
    click.echo(api.summarize(target, list(finding_ids), fmt=fmt, context=context, workspace=workspace))


@main.command()
@click.argument("target_a", metavar="FAILING")
@click.argument("target_b", metavar="HEALTHY")
@format_option("text", "json")
@workspace_option
def compare(target_a, target_b, fmt, workspace):
    """Side by side: a failing node against a healthy one (the SOP's compare_nodes).

    Shows AMI family and versions, bootstrap arguments / NodeConfig, kubelet config, DNS,
    routes, registration, and the findings present in one node and not the other.

    \b
    Example:
      eksdoctor compare i-0failing i-0healthy
    """
    from eksdoctor.reports import render_compare_text

    emit(api.compare(target_a, target_b, workspace=workspace), fmt, render_compare_text)
