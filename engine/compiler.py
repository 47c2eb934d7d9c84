"""RuleSpec -> durable_rules JSON ruleset.

Each `when` item becomes one clause: an `$and` of the kind equality and the property tests (values
encoded as in values.py, relational tests on the numeric shadow property). `any`
becomes one nested `$any` clause. `none` items become `<alias>$not` clauses placed AFTER a positive
phase clause `{kind: phase, name: closed_world, stratum: k}`: durable_rules does not cancel an
activation when a negated fact arrives later, and a leading `$not` never fires, so negation must
only be evaluated once everything it could negate is already asserted.

Strata (the classic stratified-negation construction) make that hold for derived findings too:
stratum 0 holds rules without negation that depend only on stratum-0 findings; a rule that negates
`finding: X` sits strictly above X's stratum; a rule that requires `finding: X` sits at or above it.
The session asserts phase facts 1..max_stratum one at a time, each after the previous one reached
quiescence. A cycle through negation has no stratification and is rejected as RuleBaseError.

Rules are added in sorted id order (equal priorities fire deterministically) and a catch-all SINK
rule is appended so an unmatched fact never raises inside the engine.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from eksdoctor.engine.spec import RuleSpec, pattern_names
from eksdoctor.engine.values import NUMERIC_SUFFIX, encode
from eksdoctor.errors import RuleBaseError

SINK = "SINK"
NOOP_ACTION = "noop"  # resolved by QuietHost.get_action
SINK_RULE = {"all": [{"m": {"$ex": {"kind": 1}}}], "pri": 65535}
PHASE_ALIAS = "phase"
PHASE_NAME = "closed_world"
_RELATIONAL = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


def phase_expression(stratum: int) -> dict:
    """The positive clause that opens negation for rules of `stratum` (>= 1)."""
    return {"$and": [{"kind": "phase"}, {"name": encode(PHASE_NAME)}, {"stratum": stratum}]}


def property_test(prop: str, value) -> dict:
    """One property test of the DSL as a durable expression over encoded values (see values.py)."""
    if not isinstance(value, dict):
        return {prop: encode(value)}
    (op, arg), = value.items()
    if op == "eq":
        return {prop: encode(arg)}
    if op == "in":
        return {"$or": [{prop: encode(v)} for v in arg]} if len(arg) > 1 else {prop: encode(arg[0])}
    if op == "exists":
        return {"$ex" if arg else "$nex": {prop: 1}}
    if op == "ne":
        return {"$neq": {prop: encode(arg)}}
    return {_RELATIONAL[op]: {prop + NUMERIC_SUFFIX: arg}}


def item_expression(kind: str, pattern) -> dict:
    """One fact pattern (`{signal: name}` or `{fact: {name: x, value: y}}`) as a durable expression."""
    if isinstance(pattern, str):
        pattern = {"name": pattern}
    terms = [{"kind": kind}]
    terms.extend(property_test(prop, copy.deepcopy(value)) for prop, value in pattern.items())
    return {"$and": terms}


def relational_properties(specs: Sequence[RuleSpec]) -> frozenset[str]:
    """Properties some rule tests with gt/gte/lt/lte: facts get a numeric shadow for these."""
    return frozenset(prop for spec in specs for _, _, pattern in spec.items() for prop, value in pattern.items()
                     if isinstance(value, dict) and next(iter(value)) in _RELATIONAL)


def strata(specs: Sequence[RuleSpec]) -> dict[str, int]:
    """Rule id -> stratum (see module docstring); RuleBaseError on a cycle through negation."""
    positive: dict[str, set[str]] = {}
    negative: dict[str, set[str]] = {}
    for spec in specs:
        positive[spec.id], negative[spec.id] = set(), set()
        for block, kind, pattern in spec.items():
            if kind == "finding":
                (negative if block == "none" else positive)[spec.id].update(pattern_names(pattern))
    level = {spec.id: (1 if spec.when.get("none") else 0) for spec in specs}
    # Bellman-Ford style relaxation: a stratification needs at most len(specs) levels.
    for _ in range(len(specs) + 1):
        changed = []
        for rid in sorted(level):
            want = max([level[rid]] + [level[d] for d in positive[rid] if d in level]
                       + [level[d] + 1 for d in negative[rid] if d in level])
            if want != level[rid]:
                level[rid] = want
                changed.append(rid)
        if not changed:
            return level
    raise RuleBaseError(f"rules {', '.join(changed)}: a cycle through 'none: finding' items (a rule "
                        "cannot depend on the absence of its own consequence); break the cycle")


def compile_rule(spec: RuleSpec, stratum: int = 1) -> dict:
    """The antecedent of one rule (without `run`), with deterministic aliases m0, m1, ..."""
    alias = iter(range(10_000))
    clauses: list[dict] = []
    for item in spec.when.get("all") or []:
        (kind, pattern), = item.items()
        clauses.append({f"m{next(alias)}": item_expression(kind, pattern)})
    if spec.when.get("any"):
        alternatives = []
        for item in spec.when["any"]:
            (kind, pattern), = item.items()
            alternatives.append({f"m{next(alias)}": item_expression(kind, pattern)})
        clauses.append({f"any{next(alias)}$any": alternatives})
    if spec.when.get("none"):
        clauses.append({PHASE_ALIAS: phase_expression(max(stratum, 1))})
        for item in spec.when["none"]:
            (kind, pattern), = item.items()
            clauses.append({f"m{next(alias)}$not": item_expression(kind, pattern)})
    return {"all": clauses, "pri": spec.priority}


def compile_ruleset(specs: Sequence[RuleSpec], make_action: Callable[[RuleSpec], Callable]) -> dict:
    """The whole ruleset (a fresh dict: durable mutates what it registers) plus SINK, sorted by id."""
    levels = strata(specs)
    definition: dict[str, dict] = {}
    for spec in sorted(specs, key=lambda s: s.id):
        rule = compile_rule(spec, levels[spec.id])
        rule["run"] = make_action(spec)
        definition[spec.id] = rule
    definition[SINK] = dict(copy.deepcopy(SINK_RULE), run=NOOP_ACTION)
    return definition
