"""Fixtures for the MCP server tests: a sample bundle on disk and a private workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from eksdoctor.sample_bundles import generate

SCENARIO = "al2-unauthorized"


@pytest.fixture(scope="session")
def anyio_backend():
    return "asyncio"


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The generated al2-unauthorized bundle (GeneratedBundle: .path, .scenario)."""
    return generate(SCENARIO, tmp_path_factory.mktemp("bundles"))


@pytest.fixture
def workspace(tmp_path, monkeypatch) -> Path:
    """An empty workspace, also exported as EKSDOCTOR_HOME for in-process api calls."""
    home = tmp_path / "ws"
    monkeypatch.setenv("EKSDOCTOR_HOME", str(home))
    return home


def server_command() -> tuple[str, list[str]]:
    """How to start `eksdoctor mcp` with the interpreter running the tests."""
    return sys.executable, ["-m", "eksdoctor", "mcp"]


def server_env(workspace: Path) -> dict[str, str]:
    return {"EKSDOCTOR_HOME": str(workspace), "PATH": os.environ.get("PATH", "")}
