"""Causal ranking: which fired rule is the root cause, which are consequences of it.

A rule lists what it `explains` (rule ids or signal names). A finding explained by another fired
finding is a consequence; among the rest the lowest priority number wins (rule priorities encode
causal order: AMI < bootstrap < DNS < security/network < STS < IAM < IP < CNI). Independent
findings in other domains lower the confidence of the verdict, and the report names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}
ROOT_SEVERITIES = ("critical", "high")


@dataclass
class Candidate:
    rule: dict
    signal_names: set[str]
    role: str = "contributing"
    explained_by: str | None = None  # rule id
    sort_key: tuple = field(default=())

    @property
    def rule_id(self) -> str:
        return self.rule["id"]


def rank(candidates: list[Candidate]) -> tuple[list[Candidate], Candidate | None, str | None]:
    """Order findings, mark consequences, pick the root cause and its confidence.

    Returns (ordered candidates, root cause or None, confidence or None).
    """
    by_id = {c.rule_id: c for c in candidates}
    for c in candidates:
        c.sort_key = (c.rule["priority"], SEVERITY_RANK.get(c.rule["severity"], 9),
                      CONFIDENCE_RANK.get(c.rule["confidence"], 9), c.rule_id)
    for c in candidates:
        explainers = []
        for other in candidates:
            if other is c:
                continue
            explains = set(other.rule.get("explains") or [])
            if c.rule_id in explains:
                # mutual explanation: the more fundamental (lower key) one keeps its place
                if other.rule_id in set(c.rule.get("explains") or []) and c.sort_key < other.sort_key:
                    continue
                explainers.append(other)
        if explainers:
            best = min(explainers, key=lambda o: o.sort_key)
            c.role, c.explained_by = "consequence", best.rule_id
    independent = [c for c in candidates if c.role != "consequence"]
    roots = sorted((c for c in independent if c.rule["severity"] in ROOT_SEVERITIES), key=lambda c: c.sort_key)
    root = roots[0] if roots else None
    confidence = None
    if root is not None:
        root.role = "root_cause"
        confidence = root.rule["confidence"]
        rivals = [c for c in roots[1:] if c.rule["category"] != root.rule["category"]
                  and c.rule["severity"] == "critical"]
        if rivals and confidence == "high":
            confidence = "medium"
    # Follow chains so a consequence points at the finding that is not itself explained.
    for c in candidates:
        seen = set()
        while c.explained_by and by_id[c.explained_by].explained_by and c.explained_by not in seen:
            seen.add(c.explained_by)
            c.explained_by = by_id[c.explained_by].explained_by
    order = {"root_cause": 0, "contributing": 1, "consequence": 2}
    ordered = sorted(candidates, key=lambda c: (order[c.role], c.sort_key))
    return ordered, root, confidence


def rivals_of(root: Candidate, ordered: list[Candidate]) -> list[Candidate]:
    return [c for c in ordered if c is not root and c.role == "contributing"
            and c.rule["severity"] in ROOT_SEVERITIES and c.rule["category"] != root.rule["category"]]
