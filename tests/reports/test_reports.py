"""Reports: every format renders every sample, the SOP YAML has exactly the SOP keys, no empty or
"None" values, self-contained HTML, secrets redacted everywhere, summarize and compare."""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

from eksdoctor import api
from eksdoctor.errors import InputError, UnknownFindingError
from eksdoctor.reports import render

SOP_KEYS = ["root_cause", "failure_domain", "evidence", "blast_radius", "severity", "mitigation", "cross_reference"]
FORMATS = ("text", "json", "yaml", "md", "html")


def test_sop_yaml_has_exactly_the_sop_keys(report_samples):
    for name, (_, d) in report_samples.items():
        doc = yaml.safe_load(render(d, "yaml"))
        assert list(doc) == SOP_KEYS, name
        assert doc["root_cause"].startswith(d["root_cause"]["category"] + " — ")
        assert {e["type"] for e in doc["evidence"]} >= {"network_diagnostics", "correlate"}
        assert set(doc["mitigation"]) == {"immediate", "long_term"}
        assert doc["blast_radius"].startswith("node (i-")


def test_sop_yaml_content_for_an_iam_root_cause(report_samples):
    _, d = report_samples["al2-instance-profile-arn"]
    doc = yaml.safe_load(render(d, "yaml"))
    assert doc["failure_domain"] == "iam" and doc["severity"] == "CRITICAL"
    assert any(ref.startswith("A2 ") for ref in doc["cross_reference"])
    assert "instance-profile" in doc["mitigation"]["immediate"] and "eksctl create iamidentitymapping" in doc["mitigation"]["immediate"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_empty_or_none_values(report_samples, fmt):
    for name, (_, d) in report_samples.items():
        out = render(d, fmt)
        assert out.strip()
        if fmt != "json":
            assert not re.search(r"\bNone\b", out), (name, fmt)
            assert "Operator: \n" not in out and "Operator: ." not in out
        assert not re.search(r"\{[a-z_]+\}|\[\[|\]\]", out), (name, fmt)


def test_html_is_self_contained_and_puts_root_cause_first(report_samples):
    _, d = report_samples["al2-tls-handshake-timeout"]
    html = render(d, "html")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "external asset"
    assert html.index('<div class="rc ') < html.index("<svg") < html.index('<section id="F-001"')
    assert "<svg" in html and "<details>" in html
    assert "kubelet/kubelet.log:" in html


def test_html_escapes_log_text():
    d = {"schema_version": 1, "tool": {"version": "t", "rules_version": "r"},
         "bundle": {"name": "<b>x</b>", "instance_id": "i-1", "partial": False, "missing": [], "skipped": []},
         "facts": {}, "root_cause": {"category": "unknown", "domain": None, "detail": "<script>alert(1)</script>",
                                    "confidence": "low", "finding": None, "summary": "unknown", "next_steps": []},
         "findings": [], "dismissed": [], "not_checked": [], "escalations": [], "timeline": [],
         "context": {"provided": False, "source": None, "not_checked": []}}
    html = render(d, "html")
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_planted_secrets_never_reach_a_report(report_samples):
    gb, d = report_samples["al2-secrets"]
    secrets = gb.scenario.planted_secrets
    assert len(secrets) >= 4
    # Make the secrets part of the report: the lines that carry them become evidence, as they would
    # if a rule quoted them. The bundle really holds them (so this test can fail).
    found = api.search(str(gb.path), "|".join(re.escape(s[:20]) for s in secrets))
    assert found["total"] >= len(secrets)
    d = copy.deepcopy(d)
    d["findings"][0]["evidence"] += [{"path": m["path"], "line": m["line"], "ts": m["ts"], "text": m["text"]}
                                     for m in found["matches"]]
    for fmt in FORMATS:
        out = render(d, fmt)
        for secret in secrets:
            assert secret not in out, (fmt, secret[:12])
    assert "[REDACTED]" in render(d, "md")


def test_unknown_format_is_an_input_error(report_samples):
    _, d = report_samples["al2023-healthy"]
    with pytest.raises(InputError):
        render(d, "pdf")


def test_summarize_keeps_only_chosen_findings(report_samples):
    gb, d = report_samples["al2023-nodeconfig-invalid"]
    ids = [f["id"] for f in d["findings"]]
    assert len(ids) >= 2
    out = api.summarize(str(gb.path), [ids[1]], fmt="json")
    chosen = json.loads(out)
    assert [f["id"] for f in chosen["findings"]] == [ids[1]]
    with pytest.raises(UnknownFindingError, match="valid ids: F-001"):
        api.summarize(str(gb.path), ["F-999"])


def test_compare_failing_against_healthy(report_samples):
    failing, _ = report_samples["al2023-nodeconfig-invalid"]
    healthy, _ = report_samples["al2023-healthy"]
    c = api.compare(str(failing.path), str(healthy.path))
    assert c["a"]["root_cause"]["category"] == "bootstrap_config" and c["b"]["root_cause"]["category"] == "none"
    assert "node_registered" in c["differences"]
    assert any(f["rule"] == "BOOT-007" for f in c["findings_only_in_a"]) and not c["findings_only_in_b"]
