"""Helpers for engine tests: synthetic rules written to tmp dirs, independent of the packaged rules."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import yaml

_BASE = {
    "title": "synthetic rule",
    "domain": "network",
    "category": "network_connectivity",
    "priority": 100,
    "severity": "high",
    "confidence": "high",
    "conclusion": "synthetic conclusion",
    "rationale": "synthetic rationale",
    "remediation": {"safety": "GREEN", "immediate": "do this", "long_term": "do that"},
    "tests": {"fires": [], "silent": []},
}
_dirs = itertools.count()


def make_rule(rule_id: str, when: dict, **fields) -> dict:
    """A complete, valid rule mapping; `fields` override the defaults."""
    rule = copy.deepcopy(_BASE)
    rule.update(id=rule_id, when=when, **fields)
    if any("context" in item for block in when.values() for item in block or []):
        rule.setdefault("needs_context", True)
    return rule


def write_rules(root: Path, files: dict[str, list[dict]], signals: list[str] | None = None) -> list[Path]:
    """Write rule files (and optionally a signals.yaml catalog) into a fresh directory under root."""
    folder = root / f"rules{next(_dirs)}"
    folder.mkdir()
    paths = []
    for name, rules in files.items():
        path = folder / name
        path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
        paths.append(path)
    if signals is not None:
        catalog = {"signals": [{"name": n, "description": "d", "files": ["x.log"], "pattern": n} for n in signals]}
        (folder / "signals.yaml").write_text(yaml.safe_dump(catalog), encoding="utf-8")
    return paths


def sig(name: str, **props) -> dict:
    return {"kind": "signal", "name": name, **props}


def fired(result) -> list[str]:
    return [a.rule_id for a in result.activations]
