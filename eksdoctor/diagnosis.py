"""The diagnose pipeline: analysis -> engine facts -> rules -> ranked findings -> the JSON contract.

Output shape: docs/diagnosis-schema.md. Deterministic: same bundle, context and rule base give the
same finding ids, order and text (no wall-clock values outside `stats`).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from datetime import datetime

from eksdoctor import __version__
from eksdoctor.analysis import Analysis, SignalFact, analyze
from eksdoctor.context_checks import derive_with_reasons
from eksdoctor.ranking import Candidate, rank, rivals_of
from eksdoctor.remediation import fill, placeholder_values

MAX_EVIDENCE = 8
CATEGORY_TEXT = {
    "iam_auth": "IAM / authentication", "sts_endpoint": "STS", "network_connectivity": "network connectivity",
    "dns_config": "DNS", "bootstrap_config": "bootstrap / user data", "security_rules": "security groups / NACLs",
    "tagging": "tags", "ami_issue": "AMI", "ip_exhaustion": "IP exhaustion", "cni_plugin": "VPC CNI",
}


@functools.lru_cache(maxsize=1)
def rule_table() -> dict[str, dict]:
    """Rule id -> rule as a plain dict (from the engine's validated RuleSpecs)."""
    from eksdoctor.engine import load_rules

    out = {}
    for spec in load_rules():
        d = spec.to_dict() if hasattr(spec, "to_dict") else dataclasses.asdict(spec)
        out[d["id"]] = d
    return out


def _iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts else None


def engine_facts(analysis: Analysis, derived: dict) -> list[dict]:
    facts: list[dict] = [s.engine_fact() for s in analysis.signals]
    for name, value in sorted(analysis.facts.values.items()):
        if isinstance(value, (str, int, float, bool)):
            facts.append({"kind": "fact", "name": name, "value": value})
    for name, value in sorted(derived.items()):
        if isinstance(value, (str, int, float, bool)):
            facts.append({"kind": "context", "name": name, "value": value})
    return facts


def _rule_items(when: dict) -> list[tuple[str, object]]:
    items = []
    for block in ("all", "any", "none"):
        for item in when.get(block) or []:
            if isinstance(item, dict):
                items.extend((block + ":" + k, v) for k, v in item.items())
    return items


def _referenced(rule: dict, kind: str, blocks=("all", "any")) -> list[str]:
    names = []
    for key, value in _rule_items(rule.get("when") or {}):
        block, k = key.split(":")
        if k == kind and block in blocks:
            names.append(value if isinstance(value, str) else value.get("name"))
    return [n for n in names if n]


def diagnose_bundle(bundle, *, context: dict | None = None, context_source: str | None = None) -> dict:
    """Run the whole pipeline on an open bundle; `context` is a validated aws-context dict or None."""
    from eksdoctor.engine import get_engine, rules_digest

    started = time.perf_counter()
    analysis = analyze(bundle)
    derived, reasons = derive_with_reasons(context, analysis.facts.values) if context else ({}, {})
    facts = engine_facts(analysis, derived)
    result = get_engine().evaluate(bundle.info.instance_id or bundle.info.name, facts)
    rules = rule_table()
    signals_by_name: dict[str, list[SignalFact]] = {}
    for s in analysis.signals:
        signals_by_name.setdefault(s.name, []).append(s)

    candidates = []
    for act in result.activations:
        rule = rules[act.rule_id]
        matched_signals = {f["name"] for f in act.matched.values() if f.get("kind") == "signal"}
        candidates.append(Candidate(rule, matched_signals | set(_referenced(rule, "signal"))))
        candidates[-1].matched = act.matched  # type: ignore[attr-defined]
    ordered, root, confidence = rank(candidates)
    findings, ids = _findings(ordered, analysis, signals_by_name, context, derived, reasons)
    diagnosis = {
        "schema_version": 1,
        "tool": {"name": "eksdoctor", "version": __version__, "rules_version": rules_digest()},
        "bundle": analysis.bundle_info,
        "facts": _public_facts(analysis),
        "root_cause": _root_cause(root, confidence, ordered, findings, ids, analysis, context),
        "findings": findings,
        "dismissed": _dismissed(analysis, ordered),
        "not_checked": _not_checked(rules, context, derived, {c.rule_id for c in ordered}),
        "escalations": _escalations(ordered, analysis, derived, context),
        "timeline": _timeline(analysis, findings),
        "context": {"provided": context is not None, "source": context_source,
                    "not_checked": list((context or {}).get("not_checked") or [])},
        "stats": {"files_read": len(analysis.scan.files_read), "lines_read": analysis.scan.lines_read,
                  "bytes_read": analysis.scan.bytes_read, "signals": len(analysis.signals),
                  "rules_fired": len(ordered), "engine_facts": len(facts),
                  "elapsed_ms": int((time.perf_counter() - started) * 1000)},
    }
    return diagnosis


def _public_facts(analysis: Analysis) -> dict:
    values = dict(sorted(analysis.facts.values.items()))
    values["evidence"] = {k: dataclasses.asdict(v) for k, v in sorted(analysis.facts.evidence.items())}
    return values


def _signal_attrs(matched: dict) -> dict:
    attrs = {}
    for fact in matched.values():
        if fact.get("kind") == "signal":
            for k, v in fact.items():
                if k.startswith("attr_"):
                    attrs.setdefault(k[5:], v)
            if fact.get("subject"):
                attrs.setdefault("subject", fact["subject"])
    return attrs


def _evidence(c: Candidate, analysis: Analysis, signals_by_name, reasons: dict) -> tuple[list[dict], int]:
    rule = c.rule
    evidence: list[dict] = []
    total = 0
    wanted: list[SignalFact] = []
    for fact in c.matched.values():  # type: ignore[attr-defined]
        if fact.get("kind") == "signal":
            wanted += [s for s in signals_by_name.get(fact["name"], []) if s.subject == fact.get("subject")]
    for name in rule.get("evidence_from") or []:
        wanted += [s for s in signals_by_name.get(name, []) if s not in wanted and not s.dismissed]
    for sig in wanted:
        total += sig.count
        evidence += [dataclasses.asdict(h.evidence()) for h in _pick_samples(sig.samples())]
    for fact in c.matched.values():  # type: ignore[attr-defined]
        if fact.get("kind") == "fact":
            ev = analysis.facts.evidence.get(fact["name"])
            text = f"{fact['name']} = {fact['value']}"
            evidence.append(dataclasses.asdict(ev) | {"text": f"{text}: {ev.text}"} if ev
                            else {"path": "(bundle facts)", "line": None, "ts": None, "text": text})
            total += 1
        elif fact.get("kind") == "context":
            because = reasons.get(fact["name"])
            evidence.append({"path": "aws-context.json", "line": None, "ts": None,
                             "text": f"{fact['name']} = {fact['value']}" + (f" ({because})" if because else "")})
            total += 1
    seen, unique = set(), []
    for e in evidence:
        key = (e["path"], e["line"], e["text"])
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique[:MAX_EVIDENCE], max(total, len(unique))


def _pick_samples(samples: list, limit: int = 4) -> list:
    """The first hit of each distinct message kind (by captured attributes), then the last hit:
    a register failure and a lease failure say more than four identical list errors."""
    picked, kinds = [], set()
    for hit in samples:
        kind = tuple(sorted((k, v) for k, v in hit.attrs.items() if k in ("op", "operation", "action", "unit")))
        if kind not in kinds:
            kinds.add(kind)
            picked.append(hit)
        if len(picked) >= limit - 1:
            break
    if samples and samples[-1] not in picked:
        picked.append(samples[-1])
    return picked


def _findings(ordered: list[Candidate], analysis, signals_by_name, context, derived, reasons):
    ids = {c.rule_id: f"F-{i:03d}" for i, c in enumerate(ordered, 1)}
    findings = []
    for c in ordered:
        rule = c.rule
        values = placeholder_values(analysis.facts.values, context, derived,
                                    _signal_attrs(c.matched))  # type: ignore[attr-defined]
        lookups: dict[str, str] = {}
        rem = rule.get("remediation") or {}
        evidence, total = _evidence(c, analysis, signals_by_name, reasons)
        findings.append({
            "id": ids[c.rule_id],
            "rule": c.rule_id,
            "title": rule["title"],
            "domain": rule["domain"],
            "category": rule["category"],
            "severity": rule["severity"],
            "priority": rule["priority"],
            "confidence": rule["confidence"],
            "role": c.role,
            "explained_by": ids.get(c.explained_by) if c.explained_by else None,
            "needs_context": bool(rule.get("needs_context")),
            "detail": fill(rule["conclusion"], values, lookups),
            "rationale": " ".join(str(rule.get("rationale", "")).split()),
            "evidence": evidence,
            "evidence_total": total,
            "remediation": {
                "safety": rem.get("safety", "YELLOW"),
                "immediate": fill(rem.get("immediate"), values, lookups),
                "long_term": fill(rem.get("long_term"), values, lookups),
                "commands": [fill(cmd, values, lookups) for cmd in rem.get("commands") or []],
                "lookups": [],
            },
            "next_steps": [fill(s, values, lookups) for s in rule.get("next_steps") or []],
            "cross_reference": list(rule.get("cross_reference") or []),
            "references": list(rule.get("references") or []),
        })
        known = {"<id>": values.get("instance_id"), "<region>": values.get("region"), "<cluster>": values.get("cluster_name"),
                 "<subnet-id>": values.get("subnet_id")}
        hints = []
        for key in sorted(lookups):
            hint = lookups[key]
            for token, value in known.items():
                if value:
                    hint = hint.replace(token, str(value))
            hints.append(hint)
        findings[-1]["remediation"]["lookups"] = hints
    return findings, ids


def _root_cause(root, confidence, ordered, findings, ids, analysis: Analysis, context) -> dict:
    facts = analysis.facts.values
    if root is not None:
        finding = next(f for f in findings if f["rule"] == root.rule_id)
        next_steps = list(finding["next_steps"])
        for rival in rivals_of(root, ordered):
            next_steps.append(f"Also independent: {ids[rival.rule_id]} {rival.rule['title']} — rule it out before acting.")
        if root.rule.get("needs_context") is False and context is None and root.rule["confidence"] != "high":
            next_steps.append("Re-run with --aws (or --context FILE) to confirm from the AWS side.")
        if analysis.bundle_info.get("layout") == "pasted":
            # a few lines from a ticket: the rest of the node's story (did it register later?) is unseen
            confidence = "medium" if confidence == "high" else confidence
            next_steps.append("Only pasted lines were analysed: collect the node's full bundle "
                              "(eksdoctor collect <instance-id> --bucket <bucket>) to confirm.")
        if analysis.bundle_info.get("partial"):
            # a cause logged in the unread part could outrank this one
            confidence = "medium" if confidence == "high" else confidence
            next_steps.append(_partial_step(analysis))
        return {"category": root.rule["category"], "domain": root.rule["domain"], "detail": finding["detail"],
                "confidence": confidence, "finding": finding["id"],
                "summary": f"{root.rule['category']} — {finding['detail']}", "next_steps": next_steps}
    registered = facts.get("node_registered")
    if registered is True:
        detail = f"the node registered with the API server{_at(facts.get('registered_at'))}; no join failure evidence"
        partial = bool(analysis.bundle_info.get("partial"))
        return {"category": "none", "domain": None, "detail": detail,
                "confidence": "high" if not findings and not partial else "medium", "finding": None,
                "summary": f"none — {detail}", "next_steps": [_partial_step(analysis)] if partial else []}
    return _unknown(analysis, findings, context)


def _partial_step(analysis: Analysis) -> str:
    reason = analysis.bundle_info.get("partial_reason") or "some members could not be read"
    return (f"The bundle is partial ({reason}): what the unread part logged is unknown; re-collect it "
            "(eksdoctor collect <instance-id> --bucket <bucket>) to confirm.")


# Where each collector keeps kubelet's log: without it, whether the node tried to register is unknown.
_KUBELET_LOGS = ("kubelet/kubelet.log", "system/kubelet/kubelet-service.csv", "journalctl.log")


def _at(ts) -> str:
    return f" at {ts}" if ts else ""


def _unknown(analysis: Analysis, findings, context) -> dict:
    facts = analysis.facts.values
    steps = []
    missing = {m["path"] for m in analysis.facts.missing}
    if missing & set(_KUBELET_LOGS):
        detail = "the kubelet log was not collected, so whether the node tried to register is unknown"
        steps.append("Re-collect the bundle with the EKS log collector (eksdoctor collect <instance-id> --bucket <bucket>).")
    elif facts.get("node_registered") is False:
        detail = "the node never registered and no rule matched the errors it logged"
        loud = sorted((s for s in analysis.signals if not s.marker and not s.dismissed), key=lambda s: -s.count)[:3]
        for s in loud:
            sample = s.samples()[0].line
            steps.append(f"Loudest signal: {s.name} x{s.count} ({sample.path}:{sample.lineno}) — "
                         f"eksdoctor timeline TARGET --pivot '{s.name.replace('_', '.')}'")
    else:
        detail = "no evidence of a join attempt or of a failure in the collected files"
    if analysis.bundle_info.get("partial"):
        steps.append(_partial_step(analysis))
    if context is None:
        steps.append("Run with --aws (or --context FILE): security groups, NACLs, routes, DHCP and IAM mappings are not in the bundle.")
    steps.append("eksdoctor search TARGET 'Unauthorized|TLS handshake timeout|connection refused|no such host|error' to read the raw errors.")
    for m in analysis.facts.missing:
        steps.append(f"Not collected: {m['path']} — {m['why']}")
    return {"category": "unknown", "domain": None, "detail": detail, "confidence": "low", "finding": None,
            "summary": f"unknown — {detail}", "next_steps": steps}


def _dismissed(analysis: Analysis, ordered: list[Candidate]) -> list[dict]:
    out = []
    for s in analysis.signals:
        if s.dismissed:
            ev = [dataclasses.asdict(h.evidence()) for h in s.samples()[:3]]
            out.append({"signal": s.name, "subject": s.subject, "reason": s.dismissed_reason, "count": s.count,
                        "evidence": ev})
    return out


def _not_checked(rules: dict, context, derived: dict, fired: set[str]) -> list[dict]:
    out = []
    for rid, rule in sorted(rules.items()):
        if not rule.get("needs_context") or rid in fired:
            continue
        needed = _referenced(rule, "context", blocks=("all", "any"))
        if context is None:
            why = "needs AWS context (not in the node's bundle): run with --aws or --context FILE"
        else:
            absent = [n for n in needed if n not in derived]
            if not absent:
                continue  # checked, and it did not fire
            why = "AWS context lacks " + ", ".join(absent) + " (not collected or call denied)"
        out.append({"rule": rid, "title": rule["title"], "needs": "aws_context", "why": why})
    return out


def _escalations(ordered: list[Candidate], analysis: Analysis, derived: dict, context) -> list[str]:
    out = []
    for c in ordered:
        text = c.rule.get("escalation")
        if text and c.role != "consequence" and text not in out:
            out.append(text)
    facts = analysis.facts.values
    network_open = derived.get("sg.egress_443") is True and derived.get("nacl.blocks_required") is not True
    if derived.get("node_role.mapped") is True and network_open and facts.get("node_registered") is False:
        out.append("Node role is correctly mapped and network is open but node still cannot join — possible control plane issue")
    ng = (context or {}).get("nodegroup") or {}
    if str(ng.get("status", "")).upper() == "CREATE_FAILED":
        out.append("Managed node group stuck in Create failed for > 15 minutes")
    failing = {rid for issue in ng.get("health_issues") or [] if isinstance(issue, dict)
               for rid in issue.get("resource_ids") or []}
    if len(failing) > 1:
        out.append(f"Multiple nodes failing to join simultaneously ({len(failing)} instances in node group health issues) — check via cluster_health for cluster-level issues")
    return out


def _timeline(analysis: Analysis, findings: list[dict]) -> list[dict]:
    events = list(analysis.facts.timeline)
    for f in findings:
        dated = [e for e in f["evidence"] if e.get("ts")]
        if dated:
            first = min(dated, key=lambda e: e["ts"])
            events.append({"ts": first["ts"], "event": "error", "label": f"{f['id']} {f['title']}",
                           "path": first["path"], "line": first["line"]})
    return sorted(events, key=lambda e: (e["ts"] or "", e["event"], e["label"]))
