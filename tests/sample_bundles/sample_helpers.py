"""Helpers for the sample-bundle tests (a unique module name: tests folders have no __init__.py)."""

from __future__ import annotations

import tarfile
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "aws-context-schema.md"


class Extracted:
    """A generated bundle read back from its tarball: member names and text of every file."""

    def __init__(self, gen) -> None:
        self.gen = gen
        self.scenario = gen.scenario
        with tarfile.open(gen.path) as tar:
            self.members = tar.getmembers()
            self.files = {m.name[2:]: tar.extractfile(m).read() for m in self.members if m.isfile()}
        self.dirs = {m.name[2:].rstrip("/") for m in self.members if m.isdir()}

    def text(self, path: str) -> str:
        return self.files[path].decode()
