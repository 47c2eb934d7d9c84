"""quick_triage: a one-screen overview of a bundle, without running the rule engine."""

from __future__ import annotations

import dataclasses

from eksdoctor.analysis import Analysis, analyze

LOUDEST = 8


def triage_bundle(bundle) -> dict:
    return triage_from_analysis(analyze(bundle))


def triage_from_analysis(a: Analysis) -> dict:
    f = a.facts.values
    family = f.get("ami_family")
    loud = sorted((s for s in a.signals if not s.marker), key=lambda s: (s.dismissed, -s.count, s.name))[:LOUDEST]
    return {
        "bundle": a.bundle_info,
        "ami_family": family,
        "versions": {k: f.get(k) for k in ("kernel", "kubelet_version", "containerd_version", "collector_version")},
        "cluster": {k: f.get(k) for k in ("cluster_name", "api_endpoint", "region", "node_name")},
        "bootstrap": {
            "method": "nodeadm" if family == "al2023" else ("bootstrap.sh" if family == "al2" else None),
            "ran": f.get("bootstrap_ran"),
            "completed": f.get("bootstrap_completed"),
            "last_nodeadm_phase": f.get("nodeadm_last_phase"),
            "args": f.get("bootstrap_args"),
        },
        "kubelet": {"started": f.get("kubelet_started"), "journal": f.get("kubelet_log_state"),
                    "unit_state": f.get("kubelet_unit_state")},
        "registered": {"value": f.get("node_registered"), "at": f.get("registered_at"),
                       "attempts": f.get("register_attempts")},
        "network": {"default_route": f.get("default_route"), "nameservers": f.get("nameservers"),
                    "cni_config_present": f.get("cni_config_present"), "aws_node_ran": f.get("aws_node_ran")},
        "failed_units": f.get("failed_units"),
        "loudest": [{
            "signal": s.name, "subject": s.subject, "count": s.count, "dismissed": s.dismissed,
            "first_ts": s.first_ts.strftime("%Y-%m-%dT%H:%M:%SZ") if s.first_ts else None,
            "last_ts": s.last_ts.strftime("%Y-%m-%dT%H:%M:%SZ") if s.last_ts else None,
            "sample": dataclasses.asdict(s.samples()[0].evidence()) if s.samples() else None,
        } for s in loud],
        "missing": a.facts.missing,
        "stats": {"files_read": len(a.scan.files_read), "lines_read": a.scan.lines_read, "elapsed_ms": a.elapsed_ms},
    }


def _yn(value) -> str:
    return {True: "yes", False: "NO", None: "unknown"}.get(value, str(value))


def render_triage_text(t: dict) -> str:
    b = t["bundle"]
    lines = [f"eksdoctor triage  {b.get('name')}" + ("  [PARTIAL bundle]" if b.get("partial") else ""),
             f"  instance        {b.get('instance_id') or 'unknown'}   collected {b.get('collected_at') or 'unknown'}",
             f"  AMI family      {t['ami_family']}   kernel {t['versions']['kernel'] or '?'}",
             f"  kubelet         {t['versions']['kubelet_version'] or '?'}   containerd {t['versions']['containerd_version'] or '?'}",
             f"  cluster         {t['cluster']['cluster_name'] or '?'}   region {t['cluster']['region'] or '?'}",
             f"  endpoint        {t['cluster']['api_endpoint'] or '?'}",
             "",
             f"  bootstrap ran   {_yn(t['bootstrap']['ran'])} ({t['bootstrap']['method'] or '?'})"
             + (f", completed {_yn(t['bootstrap']['completed'])}" if t['bootstrap']['ran'] else "")
             + (f", last nodeadm phase '{t['bootstrap']['last_nodeadm_phase']}'" if t['bootstrap']['last_nodeadm_phase'] else ""),
             f"  kubelet started {_yn(t['kubelet']['started'])}",
             f"  registered      {_yn(t['registered']['value'])}" + (f" at {t['registered']['at']}" if t['registered']['at'] else "")
             + (f" ({t['registered']['attempts']} attempts)" if t['registered']['attempts'] else ""),
             f"  default route   {_yn(t['network']['default_route'])}   CNI config {_yn(t['network']['cni_config_present'])}"]
    if t.get("failed_units"):
        lines.append(f"  failed units    {t['failed_units']}")
    lines.append("")
    lines.append("  loudest signals" + ("" if t["loudest"] else ": none"))
    for s in t["loudest"]:
        tag = " (dismissed: transient)" if s["dismissed"] else ""
        subj = f"[{s['subject']}]" if s["subject"] else ""
        lines.append(f"    {s['count']:>6}x {s['signal']}{subj}{tag}")
        if s["sample"]:
            lines.append(f"            {s['sample']['path']}:{s['sample']['line']}: {s['sample']['text'][:160]}")
    for m in t["missing"]:
        lines.append(f"  not collected   {m['path']}: {m['why']}")
    lines.append("")
    lines.append("  next: eksdoctor diagnose TARGET   (root cause, evidence and remediation)")
    return "\n".join(lines)
