"""Fleet view of a batch: counts per root cause, and incidents (nodes failing the same way).

An incident is the SOP's "multiple nodes failing to join simultaneously" case made concrete:
nodes sharing (category, root-cause rule, normalised top evidence line). Three or more nodes in one
incident is a cluster-level problem to escalate, not N node problems.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

ESCALATE_AT = 3
_HEALTHY = ("none",)
_INSTANCES_SHOWN = 20


def rows_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows as a DataFrame (diagnosis blob dropped), one column per batch_rows.COLUMNS."""
    from eksdoctor.batch_rows import COLUMNS

    frame = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    return frame


def _most_common(values) -> str | None:
    counted = Counter(v for v in values if isinstance(v, str) and v)
    return counted.most_common(1)[0][0] if counted else None


def _example_for(group: pd.DataFrame, pattern: str | None) -> str | None:
    """A real line (not the normalised shape) that has the most common shape."""
    if not pattern:
        return None
    match = group.loc[group["evidence_pattern"] == pattern, "top_evidence"]
    return match.iloc[0] if len(match) else None


def _instances(group: pd.DataFrame) -> list[str]:
    return sorted({str(i) for i in group["instance_id"].fillna(group["source"])})


def by_root_cause(frame: pd.DataFrame) -> list[dict]:
    """One entry per root-cause category of the diagnosed nodes, biggest first."""
    ok = frame[frame["status"] == "ok"]
    out = []
    for category, group in ok.groupby("category", sort=False):
        pattern = _most_common(group["evidence_pattern"])
        instances = _instances(group)
        out.append({
            "category": category,
            "count": int(len(group)),
            "share": round(len(group) / max(len(ok), 1), 3),
            "instances": instances[:_INSTANCES_SHOWN],
            "more_instances": max(0, len(instances) - _INSTANCES_SHOWN),
            "top_evidence": _example_for(group, pattern),
            "evidence_pattern": pattern,
            "rules": sorted({r for r in group["root_rule"] if isinstance(r, str) and r}),
            "remediation": _most_common(group["remediation"]),
            "detail": _most_common(group["detail"]),
        })
    out.sort(key=lambda e: (-e["count"], e["category"]))
    return out


def incidents(frame: pd.DataFrame, *, escalate_at: int = ESCALATE_AT) -> list[dict]:
    """Nodes grouped by (category, rule, evidence shape); failing categories only, biggest first."""
    failing = frame[(frame["status"] == "ok") & ~frame["category"].isin(_HEALTHY)].copy()
    failing["root_rule"] = failing["root_rule"].fillna("")
    failing["evidence_pattern"] = failing["evidence_pattern"].fillna("")
    out = []
    for (category, rule, pattern), group in failing.groupby(["category", "root_rule", "evidence_pattern"],
                                                             sort=False):
        clusters = sorted({c for c in group["cluster"] if isinstance(c, str) and c})
        nodes = int(len(group))
        incident = {
            "category": category,
            "rule": rule or None,
            "evidence_pattern": pattern or None,
            "nodes": nodes,
            "instances": _instances(group),
            "clusters": clusters,
            "example_evidence": _example_for(group, pattern),
            "remediation": _most_common(group["remediation"]),
            "escalation": None,
        }
        if nodes >= escalate_at:
            where = ", ".join(clusters) if clusters else "the cluster"
            checks = "; ".join(f"eksdoctor cluster-health {c}" for c in clusters or ["CLUSTER"])
            incident["escalation"] = (
                f"Multiple nodes failing to join simultaneously: {nodes} nodes of {where} fail with "
                f"{category} and the same evidence — check for a cluster-level issue ({checks}) "
                f"before fixing nodes one by one")
        out.append(incident)
    out.sort(key=lambda i: (-i["nodes"], i["category"], i["rule"] or "", i["evidence_pattern"] or ""))
    for number, incident in enumerate(out, 1):
        incident["id"] = f"INC-{number:03d}"
    return out


def failures(frame: pd.DataFrame) -> list[dict]:
    """Bundles that could not be diagnosed, with the reason (failed / timeout)."""
    bad = frame[frame["status"] != "ok"].sort_values("source")
    return [{"source": r.source, "instance_id": r.instance_id, "status": r.status, "error": r.error}
            for r in bad.itertuples()]


def summarise(rows: list[dict], *, run: dict | None = None, elapsed_s: float | None = None) -> dict:
    """The batch report: totals, per-root-cause table, incidents (with escalations), failures."""
    frame = rows_frame(rows)
    status_counts = frame["status"].value_counts().to_dict() if len(frame) else {}
    totals = {"bundles": int(len(frame)),
              **{s: int(status_counts.get(s, 0)) for s in ("ok", "failed", "timeout")}}
    found = incidents(frame) if len(frame) else []
    report = {
        "run": run or {},
        "totals": totals,
        "by_root_cause": by_root_cause(frame) if len(frame) else [],
        "incidents": found,
        "escalations": [i["escalation"] for i in found if i["escalation"]],
        "failures": failures(frame) if len(frame) else [],
    }
    if elapsed_s is not None:
        report["elapsed_s"] = round(elapsed_s, 2)
    return report
