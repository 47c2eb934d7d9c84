"""Rule specs: load the YAML rule files and validate every rule against the schema in rules/README.md."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from eksdoctor.errors import RuleBaseError

DOMAINS = ("iam", "sts", "network", "dns", "bootstrap", "security", "tags", "ami", "ip", "cni")
CATEGORIES = ("iam_auth", "sts_endpoint", "network_connectivity", "dns_config", "bootstrap_config",
              "security_rules", "tagging", "ami_issue", "ip_exhaustion", "cni_plugin")
SEVERITIES = ("critical", "high", "medium", "low", "info")
CONFIDENCES = ("high", "medium", "low")
SAFETIES = ("GREEN", "YELLOW", "RED")
KINDS = ("signal", "fact", "context", "finding")
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "exists")
_ID = re.compile(r"^[A-Z]+-\d{3}$")
_FIELDS = {"id", "title", "domain", "category", "priority", "severity", "confidence", "needs_context", "when",
           "explains", "evidence_from", "escalation", "conclusion", "rationale", "remediation", "next_steps",
           "cross_reference", "references", "tests"}
_REQUIRED = ("id", "title", "domain", "category", "priority", "severity", "confidence", "when", "conclusion",
             "rationale", "remediation", "tests")


@dataclass(frozen=True)
class RuleSpec:
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
        for key in ("explains", "evidence_from", "next_steps", "cross_reference", "references"):
            d[key] = list(d[key])
        return d


def _fail(where: str, msg: str) -> None:
    raise RuleBaseError(f"{where}: {msg}")


def _check_item(where: str, block: str, item) -> None:
    if not isinstance(item, dict) or len(item) != 1:
        _fail(where, f"when.{block}: each item must be a one-key mapping like {{signal: name}}, got {item!r}")
    (kind, spec), = item.items()
    if kind not in KINDS:
        _fail(where, f"when.{block}: unknown fact kind {kind!r} (use one of {', '.join(KINDS)})")
    if isinstance(spec, str):
        return
    if not isinstance(spec, dict) or "name" not in spec:
        _fail(where, f"when.{block}: {kind} pattern needs a name")
    for prop, value in spec.items():
        if isinstance(value, dict):
            if len(value) != 1 or next(iter(value)) not in OPERATORS:
                _fail(where, f"when.{block}: {kind} {spec.get('name')}: property {prop} has an unknown operator "
                             f"{value!r} (use one of {', '.join(OPERATORS)})")
            op, arg = next(iter(value.items()))
            if op == "in" and not isinstance(arg, list):
                _fail(where, f"when.{block}: {prop}: 'in' needs a list")
        elif isinstance(value, (list, tuple)):
            _fail(where, f"when.{block}: {prop}: lists are only allowed under 'in'")


def validate(raw: dict, source: str, signal_names: frozenset[str] | None = None) -> RuleSpec:
    rid = raw.get("id") if isinstance(raw, dict) else None
    where = f"{source} rule {rid or '?'}"
    if not isinstance(raw, dict):
        _fail(where, "a rule must be a mapping")
    unknown = set(raw) - _FIELDS
    if unknown:
        _fail(where, f"unknown field(s) {sorted(unknown)}")
    for key in _REQUIRED:
        if raw.get(key) in (None, "", {}):
            _fail(where, f"missing {key}")
    if not _ID.match(str(rid)):
        _fail(where, "id must look like DOMAIN-NNN (e.g. IAM-001)")
    for key, allowed in (("domain", DOMAINS), ("category", CATEGORIES), ("severity", SEVERITIES),
                         ("confidence", CONFIDENCES)):
        if raw[key] not in allowed:
            _fail(where, f"{key} {raw[key]!r} is not one of {', '.join(allowed)}")
    if not isinstance(raw["priority"], int) or isinstance(raw["priority"], bool) or not 0 <= raw["priority"] <= 65000:
        _fail(where, "priority must be an integer in 0..65000 (durable_rules stores an unsigned short)")
    when = raw["when"]
    if not isinstance(when, dict) or set(when) - {"all", "any", "none"}:
        _fail(where, "when may only hold all / any / none")
    if not (when.get("all") or when.get("any") or when.get("none")):
        _fail(where, "when needs at least one item")
    for block in ("all", "any", "none"):
        items = when.get(block) or []
        if not isinstance(items, list):
            _fail(where, f"when.{block} must be a list")
        for item in items:
            _check_item(where, block, item)
    rem = raw["remediation"]
    if not isinstance(rem, dict) or rem.get("safety") not in SAFETIES or not rem.get("immediate") or not rem.get("long_term"):
        _fail(where, "remediation needs safety (GREEN/YELLOW/RED), immediate and long_term")
    tests = raw["tests"]
    if not isinstance(tests, dict) or set(tests) - {"fires", "silent"}:
        _fail(where, "tests holds fires: [...] and silent: [...] scenario lists")
    uses_context = "'context'" in repr(when)
    if bool(raw.get("needs_context")) and not uses_context:
        _fail(where, "needs_context is true but no context pattern is used")
    if uses_context and not raw.get("needs_context"):
        _fail(where, "uses context patterns, so needs_context must be true")
    if signal_names is not None:
        for block in ("all", "any", "none"):
            for item in when.get(block) or []:
                (kind, spec), = item.items()
                name = spec if isinstance(spec, str) else spec.get("name")
                if kind == "signal" and name not in signal_names:
                    _fail(where, f"when.{block}: unknown signal {name!r} (not in signals.yaml)")
        for name in raw.get("evidence_from") or []:
            if name not in signal_names:
                _fail(where, f"evidence_from: unknown signal {name!r}")
    return RuleSpec(
        id=rid, title=raw["title"], domain=raw["domain"], category=raw["category"], priority=raw["priority"],
        severity=raw["severity"], confidence=raw["confidence"], when=raw["when"], conclusion=raw["conclusion"],
        rationale=raw["rationale"], remediation=raw["remediation"], tests=raw["tests"],
        needs_context=bool(raw.get("needs_context")), explains=tuple(raw.get("explains") or ()),
        evidence_from=tuple(raw.get("evidence_from") or ()), escalation=raw.get("escalation"),
        next_steps=tuple(raw.get("next_steps") or ()), cross_reference=tuple(raw.get("cross_reference") or ()),
        references=tuple(raw.get("references") or ()), source=source)


def _rule_files() -> list[tuple[str, str]]:
    root = resources.files("eksdoctor.rules")
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in root.iterdir()
                  if f.name.endswith(".yaml") and f.name != "signals.yaml")


def load_rules(paths: list[Path] | None = None, *, signal_names: frozenset[str] | None = None) -> list[RuleSpec]:
    """Every rule of the package (or of `paths`), validated; ids unique across files."""
    if paths is None:
        return list(_package_rules())
    files = [(Path(p).name, Path(p).read_text(encoding="utf-8")) for p in paths]
    return _load(files, signal_names)


@functools.lru_cache(maxsize=1)
def _package_rules() -> tuple[RuleSpec, ...]:
    from eksdoctor.signals import signal_names as catalog_names

    return tuple(_load(_rule_files(), catalog_names()))


def _load(files, signal_names) -> list[RuleSpec]:
    rules: list[RuleSpec] = []
    seen: dict[str, str] = {}
    for name, text in files:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise RuleBaseError(f"{name} is not valid YAML: {err}".replace("\n", " ")) from err
        if data is None:
            continue
        if not isinstance(data, list):
            raise RuleBaseError(f"{name}: expected a list of rules")
        for raw in data:
            spec = validate(raw, name, signal_names)
            if spec.id in seen:
                raise RuleBaseError(f"{name} rule {spec.id}: duplicate id (also in {seen[spec.id]})")
            seen[spec.id] = name
            rules.append(spec)
    ids = set(seen)
    for spec in rules:
        for target in spec.explains:
            if _ID.match(target) and target not in ids:
                raise RuleBaseError(f"{spec.source} rule {spec.id}: explains unknown rule {target}")
    return sorted(rules, key=lambda r: r.id)


def rules_digest() -> str:
    """A short hash of the rule files and signal catalog: reports say which rule base decided."""
    h = hashlib.sha256()
    for name, text in _rule_files():
        h.update(name.encode() + b"\0" + text.encode())
    h.update(resources.files("eksdoctor.rules").joinpath("signals.yaml").read_bytes())
    return h.hexdigest()[:12]
