"""Resource limits for reading untrusted bundles. Defaults suit real bundles (tens to hundreds of MB);
each can be raised with an environment variable (table in docs/limits.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env(name: str, default: float) -> float:
    """A positive number from the environment, else the default (a typo must not disable a guard)."""
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
    """Limits applied while extracting and reading a bundle. Defaults are read from EKSDOCTOR_MAX_*
    when an instance is created, so tests and callers may also pass explicit values."""

    max_member_bytes: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_MEMBER_BYTES", 2 << 30)))
    max_total_bytes: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_TOTAL_BYTES", 8 << 30)))
    max_members: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_MEMBERS", 200_000)))
    max_ratio: float = field(default_factory=lambda: _env("EKSDOCTOR_MAX_RATIO", 200.0))
    # The ratio guard waits for this much output: tiny archives of small text files can have any ratio.
    ratio_floor_bytes: int = 8 << 20
    max_line_bytes: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_LINE_BYTES", 1 << 20)))
    max_name_bytes: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_NAME_BYTES", 1024)))
    max_nesting: int = field(default_factory=lambda: int(_env("EKSDOCTOR_MAX_NESTING", 2)))
