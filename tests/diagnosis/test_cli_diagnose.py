"""The diagnosis faces of the CLI as a user runs them: formats, exit codes, pasted lines, context only."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eksdoctor.cli import main


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from eksdoctor.sample_bundles import generate

    return generate("al2-sg-no-443-egress", tmp_path_factory.mktemp("s"))


@pytest.fixture(autouse=True)
def _workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("EKSDOCTOR_HOME", str(tmp_path / "ws"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_diagnose_json_and_context(sample):
    offline = run("diagnose", sample.path, "--format", "json")
    assert offline.exit_code == 0, offline.stderr
    d = json.loads(offline.stdout)
    assert d["root_cause"]["category"] == "network_connectivity" and d["root_cause"]["confidence"] == "medium"
    assert any(n["rule"] == "SEC-001" for n in d["not_checked"])
    with_ctx = json.loads(run("diagnose", sample.path, "--format", "json", "--context", sample.context_path).stdout)
    assert with_ctx["root_cause"]["category"] == "security_rules" and with_ctx["context"]["provided"]
    assert not any(n["rule"] == "SEC-001" for n in with_ctx["not_checked"])


def test_errors_severity_and_triage(sample):
    out = run("errors", sample.path, "--severity", "critical", "--context", sample.context_path)
    assert out.exit_code == 0 and "F-001" in out.stdout and "SEC-001" in out.stdout
    tri = run("triage", sample.path, "--format", "json")
    assert json.loads(tri.stdout)["registered"]["value"] is False


@pytest.mark.parametrize("args, code, text", [
    (["diagnose", "/no/such/bundle.tar.gz"], 1, "no such file"),
    (["diagnose", "i-0123456789abcdef0"], 1, "no bundle"),
    (["errors", "x", "--severity", "urgent"], 2, "Invalid value"),
])
def test_input_errors_are_one_line(args, code, text):
    out = run(*args)
    assert out.exit_code == code
    assert text in out.stderr and "Traceback" not in out.stderr


def test_malformed_context_is_exit_1(sample, tmp_path):
    bad = tmp_path / "ctx.json"
    bad.write_text('{"subnet": {"available_ips": "none"}}')
    out = run("diagnose", sample.path, "--context", bad)
    assert out.exit_code == 1 and "subnet.available_ips must be" in out.stderr


def test_context_only_diagnosis_for_an_unreachable_node(sample):
    # an instance SSM cannot reach has no bundle: AWS context alone still finds the cause
    out = run("diagnose", "i-0fedcba9876543210", "--context", sample.context_path, "--format", "json")
    assert out.exit_code == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["root_cause"]["category"] == "security_rules"
    assert d["bundle"]["missing"], "every bundle file is reported as not collected"


def test_pasted_lines_from_a_ticket(tmp_path):
    pasted = tmp_path / "ticket.txt"
    pasted.write_text(
        "customer says the node never shows up:\n"
        'E0606 19:33:03.828406    3214 kubelet_node_status.go:96] "Unable to register node with API server" '
        'err="Unauthorized" node="ip-10-0-1-2.ec2.internal"\n'
        '"Failed to ensure lease exists, will retry" err="Unauthorized" interval="7s"\n')
    d = json.loads(run("diagnose", pasted, "--format", "json").stdout)
    assert d["root_cause"]["category"] == "iam_auth"
    assert d["root_cause"]["confidence"] == "medium"  # pasted lines cannot show what happened next
    assert d["findings"][0]["evidence"][0]["path"] == "pasted/ticket.txt"


def test_every_format_and_output_file(sample, tmp_path):
    for fmt in ("text", "yaml", "md", "html"):
        out = run("diagnose", sample.path, "--format", fmt, "-o", tmp_path / f"r.{fmt}")
        assert out.exit_code == 0, out.stderr
        assert (tmp_path / f"r.{fmt}").stat().st_size > 200


def test_rules_listing_and_explain():
    out = run("rules", "--domain", "dns")
    assert out.exit_code == 0 and "DNS-001" in out.stdout and "IAM-001" not in out.stdout
    assert '"$not"' in run("rules", "--explain", "DNS-004").stdout or "$not" in run("rules", "--explain", "DNS-004").stdout


@pytest.mark.parametrize("scenario", ["al2-unauthorized", "al2-healthy"])
def test_partial_bundle_never_gives_high_confidence(scenario, tmp_path):
    from eksdoctor import api
    from eksdoctor.sample_bundles import generate

    full = generate(scenario, tmp_path / "full").path
    cut = tmp_path / full.name
    data = full.read_bytes()
    cut.write_bytes(data[: int(len(data) * 0.9)])  # an upload cut short: the end of the tarball is lost
    d = api.diagnose(str(cut))
    assert d["bundle"]["partial"] is True
    rc = d["root_cause"]
    assert rc["confidence"] != "high"
    assert any(step.startswith("The bundle is partial (") for step in rc["next_steps"])
    text = run("diagnose", cut).stdout
    assert "PARTIAL     " in text  # the reason, on the second screen line
