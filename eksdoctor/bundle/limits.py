"""Resource limits for reading untrusted bundles. Defaults suit real bundles (tens to hundreds of MB);
each can be raised with an environment variable (documented in docs/limits.md and the README)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    max_member_bytes: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_MEMBER_BYTES", 2 << 30)))
    max_total_bytes: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_TOTAL_BYTES", 8 << 30)))
    max_members: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_MEMBERS", 200_000)))
    max_ratio: float = field(default_factory=lambda: _env("EKSDOCTOR_MAX_RATIO", 200.0))
    ratio_floor_bytes: int = 64 << 20  # the ratio guard applies once this much was written
    max_line_bytes: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_LINE_BYTES", 1 << 20)))
    max_name_bytes: int = 1024
    max_nesting: int = 2
