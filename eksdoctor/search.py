"""`search` (the SOP's search tool): grep a bundle with a regex, safely and fast.

Two paths give the same answer:
- warm: the target is imported -> the FTS index pre-filters candidate lines by the literals the
  regex requires, the regex confirms each one;
- cold: a tarball or directory -> every text file is read once, in large blocks of lines, the regex
  runs over each block in one call (eksdoctor.patterns), and only matching lines are parsed for
  their timestamp/level/source.
Results are ordered by path, then line number, and paged with offset/max_results.
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from eksdoctor import bundle_lines
from eksdoctor.errors import InputError
from eksdoctor.index import INDEX_VERSION, LineIndex
from eksdoctor.parsing import parse_lines
from eksdoctor.patterns import UserPattern, compile_pattern
from eksdoctor.workspace import open_target, resolve_target

MAX_CONTEXT = 100
_BLOCK_LINES = 50_000
_ROWS_PER_BATCH = 5000  # index rows confirmed per regex call
_RELATIVE = re.compile(r"^-?\s*((?:\d+(?:\.\d+)?\s*[smhd]\s*)+)$", re.IGNORECASE)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def search(target: str, pattern: str, *, file_glob: str | None = None, since: str | None = None,
           until: str | None = None, context: int = 0, max_results: int = 200, offset: int = 0,
           timeout: float = 5.0, workspace=None) -> dict:
    """Regex search over every line of a bundle. See module docstring and docs of eksdoctor.api.search."""
    started = time.perf_counter()
    _check_ints(context=context, max_results=max_results, offset=offset)
    user = compile_pattern(pattern, timeout=timeout)
    globs = _globs(file_glob)
    resolved = resolve_target(target, workspace)
    index_path = resolved.path / "index.sqlite"
    if resolved.kind == "imported" and index_path.is_file():
        with LineIndex(index_path) as index:
            if index.version == INDEX_VERSION:
                ref = _collected_at(resolved.meta) or _epoch_dt(index.max_ts())
                window = _window(since, until, ref)
                page = _Page(offset, max_results)
                searched = _warm(index, user, globs, window, context, page)
                return _result(pattern, target, page, searched, started, "index")
    with open_target(target, workspace) as bundle:
        window = _window(since, until, bundle.info.collected_at)
        page = _Page(offset, max_results)
        searched = _cold(bundle, user, globs, window, context, page)
    return _result(pattern, target, page, searched, started, "scan")


# --- options ----------------------------------------------------------------------------------


def _check_ints(**values: int) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or value < 0:
            raise InputError(f"{name} must be a non-negative integer, got {value!r}")
    if values["context"] > MAX_CONTEXT:
        raise InputError(f"context must be at most {MAX_CONTEXT} lines, got {values['context']}")


def _globs(file_glob: str | None) -> list[str] | None:
    """Comma-separated globs; a glob without '/' also matches a file's base name ('*.log')."""
    if not file_glob:
        return None
    globs = [g.strip().removeprefix("./") for g in file_glob.split(",")]
    return [g for g in globs if g] or None


def glob_matches(globs: list[str] | None, path: str) -> bool:
    if globs is None:
        return True
    name = path.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatchcase(path, g) or ("/" not in g and fnmatch.fnmatchcase(name, g)) for g in globs)


def parse_time_bound(value: str | None, ref: datetime | None, what: str) -> float | None:
    """ISO time ('2024-06-06T19:33:00Z', naive = UTC) or relative to collection time ('30m', '2h', '1h30m')."""
    if value is None or value == "":
        return None
    text = value.strip()
    rel = _RELATIVE.match(text)
    if rel:
        if ref is None:
            raise InputError(f"--{what} {value!r} is relative to the collection time, which this bundle does not "
                             "record", hint="give an ISO time instead, e.g. 2024-06-06T19:30:00Z")
        seconds = sum(float(n) * _UNIT_S[u.lower()]
                      for n, u in re.findall(r"(\d+(?:\.\d+)?)\s*([smhdSMHD])", rel.group(1)))
        return (ref - timedelta(seconds=seconds)).timestamp()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(f"--{what} {value!r} is neither an ISO time nor a relative time",
                         hint="examples: 2024-06-06T19:30:00Z, '2024-06-06 19:30', 30m, 2h, 1h30m") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _window(since, until, ref) -> tuple[float | None, float | None] | None:
    lo, hi = parse_time_bound(since, ref, "since"), parse_time_bound(until, ref, "until")
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None and lo > hi:
        raise InputError(f"--since {since} is after --until {until}")
    return lo, hi


def _in_window(window, ts: float | None) -> bool:
    if window is None:
        return True
    if ts is None:
        return False  # with a time filter, lines without a time cannot be placed: leave them out
    lo, hi = window
    return (lo is None or ts >= lo) and (hi is None or ts <= hi)


def _collected_at(meta: dict | None) -> datetime | None:
    value = ((meta or {}).get("bundle") or {}).get("collected_at")
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _epoch_dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, timezone.utc) if ts is not None else None


# --- results ----------------------------------------------------------------------------------


class _Page:
    """Counts every match, keeps only the requested page."""

    def __init__(self, offset: int, size: int) -> None:
        self.offset, self.size = offset, size
        self.total = 0
        self.matches: list[dict] = []

    def wants_next(self) -> bool:
        return self.offset <= self.total < self.offset + self.size

    def full(self) -> bool:
        return self.total >= self.offset + self.size

    def add(self, match: dict | None) -> None:
        if match is not None:
            self.matches.append(match)
        self.total += 1


def _result(pattern, target, page: _Page, searched: int, started: float, via: str) -> dict:
    returned = len(page.matches)
    return {
        "pattern": pattern,
        "target": target,
        "total": page.total,
        "returned": returned,
        "offset": page.offset,
        "truncated": page.total > page.offset + returned,
        "matches": page.matches,
        "files_searched": searched,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        "via": via,
    }


def _match(path, lineno, ts, level, source, text, before, after) -> dict:
    return {"path": path, "line": lineno, "ts": bundle_lines.iso(ts), "level": level, "source": source,
            "text": text, "before": before, "after": after}


# --- warm: the index --------------------------------------------------------------------------


def _warm(index: LineIndex, user: UserPattern, globs, window, context: int, page: _Page) -> int:
    file_ids = [fid for fid, path in index.files.items() if glob_matches(globs, path)]
    lo, hi = window if window else (None, None)
    filters = {"file_ids": file_ids, "since": lo, "until": hi, "stamped_only": window is not None}
    rows = index.candidates(user.requirement, **filters)
    for batch in _batched(rows, _ROWS_PER_BATCH):
        if user.literal and page.full():
            # the page is filled and the pattern is plain literals: SQLite counts the rest exactly
            page.total = index.count_containing(user.requirement, user.cover, **filters)
            break
        for i in user.matching_lines("\n".join(r[6] for r in batch)):
            rid, fid, lineno, ts, source, level, raw = batch[i]
            if not page.wants_next():
                page.add(None)
                continue
            before = after = []
            if context:
                near = index.raw_between(fid, rid - context, rid + context)
                before = [t for k, t in near if k < rid]
                after = [t for k, t in near if k > rid]
            page.add(_match(index.files[fid], lineno, ts, level, source, raw, before, after))
    return len(file_ids)


def _batched(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- cold: read the files ---------------------------------------------------------------------


def _cold(bundle, user: UserPattern, globs, window, context: int, page: _Page) -> int:
    year, ref = bundle_lines.clock(bundle)
    searched = 0
    for path in bundle_lines.text_files(bundle, lambda p: glob_matches(globs, p)):
        searched += 1
        _scan_file(bundle, path, user, window, context, page, year, ref)
    return searched


def _scan_file(bundle, path, user, window, context, page, year, ref) -> None:
    tail: list[str] = []       # last `context` lines of the previous block (before-context)
    waiting: list[dict] = []   # matches still collecting after-context lines from the next block
    # Context lines may come from blocks without a match: only skip blocks when no context is asked.
    skip = None if context else user.byte_cover()
    for first, block in bundle_lines.text_blocks(bundle, path, skip):
        if waiting:
            head = block.split("\n", context)[:context]
            for m in waiting:
                m["after"].extend(head[: context - len(m["after"])])
            waiting = [m for m in waiting if len(m["after"]) < context]
        if window is None and page.full():
            counted = user.count_matching_lines(block)
            if counted is not None:  # nothing more to show: only the total is left to count
                page.total += counted
                continue
        for i, start, end in user.matching_spans(block):
            if window is None and not page.wants_next():
                page.add(None)
                continue
            lineno, text = first + i, block[start:end]
            parsed = next(parse_lines(path, [(lineno, text)], year=year, ref=ref))
            ts = parsed.ts.timestamp() if parsed.ts is not None else None
            if not _in_window(window, ts):
                continue
            if not page.wants_next():
                page.add(None)
                continue
            before, after = [], []
            if context:
                before = _lines_before(block, start, context)
                if len(before) < context:
                    before = tail[len(tail) - (context - len(before)):] + before if tail else before
                after = block[end + 1:].split("\n", context)[:context] if end < len(block) else []
            match = _match(path, lineno, ts, parsed.level, parsed.source, text, before, after)
            page.add(match)
            if len(after) < context:
                waiting.append(match)
        if context:
            last = block.rsplit("\n", context)[-context:]
            tail = (tail + last)[-context:] if len(last) < context else last


def _lines_before(block: str, start: int, n: int) -> list[str]:
    """Up to n lines before the line starting at `start` in `block`."""
    if start == 0:
        return []
    head = block[:start - 1]
    return head.rsplit("\n", n)[-n:]
