"""`eksdoctor batch`: diagnose many nodes at once, store every result as it lands, summarise the fleet.

    from eksdoctor.batch import run_batch
    report = run_batch(["./bundles/", "s3://bucket/eks-logs/"], db="triage.db", jobs=2)
    report["by_root_cause"], report["incidents"], report["failures"]

Pipeline: batch_sources (SOURCES -> tasks) -> batch_executor (process pool or Dask; per-bundle
watchdog; crash isolation) -> batch_store (SQLite, committed per row; `resume=True` skips done
sources) -> batch_summary (pandas: per root cause, incidents) -> batch_outputs (CSV/Parquet/JSON/HTML).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from eksdoctor import __version__
from eksdoctor.batch_executor import EngineOptions, run_tasks
from eksdoctor.batch_sources import expand_sources
from eksdoctor.batch_store import ResultStore
from eksdoctor.batch_summary import summarise
from eksdoctor.batch_worker import DEFAULT_DIAGNOSE, WorkerOptions
from eksdoctor.errors import InputError

DEFAULT_DB = "eksdoctor-batch.db"


def default_jobs() -> int:
    """Cores this process may use (cgroup/affinity aware where the OS tells)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def run_batch(
    sources: list[str],
    *,
    db: str | Path = DEFAULT_DB,
    resume: bool = False,
    retry_failed: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    timeout: float | None = 300.0,
    workspace: str | Path | None = None,
    context: str | Path | None = None,
    aws: bool = False,
    region: str | None = None,
    profile: str | None = None,
    cluster: str | None = None,
    bucket: str | None = None,
    start_method: str | None = None,
    max_tasks_per_child: int = 100,
    hard_grace_s: float = 10.0,
    diagnose: str = DEFAULT_DIAGNOSE,
    limit: int | None = None,
    on_start: Callable[[dict], None] | None = None,
    on_row: Callable[[dict], None] | None = None,
) -> dict:
    """Diagnose every node named by `sources`; return the batch report (see batch_summary.summarise).

    Each finished node is committed to the SQLite `db` at once. `resume=True` continues the latest
    run in `db`, skipping nodes already recorded (`retry_failed=True` retries failed/timed-out ones;
    with no `sources` it re-uses the run's own). `limit` stops after that many new results.
    `diagnose` is "module:function" with eksdoctor.api.diagnose's signature (tests inject fakes).
    `hard_grace_s`: extra wait before the parent kills a worker whose watchdog could not fire.
    `on_start(info)` gets {total, done, todo, run_id, counts}; `on_row(row)` is called per result.
    """
    jobs = jobs or default_jobs()
    if jobs < 1:
        raise InputError(f"--jobs must be >= 1, got {jobs}")
    if timeout is not None and timeout < 0:
        raise InputError(f"--timeout must be >= 0 seconds, got {timeout}")
    started = time.perf_counter()
    with ResultStore(db) as store:
        if resume:
            run_id = store.resume_run()
            sources = list(sources) or store.run_info(run_id)["sources"]
            if retry_failed:
                store.forget_failures(run_id)
        tasks = expand_sources(list(sources), region=region, profile=profile)
        if not resume:
            options = {"timeout": timeout, "aws": aws, "context": str(context) if context else None,
                       "diagnose": diagnose}
            run_id = store.start_run(list(sources), options, __version__)
        done = store.done_sources(run_id)
        todo = [t for t in tasks if t.source not in done]
        if limit is not None:
            todo = todo[:limit]
        if on_start:
            counts: dict[str, int] = {}
            for row in store.rows(run_id):
                key = row["category"] if row["status"] == "ok" else row["status"]
                counts[key] = counts.get(key, 0) + 1
            on_start({"run_id": run_id, "total": len(tasks), "done": len(done & {t.source for t in tasks}),
                      "todo": len(todo), "counts": counts})
        opts = WorkerOptions(diagnose=diagnose, timeout=timeout or None,
                             workspace=str(workspace) if workspace else None,
                             context=str(context) if context else None, aws=aws, region=region,
                             profile=profile, cluster=cluster, bucket=bucket)
        engine = EngineOptions(jobs=jobs, scheduler=scheduler, start_method=start_method,
                               max_tasks_per_child=max_tasks_per_child, hard_grace_s=hard_grace_s)
        finished = 0
        try:
            for row in run_tasks(todo, opts, engine):
                store.add(run_id, row)
                finished += 1
                if on_row:
                    on_row(row)
        except BaseException:
            store.finish_run(run_id, "interrupted")
            raise
        complete = len(store.done_sources(run_id) & {t.source for t in tasks}) == len(tasks)
        store.finish_run(run_id, "done" if complete else "partial")
        rows = store.rows(run_id)
        run = {"run_id": run_id, "db": str(Path(db).absolute()), "state": "done" if complete else "partial",
               "new_results": finished, "jobs": jobs if not scheduler else None, "scheduler": scheduler}
    elapsed = time.perf_counter() - started
    report = summarise(rows, run=run, elapsed_s=elapsed)
    report["run"]["bundles_per_s"] = round(finished / elapsed, 2) if elapsed > 0 else None
    report["rows"] = rows
    return report


def load_report(db: str | Path, run_id: int | None = None) -> dict:
    """The report of a finished (or interrupted) run, read back from its database."""
    if not Path(db).is_file():
        raise InputError(f"no batch database at {db}",
                         hint="run `eksdoctor batch SOURCES --out results.db` first")
    with ResultStore(db) as store:
        run_id = run_id if run_id is not None else store.latest_run()
        if run_id is None:
            raise InputError(f"{db} has no batch run yet")
        info = store.run_info(run_id)
        rows = store.rows(run_id)
    report = summarise(rows, run={"run_id": run_id, "db": str(Path(db).absolute()), "state": info["state"]})
    report["rows"] = rows
    return report
