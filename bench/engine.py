"""Cost of the rule engine (eksdoctor.engine) on a synthetic 100-rule base over 2000 signals.

Builds 100 synthetic rules (single-signal with property tests, `any`, finding chains, `none` on
signals and on findings, so two negation strata) and bundles of 2000 signal facts (~5 % of them
named by some rule), then times, in the same run:
  baseline  RuleEngine([]) -- only the SINK rule -- asserting the same facts (durable's floor:
            one SINK action per fact, session create/delete, the phase fact)
  engine    RuleEngine(100 rules).evaluate(...) on the same facts
and prints the compile time, ms per evaluation for both and the ratio engine/baseline.
Run: .venv/bin/python bench/engine.py [BUNDLES] [SIGNALS]
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from eksdoctor.engine import RuleEngine, RuleSpec

N_RULES = 100
RULE_SIGNALS = 60   # distinct signal names referenced by rules; the rest of a bundle is noise
DOMAINS = ("iam", "sts", "network", "dns", "bootstrap", "security", "tags", "ami", "ip", "cni")
CATEGORIES = ("iam_auth", "sts_endpoint", "network_connectivity", "dns_config", "bootstrap_config",
              "security_rules", "tagging", "ami_issue", "ip_exhaustion", "cni_plugin")


def _rule(i: int, when: dict) -> RuleSpec:
    d = i % len(DOMAINS)
    return RuleSpec(id=f"{DOMAINS[d].upper()}-{i:03d}", title=f"rule {i}", domain=DOMAINS[d], category=CATEGORIES[d],
                    priority=100 + (i * 37) % 500, severity="high", confidence="high", when=when,
                    conclusion="c", rationale="r", remediation={"safety": "GREEN", "immediate": "i", "long_term": "l"},
                    tests={"fires": [], "silent": []})


def synthetic_rules() -> list[RuleSpec]:
    """80 signal rules, 10 finding joins, 10 negations (5 on signals, 5 on findings of those)."""
    rules = []
    for i in range(80):
        when = {"all": [{"signal": {"name": f"sig{i % RULE_SIGNALS}", "count": {"gte": 1 + i % 3}, "dismissed": False}}]}
        if i % 4 == 0:
            when["any"] = [{"signal": f"sig{(i + 7) % RULE_SIGNALS}"}, {"fact": {"name": "ami_family", "value": "al2"}}]
        rules.append(_rule(i, when))
    ids = [r.id for r in rules]
    for i in range(80, 90):
        rules.append(_rule(i, {"all": [{"finding": ids[i - 80]}, {"finding": ids[i - 70]}]}))
    for i in range(90, 95):
        rules.append(_rule(i, {"all": [{"signal": f"sig{i % RULE_SIGNALS}"}], "none": [{"signal": f"sig{i - 90}"}]}))
    for i in range(95, 100):
        rules.append(_rule(i, {"all": [{"finding": ids[i - 95]}], "none": [{"finding": rules[i - 5].id}]}))
    return rules


def synthetic_bundle(rng: random.Random, n_signals: int) -> list[dict]:
    facts = []
    for k in range(n_signals):
        name = f"sig{rng.randrange(RULE_SIGNALS)}" if rng.random() < 0.05 else f"noise{rng.randrange(400)}"
        facts.append({"kind": "signal", "name": name, "count": rng.randrange(1, 50), "dismissed": rng.random() < 0.1,
                      "subject": f"node-{k}", "first_ts": 1717700000 + k, "last_ts": 1717700600 + k,
                      "attr_node": f"ip-10-0-{k % 250}-{k % 7}.ec2.internal"})
    facts.append({"kind": "fact", "name": "ami_family", "value": "al2"})
    return facts


def _time(engine: RuleEngine, bundles: list[list[dict]]) -> tuple[float, int]:
    engine.evaluate("warm-up", bundles[0])
    per_eval, fired = [], 0
    for n, facts in enumerate(bundles):
        started = time.perf_counter()
        fired += len(engine.evaluate(f"b{n}", facts).activations)
        per_eval.append((time.perf_counter() - started) * 1000)
    return statistics.median(per_eval), fired


def main(n_bundles: int = 30, n_signals: int = 2000) -> None:
    rng = random.Random(20240606)
    bundles = [synthetic_bundle(rng, n_signals) for _ in range(n_bundles)]
    rules = synthetic_rules()

    started = time.perf_counter()
    engine = RuleEngine(rules)
    compile_ms = (time.perf_counter() - started) * 1000
    baseline = RuleEngine([])

    base_ms, _ = _time(baseline, bundles)
    engine_ms, fired = _time(engine, bundles)
    print(f"rules: {len(rules)} ({max(engine.strata.values())} negation strata)   "
          f"bundles: {n_bundles} x {n_signals + 1} facts")
    print(f"compile   {compile_ms:8.1f} ms  (validation not included: RuleSpecs built in memory)")
    print(f"baseline  {base_ms:8.1f} ms per evaluation  (SINK-only ruleset, same facts)")
    print(f"engine    {engine_ms:8.1f} ms per evaluation  ({fired / n_bundles:.1f} rules fired per bundle)")
    print(f"ratio     {engine_ms / base_ms:8.2f} x baseline")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
