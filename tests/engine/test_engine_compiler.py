"""The compiled durable_rules JSON, checked against golden dicts."""

from __future__ import annotations

import pytest
from engine_helpers import make_rule, write_rules

from eksdoctor.engine import load_rules
from eksdoctor.engine.compiler import compile_rule, compile_ruleset, relational_properties, strata
from eksdoctor.errors import RuleBaseError


def _specs(tmp_path, *rules):
    return load_rules(write_rules(tmp_path, {"r.yaml": list(rules)}))


def test_all_items_with_every_operator(tmp_path):
    rule = make_rule("NET-001", {"all": [
        {"signal": "a"},
        {"signal": {"name": "b", "count": {"gte": 3}, "dismissed": False, "level": {"ne": "info"}}},
        {"fact": {"name": "ami_family", "value": {"in": ["al2", "al2023"]}}},
        {"fact": {"name": "n", "value": {"gt": 1.5}, "x": {"lt": 9}, "y": {"lte": 10}, "z": {"eq": "q"}}},
        {"signal": {"name": "c", "attr_ip": {"exists": True}, "attr_port": {"exists": False}}},
    ]}, priority=42)
    spec, = _specs(tmp_path, rule)
    assert compile_rule(spec, 0) == {"pri": 42, "all": [
        {"m0": {"$and": [{"kind": "signal"}, {"name": "s:a"}]}},
        {"m1": {"$and": [{"kind": "signal"}, {"name": "s:b"}, {"$gte": {"count__num": 3}}, {"dismissed": "b:false"},
                         {"$neq": {"level": "s:info"}}]}},
        {"m2": {"$and": [{"kind": "fact"}, {"name": "s:ami_family"},
                         {"$or": [{"value": "s:al2"}, {"value": "s:al2023"}]}]}},
        {"m3": {"$and": [{"kind": "fact"}, {"name": "s:n"}, {"$gt": {"value__num": 1.5}}, {"$lt": {"x__num": 9}},
                         {"$lte": {"y__num": 10}}, {"z": "s:q"}]}},
        {"m4": {"$and": [{"kind": "signal"}, {"name": "s:c"}, {"$ex": {"attr_ip": 1}}, {"$nex": {"attr_port": 1}}]}},
    ]}


def test_any_becomes_one_nested_clause_and_none_follows_the_phase_clause(tmp_path):
    rule = make_rule("NET-002", {
        "none": [{"signal": "ok"}, {"finding": "NET-001"}],   # YAML order of blocks must not matter
        "any": [{"signal": "x"}, {"context": {"name": "vpc.endpoints", "value": 0}}],
        "all": [{"signal": "a"}],
    })
    specs = _specs(tmp_path, make_rule("NET-001", {"all": [{"signal": "z"}]}), rule)
    levels = strata(specs)
    assert levels == {"NET-001": 0, "NET-002": 1}
    assert compile_rule(specs[1], levels["NET-002"]) == {"pri": 100, "all": [
        {"m0": {"$and": [{"kind": "signal"}, {"name": "s:a"}]}},
        {"any3$any": [{"m1": {"$and": [{"kind": "signal"}, {"name": "s:x"}]}},
                      {"m2": {"$and": [{"kind": "context"}, {"name": "s:vpc.endpoints"}, {"value": 0}]}}]},
        {"phase": {"$and": [{"kind": "phase"}, {"name": "s:closed_world"}, {"stratum": 1}]}},
        {"m4$not": {"$and": [{"kind": "signal"}, {"name": "s:ok"}]}},
        {"m5$not": {"$and": [{"kind": "finding"}, {"name": "s:NET-001"}]}},
    ]}


def test_none_only_rule_is_gated_on_the_phase_alone(tmp_path):
    spec, = _specs(tmp_path, make_rule("BOOT-001", {"none": [{"fact": {"name": "kubelet_started", "value": True}}]}))
    assert compile_rule(spec, 1)["all"] == [
        {"phase": {"$and": [{"kind": "phase"}, {"name": "s:closed_world"}, {"stratum": 1}]}},
        {"m0$not": {"$and": [{"kind": "fact"}, {"name": "s:kubelet_started"}, {"value": "b:true"}]}},
    ]


def test_strata_follow_negated_and_required_findings(tmp_path):
    specs = _specs(
        tmp_path,
        make_rule("NET-001", {"none": [{"signal": "a"}]}),                               # 1: negation
        make_rule("NET-002", {"all": [{"finding": "NET-001"}]}),                         # 1: needs a stratum-1 finding
        make_rule("NET-003", {"all": [{"signal": "b"}], "none": [{"finding": "NET-002"}]}),  # 2
        make_rule("NET-004", {"all": [{"signal": "c"}]}),                                # 0
        make_rule("NET-005", {"none": [{"finding": "NET-004"}]}),                        # 1
    )
    assert strata(specs) == {"NET-001": 1, "NET-002": 1, "NET-003": 2, "NET-004": 0, "NET-005": 1}


def test_negation_cycle_is_rejected(tmp_path):
    specs = _specs(tmp_path,
                   make_rule("NET-001", {"all": [{"signal": "a"}], "none": [{"finding": "NET-002"}]}),
                   make_rule("NET-002", {"all": [{"finding": "NET-001"}]}))
    with pytest.raises(RuleBaseError, match="NET-00.*cycle through 'none: finding'"):
        strata(specs)


def test_positive_cycle_is_allowed(tmp_path):
    specs = _specs(tmp_path,
                   make_rule("NET-001", {"any": [{"signal": "a"}, {"finding": "NET-002"}]}),
                   make_rule("NET-002", {"all": [{"finding": "NET-001"}]}))
    assert strata(specs) == {"NET-001": 0, "NET-002": 0}


def test_relational_properties_get_numeric_shadows(tmp_path):
    specs = _specs(tmp_path, make_rule("NET-001", {"all": [{"signal": {"name": "a", "count": {"gt": 1}, "x": {"ne": 2}}}],
                                                   "none": [{"fact": {"name": "b", "value": {"lte": 0}}}]}))
    assert relational_properties(specs) == {"count", "value"}


def test_ruleset_sorted_by_id_with_sink_last_and_specs_untouched(tmp_path):
    specs = _specs(tmp_path, make_rule("NET-002", {"all": [{"signal": "a"}]}),
                   make_rule("DNS-001", {"none": [{"signal": {"name": "b", "v": {"in": [1, 2]}}}]}))
    before = [s.when.copy() for s in specs]
    definition = compile_ruleset(list(reversed(specs)), lambda spec: spec.id)
    assert list(definition) == ["DNS-001", "NET-002", "SINK"]
    assert definition["SINK"] == {"all": [{"m": {"$ex": {"kind": 1}}}], "pri": 65535, "run": "noop"}
    assert definition["NET-002"]["run"] == "NET-002"
    definition["DNS-001"]["all"][1]["m0$not"]["$and"][2]["$or"].clear()  # durable mutates what it gets
    assert [s.when for s in specs] == before
    assert specs[0].when["none"][0]["signal"]["v"]["in"] == [1, 2]
