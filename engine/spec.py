"""Rule specs: load the YAML rule files and validate every rule against the schema in rules/README.md.

Validation is strict and happens at load time: a bad rule raises RuleBaseError naming the file, the
rule id and the field, never a rule silently skipped or a durable_rules error at evaluation time.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from eksdoctor.engine.values import NUMERIC_SUFFIX, representable
from eksdoctor import yamltext
from eksdoctor.errors import RuleBaseError

DOMAINS = ("iam", "sts", "network", "dns", "bootstrap", "security", "tags", "ami", "ip", "cni")
CATEGORIES = ("iam_auth", "sts_endpoint", "network_connectivity", "dns_config", "bootstrap_config",
              "security_rules", "tagging", "ami_issue", "ip_exhaustion", "cni_plugin")
SEVERITIES = ("critical", "high", "medium", "low", "info")
CONFIDENCES = ("high", "medium", "low")
SAFETIES = ("GREEN", "YELLOW", "RED")
KINDS = ("signal", "fact", "context", "finding")
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "exists")
BLOCKS = ("all", "any", "none")
MAX_PRIORITY = 65000  # durable_rules stores an unsigned short; 65535 is the SINK rule's
SIGNAL_CATALOG = "signals.yaml"
_ID = re.compile(r"^[A-Z]+-\d{3}$")
_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # no '$' or dots: durable reads those as syntax
_RELATIONAL = ("gt", "gte", "lt", "lte")
_LIST_FIELDS = ("explains", "evidence_from", "next_steps", "cross_reference", "references")
_FIELDS = {"id", "title", "domain", "category", "priority", "severity", "confidence", "needs_context", "when",
           "explains", "evidence_from", "escalation", "conclusion", "rationale", "remediation", "next_steps",
           "cross_reference", "references", "tests"}
_REQUIRED = ("id", "title", "domain", "category", "priority", "severity", "confidence", "when", "conclusion",
             "rationale", "remediation", "tests")


@dataclass(frozen=True)
class RuleSpec:
    """One validated rule. `when` keeps the YAML shape; `source` is the file it came from."""

    id: str
    title: str
    domain: str
    category: str
    priority: int
    severity: str
    confidence: str
    when: dict
    conclusion: str
    rationale: str
    remediation: dict
    tests: dict
    needs_context: bool = False
    explains: tuple = ()
    evidence_from: tuple = ()
    escalation: str | None = None
    next_steps: tuple = ()
    cross_reference: tuple = ()
    references: tuple = ()
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in _LIST_FIELDS:
            d[key] = list(d[key])
        return d

    def items(self) -> Iterator[tuple[str, str, dict]]:
        """Every fact pattern of `when` as (block, kind, normalised pattern with a `name`)."""
        for block in BLOCKS:
            for item in self.when.get(block) or []:
                (kind, pattern), = item.items()
                yield block, kind, ({"name": pattern} if isinstance(pattern, str) else pattern)


def pattern_names(pattern: dict) -> list[str]:
    """The fact names a pattern can match: a plain name, `{eq: n}` or `{in: [...]}`."""
    name = pattern.get("name")
    if isinstance(name, dict):
        (op, arg), = name.items()
        return [str(v) for v in arg] if op == "in" else [str(arg)] if op == "eq" else []
    return [str(name)]


def _fail(where: str, msg: str) -> None:
    raise RuleBaseError(f"{where}: {msg}")


def _is_scalar(value) -> bool:
    return representable(value)


def _check_value(where: str, label: str, value) -> None:
    """One property test: a scalar (equality) or a one-key operator mapping with a valid argument."""
    if not isinstance(value, dict):
        if not _is_scalar(value):
            _fail(where, f"{label}: a plain value must be a string, number (no exponent, 64-bit), boolean or "
                         f"null (lists only under 'in'), got {value!r}")
        return
    if len(value) != 1 or next(iter(value)) not in OPERATORS:
        _fail(where, f"{label}: unknown operator {value!r} (use one of {', '.join(OPERATORS)})")
    (op, arg), = value.items()
    if op == "in":
        if not isinstance(arg, list) or not arg or not all(_is_scalar(v) for v in arg):
            _fail(where, f"{label}: 'in' needs a non-empty list of plain values")
    elif op == "exists":
        if not isinstance(arg, bool):
            _fail(where, f"{label}: 'exists' takes true or false")
    elif op in _RELATIONAL:
        if isinstance(arg, bool) or not isinstance(arg, (int, float)) or not _is_scalar(arg):
            _fail(where, f"{label}: '{op}' needs a number, got {arg!r}")
    elif not _is_scalar(arg):
        _fail(where, f"{label}: '{op}' needs a plain value, got {arg!r}")


def _check_item(where: str, block: str, item) -> None:
    if not isinstance(item, dict) or len(item) != 1:
        _fail(where, f"when.{block}: each item must be a one-key mapping like {{signal: name}}, got {item!r}")
    (kind, pattern), = item.items()
    if kind not in KINDS:
        _fail(where, f"when.{block}: unknown fact kind {kind!r} (use one of {', '.join(KINDS)})")
    if isinstance(pattern, str) and pattern:
        return
    if not isinstance(pattern, dict) or "name" not in pattern:
        _fail(where, f"when.{block}: {kind} pattern needs a name, got {pattern!r}")
    if isinstance(pattern["name"], dict) and next(iter(pattern["name"]), None) not in ("eq", "in"):
        _fail(where, f"when.{block}: {kind} name may only use a plain value, eq or in")
    for prop, value in pattern.items():
        label = f"when.{block}: {kind} {pattern.get('name')!r} property {prop!r}"
        if not isinstance(prop, str) or not _PROPERTY.match(prop) or prop in ("kind", "id", "sid") \
                or prop.endswith(NUMERIC_SUFFIX):
            _fail(where, f"{label}: property names are identifiers other than kind/id/sid/*{NUMERIC_SUFFIX}")
        _check_value(where, label, value)


def _check_when(where: str, when) -> None:
    if not isinstance(when, dict) or set(when) - set(BLOCKS):
        _fail(where, "when may only hold all / any / none")
    for block in BLOCKS:
        items = when.get(block) or []
        if not isinstance(items, list):
            _fail(where, f"when.{block} must be a list")
        for item in items:
            _check_item(where, block, item)
    if not (when.get("all") or when.get("any") or when.get("none")):
        _fail(where, "when needs at least one item in all, any or none")


def _check_text_fields(where: str, raw: dict) -> None:
    for key in ("title", "conclusion", "rationale"):
        if not isinstance(raw[key], str):
            _fail(where, f"{key} must be text")
    for key in _LIST_FIELDS:
        if key in raw and raw[key] is not None and not isinstance(raw[key], list):
            _fail(where, f"{key} must be a list")
    rem = raw["remediation"]
    if not isinstance(rem, dict):
        _fail(where, "remediation must be a mapping with safety, immediate and long_term")
    if rem.get("safety") not in SAFETIES:
        _fail(where, f"remediation.safety {rem.get('safety')!r} is not one of {', '.join(SAFETIES)}")
    for key in ("immediate", "long_term"):
        if not isinstance(rem.get(key), str) or not rem[key].strip():
            _fail(where, f"remediation.{key} is missing")
    tests = raw["tests"]
    if not isinstance(tests, dict) or set(tests) - {"fires", "silent"} or \
            not all(isinstance(v, list) for v in tests.values()):
        _fail(where, "tests holds fires: [...] and silent: [...] scenario lists")


def validate(raw: dict, source: str, signal_names: frozenset[str] | None = None) -> RuleSpec:
    """One rule mapping -> RuleSpec, or RuleBaseError '<file> rule <id>: <field>: <problem>'."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    where = f"{source} rule {rid or '?'}"
    if not isinstance(raw, dict):
        _fail(where, "a rule must be a mapping")
    unknown = set(raw) - _FIELDS
    if unknown:
        _fail(where, f"unknown field(s) {sorted(unknown)}")
    for key in _REQUIRED:
        if raw.get(key) in (None, "", {}, []):
            _fail(where, f"missing {key}")
    if not isinstance(rid, str) or not _ID.match(rid):
        _fail(where, "id must look like DOMAIN-NNN (e.g. IAM-001)")
    for key, allowed in (("domain", DOMAINS), ("category", CATEGORIES), ("severity", SEVERITIES),
                         ("confidence", CONFIDENCES)):
        if raw[key] not in allowed:
            _fail(where, f"{key} {raw[key]!r} is not one of {', '.join(allowed)}")
    priority = raw["priority"]
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= MAX_PRIORITY:
        _fail(where, f"priority must be an integer in 0..{MAX_PRIORITY} (durable_rules stores an unsigned short)")
    _check_when(where, raw["when"])
    _check_text_fields(where, raw)
    if not isinstance(raw.get("needs_context", False), bool):
        _fail(where, "needs_context must be true or false")
    spec = RuleSpec(
        id=rid, title=raw["title"], domain=raw["domain"], category=raw["category"], priority=priority,
        severity=raw["severity"], confidence=raw["confidence"], when=raw["when"], conclusion=raw["conclusion"],
        rationale=raw["rationale"], remediation=raw["remediation"], tests=raw["tests"],
        needs_context=bool(raw.get("needs_context")), explains=tuple(raw.get("explains") or ()),
        evidence_from=tuple(raw.get("evidence_from") or ()), escalation=raw.get("escalation"),
        next_steps=tuple(raw.get("next_steps") or ()), cross_reference=tuple(raw.get("cross_reference") or ()),
        references=tuple(raw.get("references") or ()), source=source)
    uses_context = any(kind == "context" for _, kind, _ in spec.items())
    if spec.needs_context and not uses_context:
        _fail(where, "needs_context is true but no context pattern is used in when")
    if uses_context and not spec.needs_context:
        _fail(where, "needs_context must be true: when uses context patterns")
    if signal_names is not None:
        _check_signal_names(where, spec, signal_names)
    return spec


def _check_signal_names(where: str, spec: RuleSpec, signal_names: frozenset[str]) -> None:
    for block, kind, pattern in spec.items():
        for name in pattern_names(pattern):
            if kind == "signal" and name not in signal_names:
                _fail(where, f"when.{block}: unknown signal {name!r} (not in {SIGNAL_CATALOG})")
    for name in spec.evidence_from:
        if name not in signal_names:
            _fail(where, f"evidence_from: unknown signal {name!r} (not in {SIGNAL_CATALOG})")
    for name in spec.explains:
        if not _ID.match(str(name)) and name not in signal_names:
            _fail(where, f"explains: {name!r} is neither a rule id nor a signal in {SIGNAL_CATALOG}")


def _check_references(rules: list[RuleSpec]) -> None:
    """Cross-rule checks: `finding:` items and rule ids in `explains` name rules that exist."""
    ids = {r.id for r in rules}
    for spec in rules:
        where = f"{spec.source} rule {spec.id}"
        for block, kind, pattern in spec.items():
            for name in pattern_names(pattern):
                if kind == "finding" and name not in ids:
                    _fail(where, f"when.{block}: finding {name!r} is not a rule id")
        for target in spec.explains:
            if _ID.match(str(target)) and target not in ids:
                _fail(where, f"explains: unknown rule {target}")


def _catalog_names(text: str, source: str) -> frozenset[str]:
    try:
        data = yamltext.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise RuleBaseError(f"{source} is not valid YAML: {err}".replace("\n", " ")) from err
    entries = data.get("signals") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RuleBaseError(f"{source}: expected a top-level 'signals:' list")
    return frozenset(e["name"] for e in entries if isinstance(e, dict) and "name" in e)


def load_rules(paths: list[Path] | None = None, *, signal_names: frozenset[str] | None = None) -> list[RuleSpec]:
    """Every rule of the package (or of `paths`), validated, ids unique across files, sorted by id.

    With `paths`, signal names are checked against `signal_names` if given, else against a
    signals.yaml next to the first path when one exists (otherwise they are not checked).
    """
    if paths is None:
        return list(_package_rules())
    paths = [Path(p) for p in paths]
    if signal_names is None and paths:
        catalog = paths[0].parent / SIGNAL_CATALOG
        if catalog.is_file():
            signal_names = _catalog_names(catalog.read_text(encoding="utf-8"), str(catalog))
    files = []
    for p in paths:
        try:
            files.append((p.name, p.read_text(encoding="utf-8")))
        except OSError as err:
            raise RuleBaseError(f"cannot read rule file {p}: {err.strerror or err}") from err
    return _load(files, signal_names)


def _rule_files() -> list[tuple[str, str]]:
    root = resources.files("eksdoctor.rules")
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in root.iterdir()
                  if f.name.endswith(".yaml") and f.name != SIGNAL_CATALOG)


@functools.lru_cache(maxsize=1)
def _package_rules() -> tuple[RuleSpec, ...]:
    from eksdoctor.signals import signal_names as catalog_names

    return tuple(_load(_rule_files(), catalog_names()))


def _load(files: list[tuple[str, str]], signal_names: frozenset[str] | None) -> list[RuleSpec]:
    rules: list[RuleSpec] = []
    seen: dict[str, str] = {}
    for name, text in files:
        try:
            data = yamltext.safe_load(text)
        except yaml.YAMLError as err:
            raise RuleBaseError(f"{name} is not valid YAML: {err}".replace("\n", " ")) from err
        if data is None:
            continue
        if not isinstance(data, list):
            raise RuleBaseError(f"{name}: expected a list of rules (each item starts with '- id: ...')")
        for raw in data:
            spec = validate(raw, name, signal_names)
            if spec.id in seen:
                raise RuleBaseError(f"{name} rule {spec.id}: id: duplicate (also in {seen[spec.id]})")
            seen[spec.id] = name
            rules.append(spec)
    _check_references(rules)
    return sorted(rules, key=lambda r: r.id)


@functools.lru_cache(maxsize=1)
def rules_digest() -> str:
    """A short sha256 of the rule files and signal catalog: reports say which rule base decided."""
    h = hashlib.sha256()
    for name, text in _rule_files():
        h.update(name.encode() + b"\0" + text.encode() + b"\0")
    catalog = resources.files("eksdoctor.rules").joinpath(SIGNAL_CATALOG)
    if catalog.is_file():
        h.update(catalog.read_bytes())
    return h.hexdigest()[:12]
