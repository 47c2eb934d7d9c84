"""Sample bundles generated once per test session (deterministic), and their diagnoses."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    """scenario name -> GeneratedBundle (tarball + optional aws-context.json)."""
    from eksdoctor.sample_bundles import SCENARIOS, generate

    root = tmp_path_factory.mktemp("scenarios")
    return {name: generate(name, root / name) for name in sorted(SCENARIOS)}


@pytest.fixture(scope="session")
def diagnoses(generated, tmp_path_factory):
    """scenario name -> diagnosis dict (with the scenario's AWS context when it has one)."""
    import os

    from eksdoctor import api

    os.environ.setdefault("EKSDOCTOR_HOME", str(tmp_path_factory.mktemp("ws")))
    out = {}
    for name, gb in generated.items():
        context = str(gb.context_path) if gb.context_path else None
        out[name] = api.diagnose(str(gb.path), context=context)
    return out
