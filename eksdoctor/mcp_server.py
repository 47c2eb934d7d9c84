"""MCP server (`eksdoctor mcp`): the node-join SOP's tools for an agent, over eksdoctor.api.

Tool and parameter names are exactly the SOP's (collect(instanceId), correlate(instanceId,
pivotEvent, timeWindow), summarize(instanceId, finding_ids) ...) so an agent can follow
sop-A4-node-join.md as written. Every tool is a thin call into eksdoctor.api: it returns the
api's JSON as structured content (bounded, see eksdoctor.mcp_results) plus a short text digest.
Any failure comes back as a tool error (is_error) with a one-line message and a hint; the
server never crashes on a bad call.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from eksdoctor import __version__, api
from eksdoctor import mcp_results as shape
from eksdoctor.errors import InputError

log = logging.getLogger("eksdoctor.mcp")

NETWORK_SECTIONS = ("routes", "dns", "eni", "iptables", "curl")
PAGE_MAX = 200  # matches/events per call: a page an agent can still read

INSTRUCTIONS = """\
eksdoctor diagnoses why an Amazon EKS worker node failed to join its cluster, from the node's log
bundle (EKS log collector tarball). It follows SOP A4 (node join):
1. Get a bundle: import_bundle(path) for a tarball on this machine, or collect(instanceId) then
   status(executionId) to pull one via SSM. list_bundles() shows what is already imported.
2. errors(instanceId, severity="critical") for the ranked findings (ids F-001...) and the root cause.
3. search(instanceId, query) with the SOP's regexes for evidence (paged: maxResults/offset).
4. network_diagnostics(instanceId, sections="routes,dns,eni") for the path to the API server.
5. correlate(instanceId, pivotEvent=<first error regex>, timeWindow=300) for the timeline.
6. summarize(instanceId, finding_ids=[...]) for the SOP report (YAML).
diagnose(instanceId) runs every phase at once. Remediations are operator actions: report them,
they cannot be applied through these tools. All tools except collect/import_bundle are read-only.
"""

# Parameter types: the descriptions are what an agent reads to fill them in.
InstanceId = Annotated[str, Field(
    description="EC2 instance id of a bundle imported into the workspace (e.g. i-0abc123def4567890); "
                "a bundle tarball path or extracted bundle directory on the server also works.")]
Region = Annotated[str | None, Field(description="AWS region (default: the server's --region / AWS config).")]
Severity = Annotated[Literal["critical", "high", "medium", "low", "info"] | None, Field(
    description="Only findings at or above this severity (default: all).")]
Query = Annotated[str, Field(
    description="Regular expression matched against each log line, "
                "e.g. 'Unauthorized|TLS handshake timeout|connection refused'.")]
PageSize = Annotated[int, Field(ge=1, le=PAGE_MAX, description="Matches per page.")]
Offset = Annotated[int, Field(ge=0, description="Matches to skip; the next page starts at offset+returned.")]
FileGlob = Annotated[str | None, Field(
    description="Only files matching this glob, e.g. 'kubelet/*' (comma-separate several).")]
Since = Annotated[str | None, Field(
    description="Only lines at/after this time: ISO-8601 or relative to collection time ('30m', '2h').")]
Until = Annotated[str | None, Field(description="Only lines at/before this time (same forms as since).")]
ContextLines = Annotated[int, Field(ge=0, le=10, description="Lines of context around each match.")]
Sections = Annotated[str | list[str] | None, Field(
    description="Comma-separated (or list) of: routes, dns, eni, iptables, curl. Default: all.")]
NodePair = Annotated[list[str], Field(min_length=2, max_length=2, description=(
    "Two instance ids (or bundle paths): the failing node first, then a healthy one."))]
PivotEvent = Annotated[str, Field(
    description="Regex of the event to centre on, usually the first error found "
                "(e.g. 'Unable to register node'); the earliest matching line is the pivot.")]
TimeWindow = Annotated[float, Field(gt=0, le=86400, description="Seconds before and after the pivot.")]
MaxEvents = Annotated[int, Field(ge=1, le=PAGE_MAX, description="Events kept (the nearest to the pivot).")]
FindingIds = Annotated[list[str] | str, Field(
    description='Finding ids from errors/diagnose, e.g. ["F-001", "F-002"].')]

# Hints for clients that ask before running tools: only collect acts on AWS (it starts an SSM run).
_READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                             open_world_hint=False)
_AWS_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=True)
_WRITES_WORKSPACE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True,
                                    open_world_hint=False)
_STARTS_COLLECTION = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                                     open_world_hint=True)


class _Runner:
    """Runs one api call per tool invocation and turns its outcome into a CallToolResult.

    Calls are serialised: the rule engine and the workspace index are used by one call at a time,
    and the SDK runs sync tools on worker threads, so the event loop stays free for pings.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, tool: str, call: Callable[[], Any], digest: Callable[[Any], str],
                 **limits: int) -> CallToolResult:
        try:
            with self._lock:
                data = call()
            return shape.success(data, digest, **limits)
        except Exception as err:  # every failure is the agent's to read, never the server's end
            if not isinstance(err, InputError | NotImplementedError):
                log.warning("tool %s failed", tool, exc_info=True)
            return shape.failure(err, tool)


def _sections(value: str | list[str] | None) -> list[str]:
    if value is None:
        return list(NETWORK_SECTIONS)
    items = value.split(",") if isinstance(value, str) else value
    return [s.strip() for s in items if s and s.strip()]


def _ids(value: str | list[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    return [s.strip() for s in items if s and s.strip()]


def build_server(*, workspace: str | Path | None = None, bucket: str | None = None,
                 region: str | None = None, profile: str | None = None) -> MCPServer:
    """The MCP server with every SOP tool registered. `bucket`/`region`/`profile` are defaults for
    the AWS tools (collect, status, cluster_health); the workspace is where bundles are imported."""
    # WARNING keeps stderr for problems (boto3 logs every credential lookup at INFO).
    level = "DEBUG" if os.environ.get("EKSDOCTOR_DEBUG") else "WARNING"
    server = MCPServer("eksdoctor", title="eksdoctor: EKS node-join diagnosis", version=__version__,
                       instructions=INSTRUCTIONS, log_level=level)
    run = _Runner()
    ws = str(workspace) if workspace else None
    server_bucket = bucket  # the collect tool's own `bucket` parameter shadows this name

    def aws_kwargs(region_arg: str | None) -> dict:
        return {k: v for k, v in (("region", region_arg or region), ("profile", profile)) if v}

    # --- getting a bundle -------------------------------------------------------------------

    @server.tool(annotations=_WRITES_WORKSPACE)
    def import_bundle(path: Annotated[str, Field(description=(
            "Path on the server of an EKS log collector tarball (eks_i-..._<date>.tar.gz), "
            "of an extracted bundle directory, or s3://BUCKET/KEY of an uploaded tarball."))]) -> CallToolResult:
        """Import a node log bundle into the workspace and index its lines. Use this first when you have
        a tarball; afterwards pass the returned instanceId to every other tool (searches use the index).
        Importing the same file again is a no-op. Returns the record: key (= instanceId), status
        (imported/unchanged/replaced), lines_indexed, AMI family, collected_at."""
        return run("import_bundle", lambda: api.import_bundle(path, workspace=ws), shape.import_digest)

    @server.tool(annotations=_READ_ONLY)
    def list_bundles() -> CallToolResult:
        """List the bundles already imported (instanceId key, AMI family, collected_at, lines indexed).
        Use it to find the instanceId to pass to the other tools."""
        return run("list_bundles", lambda: api.list_bundles(workspace=ws), shape.bundles_digest)

    @server.tool(annotations=_STARTS_COLLECTION)
    def collect(
        instanceId: Annotated[str, Field(description="EC2 instance id of the node that failed to join.")],
        bucket: Annotated[str | None, Field(description=(
            "S3 bucket for the bundle; default: the server's --bucket / EKSDOCTOR_BUCKET."))] = None,
        region: Region = None,
    ) -> CallToolResult:
        """Start collecting the node's logs with SSM (runbook AWSSupport-CollectEKSInstanceLogs). Returns
        an executionId: poll status(executionId) until the collection is finished. Needs AWS credentials
        on the server and an SSM-managed instance; read-only towards the cluster."""
        target_bucket = bucket or server_bucket

        def call():
            if not target_bucket:
                raise InputError("collect needs an S3 bucket for the bundle", hint=(
                    "pass bucket=..., or start the server with --bucket / EKSDOCTOR_BUCKET"))
            return api.collect(instanceId, target_bucket, workspace=ws, **aws_kwargs(region))
        return run("collect", call, shape.collect_digest)

    @server.tool(annotations=_AWS_READ)
    def status(
        executionId: Annotated[str, Field(description="The executionId returned by collect.")],
        region: Region = None,
    ) -> CallToolResult:
        """State of a log collection started by collect: status, current step, failure reason, and the S3
        location of the bundle once it is there. Poll every 30-60 s until it is finished."""
        return run("status", lambda: api.status(executionId, **aws_kwargs(region)), shape.status_digest)

    # --- SOP phase 1: triage ----------------------------------------------------------------

    @server.tool(annotations=_READ_ONLY)
    def errors(instanceId: InstanceId, severity: Severity = None) -> CallToolResult:
        """Ranked findings of the rule-based diagnosis: each with a stable id (F-001, in rank order),
        severity, failure domain/category, the evidence lines (path:line, time, text) and the operator
        remediation; plus the root cause. Start here (severity="critical"), then confirm with search.
        Pass the ids to summarize."""
        return run("errors", lambda: api.errors(instanceId, severity=severity, workspace=ws),
                   shape.errors_digest, max_items=50)

    @server.tool(annotations=_READ_ONLY)
    def search(instanceId: InstanceId, query: Query, maxResults: PageSize = 50, offset: Offset = 0,
               fileGlob: FileGlob = None, since: Since = None, until: Until = None,
               contextLines: ContextLines = 0) -> CallToolResult:
        """Regex search over every line of every file of the bundle (journal, kubelet, nodeadm,
        cloud-init, ipamd, networking files...). Returns one page of matches (path, line, time, level,
        source, text) with total and truncated; when truncated, call again with offset=offset+returned.
        Use the SOP's queries per failure domain; matches are ordered by path then line."""
        return run("search", lambda: api.search(
            instanceId, query, file_glob=fileGlob, since=since, until=until, context=contextLines,
            max_results=maxResults, offset=offset, workspace=ws), shape.search_digest)

    @server.tool(annotations=_READ_ONLY)
    def network_diagnostics(instanceId: InstanceId, sections: Sections = None) -> CallToolResult:
        """The node's network view from its bundle: routes (default route, per-ENI tables), DNS resolvers,
        ENIs and IPs, iptables rules blocking 443/10250, the collector's curl test of the API server,
        and a plain answer route_to_api yes/no/unknown with the reason and evidence."""
        return run("network_diagnostics", lambda: api.network(
            instanceId, sections=_sections(sections), workspace=ws), shape.network_digest)

    @server.tool(annotations=_AWS_READ)
    def cluster_health(clusterName: Annotated[str, Field(description="EKS cluster name.")],
                       region: Region = None) -> CallToolResult:
        """Cluster-side health (needs AWS credentials): status and version, endpoint access, node groups
        and their health issues (e.g. NodeCreationFailure), add-ons, recent failed Auto Scaling
        activities. Use it when several nodes fail to join at once."""
        return run("cluster_health", lambda: api.cluster_health(clusterName, **aws_kwargs(region)),
                   shape.cluster_health_digest)

    @server.tool(annotations=_READ_ONLY)
    def quick_triage(instanceId: InstanceId) -> CallToolResult:
        """One-screen overview of a node: AMI family and versions, cluster and endpoint, whether bootstrap
        ran and completed, kubelet started, node registered, default route, loudest error signals."""
        from eksdoctor.triage import render_triage_text

        return run("quick_triage", lambda: api.triage(instanceId, workspace=ws), render_triage_text)

    @server.tool(annotations=_READ_ONLY)
    def compare_nodes(instanceIds: NodePair) -> CallToolResult:
        """Side-by-side of a failing node and a healthy one: versions, bootstrap config, kubelet flags,
        DNS, routes, and the findings present in one and not the other."""
        return run("compare_nodes", lambda: api.compare(instanceIds[0], instanceIds[1], workspace=ws),
                   shape.generic_digest)

    # --- SOP phase 2/3: correlate and report ------------------------------------------------

    @server.tool(annotations=_READ_ONLY)
    def correlate(instanceId: InstanceId, pivotEvent: PivotEvent, timeWindow: TimeWindow = 300,
                  maxEvents: MaxEvents = 100) -> CallToolResult:
        """Timeline of the join failure: every timestamped line of every source within +-timeWindow
        seconds of the first line matching pivotEvent, merged in time order, each with its offset from
        the pivot, source, level and path:line; reboots included."""
        return run("correlate", lambda: api.timeline(
            instanceId, pivotEvent, window=timeWindow, max_events=maxEvents, workspace=ws),
            shape.timeline_digest)

    @server.tool(annotations=_READ_ONLY)
    def summarize(instanceId: InstanceId, finding_ids: FindingIds) -> CallToolResult:
        """The SOP report (root_cause, failure_domain, evidence, blast_radius, severity, mitigation,
        cross_reference) as YAML, restricted to the given findings. Unknown ids are an error that
        lists the valid ones. Secrets are redacted."""
        ids = _ids(finding_ids)

        def call():
            report = api.summarize(instanceId, ids, fmt="yaml", workspace=ws)
            return {"instanceId": instanceId, "finding_ids": ids, "format": "yaml", "report": report}
        return run("summarize", call, shape.report_digest, max_text=100_000)

    @server.tool(annotations=_READ_ONLY)
    def diagnose(instanceId: InstanceId) -> CallToolResult:
        """Every SOP phase at once: facts, ranked findings with evidence and remediation, root cause,
        dismissed red herrings, rules not checked offline, escalations and the timeline (the same JSON
        as `eksdoctor diagnose --format json`). Larger than errors; prefer errors for a first look."""
        return run("diagnose", lambda: api.diagnose(instanceId, workspace=ws), shape.diagnosis_digest,
                   max_items=100)

    return server


def serve(*, http_port: int | None = None, host: str = "127.0.0.1", **options: Any) -> None:
    """Run the server on stdio (default) or streamable HTTP at http://host:port/mcp until stopped."""
    server = build_server(**options)
    if http_port is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host=host, port=http_port)
