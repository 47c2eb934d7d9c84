"""Stand-ins for eksdoctor.api.diagnose, importable by name inside batch worker processes.

A fake "bundle" is a small file whose JSON body says what the fake should do: return a diagnosis
of some category, sleep (hang), kill its process, segfault, or raise KeyboardInterrupt (a Ctrl-C
stand-in) unless a flag file exists. Every call is appended to `calls_log` when given, so tests
can prove what ran and how often.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from eksdoctor.errors import BundleError

_RULE_OF = {"iam_auth": "IAM-001", "network_connectivity": "NET-001", "dns_config": "DNS-001", "none": None}


def write_fake_bundle(folder: Path, instance_id: str, **behaviour) -> Path:
    """A file named like a collector tarball whose body drives `fake_diagnose`."""
    path = folder / f"eks_{instance_id}_2024-06-06_1940-UTC_0.7.8.tar.gz"
    path.write_text(json.dumps({"instance_id": instance_id, **behaviour}))
    return path


def fake_diagnosis(instance_id: str, category: str, evidence: str | None, cluster: str = "prod-east") -> dict:
    """A schema-shaped diagnosis (docs/diagnosis-schema.md) with one root-cause finding."""
    rule = _RULE_OF.get(category, "X-001")
    findings = []
    if rule:
        findings.append({
            "id": "F-001", "rule": rule, "title": f"{category} title", "domain": category.split("_")[0],
            "category": category, "severity": "critical", "priority": 100, "confidence": "high",
            "role": "root_cause", "explained_by": None, "detail": f"{category} detail", "rationale": "",
            "evidence": [{"path": "kubelet/kubelet.log", "line": 7, "ts": None, "text": evidence}] if evidence else [],
            "evidence_total": 1,
            "remediation": {"safety": "YELLOW", "immediate": f"fix {category}", "long_term": "", "commands": [],
                            "lookups": []},
            "cross_reference": [], "references": [],
        })
    return {
        "schema_version": 1,
        "tool": {"name": "eksdoctor", "version": "test", "rules_version": "test"},
        "bundle": {"name": f"{instance_id}.tar.gz", "instance_id": instance_id, "collected_at": None,
                   "collector_version": None, "family": "al2", "layout": "linux", "partial": False,
                   "partial_reason": None, "skipped": [], "missing": []},
        "facts": {"cluster_name": cluster},
        "root_cause": {"category": category, "domain": None, "detail": f"{category} detail",
                       "confidence": "high" if rule else "low", "finding": "F-001" if rule else None,
                       "summary": category, "next_steps": [f"look at {category}"]},
        "findings": findings, "dismissed": [], "not_checked": [], "escalations": [], "timeline": [],
        "context": {"provided": False, "source": None, "not_checked": []},
        "stats": {"files_read": 1, "lines_read": 1, "signals": 0, "elapsed_ms": 1},
    }


def fake_diagnose(target: str, *, context=None, aws=False, region=None, profile=None, cluster=None,
                  workspace=None) -> dict:
    """Behave as the fake bundle at `target` says; an instance id target means "from AWS context"."""
    if target.startswith("i-"):
        spec = {"instance_id": target, "category": "security_rules", "evidence": "sg blocks 443", "aws": aws}
    else:
        try:
            spec = json.loads(Path(target).read_text())
        except (OSError, ValueError) as err:
            raise BundleError(f"not a bundle: {target}") from err
    if spec.get("calls_log"):
        with open(spec["calls_log"], "a") as fh:
            fh.write(f"{spec['instance_id']}\n")
    if spec.get("block_alarm"):  # like a hang inside C code: the worker's watchdog signal never arrives
        import signal

        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    if "sleep" in spec:
        time.sleep(spec["sleep"])
    if spec.get("exit"):
        os._exit(spec["exit"])
    if spec.get("segfault"):
        import ctypes

        ctypes.string_at(0)
    if spec.get("interrupt_unless") and not Path(spec["interrupt_unless"]).exists():
        raise KeyboardInterrupt
    if spec.get("corrupt"):
        raise BundleError("truncated gzip stream")
    return fake_diagnosis(spec["instance_id"], spec.get("category", "iam_auth"), spec.get("evidence"),
                          spec.get("cluster", "prod-east"))
