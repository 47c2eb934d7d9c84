"""One pass over a bundle: every probe's pattern applied to every file it names.

The combined pattern runs over whole chunks of text (RE2 when available), so non-matching lines never
reach Python code; only candidate lines are parsed into LogLines and checked per probe. Memory stays
bounded: files are read in chunks cut at line boundaries, and each probe keeps a bounded sample of
hits (the first and the last ones) plus exact counts and first/last timestamps.
"""

from __future__ import annotations

import dataclasses
import gzip
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

from eksdoctor.models import Evidence, LogLine
from eksdoctor.parsing.kinds import file_kind
from eksdoctor.signals import Probe, ProbeSelector, combined_pattern, fast_re as _fast_re

CHUNK_BYTES = 8 << 20
SAMPLE_HEAD = 20
SAMPLE_TAIL = 20
MAX_GZ_BYTES = 512 << 20  # rotated logs (aws-routed-eni/*.gz) are scanned up to this many bytes


@dataclass
class Hit:
    probe: str
    line: LogLine
    attrs: dict[str, str]

    @property
    def ts(self) -> datetime | None:
        return self.line.ts

    def evidence(self) -> Evidence:
        ts = self.line.ts.strftime("%Y-%m-%dT%H:%M:%SZ") if self.line.ts else None
        return Evidence(self.line.path, self.line.lineno, ts, self.line.raw[:2000])


@dataclass
class ProbeHits:
    """Aggregate of one probe's hits: exact count, first/last time, bounded samples."""

    count: int = 0
    head: list[Hit] = field(default_factory=list)
    tail: deque = field(default_factory=lambda: deque(maxlen=SAMPLE_TAIL))
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    subjects: Counter = field(default_factory=Counter)
    attr_values: dict[str, Counter] = field(default_factory=dict)
    paths: Counter = field(default_factory=Counter)

    def add(self, hit: Hit, subject_key: str | None) -> None:
        self.count += 1
        if len(self.head) < SAMPLE_HEAD:
            self.head.append(hit)
        else:
            self.tail.append(hit)
        ts = hit.line.ts
        if ts is not None:
            if self.first_ts is None or ts < self.first_ts:
                self.first_ts = ts
            if self.last_ts is None or ts > self.last_ts:
                self.last_ts = ts
        if subject_key is not None:
            self.subjects[hit.attrs.get(subject_key, "")] += 1
        for k, v in hit.attrs.items():
            counter = self.attr_values.get(k)
            if counter is None:  # not setdefault: that builds a Counter per hit (hot path)
                counter = self.attr_values[k] = Counter()
            counter[v] += 1
        self.paths[hit.line.path] += 1

    def samples(self) -> list[Hit]:
        return self.head + list(self.tail)

    def timestamps(self) -> list[datetime]:
        return [h.line.ts for h in self.samples() if h.line.ts is not None]


@dataclass
class ScanResult:
    hits: dict[str, ProbeHits]
    files_read: list[str]
    bytes_read: int
    lines_read: int
    last_ts: dict[str, datetime] = field(default_factory=dict)  # path -> last timestamp in the file

    def get(self, name: str) -> ProbeHits:
        return self.hits.get(name) or ProbeHits()


def _iter_chunks(stream: BinaryIO, chunk_bytes: int):
    """Yield (bytes, base_lineno, newlines) chunks cut after a newline; an over-long line is cut at the
    chunk size."""
    lineno = 1
    carry = b""
    while True:
        block = stream.read(chunk_bytes)
        if not block:
            break
        data = carry + block
        cut = data.rfind(b"\n")
        if cut < 0 and len(data) < chunk_bytes * 2:
            carry = data
            continue
        if cut < 0:
            cut = len(data) - 1
        piece, carry = data[: cut + 1], data[cut + 1 :]
        newlines = piece.count(b"\n")
        yield piece, lineno, newlines
        lineno += newlines
    if carry:
        yield carry, lineno, carry.count(b"\n")


class _Limited:
    """Caps how much of a decompressed stream is read (rotated .gz logs may be bombs)."""

    def __init__(self, raw: BinaryIO, limit: int) -> None:
        self._raw, self._left = raw, limit

    def read(self, n: int) -> bytes:
        if self._left <= 0:
            return b""
        data = self._raw.read(min(n, self._left))
        self._left -= len(data)
        return data


_COMPILED: dict[frozenset[Probe], tuple] = {}
_COMPILED_MAX = 256  # distinct probe sets seen in a process; a few dozen per catalog in practice


def compiled_for(active: list[Probe]) -> tuple:
    """(match finder, selector) for a set of probes, kept for the process: a batch worker
    diagnoses thousands of bundles with the same few probe sets."""
    key = frozenset(active)
    compiled = _COMPILED.get(key)
    if compiled is None:
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        compiled = _COMPILED[key] = (_match_start(combined_pattern(active)), ProbeSelector(active))
    return compiled


def scan_bundle(bundle, probes: list[Probe] | tuple[Probe, ...], *, year: int, ref: datetime | None,
                make_parser) -> ScanResult:
    """Run `probes` over every file of `bundle` they apply to. `make_parser` is eksdoctor.parsing's."""
    hits: dict[str, ProbeHits] = {}
    files_read: list[str] = []
    last_ts: dict[str, datetime] = {}
    bytes_read = lines_read = 0

    def unsaturated(candidates: list[Probe]) -> list[Probe]:
        return [p for p in candidates if p.enough is None or p.name not in hits or hits[p.name].count < p.enough]

    for path in bundle.files():
        applicable = unsaturated([p for p in probes if p.applies_to(path)])
        if not applicable:
            continue
        files_read.append(path)
        csv_rows = file_kind(path) == "wincsv"
        parse = make_parser(path, year=year, ref=ref)
        if path.startswith("pasted/"):  # a pasted line rarely keeps its journal identifier
            parse = _PastedParser(parse)
        with bundle.open(path) as raw:
            stream: BinaryIO = raw
            if path.endswith(".gz"):
                stream = _Limited(gzip.GzipFile(fileobj=raw), MAX_GZ_BYTES)  # type: ignore[assignment]
            data, base = b"", 1
            try:
                for data, base, newlines in _iter_chunks(stream, CHUNK_BYTES):
                    bytes_read += len(data)
                    lines_read += newlines
                    if csv_rows:  # patterns are written for message text, not CSV-quoted text
                        data = data.replace(b'""', b'"')
                    resume: tuple[int, int] | None = (0, base)
                    while resume is not None and applicable:
                        find_from, selector = compiled_for(applicable)
                        resume = _scan_chunk(data, resume, selector, find_from, hits, parse)
                        if resume is not None:  # a presence probe has enough: drop it, go on from there
                            applicable = unsaturated(applicable)
            except (OSError, EOFError, gzip.BadGzipFile):
                pass  # a corrupt rotated log: keep what was scanned, the file list records it
            last = _last_timestamp(data, base, parse)
            if last is not None:
                last_ts[path] = last
        if csv_rows:
            _restore_raw(bundle, path, hits)
    return ScanResult(hits, files_read, bytes_read, lines_read, last_ts)


def _restore_raw(bundle, path: str, hits: dict[str, ProbeHits]) -> None:
    """A CSV file was matched on de-quoted text: give its sampled hits the file's own line back as
    `raw`, so the evidence quoted in a report is what `grep` finds at that path:line."""
    samples = [h for ph in hits.values() for h in ph.samples() if h.line.path == path]
    if not samples:
        return
    wanted = {h.line.lineno for h in samples}
    last, original = max(wanted), {}
    for lineno, text in bundle.lines(path):
        if lineno in wanted:
            original[lineno] = text.rstrip("\r")
        if lineno >= last:
            break
    for hit in samples:  # Hit objects are shared by head and tail: replacing the line once is enough
        if hit.line.lineno in original:
            hit.line = dataclasses.replace(hit.line, raw=original[hit.line.lineno])


class _PastedParser:
    """Marks a parser as reading pasted lines, for which the source filter is relaxed."""

    pasted = True

    def __init__(self, parse) -> None:
        self._parse = parse

    def __call__(self, lineno: int, text: str):
        return self._parse(lineno, text)


def _last_timestamp(data: bytes, base: int, parse, tail_lines: int = 50) -> datetime | None:
    """Timestamp of the last dated line of the final chunk (how long the file kept logging)."""
    lines = data.rstrip(b"\n").split(b"\n")
    first = base + max(0, len(lines) - tail_lines)
    for offset, raw in enumerate(reversed(lines[-tail_lines:])):
        parsed = parse(first + len(lines[-tail_lines:]) - 1 - offset, raw.decode("utf-8", "replace"))
        if parsed.ts is not None:
            return parsed.ts
    return None


def _match_start(combined):
    """(data, pos, size) -> offset of the next match or -1. With RE2 this calls the compiled matcher
    directly: the Python wrapper's search() builds a generator and a Match object per call, which
    was a fifth of the scan time on a bundle whose kubelet log is one long error loop."""
    regexp = getattr(combined, "_regexp", None)
    anchor = getattr(getattr(_fast_re, "_Anchor", None), "UNANCHORED", None)
    if regexp is not None and anchor is not None:
        match = regexp.Match
        try:
            match(anchor, b"", 0, 0)
        except Exception:  # noqa: BLE001 - the binding changed shape: use the public API
            pass
        else:
            def find_fast(data: bytes, pos: int, size: int) -> int:
                return match(anchor, data, pos, size)[0][0]  # (-1, -1) when there is no match
            return find_fast

    def find(data: bytes, pos: int, size: int) -> int:
        m = combined.search(data, pos)
        return -1 if m is None else m.start()
    return find


def _scan_chunk(data: bytes, start_at: tuple[int, int], selector: ProbeSelector, find_from, hits,
                parse) -> tuple[int, int] | None:
    """Find candidate lines with the combined pattern (`find_from`, from _match_start); decode and
    check only those. Returns None at
    the end of `data`, or the (offset, lineno) to resume from once a probe with `enough` got enough
    hits (the caller drops it and recompiles, so an every-line probe costs one hit, not thousands)."""
    pos, lineno = start_at
    size = len(data)
    pasted = getattr(parse, "pasted", False)
    while pos < size:
        at = find_from(data, pos, size)
        if at < 0:
            return None
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        if end < 0:
            end = size
        lineno += data.count(b"\n", pos, start)
        line_bytes = data[start:end]
        line_text = line_bytes.decode("utf-8", "replace").replace("\x00", "\ufffd").rstrip("\r")
        parsed: LogLine | None = None
        saturated = False
        for probe in selector.candidates(line_bytes):
            attrs = probe.match_line(line_text)
            if attrs is None:
                continue
            if parsed is None:
                parsed = parse(lineno, line_text)
            if probe.sources is not None and parsed.source not in probe.sources and not pasted:
                continue
            probe_hits = hits.get(probe.name)
            if probe_hits is None:
                probe_hits = hits[probe.name] = ProbeHits()
            probe_hits.add(Hit(probe.name, parsed, attrs), probe.subject)
            if probe.enough is not None and probe_hits.count >= probe.enough:
                saturated = True
        pos = end + 1
        lineno += 1
        if saturated:
            return pos, lineno
    return None
