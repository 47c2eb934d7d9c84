"""The signal catalog (rules/signals.yaml) loaded as `Probe`s: named patterns over bundle files.

A probe is the unit the scanner runs: a pattern, the files it applies to, optional source filter,
exclusions and attribute captures. Catalog probes become engine signals; the fact extractor
(eksdoctor.facts) adds internal probes through the same type so the bundle is read only once.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from eksdoctor import yamltext
from eksdoctor.errors import RuleBaseError

try:  # RE2: linear time and ~9x faster than `re` on the combined scan; optional for portability.
    import re2 as _fast_re
except ImportError:  # pragma: no cover - exercised only where the wheel is unavailable
    _fast_re = None
fast_re = _fast_re  # the scanner reaches the compiled matcher through it

_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


@dataclass(frozen=True)
class Probe:
    name: str
    pattern: str
    files: tuple[str, ...]
    description: str = ""
    sources: frozenset[str] | None = None
    exclude: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    subject: str | None = None
    dismissed_by: tuple[str, ...] = ()  # success markers: signal names, or 'fact:<name>' for a true fact
    marker: bool = False
    internal: bool = False  # a fact probe, not a signal for the rule engine
    enough: int | None = None  # a presence fact: stop looking after this many hits (count is then a floor)
    rx: re.Pattern = field(init=False, repr=False, compare=False)
    ex: re.Pattern | None = field(init=False, repr=False, compare=False)
    attr_rx: tuple[tuple[str, re.Pattern], ...] = field(init=False, repr=False, compare=False)
    files_rx: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "rx", re.compile(self.pattern))
            # the globs as one regex: applies_to runs for every probe x every file of every bundle
            globs = "|".join(fnmatch.translate(g) for g in self.files) or "(?!)"
            object.__setattr__(self, "files_rx", re.compile(globs))
            object.__setattr__(self, "ex", re.compile(self.exclude) if self.exclude else None)
            object.__setattr__(self, "attr_rx", tuple((k, re.compile(v)) for k, v in self.attrs))
        except re.error as err:
            raise RuleBaseError(f"signal {self.name}: invalid pattern: {err}") from err

    def applies_to(self, path: str) -> bool:
        # pasted/: log lines from a ticket, without the file they came from: every probe applies
        return path.startswith("pasted/") or self.files_rx.match(path) is not None

    def match_line(self, text: str) -> dict[str, str] | None:
        """Attributes captured from a line that matches this probe, or None if it does not match."""
        m = self.rx.search(text)
        if not m or (self.ex is not None and self.ex.search(text)):
            return None
        found = {k: v for k, v in m.groupdict().items() if v is not None}
        for key, rx in self.attr_rx:
            am = rx.search(text)
            if am:
                named = [g for g in am.groupdict().values() if g is not None]
                value = named[0] if named else next((g for g in am.groups() if g is not None), None)
                if value is not None:
                    found[key] = value
        return found


def combined_pattern(probes: list[Probe]):
    """One alternation of every probe's pattern (named groups stripped) over BYTES, compiled with RE2
    when present.

    It only finds candidate lines; each candidate is then checked against the individual probes.
    Bytes, because the RE2 binding converts character offsets over the whole text on every search
    of a str, which makes a scan quadratic; on bytes there is nothing to convert or decode.
    """
    alternation = "|".join(f"(?:{_NAMED_GROUP.sub('(?:', p.pattern)})" for p in probes).encode()
    if _fast_re is not None:
        try:
            return _fast_re.compile(alternation)
        except Exception:  # RE2 rejects a construct: fall back rather than fail the scan
            pass
    return re.compile(alternation)


class ProbeSelector:
    """Which of `probes` can match a line, in one linear pass (an RE2 set); only those are then run
    in Python. Without RE2 every probe is a candidate."""

    def __init__(self, probes: list[Probe]) -> None:
        self.probes = probes
        self._set = None
        if _fast_re is not None:
            try:
                rset = _fast_re.Set.SearchSet()
                for p in probes:
                    rset.Add(_NAMED_GROUP.sub("(?:", p.pattern).encode())
                rset.Compile()
                self._set = rset
            except Exception:  # a construct RE2 rejects: check every probe instead
                self._set = None

    def candidates(self, line: bytes) -> list[Probe]:
        if self._set is None:
            return self.probes
        return [self.probes[i] for i in sorted(self._set.Match(line))]


def _load_yaml(path: Path | None) -> dict:
    if path is not None:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = resources.files("eksdoctor.rules").joinpath("signals.yaml").read_text(encoding="utf-8")
    try:
        data = yamltext.safe_load(text)
    except yaml.YAMLError as err:
        raise RuleBaseError(f"signals.yaml is not valid YAML: {err}".replace("\n", " ")) from err
    if not isinstance(data, dict) or not isinstance(data.get("signals"), list):
        raise RuleBaseError("signals.yaml: expected a top-level 'signals:' list")
    return data


_ALLOWED_KEYS = {"name", "description", "files", "sources", "pattern", "exclude", "attrs", "subject",
                 "dismissed_by", "marker"}


@functools.lru_cache(maxsize=4)
def load_catalog(path: Path | None = None) -> tuple[Probe, ...]:
    """Load and validate the signal catalog. Raises RuleBaseError naming the entry and field."""
    probes: list[Probe] = []
    seen: set[str] = set()
    for i, entry in enumerate(_load_yaml(path)["signals"]):
        where = f"signals.yaml entry {i}"
        if not isinstance(entry, dict) or "name" not in entry:
            raise RuleBaseError(f"{where}: each signal needs a name")
        name = entry["name"]
        where = f"signals.yaml signal {name}"
        unknown = set(entry) - _ALLOWED_KEYS
        if unknown:
            raise RuleBaseError(f"{where}: unknown field(s) {sorted(unknown)}")
        if name in seen:
            raise RuleBaseError(f"{where}: duplicate name")
        seen.add(name)
        for required in ("pattern", "files", "description"):
            if not entry.get(required):
                raise RuleBaseError(f"{where}: missing {required}")
        attrs = entry.get("attrs") or {}
        if entry.get("subject") and entry["subject"] not in attrs:
            raise RuleBaseError(f"{where}: subject {entry['subject']!r} is not one of its attrs")
        probes.append(
            Probe(
                name=name,
                pattern=entry["pattern"],
                files=tuple(entry["files"]),
                description=entry["description"],
                sources=frozenset(entry["sources"]) if entry.get("sources") else None,
                exclude=entry.get("exclude"),
                attrs=tuple(attrs.items()),
                subject=entry.get("subject"),
                dismissed_by=_as_tuple(entry.get("dismissed_by")),
                marker=bool(entry.get("marker")),
            )
        )
    names = {p.name for p in probes}
    for p in probes:
        for marker in p.dismissed_by:
            if not marker.startswith("fact:") and marker not in names:
                raise RuleBaseError(f"signals.yaml signal {p.name}: dismissed_by {marker!r} is not a signal")
    return tuple(probes)


def _as_tuple(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def signal_names() -> frozenset[str]:
    return frozenset(p.name for p in load_catalog())
