"""SQLite line index of an imported bundle: every parsed line, plus an FTS5 table that finds the
lines which can possibly match a regex (by the literal substrings the regex requires).

Layout (one file, `index.sqlite`, beside the extracted bundle):
  files(id, path, lines)                       one row per text member, ids in path order
  lines(id, file_id, lineno, ts, source, level, message, msg_off, raw)
                                               ids in (path, lineno) order, so ORDER BY id is the
                                               stable search order; ts = epoch seconds or NULL;
                                               message NULL when it is raw[msg_off:] (saves space)
  lines_v                                      view with the message filled in
  markers(line_id, ts)                         boot markers ("-- Reboot --"), placed at the time of
                                               the next stamped line of the same file
  lines_fts                                    FTS5 over raw (external content, detail=none):
                                               trigram tokenizer when this SQLite has it, else unicode61
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from eksdoctor import bundle_lines
from eksdoctor.patterns import Requirement

INDEX_VERSION = 1
_BATCH = 20_000

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, lines INTEGER NOT NULL DEFAULT 0);
CREATE TABLE lines(id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, lineno INTEGER NOT NULL, ts REAL,
                   source TEXT, level TEXT, message TEXT, msg_off INTEGER, raw TEXT NOT NULL);
CREATE TABLE markers(line_id INTEGER PRIMARY KEY, ts REAL);
CREATE VIEW lines_v AS
  SELECT id, file_id, lineno, ts, source, level,
         CASE WHEN message IS NULL THEN substr(raw, msg_off + 1) ELSE message END AS message, raw
  FROM lines;
"""


def fts_tokenizer() -> str:
    """'trigram' when this SQLite build supports it (3.34+), else 'unicode61'."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        return "trigram"
    except sqlite3.OperationalError:
        return "unicode61"
    finally:
        con.close()


def build_index(bundle, db_path: Path, *, progress: Callable | None = None, tokenizer: str | None = None) -> dict:
    """Parse every text line of `bundle` into a new index at `db_path`. Returns {"files", "lines", "tokenizer"}."""
    tokenizer = tokenizer or fts_tokenizer()
    db_path = Path(db_path)
    if db_path.exists():
        db_path.unlink()
    con = sqlite3.connect(db_path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=OFF")
        con.executescript(_SCHEMA)
        year, ref = bundle_lines.clock(bundle)
        paths = bundle_lines.text_files(bundle)
        total_lines, next_id = 0, 1
        for file_id, path in enumerate(paths, start=1):
            count, next_id = _insert_file(con, bundle, path, file_id, next_id, year, ref)
            total_lines += count
            if progress:
                progress("index", file_id, len(paths))
        with con:
            con.execute("CREATE INDEX lines_ts ON lines(ts) WHERE ts IS NOT NULL")
        if progress:
            progress("fts", 0, 1)
        with con:
            con.execute(f"CREATE VIRTUAL TABLE lines_fts USING fts5(raw, content='lines', content_rowid='id', "
                        f"tokenize='{tokenizer}', detail=none)")
            con.execute("INSERT INTO lines_fts(lines_fts) VALUES('rebuild')")
            con.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("version", str(INDEX_VERSION)), ("tokenizer", tokenizer), ("lines", str(total_lines)),
                ("files", str(len(paths)))])
        con.execute("PRAGMA journal_mode=DELETE")  # one self-contained file once built
        if progress:
            progress("fts", 1, 1)
    finally:
        con.close()
    return {"files": len(paths), "lines": total_lines, "tokenizer": tokenizer}


def _insert_file(con, bundle, path, file_id, next_id, year, ref) -> tuple[int, int]:
    rows: list[tuple] = []
    markers: list[tuple] = []
    pending: list[int] = []          # boot markers waiting for the next stamped line
    last_ts = None
    count = 0
    con.execute("BEGIN")
    for line in bundle_lines.parsed_lines(bundle, path, year, ref):
        ts = line.ts.timestamp() if line.ts is not None else None
        raw, msg = line.raw, line.message
        if msg is None or raw.endswith(msg):
            message, off = None, len(raw) - len(msg or "")
        else:
            message, off = msg, None
        rows.append((next_id, file_id, line.lineno, ts, line.source, line.level, message, off, raw))
        if ts is not None:
            last_ts = ts
            markers.extend((mid, ts) for mid in pending)
            pending.clear()
        elif bundle_lines.is_boot_marker(line):
            pending.append(next_id)
        next_id += 1
        count += 1
        if len(rows) >= _BATCH:
            con.executemany("INSERT INTO lines VALUES (?,?,?,?,?,?,?,?,?)", rows)
            rows.clear()
    markers.extend((mid, last_ts) for mid in pending)
    if rows:
        con.executemany("INSERT INTO lines VALUES (?,?,?,?,?,?,?,?,?)", rows)
    con.executemany("INSERT INTO markers VALUES (?, ?)", markers)
    con.execute("INSERT INTO files VALUES (?, ?, ?)", (file_id, path, count))
    con.execute("COMMIT")
    return count, next_id


def fts_query(req: Requirement, tokenizer: str) -> str | None:
    """FTS5 MATCH expression selecting a superset of the lines that satisfy `req` (None: no filter)."""
    if req is None:
        return None
    kind = req[0]
    if kind == "lit":
        terms = _trigram_terms(req[1]) if tokenizer == "trigram" else _word_terms(req[1])
        return " AND ".join(terms) if terms else None
    parts = [fts_query(p, tokenizer) for p in req[1]]
    if kind == "and":
        parts = [p for p in parts if p]
        return " AND ".join(f"({p})" for p in parts) if parts else None
    if any(p is None for p in parts):
        return None
    return " OR ".join(f"({p})" for p in parts)


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _trigram_terms(lit: str) -> list[str]:
    """Trigrams covering the literal (every third one plus the last: enough to be selective)."""
    if len(lit) < 3:
        return []
    starts = sorted(set(range(0, len(lit) - 2, 3)) | {len(lit) - 3})
    return [_quote(lit[i:i + 3]) for i in starts]


def _word_terms(lit: str) -> list[str]:
    """unicode61: whole words strictly inside the literal, and the last word as a prefix."""
    words, cur, starts = [], "", []
    for i, ch in enumerate(lit + " "):
        if ch.isalnum():
            if not cur:
                starts.append(i)
            cur += ch
        elif cur:
            words.append((starts[-1], cur))
            cur = ""
    terms = []
    for start, word in words:
        bounded_left = start > 0
        bounded_right = start + len(word) < len(lit)
        if bounded_left and bounded_right:
            terms.append(_quote(word))
        elif bounded_left:
            terms.append(_quote(word) + "*")
    return terms


class LineIndex:
    """Read side of an index.sqlite."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(db_path)
        self.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        meta = dict(self.con.execute("SELECT key, value FROM meta"))
        self.tokenizer = meta.get("tokenizer", "trigram")
        self.version = int(meta.get("version", 0))
        self.files = {fid: path for fid, path in self.con.execute("SELECT id, path FROM files ORDER BY id")}

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> LineIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def candidates(self, req: Requirement, *, file_ids: list[int] | None = None, since: float | None = None,
                   until: float | None = None, stamped_only: bool = False) -> Iterator[tuple]:
        """Rows (id, file_id, lineno, ts, source, level, raw) that may match, in (path, lineno) order."""
        where, args = self._filters(req, file_ids, since, until, stamped_only)
        sql = "SELECT id, file_id, lineno, ts, source, level, raw FROM lines"
        if where:
            sql += " WHERE " + " AND ".join(where)
        cur = self.con.execute(sql + " ORDER BY id", args)
        while batch := cur.fetchmany(5000):
            yield from batch

    def count_containing(self, req: Requirement, literals: list[str], *, file_ids: list[int] | None = None,
                         since: float | None = None, until: float | None = None, stamped_only: bool = False) -> int:
        """How many candidate lines contain one of `literals` (case-sensitive), counted inside SQLite:
        for a pattern that is only literals this is its exact match count, without a row reaching Python."""
        where, args = self._filters(req, file_ids, since, until, stamped_only)
        where.append("(" + " OR ".join("instr(raw, ?) > 0" for _ in literals) + ")")
        args.extend(literals)
        return self.con.execute("SELECT count(*) FROM lines WHERE " + " AND ".join(where), args).fetchone()[0]

    def _filters(self, req: Requirement, file_ids, since, until, stamped_only) -> tuple[list[str], list]:
        where: list[str] = []
        args: list = []
        query = fts_query(req, self.tokenizer)
        if query:
            where.append("id IN (SELECT rowid FROM lines_fts WHERE lines_fts MATCH ?)")
            args.append(query)
        if file_ids is not None and len(file_ids) < len(self.files):
            where.append(f"file_id IN ({','.join('?' * len(file_ids))})")
            args.extend(file_ids)
        if since is not None:
            where.append("ts >= ?")
            args.append(since)
        if until is not None:
            where.append("ts <= ?")
            args.append(until)
        if stamped_only and since is None and until is None:
            where.append("ts IS NOT NULL")
        return where, args

    def raw_between(self, file_id: int, first_id: int, last_id: int) -> list[tuple[int, str]]:
        """(id, raw) of one file's rows with ids in [first_id, last_id] (context lines)."""
        return self.con.execute("SELECT id, raw FROM lines WHERE id BETWEEN ? AND ? AND file_id = ? ORDER BY id",
                                (first_id, last_id, file_id)).fetchall()

    def window(self, lo: float, hi: float) -> Iterator[tuple]:
        """Stamped rows (id, file_id, lineno, ts, source, level, raw) with lo <= ts <= hi, in time order."""
        cur = self.con.execute("SELECT id, file_id, lineno, ts, source, level, raw FROM lines "
                               "WHERE ts BETWEEN ? AND ? ORDER BY ts, file_id, lineno", (lo, hi))
        while batch := cur.fetchmany(5000):
            yield from batch

    def markers(self, lo: float, hi: float) -> list[tuple]:
        """Boot markers placed within [lo, hi]: (id, file_id, lineno, ts, source, level, raw)."""
        return self.con.execute(
            "SELECT l.id, l.file_id, l.lineno, m.ts, l.source, l.level, l.raw FROM markers m "
            "JOIN lines l ON l.id = m.line_id WHERE m.ts BETWEEN ? AND ?", (lo, hi)).fetchall()

    def max_ts(self) -> float | None:
        return self.con.execute("SELECT max(ts) FROM lines").fetchone()[0]
