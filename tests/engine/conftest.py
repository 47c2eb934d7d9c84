"""Fixtures for engine tests (helpers live in engine_helpers.py: conftest modules are not importable)."""

from __future__ import annotations

import pytest
from engine_helpers import write_rules

from eksdoctor.engine import RuleEngine, load_rules


@pytest.fixture
def build(tmp_path):
    """build(rule, rule, ...) -> RuleEngine over those rules, loaded through YAML like the real ones."""

    def _build(*rules: dict) -> RuleEngine:
        return RuleEngine(load_rules(write_rules(tmp_path, {"synthetic.yaml": list(rules)})))

    return _build
