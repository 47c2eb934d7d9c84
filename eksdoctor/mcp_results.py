"""Shaping eksdoctor.api results for an agent: bounded, JSON-safe, with a short text digest.

The structured content of every tool is the same JSON the CLI prints with --format json, except
that over-long strings and lists are cut (and the cut is reported under "bounded") so one tool
call cannot flood an agent's context. The text block is a compact digest a model can read when
its client shows only text; the details stay in the structured content.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mcp.types import CallToolResult, TextContent

from eksdoctor.errors import EksDoctorError

MAX_TEXT = 2000        # characters kept of any one string field (log lines are far shorter)
MAX_ITEMS = 200        # items kept of any one list (search/correlate page sizes stay below this)
DIGEST_LINES = 60      # lines of the text digest before it says "... N more"


def json_safe(data: Any) -> Any:
    """Plain JSON types only (datetimes and paths become strings), as the CLI's json.dumps does."""
    return json.loads(json.dumps(data, default=str))


def bound(data: Any, *, max_text: int = MAX_TEXT, max_items: int = MAX_ITEMS) -> tuple[Any, list[dict]]:
    """Cut strings longer than `max_text` (with an inline note) and lists longer than `max_items`.

    Returns the bounded copy and one record per cut ({"path", "kept", "total"}) so the caller can
    tell the agent what it is not seeing and how to get it (narrower query, paging).
    """
    cuts: list[dict] = []

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, str) and len(value) > max_text:
            cuts.append({"path": path or "$", "kept": max_text, "total": len(value), "unit": "chars"})
            return value[:max_text] + f" ...[{len(value) - max_text} more chars cut]"
        if isinstance(value, dict):
            return {k: walk(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
        if isinstance(value, list):
            if len(value) > max_items:
                cuts.append({"path": path or "$", "kept": max_items, "total": len(value), "unit": "items"})
                value = value[:max_items]
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    return walk(data, ""), cuts


def success(data: Any, digest: Callable[[Any], str], *, max_text: int = MAX_TEXT,
            max_items: int = MAX_ITEMS) -> CallToolResult:
    """A tool result: bounded structured content (always an object) plus its text digest.
    Secrets are redacted: results leave this machine for the agent's model."""
    from eksdoctor.redact import redact_obj

    shaped, cuts = bound(redact_obj(json_safe(data)), max_text=max_text, max_items=max_items)
    structured = shaped if isinstance(shaped, dict) else {"result": shaped}
    text = digest(structured)
    if cuts:
        structured["bounded"] = cuts[:50]
        text += "\n(output bounded: " + "; ".join(f"{c['path']} kept {c['kept']} of {c['total']} {c['unit']}"
                                                  for c in cuts[:5]) + (" ..." if len(cuts) > 5 else "") + ")"
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)


def failure(err: BaseException, tool: str) -> CallToolResult:
    """A tool error the agent can act on: the one-line message and the hint, never a traceback."""
    if isinstance(err, EksDoctorError):
        kind, message, hint = type(err).__name__, str(err), err.hint
    elif isinstance(err, NotImplementedError):
        kind, message = "NotAvailable", f"{tool} is not available in this eksdoctor build yet"
        hint = "carry on with the other tools (errors, search, network_diagnostics, correlate, diagnose)"
    else:
        first_line = (str(err).splitlines() or [""])[0][:300]
        kind, message = "InternalError", f"internal error: {type(err).__name__}: {first_line}"
        hint = "this is a bug in eksdoctor; the server keeps running, other tools still work"
    text = f"error: {message}" + (f"\nhint: {hint}" if hint else "")
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True,
                          structured_content={"error": {"type": kind, "message": message, "hint": hint}})


# --- text digests (one per result shape; they only read keys the api documents) ----------------


def _clip(lines: list[str], limit: int = DIGEST_LINES) -> str:
    if len(lines) > limit:
        lines = [*lines[:limit], f"... {len(lines) - limit} more (see structured content)"]
    return "\n".join(lines)


def _root_cause_line(rc: dict | None) -> str:
    if not rc:
        return "root cause: none reported"
    return f"root cause: {rc.get('summary') or rc.get('category')} (confidence {rc.get('confidence')}, " \
           f"finding {rc.get('finding') or '-'})"


def _finding_line(f: dict) -> str:
    ev = (f.get("evidence") or [{}])[0]
    where = f"  [{ev.get('path')}:{ev.get('line')}]" if ev.get("path") else ""
    return f"{f['id']} {f['severity']:8} {f['category']}: {f['title']}{where}"


def errors_digest(res: dict) -> str:
    findings = res.get("findings", [])
    lines = [_root_cause_line(res.get("root_cause")),
             f"{len(findings)} of {res.get('total', len(findings))} findings "
             f"at severity >= {res.get('severity')}:"]
    for f in findings:
        lines.append(_finding_line(f))
        if (f.get("remediation") or {}).get("immediate"):
            lines.append(f"    fix: {f['remediation']['immediate']}")
    if res.get("not_checked"):
        lines.append(f"{len(res['not_checked'])} rules not checked without AWS context")
    return _clip(lines)


def diagnosis_digest(d: dict) -> str:
    rc = d.get("root_cause") or {}
    lines = [_root_cause_line(rc), *(f"next: {s}" for s in rc.get("next_steps") or [])]
    lines += [_finding_line(f) + f" ({f.get('role')})" for f in d.get("findings", [])]
    lines += [f"escalate: {e}" for e in d.get("escalations") or []]
    if d.get("not_checked"):
        lines.append(f"{len(d['not_checked'])} rules not checked (need AWS context)")
    return _clip(lines)


def search_digest(res: dict) -> str:
    shown = f"{res['offset'] + 1}-{res['offset'] + res['returned']}" if res.get("returned") else "none"
    lines = [f"{res['total']} matching lines in {res.get('files_searched')} files (showing {shown})"]
    if res.get("truncated"):
        lines.append(f"more: call search again with offset={res['offset'] + res['returned']}")
    lines += [f"{m['path']}:{m['line']}: {m['text']}" for m in res.get("matches", [])]
    return _clip(lines)


def timeline_digest(res: dict) -> str:
    p = res["pivot"]
    omitted = (f" ({res['omitted']} omitted: narrow timeWindow or raise maxEvents)"
               if res.get("truncated") else "")
    lines = [f"pivot {p['ts']} {p['path']}:{p['line']}: {p['text']}",
             f"{res['returned']} of {res['total']} events within +-{res['window_s']:g}s{omitted}"]
    lines += [f"{e['offset_s']:+9.3f}s {e['level'] or '-':7} {e['ref']}: {e['text']}"
              for e in res.get("events", [])]
    return _clip(lines)


def network_digest(res: dict) -> str:
    answer = res.get("route_to_api") or {}
    lines = [f"route to API endpoint: {answer.get('answer')} - {answer.get('why')}"]
    for name, sec in (res.get("sections") or {}).items():
        notes = sec.get("notes") or []
        lines.append(f"[{name}] " + ("; ".join(notes) if notes else "no problem noted"))
    lines += [f"missing {m['path']}: {m['why']}" for m in res.get("missing") or []]
    return _clip(lines)


def import_digest(rec: dict) -> str:
    key = rec.get("key")
    return (f"{rec.get('status', 'imported')}: {rec.get('name')} as instanceId={key} "
            f"({rec.get('lines_indexed')} lines indexed){' [PARTIAL bundle]' if rec.get('partial') else ''}\n"
            f"next: errors(instanceId=\"{key}\", severity=\"critical\")")


def bundles_digest(res: dict) -> str:
    rows = res.get("result", [])
    if not rows:
        return "no bundles imported yet: call import_bundle(path) or collect(instanceId)"
    return _clip([f"{r.get('key')}  {r.get('family')}  collected {r.get('collected_at')}  {r.get('name')}"
                  for r in rows])


def collect_digest(res: dict) -> str:
    return (f"collection started on {res.get('instance_id')} ({res.get('method')}): "
            f"executionId={res.get('execution_id')}, bundle goes to {res.get('destination')}\n"
            f"next: status(executionId=\"{res.get('execution_id')}\") every 30-60 s until it is finished")


def status_digest(res: dict) -> str:
    lines = [f"collection {res.get('execution_id')} on {res.get('instance_id')}: {res.get('status')}"
             + (f" (step {res['current_step']})" if res.get("current_step") else "")]
    if res.get("failure"):
        lines.append(f"failure: {res['failure']}")
    bundle = res.get("bundle")
    if bundle:
        lines.append(f"bundle ready: {bundle.get('uri')} ({bundle.get('size')} bytes)")
    elif not res.get("terminal"):
        lines.append("not finished: call status again in 30-60 s")
    if res.get("note"):
        lines.append(res["note"])
    return _clip(lines)


def cluster_health_digest(res: dict) -> str:
    c = res.get("cluster") or {}
    verdict = "healthy" if res.get("healthy") else f"{len(res.get('problems') or [])} problem(s)"
    lines = [f"cluster {c.get('name')} in {res.get('region')}: status {c.get('status')}, "
             f"version {c.get('version')}; {verdict}"]
    lines += [f"problem: {p}" for p in res.get("problems") or []]
    lines += [f"not checked: {n.get('call')}: {n.get('reason')}" for n in res.get("not_checked") or []]
    return _clip(lines)


def report_digest(res: dict) -> str:
    return res.get("report", "")


def generic_digest(res: Any) -> str:
    """For shapes owned elsewhere (AWS tools, compare): the scalar top-level fields, one per line."""
    if not isinstance(res, dict):
        return str(res)[:MAX_TEXT]
    lines = [f"{k}: {v}" for k, v in res.items() if isinstance(v, str | int | float | bool) or v is None]
    lines += [f"{k}: {len(v)} items" for k, v in res.items() if isinstance(v, list)]
    lines += [f"{k}: {{{', '.join(list(v)[:8])}}}" for k, v in res.items() if isinstance(v, dict)]
    return _clip(lines) or "done (see structured content)"
