"""A bundle with no files, for diagnosing from AWS context alone (node never reachable by SSM)."""

from __future__ import annotations

import io
from pathlib import Path

from eksdoctor.models import BundleInfo


class ContextOnlyBundle:
    """Quacks like eksdoctor.bundle.Bundle; every file is 'not collected'."""

    def __init__(self, instance_id: str | None) -> None:
        self.info = BundleInfo(name=f"{instance_id or 'unknown'} (no bundle: AWS context only)",
                               instance_id=instance_id, family="unknown")
        self.root = Path(".")

    def files(self) -> list[str]:
        return []

    def exists(self, path: str) -> bool:
        return False

    def size(self, path: str) -> int | None:
        return None

    def open(self, path: str):
        return io.BytesIO(b"")

    def lines(self, path: str):
        return iter(())

    def read_text(self, path: str, max_bytes: int = 1 << 20) -> str | None:
        return None

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
