"""How property values cross into durable_rules and back, so comparisons mean what the DSL says.

durable_rules 2.0.28 coerces across types when it compares (measured: the fact value "3" equals the
pattern 3, the number 1 equals true, 0 equals false, '' equals 3; `null $neq x` is false; strings
pass `$gt`/`$lt` tests against numbers), and its JSON parser rejects floats written with an
exponent (json.dumps(1e20) == "1e+20" -> error 204). So:

- every non-numeric value is tagged as a string: "s:<text>", "b:true"/"b:false", "n:" for null;
  string-to-string equality is exact, so equality and `ne` become type-exact (3 == 3.0 still holds,
  as in Python);
- relational tests read a numeric shadow property `<prop>__num`, set only when the value is a real
  number (not a bool), so a string never satisfies gt/gte/lt/lte;
- numbers must print without an exponent and fit in 64 bits.

Like every other test, `ne` only holds for a fact that HAS the property (durable: a missing
property fails `$neq`); use `exists: false` to ask for an absent property.

`kind`, `id` and `sid` stay untagged: the engine sets them and only compares them string to string.
"""

from __future__ import annotations

import math

UNTAGGED = ("kind", "id", "sid")
NUMERIC_SUFFIX = "__num"
_INT64 = 2**63


def is_number(value) -> bool:
    """A real number (bools are not numbers for the DSL)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def representable(value) -> bool:
    """True when durable_rules can parse and compare `value` (see module docstring)."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -_INT64 <= value < _INT64
    if isinstance(value, float):
        return math.isfinite(value) and "e" not in repr(value)
    return False


def encode(value):
    """A scalar as durable_rules sees it (numbers unchanged, everything else tagged)."""
    if is_number(value):
        return value
    if isinstance(value, bool):
        return "b:true" if value else "b:false"
    if value is None:
        return "n:"
    return "s:" + value


def decode(value):
    """The inverse of encode()."""
    if not isinstance(value, str):
        return value
    if value.startswith("s:"):
        return value[2:]
    return {"b:true": True, "b:false": False, "n:": None}.get(value, value)


def encode_fact(fact: dict, numeric: frozenset[str]) -> dict:
    """A validated fact as asserted: values tagged, numeric shadows for relationally-tested props."""
    out = {}
    for key, value in fact.items():
        out[key] = value if key in UNTAGGED else encode(value)
        if key in numeric and is_number(value):
            out[key + NUMERIC_SUFFIX] = value
    return out


def decode_fact(fact) -> dict:
    """A fact read back from durable_rules: tags removed, shadows and sid dropped."""
    return {key: (value if key in UNTAGGED else decode(value)) for key, value in fact.items()
            if key != "sid" and not key.endswith(NUMERIC_SUFFIX)}
