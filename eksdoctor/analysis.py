"""Bundle -> analysis: one scan for signals and fact probes, then aggregated signals and bundle facts.

This is the part of diagnosis that needs no rule engine: triage uses it alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from eksdoctor.facts import FACT_PROBES, BundleFacts, extract_facts
from eksdoctor.parsing import make_parser
from eksdoctor.scanner import ProbeHits, ScanResult, scan_bundle
from eksdoctor.signals import Probe, load_catalog

# Engine facts carry at most this many attributes; values are truncated to keep facts small.
_MAX_ATTR_LEN = 300
# A transient-capable signal that stopped this long before its log did has cleared by itself.
STALE_AFTER = timedelta(minutes=10)


@dataclass
class SignalFact:
    """One aggregated signal as the engine sees it, plus the samples that prove it."""

    name: str
    subject: str | None
    count: int
    first_ts: datetime | None
    last_ts: datetime | None
    attrs: dict[str, str]
    dismissed: bool
    dismissed_reason: str | None
    hits: ProbeHits
    marker: bool = False

    def engine_fact(self) -> dict:
        fact = {"kind": "signal", "name": self.name, "count": self.count, "dismissed": self.dismissed,
                "first_ts": int(self.first_ts.timestamp()) if self.first_ts else 0,
                "last_ts": int(self.last_ts.timestamp()) if self.last_ts else 0}
        if self.subject is not None:
            fact["subject"] = self.subject
        for k, v in self.attrs.items():
            fact[f"attr_{k}"] = v[:_MAX_ATTR_LEN]
        return fact

    def samples(self):
        hits = self.hits.samples()
        if self.subject is None:
            return hits
        probe_subject = [h for h in hits if self._subject_of(h) == self.subject]
        return probe_subject or hits

    def _subject_of(self, hit) -> str:
        return next((v for k, v in hit.attrs.items() if k == self._subject_key), "")

    _subject_key: str = field(default="", repr=False)


@dataclass
class Analysis:
    bundle_info: dict
    facts: BundleFacts
    signals: list[SignalFact]
    scan: ScanResult
    elapsed_ms: int
    year: int

    def signal(self, name: str) -> list[SignalFact]:
        return [s for s in self.signals if s.name == name]


def _year_and_ref(info) -> tuple[int, datetime | None]:
    if info.collected_at is not None:
        return info.collected_at.year, info.collected_at
    return datetime.now(timezone.utc).year, None


def analyze(bundle) -> Analysis:
    """Scan `bundle` once and return its signals and facts."""
    started = time.perf_counter()
    catalog = load_catalog()
    year, ref = _year_and_ref(bundle.info)
    probes: list[Probe] = list(catalog) + list(FACT_PROBES)
    scan = scan_bundle(bundle, probes, year=year, ref=ref, make_parser=make_parser)
    facts = extract_facts(bundle, scan)
    signals = aggregate_signals(catalog, scan, facts)
    info = bundle.info.to_dict()
    info["missing"] = facts.missing
    return Analysis(info, facts, signals, scan, int((time.perf_counter() - started) * 1000), year)


def _most_common(hits: ProbeHits) -> dict[str, str]:
    return {k: c.most_common(1)[0][0] for k, c in sorted(hits.attr_values.items()) if c}


def _dismissal(probe: Probe, first: datetime | None, last: datetime | None, scan: ScanResult,
               facts: BundleFacts) -> tuple[bool, str | None]:
    """A signal is dismissed when every occurrence precedes the success it is cancelled by."""
    for marker in probe.dismissed_by:
        if marker.startswith("fact:"):
            name = marker[5:]
            if facts.values.get(name) is True:
                return True, f"transient: {name.replace('_', ' ')} (the condition cleared later)"
            continue
        success = scan.get(marker)
        if not success.count or success.first_ts is None or last is None:
            continue
        if last <= success.first_ts:
            when = success.first_ts.strftime("%Y-%m-%dT%H:%M:%SZ")
            sample = success.samples()[0].line
            return True, (f"transient: every occurrence precedes '{marker.replace('_', ' ')}' at {when} "
                          f"({sample.path}:{sample.lineno})")
    return False, None


def _stale(probe: Probe, hits: ProbeHits, scan: ScanResult) -> tuple[bool, str | None]:
    """A signal that can be transient and stopped long before the same logs did has cleared."""
    if not probe.dismissed_by or hits.last_ts is None:
        return False, None
    ends = [scan.last_ts[p] for p in hits.paths if p in scan.last_ts]
    if not ends:
        return False, None
    log_end = max(ends)
    if hits.last_ts + STALE_AFTER <= log_end:
        minutes = int((log_end - hits.last_ts).total_seconds() // 60)
        return True, (f"transient: last seen {hits.last_ts.strftime('%Y-%m-%dT%H:%M:%SZ')}, {minutes} min before "
                      f"the same log ends ({log_end.strftime('%Y-%m-%dT%H:%M:%SZ')}) without it")
    return False, None


def aggregate_signals(catalog, scan: ScanResult, facts: BundleFacts) -> list[SignalFact]:
    """One SignalFact per (signal, subject); samples keep path:line evidence."""
    out: list[SignalFact] = []
    for probe in catalog:
        hits = scan.hits.get(probe.name)
        if not hits or not hits.count:
            continue
        groups: list[tuple[str | None, ProbeHits]] = [(None, hits)]
        if probe.subject:
            groups = []
            for subject in sorted(hits.subjects):
                sub = ProbeHits()
                for h in hits.samples():
                    if h.attrs.get(probe.subject, "") == subject:
                        sub.add(h, probe.subject)
                # exact counts come from the full tally, not only the kept samples
                sub.count = hits.subjects[subject]
                groups.append((subject, sub))
        for subject, group in groups:
            first, last = group.first_ts, group.last_ts
            dismissed, reason = _dismissal(probe, first, last, scan, facts)
            if not dismissed:
                dismissed, reason = _stale(probe, group, scan)
            sf = SignalFact(probe.name, subject, group.count, first, last, _most_common(group),
                            dismissed, reason, group, marker=probe.marker)
            sf._subject_key = probe.subject or ""
            out.append(sf)
    return out
