"""One result row per node: the flat columns batch stores and summarises, built from a diagnosis dict.

Also the evidence-line normaliser used to group nodes into incidents: two nodes hit by the same
failure log the same line modulo timestamps, host names, IPs, ids and counters.
"""

from __future__ import annotations

import json
import zlib

import regex

# Columns of a result row, in the order of the CSV/Parquet outputs (the diagnosis blob is extra).
COLUMNS = (
    "source", "kind", "instance_id", "status", "category", "domain", "detail", "confidence",
    "root_finding", "root_rule", "finding_ids", "rules", "top_evidence", "evidence_ref",
    "evidence_pattern", "remediation", "cluster", "partial", "error", "elapsed_s",
    "worker_pid", "worker_peak_rss_mb", "finished_at",
)
STATUSES = ("ok", "failed", "timeout")

# Order matters: whole timestamps before bare numbers, ids before hex, hosts before IPs.
_NORMALISERS = [
    (regex.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"), "<ts>"),
    (regex.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} "
                   r"\d{2}:\d{2}:\d{2}(?:\.\d+)?"), "<ts>"),
    (regex.compile(r"\b[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\b"), "<klog>"),  # klog header incl. thread id
    (regex.compile(r"\b\d{2}:\d{2}:\d{2}(?:\.\d+)?\b"), "<time>"),
    (regex.compile(r"\bip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.[\w.-]+)?"), "<host>"),
    (regex.compile(r"\b[\w-]+\.(?:ec2\.internal|compute\.internal)\b"), "<host>"),
    (regex.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?(?:/\d{1,2})?\b"), "<ip>"),
    (regex.compile(r"\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{1,4}\b", regex.I), "<ip>"),
    (regex.compile(r"\b(?:i|mi|sg|subnet|vpc|eni|rtb|acl|vpce|ami|igw|nat|lt|dopt)-[0-9a-f]{6,17}\b"),
     "<id>"),
    (regex.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", regex.I), "<uuid>"),
    (regex.compile(r"\b[0-9A-F]{32}\b"), "<id>"),  # EKS endpoint ids
    (regex.compile(r"\b[0-9a-f]{12,}\b", regex.I), "<hex>"),
    (regex.compile(r"\[\d+\]"), "[<pid>]"),
    (regex.compile(r"\b\d+(?:\.\d+)?\b"), "<n>"),
    (regex.compile(r"\s+"), " "),
]


def normalise_evidence(text: str | None) -> str:
    """The shape of a log line: timestamps, host names, IPs, AWS ids, uuids and numbers replaced."""
    if not text:
        return ""
    for pattern, replacement in _NORMALISERS:
        text = pattern.sub(replacement, text)
    return text.strip()[:500]


def _root_finding(diagnosis: dict) -> dict | None:
    wanted = (diagnosis.get("root_cause") or {}).get("finding")
    for finding in diagnosis.get("findings") or []:
        if finding.get("id") == wanted:
            return finding
    return None


def pack_diagnosis(diagnosis: dict) -> bytes:
    """The full diagnosis JSON, zlib-compressed: kept in the store so nothing is lost."""
    return zlib.compress(json.dumps(diagnosis, sort_keys=True, default=str).encode(), 6)


def unpack_diagnosis(blob: bytes | None) -> dict | None:
    return json.loads(zlib.decompress(blob)) if blob else None


def row_from_diagnosis(diagnosis: dict, *, source: str, kind: str) -> dict:
    """The flat result row of a successful diagnosis (without timing/worker columns)."""
    root = diagnosis.get("root_cause") or {}
    finding = _root_finding(diagnosis)
    evidence = (finding or {}).get("evidence") or []
    top = evidence[0] if evidence else None
    remediation = ((finding or {}).get("remediation") or {}).get("immediate")
    if not remediation and root.get("next_steps"):
        remediation = root["next_steps"][0]
    findings = diagnosis.get("findings") or []
    bundle = diagnosis.get("bundle") or {}
    return {
        "source": source,
        "kind": kind,
        "instance_id": bundle.get("instance_id"),
        "status": "ok",
        "category": root.get("category") or "unknown",
        "domain": root.get("domain"),
        "detail": root.get("detail"),
        "confidence": root.get("confidence"),
        "root_finding": root.get("finding"),
        "root_rule": (finding or {}).get("rule"),
        "finding_ids": [f.get("id") for f in findings],
        "rules": [f.get("rule") for f in findings],
        "top_evidence": top.get("text") if top else None,
        "evidence_ref": f"{top.get('path')}:{top.get('line')}" if top else None,
        "evidence_pattern": normalise_evidence(top.get("text")) if top else "",
        "remediation": remediation,
        "cluster": (diagnosis.get("facts") or {}).get("cluster_name"),
        "partial": bool(bundle.get("partial")),
        "error": None,
    }


def failure_row(*, source: str, kind: str, status: str, error: str, instance_id: str | None = None) -> dict:
    """The row of a bundle that could not be diagnosed (corrupt, crashed, timed out)."""
    row = dict.fromkeys(COLUMNS)
    row.update(source=source, kind=kind, status=status, error=error, instance_id=instance_id,
               finding_ids=[], rules=[], evidence_pattern="", partial=False)
    return row
