"""Every sample scenario is diagnosed with its expected root-cause category, and every rule proves
on fixture bundles that it fires where it should and stays silent where it should not."""

from __future__ import annotations

import re

import pytest

from eksdoctor.diagnosis import rule_table

ROOT_SEVERITIES = {"critical", "high"}
LEFTOVER = re.compile(r"\{[a-z_][a-z0-9_]*\}|\[\[|\]\]")


def _scenarios():
    from eksdoctor.sample_bundles import SCENARIOS

    return SCENARIOS


def test_every_scenario_gets_its_expected_category(diagnoses):
    wrong = {}
    for name, scenario in _scenarios().items():
        got = diagnoses[name]["root_cause"]["category"]
        if got != scenario.expected_category:
            wrong[name] = (scenario.expected_category, got, diagnoses[name]["root_cause"]["detail"])
    assert not wrong, "\n".join(f"{n}: expected {e}, got {g} ({d})" for n, (e, g, d) in sorted(wrong.items()))


def test_healthy_bundles_have_no_high_or_critical_finding(diagnoses):
    for name, scenario in _scenarios().items():
        if scenario.expected_category != "none":
            continue
        loud = [f["rule"] for f in diagnoses[name]["findings"] if f["severity"] in ROOT_SEVERITIES]
        assert not loud, f"{name}: {loud}"


def test_red_herrings_are_not_fooled(diagnoses):
    herrings = [n for n, s in _scenarios().items() if s.red_herring]
    assert len(herrings) >= 4
    for name in herrings:
        assert diagnoses[name]["root_cause"]["category"] == _scenarios()[name].expected_category, name


RULE_CASES = [(rid, kind, scenario) for rid, rule in sorted(rule_table().items())
              for kind in ("fires", "silent") for scenario in (rule.get("tests") or {}).get(kind) or []]


@pytest.mark.parametrize("rule_id, kind, scenario", RULE_CASES)
def test_rule_fixture(diagnoses, rule_id, kind, scenario):
    assert scenario in diagnoses, f"{rule_id}: fixture scenario {scenario!r} does not exist"
    fired = {f["rule"] for f in diagnoses[scenario]["findings"]}
    if kind == "fires":
        assert rule_id in fired, f"{rule_id} should fire on {scenario}; fired: {sorted(fired)}"
    else:
        assert rule_id not in fired, f"{rule_id} must stay silent on {scenario}"


def test_every_rule_has_a_silent_fixture_and_most_fire_somewhere():
    rules = rule_table()
    for rid, rule in rules.items():
        assert (rule.get("tests") or {}).get("silent"), f"{rid} has no silent fixture"
    firing = [rid for rid, r in rules.items() if (r.get("tests") or {}).get("fires")]
    assert len(firing) >= 0.75 * len(rules), f"only {len(firing)}/{len(rules)} rules have a firing fixture"


def test_findings_carry_evidence_and_filled_remediation(diagnoses):
    for name, d in diagnoses.items():
        for f in d["findings"]:
            assert f["evidence"], f"{name} {f['rule']}: a finding without evidence"
            for text in [f["detail"], f["remediation"]["immediate"], *f["remediation"]["commands"]]:
                assert "None" not in text and not LEFTOVER.search(text), (name, f["rule"], text)


def test_finding_ids_are_stable(generated):
    from eksdoctor import api

    gb = generated["al2-unauthorized"]
    first, second = api.diagnose(str(gb.path)), api.diagnose(str(gb.path))
    strip = lambda d: [(f["id"], f["rule"], f["detail"]) for f in d["findings"]]  # noqa: E731
    assert strip(first) == strip(second)
