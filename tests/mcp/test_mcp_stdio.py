"""`eksdoctor mcp` as a subprocess, driven by the MCP SDK's stdio client: the SOP walk end to end."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest
import yaml
from conftest import server_command, server_env
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

pytestmark = pytest.mark.anyio

SOP_TOOLS = {
    # tool -> (parameters the SOP names, the required subset)
    "collect": ({"instanceId"}, {"instanceId"}),
    "status": ({"executionId"}, {"executionId"}),
    "errors": ({"instanceId", "severity"}, {"instanceId"}),
    "search": ({"instanceId", "query", "maxResults", "offset"}, {"instanceId", "query"}),
    "network_diagnostics": ({"instanceId", "sections"}, {"instanceId"}),
    "cluster_health": ({"clusterName"}, {"clusterName"}),
    "quick_triage": ({"instanceId"}, {"instanceId"}),
    "compare_nodes": ({"instanceIds"}, {"instanceIds"}),
    "correlate": ({"instanceId", "pivotEvent", "timeWindow"}, {"instanceId", "pivotEvent"}),
    "summarize": ({"instanceId", "finding_ids"}, {"instanceId", "finding_ids"}),
    "diagnose": ({"instanceId"}, {"instanceId"}),
    "import_bundle": ({"path"}, {"path"}),
}


@asynccontextmanager
async def mcp_session(workspace, tmp_path):
    """A session with a fresh `eksdoctor mcp` process; its stderr goes to a file shown on failure."""
    command, args = server_command()
    params = StdioServerParameters(command=command, args=args, env=server_env(workspace))
    with open(tmp_path / "server-stderr.log", "w+") as errlog:
        try:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    yield session
        except BaseException:
            errlog.seek(0)
            print("server stderr:\n" + errlog.read())
            raise


async def call(session, tool: str, **arguments) -> dict:
    """Call a tool that must succeed; returns its structured content."""
    result = await session.call_tool(tool, arguments)
    text = result.content[0].text if result.content else ""
    assert not result.is_error, f"{tool} failed: {text}"
    assert text.strip(), f"{tool} returned no text digest"
    return result.structured_content


def not_built(result, tool: str) -> bool:
    """True when the api function behind `tool` still raises NotImplementedError; it must then come
    back as a clean tool error, and the caller skips (visibly) the step that needs it."""
    error = (result.structured_content or {}).get("error") or {}
    if result.is_error and error.get("type") == "NotAvailable":
        assert result.content[0].text.startswith(f"error: {tool} is not available")
        return True
    return False


NOT_BUILT = "api.summarize is not implemented yet: its step was checked only as a clean tool error"


async def test_lists_every_sop_tool_with_its_parameter_names(workspace, tmp_path):
    async with mcp_session(workspace, tmp_path) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}

    assert set(SOP_TOOLS) <= set(tools)
    for name, (params, required) in SOP_TOOLS.items():
        schema = tools[name].input_schema
        assert params <= set(schema["properties"]), name
        assert set(schema.get("required", [])) == required, name
        assert len(tools[name].description) > 80, f"{name} needs a description that teaches when to use it"
    search_props = tools["search"].input_schema["properties"]
    assert search_props["maxResults"]["default"] == 50 and search_props["maxResults"]["maximum"] <= 200
    assert tools["compare_nodes"].input_schema["properties"]["instanceIds"]["type"] == "array"
    assert tools["errors"].annotations.read_only_hint is True


async def test_walks_the_sop_examples_to_the_root_cause(sample, workspace, tmp_path):
    scenario = sample.scenario
    async with mcp_session(workspace, tmp_path) as session:
        record = await call(session, "import_bundle", path=str(sample.path))
        iid = record["key"]
        assert iid.startswith("i-")

        # Step 2: findings
        errs = await call(session, "errors", instanceId=iid, severity="critical")
        assert errs["root_cause"]["category"] == scenario.expected_category
        assert errs["findings"] and all(f["severity"] == "critical" for f in errs["findings"])
        finding_ids = [f["id"] for f in errs["findings"]]
        assert all(re.fullmatch(r"F-\d{3}", i) for i in finding_ids)

        # Step 3: wide search
        wide = "Unauthorized|TLS handshake|connection refused|InvalidClientTokenId|not found"
        hits = await call(session, "search", instanceId=iid, query=wide)
        assert hits["total"] > 0 and 0 < hits["returned"] <= 50
        assert all(re.search(wide, m["text"]) for m in hits["matches"])
        assert any("Unauthorized" in m["text"] for m in hits["matches"])
        assert hits["truncated"] == (hits["total"] > hits["returned"])

        # Step 4: bootstrap ran (AL2: cloud-init + bootstrap.sh)
        boot = await call(session, "search", instanceId=iid,
                          query="cloud-init|bootstrap.sh|/etc/eks/bootstrap")
        assert boot["total"] > 0

        # Step 5: network path
        net = await call(session, "network_diagnostics", instanceId=iid, sections="routes,dns,eni")
        assert set(net["sections"]) == {"routes", "dns", "eni"}
        assert net["route_to_api"]["answer"] in ("yes", "no", "unknown")

        # Steps 6-10: per-domain searches; the IAM one must find the evidence
        iam = await call(session, "search", instanceId=iid,
                         query="Unauthorized|AccessDenied|aws-auth|iamidentitymapping")
        assert iam["total"] > 0
        for query in ("security group|NACL|DROP|REJECT",
                      "InvalidClientTokenId|sts.*endpoint|regional.*sts",
                      "node.*not found|DHCP|domain-name|NXDOMAIN",
                      "vpc.*endpoint|vpce-|PrivateLink|private.*endpoint"):
            page = await call(session, "search", instanceId=iid, query=query)
            assert page["returned"] == len(page["matches"]) <= 50

        # Step 11: timeline around the first error
        pivot = "Unable to register node"
        tl = await call(session, "correlate", instanceId=iid, pivotEvent=pivot, timeWindow=300)
        assert pivot in tl["pivot"]["text"]
        assert [e for e in tl["events"] if e["kind"] == "pivot"]
        assert all(abs(e["offset_s"]) <= 300 for e in tl["events"])
        offsets = [e["offset_s"] for e in tl["events"]]
        assert offsets == sorted(offsets)

        # Step 12: the SOP report
        result = await session.call_tool("summarize", {"instanceId": iid, "finding_ids": finding_ids})
    if not_built(result, "summarize"):
        pytest.skip(NOT_BUILT)
    assert not result.is_error, result.content[0].text
    report = yaml.safe_load(result.structured_content["report"])
    assert str(report["root_cause"]).startswith(scenario.expected_category)
    assert report["failure_domain"] == errs["root_cause"]["domain"]


async def test_failures_are_tool_errors_and_the_server_keeps_serving(sample, workspace, tmp_path):
    async with mcp_session(workspace, tmp_path) as session:
        unknown = await session.call_tool("errors", {"instanceId": "i-0000000000000dead"})
        assert unknown.is_error
        assert unknown.structured_content["error"]["type"] == "InputError"
        assert "i-0000000000000dead" in unknown.content[0].text and "hint:" in unknown.content[0].text

        bad_args = await session.call_tool("compare_nodes", {"instanceIds": ["i-0only0one"]})
        assert bad_args.is_error

        no_bucket = await session.call_tool("collect", {"instanceId": "i-0abc123def4567890"})
        assert no_bucket.is_error and "bucket" in no_bucket.content[0].text

        iid = (await call(session, "import_bundle", path=str(sample.path)))["key"]
        bad_regex = await session.call_tool("search", {"instanceId": iid, "query": "(unclosed"})
        assert bad_regex.is_error and bad_regex.structured_content["error"]["type"] == "InputError"

        # still alive and answering
        triage = await call(session, "quick_triage", instanceId=iid)
        assert triage["bundle"]["instance_id"] == iid

        bad_id = await session.call_tool("summarize", {"instanceId": iid, "finding_ids": ["F-999"]})
    if not_built(bad_id, "summarize"):
        pytest.skip(NOT_BUILT)
    assert bad_id.is_error and bad_id.structured_content["error"]["type"] == "UnknownFindingError"
    assert "F-999" in bad_id.content[0].text
