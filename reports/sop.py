"""The SOP's Output Format (sop-A4-node-join.md, Phase 3): exactly its keys, filled from a diagnosis.

Built as data and dumped with PyYAML rather than templated, so quoting and escaping of log lines
is always valid YAML.
"""

from __future__ import annotations

CROSS_REFERENCES = {
    "A2": "A2 if specifically Unauthorized + kubelet restart loop",
    "H1": "H1 if node role missing IAM permissions for other AWS services",
    "D5": "D5 if DNS resolution failures extend beyond node join",
}
_NETWORK_FACTS = ("default_route", "default_gateway", "nameservers", "search_domains", "api_endpoint",
                  "cni_config_present")
MAX_SEARCH_EVIDENCE = 6


def _where(e: dict) -> str:
    return f"{e['path']}:{e['line']}" if e.get("line") else e["path"]


def sop_document(d: dict) -> dict:
    rc = d["root_cause"]
    findings = d["findings"]
    root = next((f for f in findings if f["id"] == rc.get("finding")), findings[0] if findings else None)
    evidence = []
    for e in (root["evidence"] if root else [])[:MAX_SEARCH_EVIDENCE]:
        evidence.append({"type": "search", "content": f"{_where(e)}: {e['text']}"})
    facts = d["facts"]
    net = [f"{k}={facts[k]}" for k in _NETWORK_FACTS if k in facts]
    evidence.append({"type": "network_diagnostics",
                     "content": "; ".join(net) if net else "networking files not collected"})
    events = [f"{e['ts'] or '?'} {e['label']}" for e in d["timeline"]]
    evidence.append({"type": "correlate", "content": " -> ".join(events) if events else "no dated events"})
    iid = d["bundle"].get("instance_id") or "instance id unknown"
    severity = (root["severity"] if root else ("INFO" if rc["category"] == "none" else "unknown")).upper()
    rem = root["remediation"] if root else {}
    immediate = rem.get("immediate") or ("Operator: no action needed: " + rc["detail"] if rc["category"] == "none"
                                         else "Operator: " + "; ".join(rc.get("next_steps") or ["collect more evidence"]))
    if rem.get("commands"):
        immediate += "\n" + "\n".join(rem["commands"])
    refs = []
    for f in findings:
        for ref in f.get("cross_reference") or []:
            text = CROSS_REFERENCES.get(ref, ref)
            if text not in refs:
                refs.append(text)
    return {
        "root_cause": rc["summary"],
        "failure_domain": rc.get("domain") or rc["category"],
        "evidence": evidence,
        "blast_radius": f"node ({iid})",
        "severity": severity,
        "mitigation": {
            "immediate": immediate,
            "long_term": rem.get("long_term") or "Use managed node groups, pass bootstrap args explicitly, monitor node group health",
        },
        "cross_reference": refs,
    }
