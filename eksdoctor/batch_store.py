"""SQLite results store of `eksdoctor batch`: one row per node, committed as soon as it finishes.

Tables: `runs` (one per batch invocation; `--resume` continues the latest one) and `results`
(run_id, source) -> the flat row of batch_rows.COLUMNS plus the full diagnosis JSON, zlib-compressed.
WAL mode, so a reader (another shell, a notebook) can watch a batch while it runs.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from eksdoctor.batch_rows import COLUMNS
from eksdoctor.errors import InputError, WorkspaceError

_LIST_COLUMNS = ("finding_ids", "rules")
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    run_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    state       TEXT NOT NULL,          -- running | done | interrupted
    sources     TEXT NOT NULL,          -- JSON list of the SOURCES as given
    options     TEXT NOT NULL,          -- JSON of the options that shape results
    tool_version TEXT
);
CREATE TABLE IF NOT EXISTS results (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    {", ".join(f"{c} {'REAL' if c in ('elapsed_s', 'worker_peak_rss_mb') else 'TEXT'}" for c in COLUMNS)},
    diagnosis BLOB,
    PRIMARY KEY (run_id, source)
);
CREATE INDEX IF NOT EXISTS results_status ON results(run_id, status);
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class ResultStore:
    """Open (or create) a batch database. Use as a context manager or call close()."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as err:
            raise WorkspaceError(f"cannot use {self.path} as a batch database: {err}",
                                 hint="pass another file with --out results.db") from err
        except OSError as err:
            raise WorkspaceError(f"cannot create {self.path}: {err}",
                                 hint="pass a writable --out path") from err

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # --- runs

    def start_run(self, sources: list[str], options: dict, tool_version: str) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (started_at, state, sources, options, tool_version) "
            "VALUES (?, 'running', ?, ?, ?)",
            (_now(), json.dumps(sources), json.dumps(options, sort_keys=True), tool_version))
        return int(cur.lastrowid)

    def latest_run(self) -> int | None:
        row = self.db.execute("SELECT max(run_id) FROM runs").fetchone()
        return row[0] if row and row[0] is not None else None

    def resume_run(self, run_id: int | None = None) -> int:
        """The run to continue (`--resume`): the given one or the latest; InputError when there is none."""
        run_id = run_id if run_id is not None else self.latest_run()
        if run_id is None or not self.db.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone():
            raise InputError(f"nothing to resume in {self.path}", hint="run the batch once without --resume")
        self.db.execute("UPDATE runs SET state='running', finished_at=NULL WHERE run_id=?", (run_id,))
        return run_id

    def finish_run(self, run_id: int, state: str) -> None:
        self.db.execute("UPDATE runs SET state=?, finished_at=? WHERE run_id=?", (state, _now(), run_id))

    def run_info(self, run_id: int) -> dict:
        cur = self.db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,))
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None:
            raise InputError(f"no run {run_id} in {self.path}")
        info = dict(zip(names, row, strict=True))
        info["sources"] = json.loads(info["sources"])
        info["options"] = json.loads(info["options"])
        return info

    # --- results

    def done_sources(self, run_id: int) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT source FROM results WHERE run_id=?", (run_id,))}

    def forget_failures(self, run_id: int) -> int:
        """Drop failed/timeout rows so `--resume --retry-failed` tries those bundles again."""
        cur = self.db.execute("DELETE FROM results WHERE run_id=? AND status!='ok'", (run_id,))
        return cur.rowcount

    def add(self, run_id: int, row: dict) -> None:
        """Insert one finished row and commit at once (autocommit): an interruption loses nothing done."""
        values = [json.dumps(row.get(c) or []) if c in _LIST_COLUMNS else row.get(c) for c in COLUMNS]
        values = [int(v) if isinstance(v, bool) else v for v in values]
        try:
            self.db.execute(
                f"INSERT OR REPLACE INTO results (run_id, {', '.join(COLUMNS)}, diagnosis) "
                f"VALUES (?, {', '.join('?' * len(COLUMNS))}, ?)",
                (run_id, *values, row.get("diagnosis")))
        except sqlite3.OperationalError as err:
            raise WorkspaceError(f"cannot write to {self.path}: {err}") from err

    def rows(self, run_id: int, *, with_diagnosis: bool = False) -> list[dict]:
        """All rows of a run, sorted by source, lists decoded; the diagnosis blob only on request."""
        columns = list(COLUMNS) + (["diagnosis"] if with_diagnosis else [])
        cur = self.db.execute(f"SELECT {', '.join(columns)} FROM results WHERE run_id=? ORDER BY source",
                              (run_id,))
        out = []
        for values in cur:
            row = dict(zip(columns, values, strict=True))
            for c in _LIST_COLUMNS:
                row[c] = json.loads(row[c]) if row[c] else []
            row["partial"] = bool(row["partial"]) if row["partial"] is not None else False
            out.append(row)
        return out

    def diagnosis(self, run_id: int, source: str) -> dict | None:
        """The full diagnosis JSON stored for one node, or None (failed rows have none)."""
        from eksdoctor.batch_rows import unpack_diagnosis

        row = self.db.execute("SELECT diagnosis FROM results WHERE run_id=? AND source=?",
                              (run_id, source)).fetchone()
        return unpack_diagnosis(row[0]) if row else None
