"""What runs inside a batch worker process: diagnose one task, always return a row, never raise.

Workers are single-threaded processes (durable_rules is not thread-safe: one engine per process,
compiled once in `init_worker`). A per-task watchdog (`setitimer`) turns a hang into a `timeout`
row; a corrupt bundle or a bug becomes a `failed` row with the reason; a crash that kills the
process is handled by the parent (see batch_executor).
"""

from __future__ import annotations

import importlib
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from eksdoctor.batch_rows import failure_row, pack_diagnosis, row_from_diagnosis
from eksdoctor.batch_sources import Task
from eksdoctor.errors import EksDoctorError

DEFAULT_DIAGNOSE = "eksdoctor.api:diagnose"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """Everything a worker needs besides the task; plain values so it pickles to any executor."""

    diagnose: str = DEFAULT_DIAGNOSE   # "module:function" with eksdoctor.api.diagnose's signature
    timeout: float | None = 300.0      # seconds per bundle; None or 0 = no limit
    workspace: str | None = None
    context: str | None = None         # one aws-context.json for every task (else sidecars / stored)
    aws: bool = False                  # gather AWS context live for each instance
    region: str | None = None
    profile: str | None = None
    cluster: str | None = None
    bucket: str | None = None          # for instance-id sources: where collection uploads bundles


class TaskTimeout(BaseException):
    """Raised by the watchdog inside the task. BaseException so `except Exception` in the pipeline
    cannot swallow it."""


_diagnose_cache: dict[str, Callable] = {}


def resolve_diagnose(spec: str) -> Callable:
    """Import "module:function" once per process."""
    fn = _diagnose_cache.get(spec)
    if fn is None:
        module, _, attr = spec.partition(":")
        fn = getattr(importlib.import_module(module), attr)
        _diagnose_cache[spec] = fn
    return fn


def init_worker(diagnose: str = DEFAULT_DIAGNOSE) -> None:
    """Per-process set-up: compile the rule base once, import the pipeline, leave Ctrl-C to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    resolve_diagnose(diagnose)
    if diagnose == DEFAULT_DIAGNOSE:
        from eksdoctor.engine import get_engine

        get_engine()


@contextmanager
def watchdog(seconds: float | None):
    """Raise TaskTimeout in this (main) thread after `seconds`. A no-op off the main thread
    (Dask runs tasks in threads; the parent enforces the deadline there)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum, frame):
        raise TaskTimeout()

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def instance_of(task: Task) -> str | None:
    """Best guess of a failed task's instance id: the id itself, or the one in the bundle's name."""
    if task.kind == "instance":
        return task.source
    from eksdoctor.bundle import parse_bundle_name

    return parse_bundle_name(task.source)["instance_id"]


def _download_s3(uri: str, dest_dir: Path, opts: WorkerOptions) -> Path:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from eksdoctor.errors import AwsError

    bucket, _, key = uri[len("s3://"):].partition("/")
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / key.rsplit("/", 1)[-1]
    try:  # client made here, in the worker: boto3 clients must not cross processes
        s3 = boto3.Session(profile_name=opts.profile, region_name=opts.region).client("s3")
        s3.download_file(bucket, key, str(dest))
    except (BotoCoreError, ClientError) as err:
        raise AwsError(f"cannot download {uri}: {err}") from err
    return dest


def _diagnose_instance(task: Task, opts: WorkerOptions, diagnose: Callable) -> tuple[dict, str | None]:
    """Collect the node's bundle via SSM, then diagnose it; if collection fails, try AWS context alone."""
    from eksdoctor import api

    common = {"region": opts.region, "profile": opts.profile, "workspace": opts.workspace}
    try:
        if not opts.bucket:
            raise EksDoctorError("no --bucket given for SSM log collection")
        api.collect(task.source, opts.bucket, wait=True, **common)
    except (EksDoctorError, NotImplementedError) as err:
        note = f"collection failed: {err}"
        try:
            diagnosis = diagnose(task.source, context=opts.context, aws=opts.context is None,
                                 cluster=opts.cluster, **common)
        except EksDoctorError as err2:
            raise EksDoctorError(f"{note}; diagnosis from AWS context alone failed too: {err2}") from err2
        return diagnosis, note + " (diagnosed from AWS context alone)"
    return diagnose(task.source, context=opts.context, aws=opts.aws, cluster=opts.cluster, **common), None


def _diagnose_task(task: Task, opts: WorkerOptions) -> tuple[dict, str | None]:
    diagnose = resolve_diagnose(opts.diagnose)
    if task.kind == "instance":
        return _diagnose_instance(task, opts, diagnose)
    kwargs = {"context": task.context or opts.context, "aws": opts.aws, "region": opts.region,
              "profile": opts.profile, "cluster": opts.cluster, "workspace": opts.workspace}
    if task.kind == "s3":
        from eksdoctor.workspace import resolve_workspace

        ws = resolve_workspace(opts.workspace)
        ws.ensure()
        with ws.scratch("batch-s3") as scratch:
            return diagnose(str(_download_s3(task.source, scratch, opts)), **kwargs), None
    return diagnose(task.source, **kwargs), None


def run_task(task: Task, opts: WorkerOptions) -> dict:
    """Diagnose one task and return its result row (with the packed diagnosis under "diagnosis")."""
    started = time.perf_counter()
    try:
        with watchdog(opts.timeout):
            diagnosis, note = _diagnose_task(task, opts)
        row = row_from_diagnosis(diagnosis, source=task.source, kind=task.kind)
        row["instance_id"] = row["instance_id"] or (task.source if task.kind == "instance" else None)
        row["error"] = note
        row["diagnosis"] = pack_diagnosis(diagnosis)
    except TaskTimeout:
        row = failure_row(source=task.source, kind=task.kind, status="timeout",
                          error=f"timed out after {opts.timeout:g} s "
                                "(raise --timeout for very large bundles)",
                          instance_id=instance_of(task))
    except EksDoctorError as err:
        row = failure_row(source=task.source, kind=task.kind, status="failed",
                          error=f"{type(err).__name__}: {err}", instance_id=instance_of(task))
    except Exception as err:  # a bug in the pipeline: record it, the batch goes on
        row = failure_row(source=task.source, kind=task.kind, status="failed",
                          error=f"internal error: {type(err).__name__}: {err}",
                          instance_id=instance_of(task))
    row["elapsed_s"] = round(time.perf_counter() - started, 3)
    row["worker_pid"] = os.getpid()
    row["worker_peak_rss_mb"] = _peak_rss_mb()
    row["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return row
