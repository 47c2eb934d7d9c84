"""`timeline` (the SOP's correlate tool): what every source logged around one event.

The pivot is the earliest timestamped line matching a regex (ties broken by path, then line).
Every timestamped line of every file within +-window seconds of it is merged in time order, with
its offset from the pivot. Journal boot markers ("-- Reboot --", "-- Boot <id> --") carry no time of
their own; they are placed at the time of the next stamped line of their file (the first line
of the new boot), or the previous one at the end of a file.

Over `max_events`, the events nearest to the pivot are kept (the story around it), still shown in
time order, and the result says how many were left out.
"""

from __future__ import annotations

import time
from collections import Counter

from eksdoctor import bundle_lines
from eksdoctor.errors import InputError
from eksdoctor.index import INDEX_VERSION, LineIndex
from eksdoctor.parsing import parse_lines
from eksdoctor.patterns import UserPattern, compile_pattern
from eksdoctor.workspace import open_target, resolve_target

PIVOT_TIMEOUT_S = 10.0


def timeline(target: str, pivot: str, *, window: float = 300, max_events: int = 500, workspace=None) -> dict:
    """Events of all sources within +-window seconds of the first line matching `pivot`."""
    started = time.perf_counter()
    if not isinstance(window, (int, float)) or window <= 0:
        raise InputError(f"window must be a positive number of seconds, got {window!r}")
    if not isinstance(max_events, int) or max_events <= 0:
        raise InputError(f"max_events must be a positive integer, got {max_events!r}")
    user = compile_pattern(pivot, timeout=PIVOT_TIMEOUT_S)
    resolved = resolve_target(target, workspace)
    index_path = resolved.path / "index.sqlite"
    found, events, warm = None, [], False
    if resolved.kind == "imported" and index_path.is_file():
        with LineIndex(index_path) as index:
            if index.version == INDEX_VERSION:
                warm = True
                found = _warm_pivot(index, user)
                events = _warm_events(index, found, window) if found else []
    if not warm:
        with open_target(target, workspace) as bundle:
            found, events = _cold(bundle, user, window)
    if found is None:
        raise InputError(f"no timestamped line matches pivot {pivot!r}",
                         hint=f"check the pattern with `eksdoctor search {target} '{pivot}'`; "
                         "lines without a timestamp cannot anchor a timeline")
    return _result(pivot, found, events, window, max_events, started)


def _event(row: tuple, path: str, kind: str = "line") -> dict:
    _id, _fid, lineno, ts, source, level, raw = row
    return {"ts": ts, "path": path, "line": lineno, "source": source, "level": level, "text": raw, "kind": kind}


def _key(e: dict) -> tuple:
    return (e["ts"], e["path"], e["line"])


# --- warm -------------------------------------------------------------------------------------


def _warm_pivot(index: LineIndex, user: UserPattern) -> dict | None:
    best = None
    batch: list[tuple] = []

    def flush():
        nonlocal best
        for i in user.matching_lines("\n".join(r[6] for r in batch)):
            e = _event(batch[i], index.files[batch[i][1]])
            if best is None or _key(e) < _key(best):
                best = e
        batch.clear()

    for row in index.candidates(user.requirement, stamped_only=True):
        batch.append(row)
        if len(batch) >= 5000:
            flush()
    flush()
    return best


def _warm_events(index: LineIndex, pivot: dict, window: float) -> list[dict]:
    lo, hi = pivot["ts"] - window, pivot["ts"] + window
    events = [_event(r, index.files[r[1]]) for r in index.window(lo, hi)]
    events += [_event(r, index.files[r[1]], "boot") for r in index.markers(lo, hi)]
    return events


# --- cold -------------------------------------------------------------------------------------


def _cold(bundle, user: UserPattern, window: float) -> tuple[dict | None, list[dict]]:
    year, ref = bundle_lines.clock(bundle)
    paths = bundle_lines.text_files(bundle)
    pivot = None
    for path in paths:  # pass 1: regex over blocks, parse only the matching lines
        for first, block in bundle_lines.text_blocks(bundle, path, user.byte_cover()):
            for i, start, end in user.matching_spans(block):
                line = next(parse_lines(path, [(first + i, block[start:end])], year=year, ref=ref))
                if line.ts is None:
                    continue
                e = {"ts": line.ts.timestamp(), "path": path, "line": line.lineno, "source": line.source,
                     "level": line.level, "text": line.raw, "kind": "line"}
                if pivot is None or _key(e) < _key(pivot):
                    pivot = e
    if pivot is None:
        return None, []
    lo, hi = pivot["ts"] - window, pivot["ts"] + window
    events = []
    for path in paths:  # pass 2: parse everything, keep the window
        pending: list = []
        last_ts = None
        for line in bundle_lines.parsed_lines(bundle, path, year, ref):
            if line.ts is None:
                if bundle_lines.is_boot_marker(line):
                    pending.append(line)
                continue
            ts = line.ts.timestamp()
            for marker in pending:
                _keep_marker(events, marker, path, ts, lo, hi)
            pending.clear()
            last_ts = ts
            if lo <= ts <= hi:
                events.append({"ts": ts, "path": path, "line": line.lineno, "source": line.source,
                               "level": line.level, "text": line.raw, "kind": "line"})
        for marker in pending:
            if last_ts is not None:
                _keep_marker(events, marker, path, last_ts, lo, hi)
    return pivot, events


def _keep_marker(events: list, marker, path: str, ts: float, lo: float, hi: float) -> None:
    if lo <= ts <= hi:
        events.append({"ts": ts, "path": path, "line": marker.lineno, "source": marker.source,
                       "level": None, "text": marker.raw, "kind": "boot"})


# --- result -----------------------------------------------------------------------------------


def _result(pattern: str, pivot: dict, events: list[dict], window: float, max_events: int, started: float) -> dict:
    # Markers sort just before the line they precede (same time, same file, lower line number).
    events.sort(key=_key)
    total = len(events)
    if total > max_events:
        nearest = sorted(range(total), key=lambda i: (abs(events[i]["ts"] - pivot["ts"]), i))[:max_events]
        events = [events[i] for i in sorted(nearest)]
    out_events = []
    for e in events:
        is_pivot = e["path"] == pivot["path"] and e["line"] == pivot["line"] and e["kind"] == "line"
        out_events.append({
            "ts": bundle_lines.iso(e["ts"]),
            "offset_s": round(e["ts"] - pivot["ts"], 3),
            "ref": f"{e['path']}:{e['line']}",
            "path": e["path"],
            "line": e["line"],
            "source": e["source"],
            "level": e["level"],
            "kind": "pivot" if is_pivot else e["kind"],
            "text": e["text"],
        })
    return {
        "pivot": {"pattern": pattern, "ts": bundle_lines.iso(pivot["ts"]), "path": pivot["path"],
                  "line": pivot["line"], "source": pivot["source"], "level": pivot["level"], "text": pivot["text"]},
        "window_s": window,
        "from": bundle_lines.iso(pivot["ts"] - window),
        "to": bundle_lines.iso(pivot["ts"] + window),
        "total": total,
        "returned": len(out_events),
        "truncated": total > len(out_events),
        "omitted": total - len(out_events),
        "sources": dict(sorted(Counter(e["source"] for e in out_events).items())),
        "events": out_events,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }
