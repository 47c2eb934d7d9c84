"""Render a diagnosis (docs/diagnosis-schema.md) as text | json | yaml | md | html. Secrets are
redacted first, in every format."""

from __future__ import annotations

import copy
import json

import jinja2
import yaml

from eksdoctor.errors import InputError
from eksdoctor.redact import redact_obj
from eksdoctor.reports.sop import sop_document
from eksdoctor.reports.timeline_svg import timeline_svg

FORMATS = ("text", "json", "yaml", "md", "html")
MAX_TEXT_EVIDENCE = 5


def _where(e: dict) -> str:
    return f"{e['path']}:{e['line']}" if e.get("line") else e["path"]


def _yn(v) -> str:
    return {True: "yes", False: "no"}.get(v, "unknown")


def _env(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("eksdoctor.reports", "templates"),
                             undefined=jinja2.StrictUndefined, autoescape=autoescape,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(where=_where, yn=_yn)
    return env


def _root(d: dict) -> dict | None:
    return next((f for f in d["findings"] if f["id"] == d["root_cause"].get("finding")), None)


def render(diagnosis: dict, fmt: str = "text") -> str:
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    d = redact_obj(copy.deepcopy(diagnosis))
    if fmt == "json":
        return json.dumps(d, indent=2)
    if fmt == "yaml":
        return yaml.safe_dump(sop_document(d), sort_keys=False, allow_unicode=True, width=120)
    if fmt == "text":
        return render_text(d)
    facts = {k: v for k, v in d["facts"].items() if k != "evidence"}
    context = {"d": d, "rc": d["root_cause"], "findings": d["findings"], "root": _root(d)}
    if fmt == "md":
        return _env(False).get_template("report.md.j2").render(**context)
    return _env(True).get_template("report.html.j2").render(
        **context, svg=timeline_svg(d["timeline"]), facts=sorted(facts.items()),
        raw_json=json.dumps(d, indent=2))


def render_text(d: dict) -> str:
    """The terminal view: root cause first, then each finding with its proof and fix."""
    rc = d["root_cause"]
    b = d["bundle"]
    out = [f"ROOT CAUSE  {rc['category']} — {rc['detail']}",
           f"            confidence {rc['confidence']} · {b.get('instance_id') or b['name']} · "
           f"{d['facts'].get('ami_family') or 'unknown AMI'}"
           + (" · PARTIAL bundle" if b.get("partial") else "")]
    if b.get("partial"):  # what was lost bounds what the diagnosis can claim
        out.append(f"PARTIAL     {b.get('partial_reason') or 'some members could not be read'}: "
                   "evidence in the unread part is unknown")
    for esc in d["escalations"]:
        out.append(f"ESCALATE    {esc}")
    for f in d["findings"]:
        role = {"root_cause": "root cause", "contributing": "also found",
                "consequence": f"consequence of {f['explained_by']}"}[f["role"]]
        out += ["", f"{f['id']} [{f['severity']}] {f['title']} ({f['rule']}, {role})"]
        if f["role"] == "consequence":
            continue  # its cause's fix is the fix; keep the screen short
        out.append(f"  {f['detail']}")
        for e in f["evidence"][:MAX_TEXT_EVIDENCE]:
            out.append(f"  {_where(e)}: {e['text'][:220]}")
        if f["evidence_total"] > len(f["evidence"][:MAX_TEXT_EVIDENCE]):
            out.append(f"  ... {f['evidence_total']} evidence lines in total")
        out.append(f"  fix [{f['remediation']['safety']}]: {f['remediation']['immediate']}")
        out += [f"    $ {c}" for c in f["remediation"]["commands"]]
        out += [f"  to fill in: {lk}" for lk in f["remediation"]["lookups"]]
    if rc.get("next_steps"):
        out += ["", "NEXT STEPS"] + [f"  - {s}" for s in rc["next_steps"]]
    tail = []
    if d["dismissed"]:
        tail.append(f"{len(d['dismissed'])} transient signals dismissed (e.g. {d['dismissed'][0]['signal']}: "
                    f"{d['dismissed'][0]['reason']})")
    if d["not_checked"]:
        tail.append(f"{len(d['not_checked'])} rules need AWS context: re-run with --aws or --context FILE")
    for m in d["bundle"].get("missing") or []:
        tail.append(f"not collected: {m['path']} ({m['why']})")
    if tail:
        out += [""] + tail
    return "\n".join(out)
