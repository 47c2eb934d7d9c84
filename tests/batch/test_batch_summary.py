"""Incident grouping, the per-root-cause summary, and the output files (parse them back)."""

from __future__ import annotations

import json

import pandas as pd
from batch_fakes import fake_diagnosis, write_fake_bundle

from eksdoctor.batch import load_report, run_batch
from eksdoctor.batch_outputs import write_outputs
from eksdoctor.batch_rows import normalise_evidence, row_from_diagnosis
from eksdoctor.batch_summary import summarise

UNAUTH = ('Jun 06 19:33:{s:02d} ip-10-0-1-{h}.ec2.internal kubelet[{pid}]: E0606 19:33:{s:02d}.828406    {pid} '
          'kubelet_node_status.go:96] "Unable to register node with API server" err="Unauthorized" '
          'node="ip-10-0-1-{h}.ec2.internal"')
TIMEOUT = "Jun 06 19:33:03 ip-10-0-2-{h} kubelet[77]: dial tcp 10.0.{h}.5:443: i/o timeout (sg-0a1b2c3d4e5f{h:02d})"


def _row(iid: str, category: str, evidence: str | None, cluster: str = "prod-east") -> dict:
    return row_from_diagnosis(fake_diagnosis(iid, category, evidence, cluster), source=f"/b/{iid}.tgz", kind="path")


def test_normalisation_removes_what_differs_between_nodes_and_keeps_the_message():
    a = normalise_evidence(UNAUTH.format(s=3, h=23, pid=3214))
    b = normalise_evidence(UNAUTH.format(s=59, h=187, pid=99))
    assert a == b
    assert "Unable to register node with API server" in a and "Unauthorized" in a
    assert normalise_evidence(TIMEOUT.format(h=11)) == normalise_evidence(TIMEOUT.format(h=42))
    assert normalise_evidence(TIMEOUT.format(h=11)) != a


def test_nodes_with_same_cause_and_evidence_shape_form_one_incident_and_three_escalate():
    rows = [_row(f"i-00000000000000a{n}", "iam_auth", UNAUTH.format(s=n, h=n + 10, pid=100 + n)) for n in range(4)]
    rows += [_row("i-00000000000000b1", "network_connectivity", TIMEOUT.format(h=1), cluster="dev"),
             _row("i-00000000000000b2", "network_connectivity", TIMEOUT.format(h=2), cluster="dev"),
             _row("i-00000000000000c1", "iam_auth", "a different Unauthorized line"),
             _row("i-00000000000000d1", "none", None)]
    report = summarise(rows)
    first, second, third = report["incidents"]
    assert (first["id"], first["nodes"], first["category"], first["rule"]) == ("INC-001", 4, "iam_auth", "IAM-001")
    assert first["instances"] == [f"i-00000000000000a{n}" for n in range(4)]
    assert "Multiple nodes failing to join simultaneously" in first["escalation"]
    assert "eksdoctor cluster-health prod-east" in first["escalation"]
    assert (second["nodes"], second["category"], second["escalation"]) == (2, "network_connectivity", None)
    assert third["nodes"] == 1
    assert report["escalations"] == [first["escalation"]]  # healthy nodes are never an incident
    causes = {c["category"]: c for c in report["by_root_cause"]}
    assert causes["iam_auth"]["count"] == 5 and causes["none"]["count"] == 1
    assert "Unable to register node" in causes["iam_auth"]["top_evidence"]  # the common shape, a real line
    assert causes["iam_auth"]["remediation"] == "fix iam_auth"


def test_outputs_are_written_by_extension_and_parse_back(fake_dir, tmp_path):
    for n in range(3):
        write_fake_bundle(fake_dir, f"i-00000000000000a{n}", category="iam_auth",
                          evidence=UNAUTH.format(s=n, h=n, pid=n))
    write_fake_bundle(fake_dir, "i-00000000000000e1", category="dns_config", evidence="<script>x</script>")
    write_fake_bundle(fake_dir, "i-00000000000000f1", corrupt=True)
    report = run_batch([str(fake_dir)], db=tmp_path / "r.db", jobs=1, diagnose="batch_fakes:fake_diagnose")
    paths = [str(tmp_path / f"out/fleet.{ext}") for ext in ("csv", "parquet", "json", "html", "db")]
    written = write_outputs(paths, report)
    assert written == paths[:4]  # the .db is the store itself

    csv = pd.read_csv(paths[0])
    parquet = pd.read_parquet(paths[1])
    assert len(csv) == len(parquet) == 5
    assert sorted(csv["status"]) == ["failed", "ok", "ok", "ok", "ok"]
    assert list(parquet.loc[parquet["category"] == "dns_config", "finding_ids"].iloc[0]) == ["F-001"]
    assert set(csv.loc[csv["category"] == "iam_auth", "finding_ids"]) == {"F-001"}

    data = json.loads((tmp_path / "out/fleet.json").read_text())
    assert data["totals"] == {"bundles": 5, "ok": 4, "failed": 1, "timeout": 0}
    assert data["incidents"][0]["nodes"] == 3 and data["escalations"]

    html = (tmp_path / "out/fleet.html").read_text()
    assert "Multiple nodes failing to join simultaneously" in html
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html  # log text is escaped
    assert "i-00000000000000f1" in html


def test_a_finished_run_can_be_reported_again_from_its_database(fake_dir, tmp_path):
    write_fake_bundle(fake_dir, "i-00000000000000a1", category="iam_auth", evidence="Unauthorized")
    run_batch([str(fake_dir)], db=tmp_path / "r.db", jobs=1, diagnose="batch_fakes:fake_diagnose")
    again = load_report(tmp_path / "r.db")
    assert again["totals"]["ok"] == 1 and again["run"]["state"] == "done"


def test_progress_counts_root_causes_as_rows_arrive_in_plain_and_rich_mode():
    import io

    from eksdoctor.batch_console import BatchProgress, summary_text

    rows = [_row("i-00000000000000a1", "iam_auth", "x"), _row("i-00000000000000a2", "iam_auth", "y"),
            {"source": "/b/z.tgz", "instance_id": None, "status": "timeout", "error": "timed out after 1 s",
             "elapsed_s": 1.0}]
    for rich_ui in (False, True):
        stream = io.StringIO()
        with BatchProgress(stream=stream, rich_ui=rich_ui) as progress:
            progress.start({"run_id": 1, "total": 4, "done": 1, "todo": 3, "counts": {"none": 1}})
            for row in rows:
                progress.row(row)
        assert progress.counts == {"iam_auth": 2, "none": 1, "timeout": 1}
        assert "resuming run 1: 1 of 4 already done" in stream.getvalue()
    assert "[3/4] i-00000000000000a2  iam_auth" in plain_lines(rows)
    text = summary_text(summarise(rows[:2]))
    assert "iam_auth" in text and "2 node(s): 2 diagnosed" in text


def plain_lines(rows: list[dict]) -> str:
    import io

    from eksdoctor.batch_console import BatchProgress

    stream = io.StringIO()
    progress = BatchProgress(stream=stream, rich_ui=False)
    progress.start({"run_id": 1, "total": 4, "done": 1, "todo": 3, "counts": {}})
    for row in rows:
        progress.row(row)
    return stream.getvalue()
