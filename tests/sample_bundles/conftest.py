"""One generated copy of every scenario per test session (generation of all of them takes ~1.5 s)."""

from __future__ import annotations

import pytest

from sample_helpers import Extracted

from eksdoctor.sample_bundles import SCENARIOS, generate_all


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("samples")
    return {g.scenario.name: g for g in generate_all(out)}


@pytest.fixture(scope="session")
def linux(generated) -> dict[str, Extracted]:
    return {name: Extracted(g) for name, g in generated.items() if SCENARIOS[name].family in ("al2", "al2023")}


def pytest_generate_tests(metafunc):
    if "linux_name" in metafunc.fixturenames:
        metafunc.parametrize("linux_name", [n for n, s in SCENARIOS.items() if s.family in ("al2", "al2023")])


@pytest.fixture
def bundle(linux, linux_name) -> Extracted:
    return linux[linux_name]

