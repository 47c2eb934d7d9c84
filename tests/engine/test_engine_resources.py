"""Resource guards: many sequential sessions (durable's 1024 live-session cap, leaks) and a process pool."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from engine_helpers import make_rule, sig, write_rules

from eksdoctor.engine import RuleEngine, load_rules

RULES = [make_rule(f"NET-{i:03d}", {"all": [{"signal": {"name": f"s{i % 13}", "count": {"gte": i % 3}}}]},
                   priority=i) for i in range(1, 31)]
RULES += [make_rule("DNS-001", {"all": [{"finding": "NET-001"}], "none": [{"signal": "s5"}]},
                    domain="dns", category="dns_config"),
          make_rule("DNS-002", {"none": [{"finding": "DNS-001"}, {"fact": {"name": "ok", "value": True}}]},
                    domain="dns", category="dns_config")]


def bundle(n: int) -> list[dict]:
    """A deterministic synthetic bundle: 24 signals, some matching, some noise, varying per n."""
    facts = [sig(f"s{(n + k) % 17}", count=(n * k) % 5, subject=f"node-{k % 4}", attr_text="x" * (k % 50))
             for k in range(24)]
    facts.append({"kind": "fact", "name": "ok", "value": n % 2 == 0})
    return facts


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_1500_sequential_evaluations_keep_memory_flat(tmp_path):
    engine = RuleEngine(load_rules(write_rules(tmp_path, {"r.yaml": RULES})))
    for n in range(100):  # warm-up: allocator pools, interned strings
        engine.evaluate(f"warm-{n}", bundle(n))
    before = _rss_mb()
    fired_total = 0
    for n in range(1500):  # > 1024: a leaked session per evaluation would hit durable's cap and crash
        fired_total += len(engine.evaluate(f"i-{n:05d}", bundle(n)).activations)
        assert engine.live_sessions == 0
    growth = _rss_mb() - before
    assert fired_total > 1500  # the rules really fired (not an empty loop)
    assert growth < 20, f"RSS grew {growth:.1f} MB over 1500 evaluations"


_worker_engine: RuleEngine | None = None


def _init_worker(rule_paths: list[str]) -> None:
    global _worker_engine
    _worker_engine = RuleEngine(load_rules([Path(p) for p in rule_paths]))


def _evaluate(n: int) -> tuple:
    result = _worker_engine.evaluate(f"i-{n}", bundle(n))
    return n, os.getpid(), [(a.rule_id, a.priority, sorted(a.matched.items()), a.firings) for a in result.activations]


def test_two_process_spawn_pool_gives_identical_results(tmp_path):
    paths = [str(p) for p in write_rules(tmp_path, {"r.yaml": RULES})]
    _init_worker(paths)
    sequential = {n: _evaluate(n)[2] for n in range(60)}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context, initializer=_init_worker,
                             initargs=(paths,)) as pool:
        results = list(pool.map(_evaluate, range(60), chunksize=5))
    assert {n: fired for n, _, fired in results} == sequential
    assert len({pid for _, pid, _ in results} - {os.getpid()}) >= 1  # really ran in child processes
