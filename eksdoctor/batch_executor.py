"""Run batch tasks on a local process pool (default) or an existing Dask cluster; yield rows as they finish.

Resilience, because one bad bundle must never stop a fleet triage:
- a hang is cut by the worker's watchdog (timeout row); if the worker is stuck in C code and the
  watchdog cannot fire, the parent kills the pool after a grace period and records a timeout;
- a worker killed by a segfault or the OOM killer breaks a ProcessPoolExecutor for every task in
  flight. The parent restarts the pool and re-runs those tasks one at a time ("solo"), so the
  culprit is identified and recorded as failed while the innocent ones finish normally;
- at most `window` tasks are submitted at a time, so a broken pool only ever affects a few tasks
  and submission time is (almost) start time, which the parent deadline relies on.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from eksdoctor.batch_rows import failure_row
from eksdoctor.batch_sources import Task
from eksdoctor.batch_worker import WorkerOptions, init_worker, instance_of, run_task
from eksdoctor.errors import InputError

_POLL_S = 0.5
# Modules the forkserver imports once, so every (recycled) worker forks already warm.
_PRELOAD = ["eksdoctor.batch_worker", "eksdoctor.diagnosis_runner"]


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How to run: local pool size and recycling, or a Dask scheduler address."""

    jobs: int = 1
    scheduler: str | None = None           # tcp://host:port of a Dask distributed scheduler
    start_method: str | None = None        # forkserver (default on Linux) | spawn
    max_tasks_per_child: int = 100         # recycle workers so memory stays flat
    hard_grace_s: float = 10.0             # parent deadline = timeout * 1.5 + grace


def _crash_row(task: Task) -> dict:
    return failure_row(source=task.source, kind=task.kind, status="failed", instance_id=instance_of(task),
                       error="worker process died while diagnosing this bundle (crash, segfault or "
                             "out-of-memory kill); re-run it alone with `eksdoctor diagnose` to see why")


def _timeout_row(task: Task, seconds: float) -> dict:
    return failure_row(source=task.source, kind=task.kind, status="timeout", instance_id=instance_of(task),
                       error=f"no answer after {seconds:.0f} s: worker stopped (stuck outside Python)")


class _LocalPool:
    """A ProcessPoolExecutor that can be killed and rebuilt when it breaks."""

    def __init__(self, engine: EngineOptions, opts: WorkerOptions) -> None:
        method = engine.start_method or ("forkserver" if sys.platform.startswith("linux") else "spawn")
        if method not in ("forkserver", "spawn"):
            raise InputError(f"unsupported start method {method!r}", hint="use forkserver or spawn")
        self.context = mp.get_context(method)
        if method == "forkserver":
            self.context.set_forkserver_preload(_PRELOAD)  # also hands sys.path to the server
        self.engine, self.opts = engine, opts
        self.window = engine.jobs
        self.parent_deadline = opts.timeout * 1.5 + engine.hard_grace_s if opts.timeout else None
        self.executor = self._make()

    def _make(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.engine.jobs, mp_context=self.context,
                                   initializer=init_worker, initargs=(self.opts.diagnose,),
                                   max_tasks_per_child=self.engine.max_tasks_per_child)

    def submit(self, task: Task) -> Future:
        return self.executor.submit(run_task, task, self.opts)

    def kill(self) -> None:
        """Stop every worker now (a stuck task cannot be cancelled otherwise); the pool then breaks."""
        for process in list((getattr(self.executor, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()

    def restart(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor = self._make()

    def close(self, *, abort: bool = False) -> None:
        if abort:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.kill()
        else:
            self.executor.shutdown(wait=True)


class _DaskPool:
    """The same tasks on a Dask distributed cluster, through its concurrent.futures facade."""

    def __init__(self, engine: EngineOptions, opts: WorkerOptions) -> None:
        try:
            from distributed import Client
        except ImportError as err:
            raise InputError("--scheduler needs Dask distributed",
                             hint="pip install 'eksdoctor[dask]'") from err
        try:
            self.client = Client(engine.scheduler, timeout=30, set_as_default=False)
        except OSError as err:
            raise InputError(f"cannot reach the Dask scheduler at {engine.scheduler}: {err}",
                             hint="check the address (tcp://HOST:PORT) and that the scheduler runs") from err
        self.executor = self.client.get_executor(pure=False)
        self.opts = opts
        self.window = max(1, sum(self.client.nthreads().values()))
        # Dask runs tasks in worker threads where the watchdog cannot fire: the parent enforces it.
        self.parent_deadline = opts.timeout + 5.0 if opts.timeout else None

    def submit(self, task: Task) -> Future:
        return self.executor.submit(run_task, task, self.opts)

    def kill(self) -> None:  # the result is dropped; Dask keeps its worker
        pass

    def restart(self) -> None:
        pass

    def close(self, *, abort: bool = False) -> None:
        self.executor.shutdown(wait=not abort)
        self.client.close()


def run_tasks(tasks: list[Task], opts: WorkerOptions, engine: EngineOptions) -> Iterator[dict]:
    """Yield one row per task, in completion order. Closing the generator (or Ctrl-C) stops the pool."""
    pool = _DaskPool(engine, opts) if engine.scheduler else _LocalPool(engine, opts)
    pending: deque[Task] = deque(tasks)
    suspects: deque[Task] = deque()   # in flight when the pool broke: re-run alone to find the culprit
    inflight: dict[Future, tuple[Task, float, bool]] = {}
    finished_ok = False
    try:
        while pending or suspects or inflight:
            if suspects:
                if not inflight:
                    task = suspects.popleft()
                    inflight[pool.submit(task)] = (task, time.monotonic(), True)
            else:
                while pending and len(inflight) < pool.window:
                    task = pending.popleft()
                    inflight[pool.submit(task)] = (task, time.monotonic(), False)
            done, _ = wait(list(inflight), timeout=_POLL_S, return_when=FIRST_COMPLETED)
            broken: list[tuple[Task, bool]] = []
            for future in done:
                task, _, solo = inflight.pop(future)
                row = _outcome(future, task, solo, broken)
                if row is not None:
                    yield row
            if pool.parent_deadline:
                now = time.monotonic()
                for future, (task, started, _) in list(inflight.items()):
                    if now - started > pool.parent_deadline:
                        del inflight[future]
                        pool.kill()
                        yield _timeout_row(task, now - started)
            if broken or (inflight and isinstance(pool, _LocalPool) and _is_broken(pool)):
                # every other in-flight future of a broken pool fails too: drain them, then rebuild
                if inflight:
                    wait(list(inflight))
                for future, (task, _, solo) in list(inflight.items()):
                    row = _outcome(future, task, solo, broken)
                    if row is not None:
                        yield row
                inflight.clear()
                for task, solo in broken:
                    if solo:
                        yield _crash_row(task)
                    else:
                        suspects.append(task)
                pool.restart()
        finished_ok = True
    finally:
        pool.close(abort=not finished_ok)


def _is_broken(pool: _LocalPool) -> bool:
    return bool(getattr(pool.executor, "_broken", False))


def _outcome(future: Future, task: Task, solo: bool, broken: list[tuple[Task, bool]]) -> dict | None:
    """The row of a finished future, or None when its worker died (then `task` goes into `broken`)."""
    if future.cancelled():
        broken.append((task, solo))
        return None
    try:
        return future.result()
    except BrokenProcessPool:
        broken.append((task, solo))
        return None
    except Exception as err:  # noqa: BLE001 - Dask KilledWorker, unpicklable results...: record, go on
        return failure_row(source=task.source, kind=task.kind, status="failed", instance_id=instance_of(task),
                           error=f"worker error: {type(err).__name__}: {err}")
