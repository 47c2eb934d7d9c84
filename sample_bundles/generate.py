"""`generate(name, out_dir)`: run a scenario's story and pack it exactly like the collector does."""

from __future__ import annotations

import json
import random
from pathlib import Path

from eksdoctor.errors import InputError

from . import flow_al2, flow_al2023, noise, other_layouts, static_files, tree
from .builder import Builder
from .context import healthy_context
from .identity import make_node
from .model import GeneratedBundle, Scenario
from .scenarios import SCENARIOS


def _scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise InputError(f"unknown sample scenario {name!r}",
                         hint="list them with `eksdoctor sample --list`") from None


def build(scenario: Scenario, *, scale: int = 1, seed: int = 0) -> Builder:
    """Run the scenario's story into a Builder (no I/O); exposed for tests and benchmarks."""
    node = make_node(scenario, seed)
    b = Builder(node, random.Random(f"{scenario.name}:{seed}:story"), scale=scale)
    b.story.extra["noise_seed"] = f"{scenario.name}:{seed}"
    if scenario.setup is not None:
        scenario.setup(b)
    (flow_al2 if scenario.family == "al2" else flow_al2023).run(b)
    static_files.write_all(b)
    for fn in b.story.extra.get("post", []):  # scenario edits of command-output files
        fn(b)
    noise.add_noise(b)
    return b


def generate(name: str, out_dir: Path, *, scale: int = 1, seed: int = 0) -> GeneratedBundle:
    """Write the scenario's bundle (and aws-context.json when it has one) into `out_dir`.

    Byte-for-byte deterministic for the same (name, scale, seed).
    """
    scenario = _scenario(name)
    if scale < 1:
        raise InputError(f"scale must be >= 1, got {scale}", hint="use --scale 1 for a normal-size bundle")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if scenario.family in ("windows", "bottlerocket"):
        return GeneratedBundle(other_layouts.write(scenario, out_dir, seed), None, scenario)
    b = build(scenario, scale=scale, seed=seed)
    n = b.node
    dest = out_dir / tree.bundle_name(n.instance_id, n.collected, n.collector_version)
    level = 6 if scale <= 20 else 1  # big benchmark bundles: fast compression, still deterministic
    tree.write_tar(dest, b.render(), tree.common_directories(n.features), n.collected, compresslevel=level)
    context_path = None
    if scenario.has_context:
        ctx = healthy_context(n)
        if scenario.context_setup is not None:
            scenario.context_setup(n, ctx)
        context_path = out_dir / "aws-context.json"
        context_path.write_text(json.dumps(ctx, indent=2) + "\n")
    return GeneratedBundle(dest, context_path, scenario)


def generate_all(out_dir: Path, *, scale: int = 1, seed: int = 0) -> list[GeneratedBundle]:
    """Every scenario into its own subfolder `out_dir/<scenario name>/`."""
    out_dir = Path(out_dir)
    return [generate(name, out_dir / name, scale=scale, seed=seed) for name in SCENARIOS]
