"""Rule validation: every violation is a RuleBaseError naming the file, the rule id and the field."""

from __future__ import annotations

import pytest
from engine_helpers import make_rule, write_rules

from eksdoctor.engine import RuleSpec, load_rules
from eksdoctor.errors import RuleBaseError

SIG = {"all": [{"signal": "a"}]}


def _load(tmp_path, *rules, signals=None, name="net.yaml"):
    return load_rules(write_rules(tmp_path, {name: list(rules)}, signals))


def test_valid_rules_load_sorted_with_defaults(tmp_path):
    rules = _load(tmp_path, make_rule("NET-002", SIG), make_rule("NET-001", {"none": [{"signal": "b"}]}))
    assert [r.id for r in rules] == ["NET-001", "NET-002"]
    assert isinstance(rules[0], RuleSpec) and rules[0].source == "net.yaml"
    assert rules[0].needs_context is False and rules[0].explains == ()
    assert rules[1].to_dict()["explains"] == []


def _broken(**changes):
    rule = make_rule("NET-007", SIG)
    for key, value in changes.items():
        if value is ...:
            del rule[key]
        else:
            rule[key] = value
    return rule


@pytest.mark.parametrize("changes, field", [
    ({"title": ...}, "missing title"),
    ({"tests": ...}, "missing tests"),
    ({"remediation": ...}, "missing remediation"),
    ({"priority": ...}, "missing priority"),
    ({"domain": "storage"}, "domain 'storage'"),
    ({"category": "misc"}, "category 'misc'"),
    ({"severity": "urgent"}, "severity 'urgent'"),
    ({"confidence": "sure"}, "confidence 'sure'"),
    ({"priority": 65001}, "priority"),
    ({"priority": -1}, "priority"),
    ({"priority": True}, "priority"),
    ({"priority": "10"}, "priority"),
    ({"remediation": {"safety": "BLUE", "immediate": "x", "long_term": "y"}}, "remediation.safety 'BLUE'"),
    ({"remediation": {"safety": "GREEN", "immediate": "x"}}, "remediation.long_term"),
    ({"remediation": {"safety": "GREEN", "long_term": "x"}}, "remediation.immediate"),
    ({"tests": {"fires": "one"}}, "tests"),
    ({"colour": "red"}, "unknown field(s) ['colour']"),
    ({"explains": "NET-001"}, "explains must be a list"),
    ({"when": {"all": []}}, "when needs at least one item"),
    ({"when": {"all": [{"signal": "a"}], "unless": []}}, "when may only hold"),
    ({"when": {"all": [{"log": "a"}]}}, "unknown fact kind 'log'"),
    ({"when": {"all": [{"signal": "a", "fact": "b"}]}}, "one-key mapping"),
    ({"when": {"any": [{"signal": {"count": 3}}]}}, "when.any: signal pattern needs a name"),
    ({"when": {"all": [{"signal": {"name": "a", "count": {"between": [1, 2]}}}]}}, "property 'count': unknown operator"),
    ({"when": {"all": [{"signal": {"name": "a", "count": {"gte": "3"}}}]}}, "'gte' needs a number"),
    ({"when": {"all": [{"signal": {"name": "a", "v": {"in": "x"}}}]}}, "'in' needs a non-empty list"),
    ({"when": {"all": [{"signal": {"name": "a", "v": {"exists": "yes"}}}]}}, "'exists' takes true or false"),
    ({"when": {"none": [{"fact": {"name": "a", "value": [1, 2]}}]}}, "lists only under 'in'"),
    ({"when": {"all": [{"signal": {"name": "a", "$x": 1}}]}}, "property names"),
    ({"needs_context": True}, "needs_context is true but no context pattern"),
    ({"when": {"all": [{"context": {"name": "cluster.x", "value": 1}}]}, "needs_context": False}, "needs_context must be true"),
])
def test_violation_names_file_rule_and_field(tmp_path, changes, field):
    with pytest.raises(RuleBaseError) as err:
        _load(tmp_path, make_rule("NET-001", SIG), _broken(**changes))
    message = str(err.value)
    assert message.startswith("net.yaml rule NET-007: "), message
    assert field in message
    assert "\n" not in message


@pytest.mark.parametrize("bad_id", ["NET-1", "net-001", "NET001", "NET-0001", 7])
def test_id_pattern(tmp_path, bad_id):
    with pytest.raises(RuleBaseError, match=r"net\.yaml rule .*: id must look like DOMAIN-NNN"):
        _load(tmp_path, make_rule(bad_id, SIG))


def test_duplicate_id_across_files_names_both_files(tmp_path):
    paths = write_rules(tmp_path, {"a.yaml": [make_rule("NET-001", SIG)], "b.yaml": [make_rule("NET-001", SIG)]})
    with pytest.raises(RuleBaseError, match=r"b\.yaml rule NET-001: id: duplicate \(also in a\.yaml\)"):
        load_rules(paths)


def test_finding_and_explains_must_name_existing_rules(tmp_path):
    with pytest.raises(RuleBaseError, match=r"rule NET-002: when.all: finding 'NET-404' is not a rule id"):
        _load(tmp_path, make_rule("NET-002", {"all": [{"finding": "NET-404"}]}))
    with pytest.raises(RuleBaseError, match=r"rule NET-002: explains: unknown rule NET-404"):
        _load(tmp_path, make_rule("NET-002", SIG, explains=["NET-404"]))


def test_signal_names_checked_against_sibling_catalog(tmp_path):
    ok = _load(tmp_path, make_rule("NET-001", SIG, explains=["b"], evidence_from=["b"]), signals=["a", "b"])
    assert ok[0].explains == ("b",)
    cases = [
        (make_rule("NET-001", {"all": [{"signal": "zzz"}]}), "when.all: unknown signal 'zzz'"),
        (make_rule("NET-001", {"none": [{"signal": {"name": {"in": ["a", "zzz"]}}}]}), "when.none: unknown signal 'zzz'"),
        (make_rule("NET-001", SIG, evidence_from=["zzz"]), "evidence_from: unknown signal 'zzz'"),
        (make_rule("NET-001", SIG, explains=["zzz"]), "explains: 'zzz' is neither a rule id nor a signal"),
    ]
    for rule, field in cases:
        with pytest.raises(RuleBaseError) as err:
            _load(tmp_path, rule, signals=["a", "b"])
        assert str(err.value).startswith("net.yaml rule NET-001: ") and field in str(err.value)


def test_without_catalog_signal_names_are_not_checked(tmp_path):
    assert _load(tmp_path, make_rule("NET-001", {"all": [{"signal": "anything"}]}))[0].id == "NET-001"


def test_file_level_errors(tmp_path):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("- id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuleBaseError, match=r"^bad\.yaml is not valid YAML"):
        load_rules([bad_yaml])
    mapping = tmp_path / "map.yaml"
    mapping.write_text("id: NET-001\n", encoding="utf-8")
    with pytest.raises(RuleBaseError, match=r"^map\.yaml: expected a list of rules"):
        load_rules([mapping])
    with pytest.raises(RuleBaseError, match=r"cannot read rule file .*missing\.yaml"):
        load_rules([tmp_path / "missing.yaml"])
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert load_rules([empty]) == []
