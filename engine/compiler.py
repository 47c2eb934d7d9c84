"""RuleSpec -> durable_rules JSON ruleset.

Each `when` item becomes one clause: `$and` of the kind equality and the property tests. `any`
becomes a nested `$any` clause. `none` items become `$not` clauses placed AFTER a positive
closed-world phase clause, so negation is only evaluated once every signal, fact, context fact and
positive finding has been asserted (durable_rules does not retract an activation when a negated
fact arrives later). A catch-all SINK rule keeps unmatched facts from raising inside the engine.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence

from eksdoctor.engine.spec import RuleSpec

SINK = "SINK"
PHASE = {"$and": [{"kind": "phase"}, {"name": "closed_world"}]}
_RELATIONAL = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


def item_expression(kind: str, spec) -> dict:
    """One fact pattern (`{signal: name}` or `{fact: {name: x, value: y}}`) as a durable expression."""
    if isinstance(spec, str):
        spec = {"name": spec}
    terms: list[dict] = [{"kind": kind}]
    for prop, value in spec.items():
        if isinstance(value, dict):
            (op, arg), = value.items()
            if op == "eq":
                terms.append({prop: arg})
            elif op == "in":
                terms.append({"$or": [{prop: v} for v in arg]})
            elif op == "exists":
                terms.append({"$ex" if arg else "$nex": {prop: 1}})
            else:
                terms.append({_RELATIONAL[op]: {prop: arg}})
        else:
            terms.append({prop: value})
    return {"$and": terms}


def compile_rule(spec: RuleSpec) -> dict:
    """The antecedent of one rule (without `run`), deterministic alias names."""
    when = copy.deepcopy(spec.when)
    counter = itertools.count()
    clauses: list[dict] = []
    for item in when.get("all") or []:
        (kind, pattern), = item.items()
        clauses.append({f"m{next(counter)}": item_expression(kind, pattern)})
    if when.get("any"):
        alternatives = []
        for item in when["any"]:
            (kind, pattern), = item.items()
            alternatives.append({f"m{next(counter)}": item_expression(kind, pattern)})
        clauses.append({f"any{next(counter)}$any": alternatives})
    if when.get("none"):
        clauses.append({"phase": copy.deepcopy(PHASE)})
        for item in when["none"]:
            (kind, pattern), = item.items()
            clauses.append({f"m{next(counter)}$not": item_expression(kind, pattern)})
    return {"all": clauses, "pri": spec.priority}


def compile_ruleset(specs: Sequence[RuleSpec], make_action: Callable[[RuleSpec], Callable]) -> dict:
    """The whole ruleset in sorted-id order (ties in priority fire deterministically) plus SINK."""
    definition: dict[str, dict] = {}
    for spec in sorted(specs, key=lambda s: s.id):
        rule = compile_rule(spec)
        rule["run"] = make_action(spec)
        definition[spec.id] = rule
    definition[SINK] = {"all": [{"m": {"$ex": {"kind": 1}}}], "pri": 65535, "run": "noop"}
    return definition
