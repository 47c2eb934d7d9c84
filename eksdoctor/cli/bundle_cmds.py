"""Commands over bundles and the workspace: import, bundles, search, timeline, network."""

from __future__ import annotations

import io
import sys
from datetime import datetime

import click

from eksdoctor import api
from eksdoctor.cli import main

from .common import emit, format_option, profile_option, region_option, target_argument, workspace_option

# --- rendering helpers ------------------------------------------------------------------------


def _console(file=None, stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(file=file or stream, force_terminal=tty, color_system="standard" if tty else None,
                   highlight=False, soft_wrap=True, width=100000 if file is not None else None)


def _render(build) -> str:
    """Run `build(console)` against an in-memory console; ANSI colour only when stdout is a tty."""
    buf = io.StringIO()
    build(_console(buf))
    return buf.getvalue().rstrip("\n")


def _highlight(text: str, pattern: str):
    from rich.text import Text

    import regex

    out = Text(text)
    try:
        for m in regex.finditer(pattern, text, timeout=0.5):
            if m.end() > m.start():
                out.stylize("bold red", m.start(), m.end())
    except (regex.error, TimeoutError):
        pass
    return out


def _hms(iso: str | None) -> str:
    if not iso:
        return "--:--:--"
    dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return dt.strftime("%m-%d %H:%M:%S") + f".{dt.microsecond // 1000:03d}"


# --- import / bundles -------------------------------------------------------------------------


@main.command("import")
@click.argument("bundles", nargs=-1, required=True, metavar="BUNDLE...")
@workspace_option
@region_option
@profile_option
@format_option("text", "json")
def import_cmd(bundles: tuple[str, ...], workspace: str | None, region: str | None, profile: str | None,
               fmt: str) -> None:
    """Import bundle tarballs (or extracted directories, or s3://BUCKET/KEY objects) into the
    workspace and index their lines.

    Each bundle is stored once under its instance id (taken from the file name or
    system/instance-id.txt). Importing the same file again does nothing; a different bundle
    for the same instance replaces it and the earlier one is kept as <id>@<collected-at>.
    Afterwards use the instance id as TARGET: searches then use the index and are much faster.

    \b
    Examples:
      eksdoctor import eks_i-0abc123def4567890_2024-06-06_1940-UTC_0.7.8.tar.gz
      eksdoctor import ~/Downloads/eks_*.tar.gz
      eksdoctor import s3://support-uploads/case-1234/eks_i-0abc123def4567890_2024-06-06_1940-UTC_0.7.8.tar.gz
      eksdoctor search i-0abc123def4567890 'Unauthorized'
    """
    records = []
    for path in bundles:
        with _ImportProgress(path) as progress:
            rec = api.import_bundle(path, workspace=workspace, progress=progress, region=region, profile=profile)
        records.append(rec)
        if fmt == "text":
            verb = {"unchanged": "already imported", "replaced": "imported (replaced)"}.get(rec["status"], "imported")
            extra = f"; previous bundle kept as {rec['previous']}" if rec.get("previous") else ""
            partial = " [PARTIAL bundle]" if rec.get("partial") else ""
            click.echo(f"{rec['key']}  {verb}: {rec['name']}, {rec['lines_indexed']} lines indexed"
                       f"{partial}{extra}")
    if fmt == "json":
        emit(records if len(records) > 1 else records[0], fmt)


class _ImportProgress:
    """rich progress on stderr for interactive use; silent when stderr is not a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label.rsplit("/", 1)[-1]
        self.progress = None
        self.tasks: dict[str, int] = {}

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                     TimeElapsedColumn(), console=_console(stderr=True), transient=True)
            self.progress.start()
        return self if self.progress else None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(f"{stage:8} {self.label}", total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.progress:
            self.progress.stop()


@main.command("bundles")
@workspace_option
@format_option("text", "json")
def bundles_cmd(workspace: str | None, fmt: str) -> None:
    """List the bundles imported into the workspace.

    \b
    Examples:
      eksdoctor bundles
      eksdoctor bundles --format json | jq -r '.[].key'
    """
    rows = api.list_bundles(workspace=workspace)

    def text(rows):
        if not rows:
            return "no bundles imported yet: run `eksdoctor import BUNDLE.tar.gz`"
        head = f"{'KEY':34} {'FAMILY':8} {'COLLECTED':21} {'LINES':>9}  NAME"
        body = [f"{r['key']:34} {r['family'] or '?':8} {r['collected_at'] or '?':21} "
                f"{r['lines_indexed'] if r['lines_indexed'] is not None else '?':>9}  {r['name']}"
                + ("  [partial]" if r.get("partial") else "") for r in rows]
        return "\n".join([head, *body])

    emit(rows, fmt, text)


# --- search -----------------------------------------------------------------------------------


@main.command("search")
@target_argument
@click.argument("regex_pattern", metavar="REGEX")
@click.option("--file", "file_glob", metavar="GLOB",
              help="Only files whose path (or base name) matches; comma-separate several, e.g. 'kubelet/*,*.log'.")
@click.option("--since", metavar="TIME", help="Only lines at/after TIME: ISO (2024-06-06T19:30:00Z) or relative "
              "to collection time (30m, 2h, 1h30m). Lines without a time are then left out.")
@click.option("--until", metavar="TIME", help="Only lines at/before TIME (same forms as --since).")
@click.option("-C", "--context", "context", type=click.IntRange(0, 100), default=0, show_default=True,
              help="Lines of context before and after each match.")
@click.option("--max", "max_results", type=click.IntRange(0), default=200, show_default=True,
              help="Matches to return.")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True, help="Matches to skip (paging).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=5.0, show_default=True,
              help="Seconds of regex matching allowed before giving up (exit 4).")
@workspace_option
@format_option("text", "json")
def search_cmd(target, regex_pattern, file_glob, since, until, context, max_results, offset, timeout,
               workspace, fmt) -> None:
    """Search every line of a bundle with a regular expression (grep-like).

    TARGET is a bundle tarball (.tar.gz/.tgz/.tar/.zip), an extracted bundle directory, or an
    instance id already imported into the workspace (fastest: uses the index). REGEX uses
    Python `regex` syntax and is matched against each whole line. Output: path:line: text,
    context lines as path-line- text. Exit 4 when the pattern exceeds --timeout.

    \b
    Examples:
      eksdoctor search i-0abc123def4567890 'Unauthorized|TLS handshake timeout'
      eksdoctor search bundle.tar.gz 'dial tcp .*:443' --file 'kubelet/*' -C 2
      eksdoctor search i-0abc123def4567890 'level=error' --since 2h --max 50 --offset 50
      eksdoctor search ./extracted/ 'nodeadm|NodeConfig' --format json
    """
    result = api.search(target, regex_pattern, file_glob=file_glob, since=since, until=until, context=context,
                        max_results=max_results, offset=offset, timeout=timeout, workspace=workspace)

    def text(res):
        def build(con):
            for m in res["matches"]:
                first = m["line"] - len(m["before"])
                for k, t in enumerate(m["before"]):
                    con.print(f"{m['path']}-{first + k}- {t}", markup=False)
                con.print(f"{m['path']}:{m['line']}: ", end="", markup=False, style="cyan")
                con.print(_highlight(m["text"], regex_pattern))
                for k, t in enumerate(m["after"]):
                    con.print(f"{m['path']}-{m['line'] + 1 + k}- {t}", markup=False)
                if context:
                    con.print("--", markup=False)
        return _render(build)

    emit(result, fmt, text)
    if fmt == "text":
        shown = f"{offset + 1}-{offset + result['returned']}" if result["returned"] else "none"
        more = f"; next page: --offset {offset + result['returned']}" if result["truncated"] else ""
        click.echo(f"{result['total']} matching lines in {result['files_searched']} files (showing {shown}; "
                   f"{result['elapsed_ms']:.0f} ms){more}", err=True)


# --- timeline ---------------------------------------------------------------------------------


@main.command("timeline")
@target_argument
@click.option("--pivot", required=True, metavar="REGEX", help="Regex of the event to centre on (earliest match).")
@click.option("--window", type=click.FloatRange(min=0, min_open=True), default=300, show_default=True,
              help="Seconds before and after the pivot.")
@click.option("--max", "max_events", type=click.IntRange(1), default=500, show_default=True,
              help="Events to show (the nearest to the pivot are kept).")
@workspace_option
@format_option("text", "json")
def timeline_cmd(target, pivot, window, max_events, workspace, fmt) -> None:
    """Merge all sources in time order around the first line matching --pivot (the SOP's correlate).

    Shows every timestamped line of every file within +-WINDOW seconds of the pivot, with its
    offset, source, level and path:line; journal reboot markers are included.

    \b
    Examples:
      eksdoctor timeline i-0abc123def4567890 --pivot 'Unable to register node'
      eksdoctor timeline bundle.tar.gz --pivot 'TLS handshake timeout' --window 60 --max 100
    """
    result = api.timeline(target, pivot, window=window, max_events=max_events, workspace=workspace)

    def text(res):
        def build(con):
            p = res["pivot"]
            con.print(f"pivot {p['ts']}  {p['path']}:{p['line']}  window +-{res['window_s']:g}s", markup=False,
                      style="bold")
            for e in res["events"]:
                style = {"pivot": "bold yellow", "boot": "bold magenta"}.get(e["kind"]) or (
                    "red" if e["level"] in ("error", "fatal") else None)
                con.print(f"{e['offset_s']:+10.3f}s  {_hms(e['ts'])}  {(e['source'] or '-')[:16]:16} "
                          f"{(e['level'] or '-'):7}  {e['ref']}  {e['text']}", markup=False, style=style)
            if res["truncated"]:
                con.print(f"... {res['omitted']} more events in the window (raise --max or narrow --window)",
                          markup=False)
        return _render(build)

    emit(result, fmt, text)


# --- network ----------------------------------------------------------------------------------


@main.command("network")
@target_argument
@click.option("--sections", default="routes,dns,eni,iptables,curl", show_default=True,
              help="Comma-separated sections: routes, dns, eni, iptables, curl.")
@workspace_option
@format_option("text", "json")
def network_cmd(target, sections, workspace, fmt) -> None:
    """Routes, DNS resolvers, ENIs/IPs, blocking iptables rules and the API curl test of a node,
    and a plain answer: does the node have a route towards the API endpoint?

    \b
    Examples:
      eksdoctor network i-0abc123def4567890
      eksdoctor network bundle.tar.gz --sections routes,dns
      eksdoctor network ./extracted/ --format json | jq .route_to_api
    """
    result = api.network(target, sections=[s for s in sections.split(",") if s.strip()], workspace=workspace)
    emit(result, fmt, lambda res: _render(lambda con: _network_text(con, res)))


def _network_text(con, res: dict) -> None:
    answer = res["route_to_api"]
    style = {"yes": "bold green", "no": "bold red"}.get(answer["answer"], "bold yellow")
    con.print(f"route to API endpoint: {answer['answer'].upper()}", style=style, markup=False)
    con.print(f"  {answer['why']}", markup=False)
    if answer.get("endpoint"):
        con.print(f"  endpoint: {answer['endpoint']}" + (f" ({answer['ip']})" if answer.get("ip") else ""),
                  markup=False)
    for ev in answer.get("evidence", []):
        con.print(f"  {ev['path']}:{ev['line']}: {ev['text']}", markup=False)
    for name, sec in res["sections"].items():
        con.print(f"\n[{name}]", style="bold", markup=False)
        for line in _section_lines(name, sec):
            con.print(f"  {line}", markup=False)
        for note in sec.get("notes", []):
            con.print(f"  ! {note}", style="yellow", markup=False)
        for miss in sec.get("missing", []):
            con.print(f"  missing {miss['path']}: {miss['why']}", style="dim", markup=False)


def _section_lines(name: str, sec: dict) -> list[str]:
    if sec.get("applicable") is False:  # e.g. iptables on a Windows node: its note says why
        return []
    if name == "routes":
        out = [f"default via {r.get('via') or '-'} dev {r.get('dev') or '-'}  (line {r['line']})"
               for r in sec["default_routes"]]
        out += [f"{r['dst']:20} {('via ' + r['via']) if r.get('via') else '':18} dev {r.get('dev') or '-'}"
                for r in sec["main_table"] if r["dst"] != "default"][:20]
        if sec["eni_tables"]:
            out.append(f"per-ENI route tables: {', '.join(sec['eni_tables'])}")
        return out
    if name == "dns":
        out = [f"nameserver {n['ip']} ({n['kind']})" for n in sec["nameservers"]]
        if sec["search"]:
            out.append(f"search {' '.join(sec['search'])}")
        if sec["options"]:
            out.append(f"options {' '.join(sec['options'])}")
        return out
    if name == "eni":
        out = [f"state: {sec['state']}" + (f", {sec['assigned_ips']}/{sec['total_ips']} IPs assigned"
                                           if sec.get("total_ips") is not None else "")]
        out += [f"{e['id']} dev#{e['device_number']}{' primary' if e['primary'] else ''}: "
                f"{e['assigned']}/{e['ips']} IPs" + (f", prefixes {', '.join(e['prefixes'])}" if e["prefixes"] else "")
                for e in sec["enis"]]
        return out
    if name == "iptables":
        out = [f"{sec['rules']} rules"]
        out += [f"policy {p['table']}/{p['chain']} {p['policy']} (line {p['line']})" for p in sec["policies"]]
        out += [f"{r['table']}/{r['chain']} {r['target']} ports={r['ports']}: {r['text']}" for r in sec["blocking"]]
        return out
    if name == "curl":
        out = []
        if sec.get("endpoint"):
            out.append(f"endpoint {sec['endpoint']['url']} (from {sec['endpoint']['path']}:{sec['endpoint']['line']})")
        out += [f"attempt {a['attempt']}/{a['of']} {a['ts'] or ''} ip={a['ip'] or '?'}: {a['outcome']}"
                + (f" ({a['detail']})" if a.get("detail") else "") for a in sec["attempts"]]
        return out
    return []

