"""In-process checks of the MCP server: paging, bounding, error mapping, lazy CLI import, HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from conftest import server_env
from mcp import Client

from eksdoctor import api
from eksdoctor.errors import SearchTimeout
from eksdoctor.mcp_results import bound
from eksdoctor.mcp_server import build_server


def test_bound_cuts_long_strings_and_lists_and_says_where():
    data = {"a": "x" * 50, "rows": list(range(10)), "nested": [{"t": "short"}, {"t": "y" * 30}]}
    out, cuts = bound(data, max_text=20, max_items=4)
    assert out["a"].startswith("x" * 20) and "30 more chars cut" in out["a"]
    assert out["rows"] == [0, 1, 2, 3]
    assert out["nested"][0]["t"] == "short" and "10 more chars cut" in out["nested"][1]["t"]
    assert {(c["path"], c["total"]) for c in cuts} == {("a", 50), ("rows", 10), ("nested[1].t", 30)}


def test_bound_leaves_small_data_untouched():
    data = {"a": "ok", "b": [1, 2], "c": {"d": None}}
    assert bound(data) == (data, [])


@pytest.mark.anyio
async def test_search_pages_with_offset_and_reports_total(sample, workspace):
    iid = api.import_bundle(sample.path)["key"]
    async with Client(build_server()) as client:
        first = (await client.call_tool("search", {"instanceId": iid, "query": "kubelet", "maxResults": 3}))
        page1 = first.structured_content
        assert page1["total"] > 6 and page1["returned"] == 3 and page1["truncated"]
        assert "offset=3" in first.content[0].text  # the digest tells the agent how to get the next page
        page2 = (await client.call_tool("search", {"instanceId": iid, "query": "kubelet", "maxResults": 3,
                                                   "offset": 3})).structured_content
    refs1 = {(m["path"], m["line"]) for m in page1["matches"]}
    refs2 = {(m["path"], m["line"]) for m in page2["matches"]}
    assert len(refs2) == 3 and not refs1 & refs2
    assert page2["total"] == page1["total"]


@pytest.mark.anyio
async def test_search_page_size_is_capped(workspace):
    async with Client(build_server()) as client:
        result = await client.call_tool("search", {"instanceId": "i-0abc", "query": "x",
                                                   "maxResults": 100000})
    assert result.is_error and "maxResults" in result.content[0].text


@pytest.mark.anyio
async def test_unexpected_exception_is_an_internal_error_and_server_survives(workspace, monkeypatch):
    calls = []

    def broken_search(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("index exploded")

    monkeypatch.setattr(api, "search", broken_search)
    async with Client(build_server()) as client:
        first = await client.call_tool("search", {"instanceId": "i-0abc", "query": "x"})
        assert first.is_error
        assert first.content[0].text.startswith("error: internal error: RuntimeError: index exploded")
        assert first.structured_content["error"]["type"] == "InternalError"
        again = await client.call_tool("search", {"instanceId": "i-0abc", "query": "x"})
        assert again.is_error and len(calls) == 2
        listed = await client.call_tool("list_bundles", {})
        assert not listed.is_error and listed.structured_content == {"result": []}


@pytest.mark.anyio
async def test_typed_errors_keep_message_and_hint(workspace, monkeypatch):
    def slow(*args, **kwargs):
        raise SearchTimeout("pattern exceeded its 5 s budget", hint="anchor the pattern or narrow fileGlob")

    monkeypatch.setattr(api, "search", slow)
    async with Client(build_server()) as client:
        result = await client.call_tool("search", {"instanceId": "i-0abc", "query": "(a+)+$"})
    assert result.is_error
    message, hint = "pattern exceeded its 5 s budget", "anchor the pattern or narrow fileGlob"
    assert result.content[0].text == f"error: {message}\nhint: {hint}"
    assert result.structured_content["error"] == {"type": "SearchTimeout", "message": message, "hint": hint}


@pytest.mark.anyio
async def test_unbuilt_api_function_is_a_clean_tool_error(workspace, monkeypatch):
    def stub(*args, **kwargs):
        raise NotImplementedError("cluster_health")

    monkeypatch.setattr(api, "cluster_health", stub)
    async with Client(build_server()) as client:
        result = await client.call_tool("cluster_health", {"clusterName": "prod"})
    assert result.is_error and "cluster_health is not available" in result.content[0].text


@pytest.mark.anyio
async def test_network_sections_accept_comma_string_or_list(workspace, monkeypatch):
    seen = []
    monkeypatch.setattr(api, "network", lambda target, sections, workspace=None: seen.append(sections) or
                        {"sections": {}, "route_to_api": {"answer": "unknown", "why": "test"}, "missing": []})
    async with Client(build_server()) as client:
        await client.call_tool("network_diagnostics", {"instanceId": "i-1", "sections": "routes, dns"})
        await client.call_tool("network_diagnostics", {"instanceId": "i-1", "sections": ["eni"]})
        await client.call_tool("network_diagnostics", {"instanceId": "i-1"})
    assert seen == [["routes", "dns"], ["eni"], ["routes", "dns", "eni", "iptables", "curl"]]


def test_cli_start_up_does_not_import_the_mcp_sdk():
    code = ("import sys, eksdoctor.cli; "
            "sys.exit(1 if 'mcp' in sys.modules or 'eksdoctor.mcp_server' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.anyio
async def test_http_transport_serves_the_same_tools(workspace):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "eksdoctor", "mcp", "--http", str(port)],
                            env=server_env(workspace), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.1)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            listed = await client.call_tool("list_bundles", {})
        assert {"errors", "search", "correlate", "summarize"} <= names
        assert not listed.is_error
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.anyio
async def test_cluster_health_over_moto(workspace, monkeypatch):
    import boto3
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-west-2"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        boto3.client("eks", region_name="us-west-2").create_cluster(
            name="prod-east", roleArn="arn:aws:iam::123456789012:role/eks-cluster",
            resourcesVpcConfig={"subnetIds": []})
        async with Client(build_server(region="us-west-2")) as client:
            found = await client.call_tool("cluster_health", {"clusterName": "prod-east"})
            missing = await client.call_tool("cluster_health", {"clusterName": "prod-west"})
    assert not found.is_error
    assert found.structured_content["cluster"]["status"] == "ACTIVE"
    assert found.content[0].text.startswith("cluster prod-east in us-west-2: status ACTIVE")
    assert missing.is_error and "prod-west" in missing.content[0].text and "hint:" in missing.content[0].text


@pytest.mark.anyio
async def test_status_digest_says_when_to_poll_and_where_the_bundle_is(workspace, monkeypatch):
    running = {"execution_id": "94dc3448-b94b-470b-8f2d-99b81aad4c53", "instance_id": "i-0abc",
               "status": "InProgress", "terminal": False, "succeeded": False, "current_step": "collectLogs",
               "bundle": None}
    done = {**running, "status": "Success", "terminal": True, "succeeded": True, "current_step": None,
            "bundle": {"uri": "s3://b/eks_i-0abc.tar.gz", "size": 1234}}
    answers = iter([running, done])
    monkeypatch.setattr(api, "status", lambda execution_id, **kw: next(answers))
    async with Client(build_server()) as client:
        first = (await client.call_tool("status", {"executionId": running["execution_id"]})).content[0].text
        second = (await client.call_tool("status", {"executionId": running["execution_id"]})).content[0].text
    assert "InProgress (step collectLogs)" in first and "call status again" in first
    assert "bundle ready: s3://b/eks_i-0abc.tar.gz" in second and "call status again" not in second


@pytest.mark.anyio
async def test_summarize_passes_finding_ids_and_returns_the_whole_report(workspace, monkeypatch):
    seen = []
    evidence = "".join(f"  - content: line {i}\n" for i in range(400))
    long_report = "root_cause: iam_auth — x\nevidence:\n" + evidence

    def fake_summarize(target, finding_ids, *, fmt="yaml", workspace=None):
        seen.append((target, list(finding_ids), fmt))
        return long_report

    monkeypatch.setattr(api, "summarize", fake_summarize)
    async with Client(build_server()) as client:
        as_list = await client.call_tool("summarize", {"instanceId": "i-1",
                                                       "finding_ids": ["F-001", "F-003"]})
        as_text = await client.call_tool("summarize", {"instanceId": "i-1", "finding_ids": "F-001, F-002"})
    assert seen == [("i-1", ["F-001", "F-003"], "yaml"), ("i-1", ["F-001", "F-002"], "yaml")]
    assert len(long_report) > 2000
    assert as_list.structured_content["report"] == long_report and as_list.content[0].text == long_report
    assert as_text.structured_content["finding_ids"] == ["F-001", "F-002"]
