"""The ONE engine test that reads the lead's packaged rule files (rules/*.yaml, in flux).

If this fails while the synthetic tests pass, a packaged rule broke the schema in rules/README.md
(the message names file, rule and field), not the engine.
"""

from __future__ import annotations

from eksdoctor.engine import RuleEngine, load_rules, rules_digest


def test_packaged_rules_validate_and_compile():
    rules = load_rules()
    assert rules, "no rules found in the eksdoctor.rules package"
    engine = RuleEngine(rules)
    assert set(engine.strata) == {r.id for r in rules}
    assert engine.evaluate("empty-bundle", []).facts_asserted == 0
    digest = rules_digest()
    assert len(digest) == 12 and int(digest, 16) >= 0
