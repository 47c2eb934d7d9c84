"""What fires: all/any/none, every operator, finding chaining, stratified negation, result shape."""

from __future__ import annotations

import pytest
from engine_helpers import fired, make_rule, sig

from eksdoctor.engine import Activation


def test_all_needs_every_item_on_distinct_facts(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}, {"signal": "b"}]}),
                   make_rule("NET-002", {"all": [{"signal": "a"}, {"signal": "a"}]}))
    assert fired(engine.evaluate("b", [sig("a")])) == []
    assert fired(engine.evaluate("b", [sig("a"), sig("b")])) == ["NET-001"]
    assert fired(engine.evaluate("b", [sig("a", subject="n1"), sig("a", subject="n2")])) == ["NET-002"]


def test_any_needs_one_item(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}], "any": [{"signal": "x"}, {"fact": "y"}]}))
    assert fired(engine.evaluate("b", [sig("a")])) == []
    assert fired(engine.evaluate("b", [sig("x"), {"kind": "fact", "name": "y"}])) == []
    assert fired(engine.evaluate("b", [sig("a"), sig("x")])) == ["NET-001"]
    result = engine.evaluate("b", [sig("a"), {"kind": "fact", "name": "y", "value": 1}])
    assert fired(result) == ["NET-001"]
    assert sorted(f["name"] for f in result.activations[0].matched.values()) == ["a", "y"]


def test_none_blocks_and_none_only_rules_fire_on_empty_input(build):
    engine = build(make_rule("BOOT-001", {"all": [{"signal": "a"}], "none": [{"signal": "ok"}]}, domain="bootstrap",
                             category="bootstrap_config"),
                   make_rule("BOOT-002", {"none": [{"fact": {"name": "kubelet_started", "value": True}}]},
                             domain="bootstrap", category="bootstrap_config"))
    assert fired(engine.evaluate("b", [])) == ["BOOT-002"]
    assert fired(engine.evaluate("b", [sig("a")])) == ["BOOT-001", "BOOT-002"]
    assert fired(engine.evaluate("b", [sig("a"), sig("ok")])) == ["BOOT-002"]
    started = {"kind": "fact", "name": "kubelet_started", "value": True}
    assert fired(engine.evaluate("b", [sig("a"), started])) == ["BOOT-001"]
    assert fired(engine.evaluate("b", [dict(started, value=False)])) == ["BOOT-002"]


OPERATOR_CASES = [  # (property test, values that match, values that do not) -- typed as in Python
    ({"eq": 3}, [3, 3.0], [2, "3", True]),
    (3, [3], [4, "3", ""]),
    (1, [1], [True, "1", "true"]),
    (0, [0, 0.0], [False, "0", "", None]),
    ("3", ["3"], [3, "03"]),
    ("", [""], [0, None, False, 3]),
    (True, [True], [False, 1, "true"]),
    (False, [False], [0, "", "false", None]),
    (None, [None], ["", 0, False, "None"]),
    ({"ne": "info"}, ["error", 1, None, ""], ["info"]),
    ({"ne": 0}, [1, "0", False, None], [0, 0.0]),
    ({"gt": 2}, [3, 2.5, 10**15], [2, 1, -3, "5", True, None, "x"]),
    ({"gte": 2}, [2, 3], [1.9, "2"]),
    ({"lt": 2}, [1, -5, 0], [2, 3, "1", False, "", None]),
    ({"lte": 2}, [2, 0], [2.1, "a b", "-1"]),
    ({"in": ["al2", "al2023"]}, ["al2", "al2023"], ["bottlerocket", "al", ""]),
    ({"in": [1, "x"]}, [1, "x"], [True, "1"]),
    ({"exists": True}, [0, "", False, None], []),
]


@pytest.mark.parametrize("test, matching, other", OPERATOR_CASES)
def test_operator(build, test, matching, other):
    engine = build(make_rule("AMI-001", {"all": [{"fact": {"name": "f", "value": test}}]}))
    for value in matching:
        assert fired(engine.evaluate("b", [{"kind": "fact", "name": "f", "value": value}])) == ["AMI-001"], value
    for value in other:
        assert fired(engine.evaluate("b", [{"kind": "fact", "name": "f", "value": value}])) == [], value


def test_exists_false_and_missing_properties(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": {"name": "a", "attr_ip": {"exists": False}}}]}),
                   make_rule("NET-002", {"all": [{"signal": {"name": "a", "attr_ip": {"exists": True}}}]}),
                   make_rule("NET-003", {"all": [{"signal": {"name": "a", "count": {"gte": 1}}}]}),
                   make_rule("NET-004", {"all": [{"signal": {"name": "a", "level": {"ne": "info"}}}]}))
    assert fired(engine.evaluate("b", [sig("a")])) == ["NET-001"]  # ne needs the property to exist
    assert fired(engine.evaluate("b", [sig("a", level=None)])) == ["NET-001", "NET-004"]
    assert fired(engine.evaluate("b", [sig("a", attr_ip="10.0.0.1", count=2)])) == ["NET-002", "NET-003"]


def test_kind_is_part_of_every_pattern(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": "x"}]}))
    assert fired(engine.evaluate("b", [{"kind": "fact", "name": "x"}, {"kind": "context", "name": "x"}])) == []


def test_finding_chaining_and_negation_of_findings(build):
    engine = build(
        make_rule("NET-001", {"all": [{"signal": "a"}]}, priority=10),
        make_rule("NET-002", {"all": [{"finding": "NET-001"}, {"signal": "b"}]}, priority=20),
        make_rule("NET-003", {"all": [{"finding": {"name": "NET-002", "category": "network_connectivity"}}]},
                  priority=30),
        make_rule("NET-004", {"all": [{"signal": "b"}], "none": [{"finding": "NET-002"}]}, priority=5),
    )
    assert fired(engine.evaluate("b", [sig("b")])) == ["NET-004"]
    assert fired(engine.evaluate("b", [sig("a"), sig("b")])) == ["NET-001", "NET-002", "NET-003"]
    result = engine.evaluate("b", [sig("a"), sig("b")])
    assert result.activations[1].matched["m0"] == {"kind": "finding", "name": "NET-001", "domain": "network",
                                                   "category": "network_connectivity", "id": "F1"}


def test_negating_a_finding_that_itself_needs_negation(build):
    # DNS-001 fires only in the closed world (no resolver fact); NET-001 must see it, in either priority
    # order: the stratified phases assert DNS-001's finding before NET-001's negation is evaluated.
    for dns_priority, net_priority in ((10, 20), (20, 10)):
        engine = build(
            make_rule("DNS-001", {"all": [{"signal": "lookup_failed"}], "none": [{"fact": "resolver_ok"}]},
                      priority=dns_priority, domain="dns", category="dns_config"),
            make_rule("NET-001", {"all": [{"signal": "timeout"}], "none": [{"finding": "DNS-001"}]},
                      priority=net_priority),
            make_rule("NET-002", {"all": [{"finding": "NET-001"}], "none": [{"signal": "ok"}]}))
        assert engine.strata == {"DNS-001": 1, "NET-001": 2, "NET-002": 2}
        resolver_ok = {"kind": "fact", "name": "resolver_ok"}
        assert fired(engine.evaluate("b", [sig("timeout"), sig("lookup_failed")])) == ["DNS-001"]
        assert fired(engine.evaluate("b", [sig("timeout"), sig("lookup_failed"), resolver_ok])) == ["NET-001", "NET-002"]
        assert fired(engine.evaluate("b", [sig("timeout"), sig("ok")])) == ["NET-001"]


def test_activation_shape_and_sort_order(build):
    engine = build(make_rule("NET-009", {"all": [{"signal": "a"}]}, priority=5),
                   make_rule("NET-001", {"all": [{"signal": "a"}]}, priority=50),
                   make_rule("NET-002", {"all": [{"signal": "a"}], "none": [{"signal": "zz"}]}, priority=50))
    result = engine.evaluate("bundle-7", [sig("a", subject="n2", count=2), sig("a", subject="n1", count=9)])
    assert result.bundle_id == "bundle-7" and result.facts_asserted == 2 and result.elapsed_ms > 0
    assert fired(result) == ["NET-009", "NET-001", "NET-002"]
    first = result.activations[0]
    assert isinstance(first, Activation) and first.priority == 5 and first.firings == 2
    # the representative match is the first fact in sorted content order (JSON with sorted keys: count first)
    assert first.matched == {"m0": {"kind": "signal", "name": "a", "subject": "n2", "count": 2, "id": "S1"}}
    assert "phase" not in result.activations[2].matched
    assert engine.live_sessions == 0


def test_explain_returns_the_compiled_rule(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}], "none": [{"signal": "b"}]}))
    assert engine.explain("NET-001")["all"][1] == {
        "phase": {"$and": [{"kind": "phase"}, {"name": "s:closed_world"}, {"stratum": 1}]}}
    from eksdoctor.errors import InputError
    with pytest.raises(InputError, match="unknown rule 'NET-404'"):
        engine.explain("NET-404")
