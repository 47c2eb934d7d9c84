"""Realistic, deterministic sample bundles: a healthy node per family, every failure mode, red herrings.

    from eksdoctor.sample_bundles import SCENARIOS, generate
    bundle = generate("al2-unauthorized", Path("/tmp/s"))   # -> GeneratedBundle(path, context_path, scenario)
"""

from __future__ import annotations

from .generate import build, generate, generate_all
from .model import GeneratedBundle, Profile, Scenario
from .scenarios import SCENARIOS

__all__ = ["SCENARIOS", "GeneratedBundle", "Profile", "Scenario", "build", "generate", "generate_all"]
