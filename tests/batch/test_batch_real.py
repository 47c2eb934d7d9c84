"""The real pipeline through the batch engine: categories, a corrupt bundle, Dask parity, the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from eksdoctor.batch import run_batch
from eksdoctor.batch_store import ResultStore
from eksdoctor.cli import main

# Columns that legitimately differ between two runs of the same bundles.
_VOLATILE = ("elapsed_s", "worker_pid", "worker_peak_rss_mb", "finished_at")


def _stable(rows):
    return [{k: v for k, v in r.items() if k not in _VOLATILE} for r in rows]


@pytest.fixture(scope="module")
def pool_run(fleet, tmp_path_factory):
    """The fleet plus one corrupt tarball, through a 2-process pool with the real diagnose."""
    folder, expected = fleet
    corrupt = folder / "eks_i-0badbadbadbadbad0_2024-06-06_1940-UTC_0.7.8.tar.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00this is not a gzip stream at all" * 10)
    tmp = tmp_path_factory.mktemp("pool-run")
    try:
        report = run_batch([str(folder)], db=tmp / "r.db", jobs=2, workspace=tmp / "ws", timeout=120)
    finally:
        corrupt.unlink()
    return report, expected, str(corrupt), tmp / "r.db"


def test_every_generated_bundle_gets_its_expected_category_with_two_workers(pool_run):
    report, expected, _, _ = pool_run
    got = {r["source"]: r["category"] for r in report["rows"] if r["status"] == "ok"}
    assert got == expected
    assert len({r["worker_pid"] for r in report["rows"]}) == 2  # both workers did work


def test_corrupt_bundle_is_recorded_as_failed_and_the_rest_finish(pool_run):
    report, expected, corrupt, _ = pool_run
    failed = [r for r in report["rows"] if r["status"] != "ok"]
    assert [r["source"] for r in failed] == [corrupt]
    assert failed[0]["status"] == "failed" and failed[0]["error"]
    assert failed[0]["instance_id"] == "i-0badbadbadbadbad0"
    assert report["totals"] == {"bundles": len(expected) + 1, "ok": len(expected), "failed": 1, "timeout": 0}


def test_full_diagnosis_json_is_kept_in_the_store(pool_run):
    report, expected, _, db = pool_run
    source = sorted(expected)[0]
    with ResultStore(db) as store:
        diagnosis = store.diagnosis(report["run"]["run_id"], source)
    assert diagnosis["root_cause"]["category"] == expected[source]
    assert diagnosis["schema_version"] == 1


def test_dask_cluster_gives_identical_results_to_the_process_pool(pool_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    report, _, _, _ = pool_run
    sources = sorted(r["source"] for r in report["rows"] if r["status"] == "ok")[:6]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  memory_limit="2GiB") as cluster:
        dask_report = run_batch(sources, db=tmp_path / "dask.db", scheduler=cluster.scheduler_address,
                                workspace=tmp_path / "ws", timeout=120)
    pool_rows = [r for r in report["rows"] if r["source"] in sources]
    assert dask_report["totals"]["ok"] == len(sources)
    assert _stable(dask_report["rows"]) == _stable(pool_rows)


def test_cli_batch_writes_every_output_and_prints_the_summary(fleet, tmp_path):
    folder, expected = fleet
    picked = sorted(expected)[:3]
    outs = [tmp_path / f"fleet.{ext}" for ext in ("db", "csv", "json", "html")]
    args = ["batch", *picked, "-j", "1", "--workspace", str(tmp_path / "ws"), "--format", "json", "-q"]
    for out in outs:
        args += ["-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["totals"]["ok"] == 3
    assert {c["category"] for c in summary["by_root_cause"]} == {expected[p] for p in picked}
    assert all(out.is_file() and out.stat().st_size > 0 for out in outs)
