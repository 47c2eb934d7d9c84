"""Rules are data reviewed like code: every rule validates, references things that exist, and uses
only placeholders the pipeline can fill."""

from __future__ import annotations

import re

from eksdoctor.diagnosis import rule_table
from eksdoctor.facts import FACT_PROBES
from eksdoctor.remediation import placeholder_values
from eksdoctor.signals import load_catalog

PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)\}(?!\})")
# facts the pipeline sets that rule texts may use
FACT_NAMES = {"kubelet_version", "node_name", "nodeadm_last_phase", "cluster_name", "api_endpoint", "region",
              "instance_id", "kubelet_minor"}


def _texts(rule: dict):
    rem = rule.get("remediation") or {}
    yield rule["conclusion"]
    yield from (rem.get(k) or "" for k in ("immediate", "long_term"))
    yield from rem.get("commands") or []
    yield from rule.get("next_steps") or []


def test_rules_load_and_ids_are_unique_and_well_formed():
    rules = rule_table()
    assert len(rules) >= 50
    for rid, rule in rules.items():
        assert re.fullmatch(r"[A-Z]+-\d{3}", rid)
        for key in ("title", "domain", "category", "priority", "severity", "confidence", "rationale", "remediation"):
            assert rule.get(key) not in (None, ""), f"{rid}: {key}"
        assert rule["remediation"].get("safety") in ("GREEN", "YELLOW", "RED"), rid


def test_every_domain_of_the_sop_is_covered():
    domains = {r["domain"] for r in rule_table().values()}
    assert domains >= {"iam", "sts", "network", "dns", "bootstrap", "security", "tags", "ami", "ip", "cni"}


def test_explains_and_evidence_refer_to_existing_rules_or_signals():
    rules = rule_table()
    signals = {p.name for p in load_catalog()}
    for rid, rule in rules.items():
        for target in rule.get("explains") or []:
            assert target in rules or target in signals, f"{rid} explains unknown {target!r}"
        for name in rule.get("evidence_from") or []:
            assert name in signals, f"{rid} evidence_from unknown signal {name!r}"


def test_placeholders_are_fillable():
    known = set(placeholder_values({}, {}, {}, {})) | FACT_NAMES | {"missing_policies_spaced"}
    known |= {k for p in load_catalog() for k, _ in p.attrs} | {k for p in FACT_PROBES for k, _ in p.attrs}
    known |= {"nacl_egress_443", "nacl_ingress_ephemeral"}
    for rid, rule in rule_table().items():
        for text in _texts(rule):
            for name in PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")):
                assert name in known, f"{rid}: unknown placeholder {{{name}}} in {text!r}"


def test_context_rules_say_so():
    for rid, rule in rule_table().items():
        refs_context = "context:" in repr(rule["when"]) or "'context'" in repr(rule["when"])
        if rule.get("needs_context"):
            assert refs_context, f"{rid} needs_context but has no context pattern"
