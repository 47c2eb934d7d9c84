"""`eksdoctor sample`: write realistic sample bundles to try the tool on (or to benchmark it)."""

from __future__ import annotations

from pathlib import Path

import click

from . import main
from .common import emit, format_option


@main.command("sample")
@click.argument("scenarios", nargs=-1, metavar="[SCENARIO]...")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory to write into (created if missing). Required unless --list.")
@click.option("--list", "list_only", is_flag=True, help="List the scenarios and the category each one must diagnose.")
@click.option("--all", "all_", is_flag=True, help="Write every scenario, one subfolder each.")
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Multiply the benign log noise for benchmarks: ~177 KB per unit (AL2), ~129 KB (AL2023), uncompressed.")
@click.option("--seed", type=int, default=0, show_default=True, help="Another seed gives another, equally valid node.")
@format_option("text", "json")
def sample_cmd(scenarios: tuple[str, ...], out: Path | None, list_only: bool, all_: bool, scale: int, seed: int, fmt: str) -> None:
    """Write sample node log bundles: healthy nodes, every join failure, red herrings.

    Each bundle is packed exactly like the EKS log collector packs one
    (eks_<instance-id>_<date>_<time>-UTC_<version>.tar.gz). Scenarios whose cause
    can only be proven from the AWS side also get an aws-context.json next to it.
    The same scenario, scale and seed always give the same bytes.

    \b
    Examples:
      eksdoctor sample --list
      eksdoctor sample al2-unauthorized --out /tmp/s
      eksdoctor diagnose /tmp/s/eks_i-*.tar.gz
      eksdoctor sample al2-sg-no-443-egress --out /tmp/sg
      eksdoctor diagnose /tmp/sg/eks_i-*.tar.gz --context /tmp/sg/aws-context.json
      eksdoctor sample --all --out /tmp/all            # one subfolder per scenario
      eksdoctor sample al2-healthy --scale 1130 --out /tmp/big   # ~200 MB uncompressed
    """
    from eksdoctor.sample_bundles import SCENARIOS, generate, generate_all

    if list_only:
        rows = [{"name": s.name, "family": s.family, "expected_category": s.expected_category,
                 "needs_context": s.needs_context, "red_herring": s.red_herring, "description": s.description}
                for s in SCENARIOS.values()]
        emit(rows, fmt, _list_text)
        return
    if out is None:
        raise click.UsageError("--out DIR is required (or use --list)")
    if all_ and scenarios:
        raise click.UsageError("give scenario names or --all, not both")
    if not scenarios and not all_:
        raise click.UsageError("name at least one scenario (see --list) or pass --all")
    if all_:
        written = generate_all(out, scale=scale, seed=seed)
    else:
        multi = len(scenarios) > 1  # several bundles: keep each one's aws-context.json apart
        written = [generate(name, out / name if multi else out, scale=scale, seed=seed) for name in scenarios]
    result = [{"scenario": g.scenario.name, "bundle": str(g.path), "context": str(g.context_path) if g.context_path else None,
               "expected_category": g.scenario.expected_category} for g in written]
    emit(result, fmt, _written_text)


def _list_text(rows: list[dict]) -> str:
    width = max(len(r["name"]) for r in rows)
    lines = [f"{'SCENARIO':<{width}}  {'FAMILY':<12} {'EXPECTED':<21} NOTES"]
    for r in rows:
        notes = ", ".join(x for x, on in (("needs context", r["needs_context"]), ("red herring", r["red_herring"])) if on)
        lines.append(f"{r['name']:<{width}}  {r['family']:<12} {r['expected_category']:<21} {notes}")
    return "\n".join(lines)


def _written_text(rows: list[dict]) -> str:
    lines = []
    for r in rows:
        lines.append(f"{r['scenario']}: {r['bundle']}")
        if r["context"]:
            lines.append(f"  context: {r['context']}   (diagnose with --context {r['context']})")
    return "\n".join(lines)
