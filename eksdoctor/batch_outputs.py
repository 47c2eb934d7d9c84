"""Write a batch report to files chosen by extension: .csv, .parquet, .json, .html (fleet report).

The SQLite database (.db) is the store itself and is written while the batch runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from eksdoctor.errors import InputError, WorkspaceError

OUTPUT_SUFFIXES = (".csv", ".parquet", ".json", ".html", ".db")


def _flat_frame(rows: list[dict], *, join_lists: bool):
    from eksdoctor.batch_summary import rows_frame

    frame = rows_frame(rows)
    if join_lists:  # CSV has no list type: "F-001;F-002"
        for column in ("finding_ids", "rules"):
            frame[column] = frame[column].map(lambda v: ";".join(v) if isinstance(v, list) else v)
    return frame


def _redactor():
    """eksdoctor.redact.redact_text when the reports package provides it (secrets never reach a report)."""
    try:
        from eksdoctor.redact import redact_text
    except ImportError:
        return lambda text: text
    return lambda text: redact_text(text) if isinstance(text, str) else text


def render_fleet_html(report: dict) -> str:
    """Self-contained fleet report (no external assets); autoescaped so log lines cannot inject HTML."""
    from importlib.resources import files

    import jinja2

    template_text = (files("eksdoctor.reports") / "templates" / "fleet.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["redact"] = _redactor()
    return env.from_string(template_text).render(report=report, rows=report.get("rows", []))


def check_outputs(paths: list[str]) -> None:
    """Reject unknown extensions before the batch runs, not after an hour of work."""
    for path in paths:
        if Path(path).suffix.lower() not in OUTPUT_SUFFIXES:
            raise InputError(f"cannot tell the format of --out {path}",
                             hint=f"use one of {', '.join(OUTPUT_SUFFIXES)}")


def write_outputs(paths: list[str], report: dict) -> list[str]:
    """Write every non-.db output; returns the paths written."""
    rows = report.get("rows", [])
    written = []
    for path in paths:
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".db":
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if suffix == ".csv":
                _flat_frame(rows, join_lists=True).to_csv(target, index=False)
            elif suffix == ".parquet":
                _flat_frame(rows, join_lists=False).to_parquet(target, index=False)
            elif suffix == ".json":
                target.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
            elif suffix == ".html":
                target.write_text(render_fleet_html(report), encoding="utf-8")
            else:
                raise InputError(f"cannot tell the format of --out {path}",
                                 hint=f"use one of {', '.join(OUTPUT_SUFFIXES)}")
        except OSError as err:
            raise WorkspaceError(f"cannot write {target}: {err}",
                                 hint="choose a writable --out path") from err
        written.append(str(target))
    return written
