"""Session lifecycle: input validation, errors never swallowed, no leaked sessions, determinism."""

from __future__ import annotations

import random

import pytest
from engine_helpers import fired, make_rule, sig
from hypothesis import given, settings
from hypothesis import strategies as st

from eksdoctor.engine import session as session_module
from eksdoctor.errors import EngineError


@pytest.mark.parametrize("fact, message", [
    ({"name": "a"}, "kind must be one of signal, fact, context"),
    ({"kind": "finding", "name": "NET-001"}, "kind must be one of"),
    ({"kind": "phase", "name": "closed_world"}, "kind must be one of"),
    ({"kind": "signal"}, "signal fact without a name"),
    ({"kind": "signal", "name": ""}, "without a name"),
    ({"kind": "signal", "name": "a", "id": "S9"}, "property name 'id' is reserved"),
    ({"kind": "signal", "name": "a", "sid": "x"}, "property name 'sid' is reserved"),
    ({"kind": "signal", "name": "a", "count__num": 1}, "reserved or invalid"),
    ({"kind": "signal", "name": "a", "$and": 1}, "reserved or invalid"),
    ({"kind": "signal", "name": "a", "ips": ["10.0.0.1"]}, "property ips is a list; flatten it"),
    ({"kind": "signal", "name": "a", "attrs": {"node": "n"}}, "property attrs is a dict; flatten it"),
    ({"kind": "fact", "name": "a", "value": 1e20}, "value=1e+20 is not"),
    ({"kind": "fact", "name": "a", "value": 1e-7}, "is not a string, boolean, null or number"),
    ({"kind": "fact", "name": "a", "value": float("nan")}, "is not a string"),
    ({"kind": "fact", "name": "a", "value": 2**64}, "is not a string"),
    ({"kind": "fact", "name": "a", "value": b"bytes"}, "is not a string"),
    ({"kind": "signal", "name": "a", **{f"p{i}": i for i in range(199)}}, "201 properties (max 200)"),
    ("signal a", "must be a mapping"),
])
def test_bad_facts_rejected_with_engine_error(build, fact, message):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}]}))
    with pytest.raises(EngineError) as err:
        engine.evaluate("b", [sig("ok"), fact])
    assert message in str(err.value)
    assert engine.live_sessions == 0
    assert fired(engine.evaluate("b", [sig("a")])) == ["NET-001"]


def test_widest_allowed_fact_evaluates(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": {"name": "a", "p197": {"gte": 197}}}]}))
    fact = sig("a", **{f"p{i}": i for i in range(198)})
    assert len(fact) == 200
    result = engine.evaluate("b", [fact])
    assert fired(result) == ["NET-001"] and result.activations[0].matched["m0"]["p150"] == 150


def test_caller_facts_are_not_mutated(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": {"name": "a", "count": {"gt": 1}}}]}))
    facts = [sig("a", count=2, note="x")]
    engine.evaluate("b", facts)
    assert facts == [{"kind": "signal", "name": "a", "count": 2, "note": "x"}]


def test_action_error_surfaces_and_next_evaluation_works(build, monkeypatch):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}]}), make_rule("NET-002", {"all": [{"signal": "b"}]}))
    real = session_module.decode_fact

    def explode(fact):
        if fact.get("name") == "s:b":
            raise RuntimeError("boom in action")
        return real(fact)

    monkeypatch.setattr(session_module, "decode_fact", explode)
    with pytest.raises(EngineError, match=r"rule engine failed on bundle-x: NET-002: RuntimeError: boom in action"):
        engine.evaluate("bundle-x", [sig("a"), sig("b")])
    assert engine.live_sessions == 0
    monkeypatch.setattr(session_module, "decode_fact", real)
    assert fired(engine.evaluate("bundle-y", [sig("a"), sig("b")])) == ["NET-001", "NET-002"]


def test_durable_state_exception_is_not_swallowed(build, monkeypatch):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}]}))
    real_get_state = engine._host.get_state
    monkeypatch.setattr(engine._host, "get_state",
                        lambda name, sid: dict(real_get_state(name, sid), exception="exception caught x"))
    with pytest.raises(EngineError, match="durable_rules: exception caught x"):
        engine.evaluate("b", [sig("a")])
    assert engine.live_sessions == 0


def test_failed_delete_is_retried_and_bounded(build, monkeypatch):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}]}))
    real_delete = engine._host.delete_state

    def refuse(name, sid):
        raise RuntimeError("Could not delete state, error code: 999")

    monkeypatch.setattr(engine._host, "delete_state", refuse)
    with pytest.raises(EngineError, match="delete_state: Could not delete state"):
        engine.evaluate("b", [sig("a")])
    assert engine.live_sessions == 1
    for _ in range(session_module.MAX_LIVE_SESSIONS - 1):
        with pytest.raises(EngineError):
            engine.evaluate("b", [sig("a")])
    with pytest.raises(EngineError, match="16 sessions it cannot delete; restart the process"):
        engine.evaluate("b", [sig("a")])
    assert engine.live_sessions == session_module.MAX_LIVE_SESSIONS
    monkeypatch.setattr(engine._host, "delete_state", real_delete)
    assert fired(engine.evaluate("b", [sig("a")])) == ["NET-001"]  # leftovers reaped first
    assert engine.live_sessions == 0


def test_reentry_is_refused(build):
    engine = build(make_rule("NET-001", {"all": [{"signal": "a"}]}))
    with engine._busy:  # what a second thread would see mid-evaluation
        with pytest.raises(EngineError, match="re-entered"):
            engine.evaluate("b", [sig("a")])
    assert fired(engine.evaluate("b", [sig("a")])) == ["NET-001"]


def test_duplicate_facts_and_many_findings_in_one_session(build):
    rules = [make_rule(f"NET-{i:03d}", {"all": [{"signal": f"s{i % 7}"}]}) for i in range(1, 60)]
    engine = build(*rules, make_rule("DNS-001", {"all": [{"finding": "NET-001"}, {"finding": "NET-058"}]},
                                     domain="dns", category="dns_config"))
    facts = [sig(f"s{i % 7}") for i in range(300)]  # identical content: ids keep them distinct
    result = engine.evaluate("b", facts)
    assert len(result.activations) == 60 and result.facts_asserted == 300
    assert {a.firings for a in result.activations if a.rule_id.startswith("NET")} >= {42, 43}


NEGATION_RULES = [
    make_rule("BOOT-001", {"all": [{"signal": "bootstrap_ran"}], "none": [{"signal": "kubelet_started"}]},
              priority=10, domain="bootstrap", category="bootstrap_config"),
    make_rule("NET-001", {"all": [{"signal": "timeout"}], "none": [{"finding": "DNS-001"}]}, priority=5),
    make_rule("DNS-001", {"any": [{"signal": "nxdomain"}, {"signal": "servfail"}],
                          "none": [{"fact": {"name": "resolver", "value": "ok"}}]},
              priority=50, domain="dns", category="dns_config"),
    make_rule("IAM-001", {"all": [{"signal": {"name": "unauthorized", "count": {"gte": 2}}}]}, priority=40,
              domain="iam", category="iam_auth", explains=["NET-001"]),
    make_rule("IAM-002", {"all": [{"finding": "IAM-001"}], "none": [{"finding": "BOOT-001"}]}, priority=60,
              domain="iam", category="iam_auth"),
]
UNIVERSE = [sig("bootstrap_ran"), sig("kubelet_started"), sig("timeout", subject="n1"), sig("timeout", subject="n2"),
            sig("nxdomain"), sig("servfail"), {"kind": "fact", "name": "resolver", "value": "ok"},
            sig("unauthorized", count=3), sig("unauthorized", count=1, subject="n2"), sig("noise", count=5)]


def _expected(present: list[dict]) -> list[str]:
    """The same rules written in plain Python: the oracle for the property test."""
    names = {f["name"] for f in present}
    boot = "bootstrap_ran" in names and "kubelet_started" not in names
    dns = bool(names & {"nxdomain", "servfail"}) and "resolver" not in names
    net = "timeout" in names and not dns
    iam1 = any(f["name"] == "unauthorized" and f["count"] >= 2 for f in present)
    iam2 = iam1 and not boot
    fired_ids = {"BOOT-001": boot, "DNS-001": dns, "NET-001": net, "IAM-001": iam1, "IAM-002": iam2}
    priority = {r["id"]: r["priority"] for r in NEGATION_RULES}
    return sorted((rid for rid, on in fired_ids.items() if on), key=lambda rid: (priority[rid], rid))


@pytest.fixture(scope="module")
def negation_engine(tmp_path_factory):
    from engine_helpers import write_rules

    from eksdoctor.engine import RuleEngine, load_rules
    return RuleEngine(load_rules(write_rules(tmp_path_factory.mktemp("neg"), {"r.yaml": NEGATION_RULES})))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(range(len(UNIVERSE))), unique=True).flatmap(st.permutations))
def test_negation_is_independent_of_assertion_order(negation_engine, order):
    present = [UNIVERSE[i] for i in order]
    result = negation_engine.evaluate("prop", present)
    assert fired(result) == _expected(present)


def test_shuffled_input_gives_identical_activations(negation_engine):
    facts = [f for f in UNIVERSE if f["name"] not in ("kubelet_started", "resolver")]
    baseline = negation_engine.evaluate("b", facts)
    assert fired(baseline) == _expected(facts) == ["BOOT-001", "IAM-001", "DNS-001"]
    rng = random.Random(7)
    for _ in range(20):
        rng.shuffle(facts)
        again = negation_engine.evaluate("b", facts)
        assert again.activations == baseline.activations  # same matched facts and ids, not only rule ids
