"""RuleEngine: compile once per process, evaluate one bundle per session, never leak a session.

Invariants (see /work/shared/spec/durable-rules.md):
- no background threads (QuietHost); evaluations are synchronous and one at a time per engine;
- one live session (sid) at a time, deleted in `finally`, so the 1024-session cap is unreachable;
- every fact carries a unique id (S1.. for inputs, F1.. for derived findings, P1.. for phases):
  durable_rules identifies facts by a 32-bit hash and drops colliding id-less facts;
- an exception inside an action, or `state['exception']`, becomes EngineError after cleanup;
- results live in a Python-side collector, never in `c.s` (durable re-serialises it per action).

Evaluation order: the input facts are sorted (so any input order gives the same run) and asserted
in one batch; every positive rule fires and chains to quiescence. Then the phase facts
`{kind: phase, name: closed_world, stratum: k}` are asserted for k = 1..max stratum, one at a time;
rules with `none` items of stratum k fire only then (see compiler.strata). So a `none: finding X`
item sees X whenever X can be derived at all, including when X itself depends on negation.

Remaining limitation: an activation records the first match of a rule only (plus a firing count),
chosen as the match with the smallest fact ids, i.e. the first facts in sorted content order; a
rule matching several subjects yields one finding whose `matched` shows one of them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from eksdoctor.engine.compiler import (PHASE_ALIAS, PHASE_NAME, compile_rule, compile_ruleset,
                                       relational_properties, strata)
from eksdoctor.engine.host import QuietHost
from eksdoctor.engine.spec import RuleSpec, load_rules
from eksdoctor.engine.values import NUMERIC_SUFFIX, decode_fact, encode_fact, representable
from eksdoctor.errors import EngineError, InputError

MAX_PROPERTIES = 200          # per input fact; durable's hard limit is 255 (error 302)
MAX_ENCODED_PROPERTIES = 250  # after adding id, sid and numeric shadows (values.py)
MAX_LIVE_SESSIONS = 16        # leaked (undeletable) sessions tolerated before refusing: far below 1024
INPUT_KINDS = ("signal", "fact", "context")  # findings and phases are the engine's own facts
_ruleset_counter = itertools.count(1)


@dataclass(frozen=True)
class Activation:
    """A rule that fired: its first match (alias -> fact copy without sid) and how often it matched."""

    rule_id: str
    priority: int
    matched: dict
    firings: int = 1


@dataclass(frozen=True)
class EngineResult:
    """One evaluation: activations sorted by (priority, rule_id); input facts count; wall time."""

    bundle_id: str
    activations: tuple[Activation, ...]
    facts_asserted: int
    elapsed_ms: float


def _fact_key(fact_id: str) -> tuple[str, int]:
    return fact_id[:1], int(fact_id[1:] or 0)


@dataclass
class _Collector:
    """Per-evaluation results, filled by the action closures."""

    first: dict[str, tuple[tuple, dict]] = field(default_factory=dict)  # rule id -> (match key, matched)
    firings: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    derived: int = 0

    def record(self, rule_id: str, matched: dict) -> bool:
        """Keep the match with the smallest fact ids; True on the rule's first firing."""
        key = tuple(sorted(_fact_key(str(f.get("id", ""))) for f in matched.values()))
        is_first = rule_id not in self.first
        if is_first or key < self.first[rule_id][0]:
            self.first[rule_id] = (key, matched)
        self.firings[rule_id] = self.firings.get(rule_id, 0) + 1
        return is_first


def _error_text(err: object) -> str:
    return " ".join(str(err).split())[:300]


def prepare_facts(facts: Iterable[Mapping]) -> list[dict]:
    """Validate and copy the input facts, sort them deterministically and number them S1, S2, ..."""
    out = [_checked(fact) for fact in facts]
    # Sort on (property, type, value) triples: total and stable across processes (no hash order).
    out.sort(key=lambda f: tuple((k, type(v).__name__, v) for k, v in sorted(f.items())))
    for i, fact in enumerate(out, 1):
        fact["id"] = f"S{i}"
    return out


_checked_keys: set[str] = set()  # property names already validated (bounded below)


def _checked(fact) -> dict:
    """A validated copy of one input fact, or EngineError naming the fact and property."""
    if not isinstance(fact, Mapping):
        raise EngineError(f"an engine fact must be a mapping, got {type(fact).__name__}")
    kind, name = fact.get("kind"), fact.get("name")
    if kind not in INPUT_KINDS:
        raise EngineError(f"fact {name!r}: kind must be one of {', '.join(INPUT_KINDS)}, got {kind!r}")
    if type(name) is not str or not name:
        raise EngineError(f"{kind} fact without a name: every fact needs kind and name")
    if len(fact) > MAX_PROPERTIES:
        raise EngineError(f"{kind} {name}: {len(fact)} properties (max {MAX_PROPERTIES}); aggregate or drop some")
    for key, value in fact.items():
        kind_of_value = type(value)
        if not (kind_of_value is str or kind_of_value is bool or value is None
                or ((kind_of_value is int or kind_of_value is float) and representable(value))):
            if isinstance(value, (list, tuple, dict, set)):
                raise EngineError(f"{kind} {name}: property {key} is a {kind_of_value.__name__}; "
                                  "flatten it into scalar properties")
            raise EngineError(f"{kind} {name}: property {key}={value!r:.60} is not a string, boolean, null or "
                              "number durable_rules can parse (finite, no exponent, 64-bit)")
        if key not in _checked_keys:
            if type(key) is not str or not key or key.startswith("$") or key in ("id", "sid") \
                    or key.endswith(NUMERIC_SUFFIX):
                raise EngineError(f"{kind} {name}: property name {key!r} is reserved or invalid (the engine sets id/sid)")
            if len(_checked_keys) < 10_000:
                _checked_keys.add(key)
    return dict(fact)


class RuleEngine:
    """One compiled ruleset; `evaluate` runs one set of facts in a fresh, always-deleted session.

    Compiling registers a ruleset that durable_rules can never free: build one engine per process
    (`get_engine()`) and reuse it; for parallelism use processes, never threads.
    """

    def __init__(self, rules: Sequence[RuleSpec]) -> None:
        started = time.perf_counter()
        self.rules = {r.id: r for r in rules}
        if len(self.rules) != len(rules):
            raise EngineError("duplicate rule ids given to RuleEngine; load them with load_rules()")
        self.strata = strata(list(rules))
        self.phases = max([1, *self.strata.values()])
        self._numeric = relational_properties(list(rules))
        self._name = f"eksdoctor-{next(_ruleset_counter)}"
        self._host = QuietHost()
        self._collector: _Collector | None = None
        self._sessions = itertools.count(1)
        self._live: set[str] = set()
        self._busy = threading.Lock()
        self._host.register_rulesets({self._name: compile_ruleset(list(rules), self._make_action)})
        self.compile_ms = (time.perf_counter() - started) * 1000

    def _make_action(self, spec: RuleSpec):
        rule_id = spec.id
        finding = {"kind": "finding", "name": rule_id, "domain": spec.domain, "category": spec.category}

        def action(c) -> None:  # exactly one parameter: two would make durable treat it as async
            collector = self._collector
            if collector is None:  # only reachable if durable ran an action outside evaluate()
                return
            try:
                matched = {alias: decode_fact(fact) for alias, fact in _matched_facts(c).items()
                           if alias != PHASE_ALIAS}
                if collector.record(rule_id, matched):
                    collector.derived += 1
                    c.assert_fact(encode_fact(dict(finding, id=f"F{collector.derived}"), self._numeric))
            except Exception as err:  # noqa: BLE001 - durable would swallow it; we surface it
                collector.errors.append(f"{rule_id}: {type(err).__name__}: {_error_text(err)}")

        return action

    def explain(self, rule_id: str) -> dict:
        """The durable_rules JSON one rule compiles to (for debugging `eksdoctor rules --explain`)."""
        if rule_id not in self.rules:
            raise InputError(f"unknown rule {rule_id!r}: list the rule ids with `eksdoctor rules`")
        return compile_rule(self.rules[rule_id], self.strata[rule_id])

    def evaluate(self, bundle_id: str, facts: Iterable[Mapping]) -> EngineResult:
        """Assert `facts` (dicts with kind, name and scalar properties, no ids) and return what fired."""
        started = time.perf_counter()
        prepared = [self._encode(fact) for fact in prepare_facts(facts)]
        if not self._busy.acquire(blocking=False):
            raise EngineError("rule engine re-entered: one evaluation at a time per engine (use processes)")
        try:
            self._reap_sessions()
            collector = self._run(f"{bundle_id}#{next(self._sessions)}", prepared)
        finally:
            self._busy.release()
        if collector.errors:
            raise EngineError(f"rule engine failed on {bundle_id}: " + "; ".join(collector.errors[:3]))
        activations = tuple(sorted(
            (Activation(rid, self.rules[rid].priority, matched, collector.firings[rid])
             for rid, (_, matched) in collector.first.items()),
            key=lambda a: (a.priority, a.rule_id)))
        return EngineResult(bundle_id, activations, len(prepared), (time.perf_counter() - started) * 1000)

    def _run(self, sid: str, prepared: list[dict]) -> _Collector:
        collector = self._collector = _Collector()
        self._live.add(sid)
        try:
            if prepared:
                self._host.assert_facts(self._name, [dict(fact, sid=sid) for fact in prepared])
            for stratum in range(1, self.phases + 1):  # each phase after the previous one settled
                phase = {"id": f"P{stratum}", "kind": "phase", "name": PHASE_NAME, "stratum": stratum}
                self._host.assert_fact(self._name, dict(self._encode(phase), sid=sid))
            exception = self._host.get_state(self._name, sid).get("exception")
            if exception:
                collector.errors.append(f"durable_rules: {_error_text(exception)}")
        except Exception as err:  # noqa: BLE001 - C error codes, unhandled/observed messages
            collector.errors.append(f"{type(err).__name__}: {_error_text(getattr(err, 'message', err))}")
        finally:
            self._collector = None
            self._delete(sid, collector.errors)
        return collector

    def _encode(self, fact: dict) -> dict:
        encoded = encode_fact(fact, self._numeric)
        if len(encoded) + 1 > MAX_ENCODED_PROPERTIES:  # + sid
            raise EngineError(f"{fact['kind']} {fact['name']}: too many properties once encoded; aggregate or drop some")
        return encoded

    def _delete(self, sid: str, errors: list[str]) -> None:
        try:
            self._host.delete_state(self._name, sid)
        except Exception as err:  # noqa: BLE001 - kept in _live and retried before the next session
            if self._session_exists(sid):
                errors.append(f"delete_state: {_error_text(err)}")
                return
        self._live.discard(sid)

    def _session_exists(self, sid: str) -> bool:
        try:
            self._host.get_state(self._name, sid)
        except Exception:  # noqa: BLE001 - durable raises error 309 for an unknown sid
            return False
        return True

    def _reap_sessions(self) -> None:
        """Retry deleting sessions whose deletion failed; refuse to grow towards durable's cap."""
        for sid in sorted(self._live):
            self._delete(sid, [])
        if len(self._live) >= MAX_LIVE_SESSIONS:
            raise EngineError(f"rule engine has {len(self._live)} sessions it cannot delete; restart the process")

    @property
    def live_sessions(self) -> int:
        """Sessions currently alive in durable_rules (0 between evaluations)."""
        return len(self._live)


def _matched_facts(c) -> dict:
    """alias -> matched fact of an action's closure (durable keeps them in `c._m`)."""
    return {alias: dict(fact) for alias, fact in (c._m or {}).items() if isinstance(fact, Mapping)}


_engine: RuleEngine | None = None


def get_engine() -> RuleEngine:
    """The process-wide engine over the packaged rules, compiled on first use."""
    global _engine
    if _engine is None:
        _engine = RuleEngine(load_rules())
    return _engine
