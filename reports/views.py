"""summarize (chosen findings only) and compare (failing node vs healthy node)."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from eksdoctor.errors import UnknownFindingError

COMPARE_FACTS = ("ami_family", "kernel", "kubelet_version", "containerd_version", "collector_version",
                 "cluster_name", "api_endpoint", "region", "node_name", "bootstrap_args", "bootstrap_ran",
                 "bootstrap_completed", "nodeadm_last_phase", "kubelet_started", "node_registered",
                 "cluster_dns_ip", "max_pods", "nameservers", "search_domains", "default_route",
                 "default_gateway", "cni_config_present", "aws_node_ran", "failed_units")


def select_findings(diagnosis: dict, finding_ids: Sequence[str]) -> dict:
    """The diagnosis restricted to `finding_ids`; the root cause follows if it was left out."""
    by_id = {f["id"]: f for f in diagnosis["findings"]}
    wanted = [i.strip().upper() for i in finding_ids if i.strip()]
    unknown = [i for i in wanted if i not in by_id]
    if unknown or not wanted:
        valid = ", ".join(by_id) or "none: this diagnosis has no findings"
        raise UnknownFindingError(f"unknown finding id(s) {', '.join(unknown) or '(none given)'}; valid ids: {valid}")
    d = copy.deepcopy(diagnosis)
    d["findings"] = [f for f in d["findings"] if f["id"] in wanted]
    if d["root_cause"].get("finding") not in wanted:
        first = d["findings"][0]
        d["root_cause"] = {**d["root_cause"], "category": first["category"], "domain": first["domain"],
                           "detail": first["detail"], "confidence": first["confidence"], "finding": first["id"],
                           "summary": f"{first['category']} — {first['detail']}",
                           "next_steps": [f"summary of chosen findings; the full diagnosis names "
                                          f"{diagnosis['root_cause'].get('finding') or diagnosis['root_cause']['category']} as root cause"]}
    return d


def compare_diagnoses(a: dict, b: dict, net_a: dict | None, net_b: dict | None) -> dict:
    rows = []
    for key in COMPARE_FACTS:
        va, vb = a["facts"].get(key), b["facts"].get(key)
        if va is None and vb is None:
            continue
        rows.append({"field": key, "a": va, "b": vb, "differs": va != vb})
    for name, net in (("route_to_api", None),):
        va = (net_a or {}).get(name, {}).get("answer") if net_a else None
        vb = (net_b or {}).get(name, {}).get("answer") if net_b else None
        if va is not None or vb is not None:
            rows.append({"field": name, "a": va, "b": vb, "differs": va != vb})
    rules_a = {f["rule"]: f for f in a["findings"]}
    rules_b = {f["rule"]: f for f in b["findings"]}
    return {
        "a": {"target": a["bundle"]["name"], "instance_id": a["bundle"].get("instance_id"), "root_cause": a["root_cause"]},
        "b": {"target": b["bundle"]["name"], "instance_id": b["bundle"].get("instance_id"), "root_cause": b["root_cause"]},
        "rows": rows,
        "differences": [r["field"] for r in rows if r["differs"]],
        "findings_only_in_a": [{"rule": r, "title": f["title"], "severity": f["severity"]}
                               for r, f in sorted(rules_a.items()) if r not in rules_b],
        "findings_only_in_b": [{"rule": r, "title": f["title"], "severity": f["severity"]}
                               for r, f in sorted(rules_b.items()) if r not in rules_a],
    }


def render_compare_text(c: dict) -> str:
    width = 44
    out = [f"{'':24} {'A: ' + (c['a']['instance_id'] or c['a']['target']):{width}.{width}} "
           f"B: {c['b']['instance_id'] or c['b']['target']}",
           f"{'root cause':24} {c['a']['root_cause']['category']:{width}.{width}} {c['b']['root_cause']['category']}"]
    for r in c["rows"]:
        mark = "≠" if r["differs"] else " "
        out.append(f"{mark} {r['field']:22} {str(r['a'] if r['a'] is not None else '-'):{width}.{width}} "
                   f"{r['b'] if r['b'] is not None else '-'}")
    for side in ("a", "b"):
        only = c[f"findings_only_in_{side}"]
        if only:
            out.append(f"\nonly in {side.upper()}: " + ", ".join(f"{f['rule']} {f['title']}" for f in only))
    return "\n".join(out)
