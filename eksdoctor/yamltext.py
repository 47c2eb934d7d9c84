"""YAML parsing for the rule base and signal catalog, with libyaml when PyYAML has it.

The pure-Python loader took ~0.3 s of every process's first diagnosis (11 rule files + the catalog);
the C loader reads the same documents ~10x faster. Both are the *safe* loader: plain data only.
"""

from __future__ import annotations

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YAMLError = yaml.YAMLError


def safe_load(text: str):
    """yaml.safe_load(text), through libyaml when available."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader (C or Python)
