"""What `eksdoctor batch` shows people: live progress on stderr, the fleet summary as text on stdout."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TextIO


class BatchProgress:
    """Progress bar with counts per root cause as results come in (rich on a tty, plain lines otherwise).

    Use as a context manager; pass `start` and `row` as run_batch's on_start / on_row callbacks.
    """

    def __init__(self, *, stream: TextIO | None = None, quiet: bool = False,
                 rich_ui: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.rich_ui = self.stream.isatty() if rich_ui is None else rich_ui
        self.counts: Counter[str] = Counter()
        self.total = self.seen = 0
        self._progress = self._task = None

    def __enter__(self) -> BatchProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _counts_text(self) -> str:
        return "  ".join(f"{name} {n}" for name, n in self.counts.most_common())

    def start(self, info: dict) -> None:
        self.total, self.seen = info["total"], info["done"]
        self.counts.update(info.get("counts") or {})
        if self.quiet:
            return
        if info["done"]:
            self._plain(f"resuming run {info['run_id']}: {info['done']} of {info['total']} already done")
        if self.rich_ui:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(TextColumn("diagnosing"), BarColumn(), MofNCompleteColumn(),
                                      TimeRemainingColumn(), TextColumn("{task.fields[counts]}"),
                                      console=Console(file=self.stream), transient=False)
            self._progress.start()
            self._task = self._progress.add_task("batch", total=self.total, completed=self.seen,
                                                 counts=self._counts_text())
        else:
            self._plain(f"diagnosing {info['todo']} node(s) (run {info['run_id']})")

    def row(self, row: dict) -> None:
        self.seen += 1
        self.counts[row["category"] if row["status"] == "ok" else row["status"]] += 1
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.update(self._task, completed=self.seen, counts=self._counts_text())
            return
        what = row["category"] if row["status"] == "ok" else f"{row['status']}: {row['error']}"
        self._plain(f"[{self.seen}/{self.total}] {row.get('instance_id') or row['source']}  {what}"
                    f"  ({row.get('elapsed_s') or 0:.1f} s)")

    def _plain(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def _clip(text: str | None, width: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def summary_text(report: dict) -> str:
    """The fleet summary for a terminal: totals, causes, incidents/escalations, failures."""
    t = report["totals"]
    lines = [f"{t['bundles']} node(s): {t['ok']} diagnosed, {t['failed']} failed, {t['timeout']} timed out"
             + (f"  [{report['elapsed_s']:.1f} s]" if "elapsed_s" in report else "")]
    if report["by_root_cause"]:
        lines += ["", f"{'ROOT CAUSE':<22} {'NODES':>5}  MOST COMMON EVIDENCE / REMEDIATION"]
        for cause in report["by_root_cause"]:
            lines.append(f"{cause['category']:<22} {cause['count']:>5}  {_clip(cause['top_evidence'], 100)}")
            if cause["remediation"]:
                lines.append(f"{'':<22} {'':>5}  -> {_clip(cause['remediation'], 100)}")
    shared = [i for i in report["incidents"] if i["nodes"] > 1]
    if shared:
        lines += ["", "INCIDENTS (nodes failing the same way)"]
        for inc in shared:
            rule = f" / {inc['rule']}" if inc["rule"] else ""
            lines.append(f"  {inc['id']}  {inc['nodes']} nodes  {inc['category']}{rule}"
                         f"  {_clip(inc['example_evidence'], 80)}")
    for text in report["escalations"]:
        lines += ["", f"ESCALATE: {text}"]
    if report["failures"]:
        lines += ["", "NOT DIAGNOSED"]
        for f in report["failures"]:
            lines.append(f"  {f['status']:<8} {_clip(f['source'], 70)}  {_clip(f['error'], 100)}")
    run = report.get("run") or {}
    if run.get("db"):
        lines += ["", f"results: {run['db']} (run {run['run_id']})"]
    return "\n".join(lines)
