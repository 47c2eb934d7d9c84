"""RuleEngine: compile once per process, evaluate one bundle per session, never leak a session.

Invariants (see durable-rules.md): no background threads (QuietHost); one live session at a time,
deleted in `finally` (the 1024-session cap is unreachable); every fact carries a unique id (the
engine's 32-bit hash would otherwise drop colliding facts); the closed-world phase fact is asserted
after the positive facts reach quiescence; an exception inside an action is collected and raised as
EngineError after cleanup, never swallowed; results live in a Python-side collector, not in c.s.

Known limitation: a `none: finding X` item is only order-independent when X itself does not depend
on negation (X's rule has no `none` items), because negated rules fire after the phase fact.
"""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from eksdoctor.engine.compiler import compile_rule, compile_ruleset
from eksdoctor.engine.host import QuietHost
from eksdoctor.engine.spec import RuleSpec, load_rules
from eksdoctor.errors import EngineError

MAX_PROPERTIES = 200
_SCALARS = (str, int, float, bool, type(None))
_ruleset_counter = itertools.count(1)


@dataclass(frozen=True)
class Activation:
    rule_id: str
    priority: int
    matched: dict  # clause alias -> the matched fact (a copy, without sid)


@dataclass(frozen=True)
class EngineResult:
    bundle_id: str
    activations: tuple[Activation, ...]
    facts_asserted: int
    elapsed_ms: float


@dataclass
class _Collector:
    activations: dict[str, Activation] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    derived: int = 0


def _plain(fact) -> dict:
    return {k: v for k, v in dict(fact).items() if k != "sid"}


class RuleEngine:
    """One compiled ruleset; `evaluate` runs one set of facts in a fresh, always-deleted session."""

    def __init__(self, rules: Sequence[RuleSpec]) -> None:
        self.rules = {r.id: r for r in rules}
        self._name = f"eksdoctor-{next(_ruleset_counter)}"
        self._host = QuietHost()
        self._collector: _Collector | None = None
        self._sessions = itertools.count(1)
        self._live = 0
        self._host.register_rulesets({self._name: compile_ruleset(list(rules), self._make_action)})

    def _make_action(self, spec: RuleSpec):
        rule_id, priority = spec.id, spec.priority
        finding = {"kind": "finding", "name": rule_id, "domain": spec.domain, "category": spec.category}

        def action(c) -> None:  # exactly one parameter: two would make durable treat it as async
            collector = self._collector
            if collector is None or rule_id in collector.activations:
                return
            try:
                matched = {alias: _plain(fact) for alias, fact in (c._m or {}).items() if isinstance(fact, Mapping)}
                collector.activations[rule_id] = Activation(rule_id, priority, matched)
                collector.derived += 1
                c.assert_fact(dict(finding, id=f"F{collector.derived}"))
            except Exception as err:  # noqa: BLE001 - durable would swallow it; we surface it
                collector.errors.append(f"{rule_id}: {type(err).__name__}: {err}")

        return action

    def explain(self, rule_id: str) -> dict:
        """The durable_rules JSON a rule compiles to (for debugging)."""
        if rule_id not in self.rules:
            raise EngineError(f"unknown rule {rule_id}")
        return compile_rule(self.rules[rule_id])

    def evaluate(self, bundle_id: str, facts: Iterable[Mapping]) -> EngineResult:
        started = time.perf_counter()
        prepared = self._prepare(facts)
        if self._live:
            raise EngineError("engine re-entered: one evaluation at a time per engine (use processes)")
        sid = f"{bundle_id}#{next(self._sessions)}"
        for fact in prepared:
            fact["sid"] = sid
        self._collector = collector = _Collector()
        self._live += 1
        try:
            if prepared:
                self._host.assert_facts(self._name, prepared)
            self._host.assert_fact(self._name, {"sid": sid, "kind": "phase", "name": "closed_world", "id": "P0"})
            state = self._host.get_state(self._name, sid)
            if state.get("exception"):
                collector.errors.append(str(state["exception"]))
        except Exception as err:  # durable errors (C error codes, unhandled messages)
            collector.errors.append(f"{type(err).__name__}: {err}")
        finally:
            self._collector = None
            try:
                self._host.delete_state(self._name, sid)
            except Exception as err:  # noqa: BLE001
                collector.errors.append(f"delete_state: {err}")
            self._live -= 1
        if collector.errors:
            raise EngineError("rule engine failed: " + "; ".join(collector.errors[:3]))
        activations = tuple(sorted(collector.activations.values(), key=lambda a: (a.priority, a.rule_id)))
        return EngineResult(bundle_id, activations, len(prepared), (time.perf_counter() - started) * 1000)

    @staticmethod
    def _prepare(facts: Iterable[Mapping]) -> list[dict]:
        """Validate, copy, sort deterministically and give every fact a unique id."""
        out = []
        for fact in facts:
            if not isinstance(fact, Mapping) or not fact.get("kind") or not fact.get("name"):
                raise EngineError(f"every fact needs kind and name: {fact!r:.200}")
            if len(fact) > MAX_PROPERTIES:
                raise EngineError(f"fact {fact.get('name')} has {len(fact)} properties (max {MAX_PROPERTIES})")
            clean = {}
            for k, v in fact.items():
                if k in ("sid", "id"):
                    continue
                if not isinstance(v, _SCALARS):
                    raise EngineError(f"fact {fact.get('name')}: property {k} must be a scalar, got {type(v).__name__}")
                clean[k] = v
            out.append(clean)
        out.sort(key=lambda f: json.dumps(f, sort_keys=True, default=str))
        for i, fact in enumerate(out, 1):
            fact["id"] = f"S{i}"
        return out


_engine: RuleEngine | None = None


def get_engine() -> RuleEngine:
    """The process-wide engine over the packaged rules, compiled on first use."""
    global _engine
    if _engine is None:
        _engine = RuleEngine(load_rules())
    return _engine
