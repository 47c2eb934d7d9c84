"""`eksdoctor mcp`: serve the SOP's tools to an agent over MCP (stdio, or streamable HTTP)."""

from __future__ import annotations

import click

from eksdoctor.cli import main

from .common import workspace_option


@main.command("mcp")
@click.option("--http", "http_port", type=click.IntRange(1, 65535), metavar="PORT", default=None,
              help="Serve streamable HTTP on http://127.0.0.1:PORT/mcp instead of stdio.")
@click.option("--bucket", envvar="EKSDOCTOR_BUCKET", metavar="BUCKET", default=None,
              help="Default S3 bucket for the collect tool [env EKSDOCTOR_BUCKET].")
@click.option("--region", metavar="REGION", default=None,
              help="Default AWS region for collect/status/cluster_health.")
@click.option("--profile", metavar="PROFILE", default=None,
              help="AWS profile for collect/status/cluster_health.")
@workspace_option
def mcp_cmd(http_port, bucket, region, profile, workspace) -> None:
    """Run an MCP server exposing the node-join SOP's tools to an AI agent.

    Tools (SOP names and parameters): import_bundle(path), list_bundles(), collect(instanceId),
    status(executionId), errors(instanceId, severity), search(instanceId, query, maxResults,
    offset), network_diagnostics(instanceId, sections), cluster_health(clusterName),
    quick_triage(instanceId), compare_nodes(instanceIds), correlate(instanceId, pivotEvent,
    timeWindow), summarize(instanceId, finding_ids), diagnose(instanceId). instanceId is a
    bundle imported into the workspace. Results are bounded (search is paged); failures come
    back as tool errors and the server keeps running. Logs go to stderr; stdout is the protocol.

    \b
    Examples:
      eksdoctor mcp                                   # stdio: let the MCP client start it
      eksdoctor mcp --workspace ~/cases/acme          # serve the bundles imported there
      eksdoctor mcp --http 8765                       # http://127.0.0.1:8765/mcp
      claude mcp add eksdoctor -- eksdoctor mcp       # register with Claude Code
    """
    from eksdoctor.mcp_server import serve  # the MCP SDK is imported only for this command

    serve(http_port=http_port, workspace=workspace, bucket=bucket, region=region, profile=profile)
