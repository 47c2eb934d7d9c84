"""key=value parsing shared by structured klog and logrus logfmt bodies.

Values are bare (`k=v`, up to the next space) or Go-quoted (`k="a \\"b\\""`); quoted values are
unescaped. Malformed input never raises: unmatched text is skipped.
"""

from __future__ import annotations

import re

# One pair: key, then either a quoted value (with backslash escapes) or a bare token. The quoted
# part is written as an unrolled loop: 5x faster than the (?:[^"\\]|\\.)* alternation.
_QUOTED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
KV_RE = re.compile(r"([\w.\-/]+)=(?:" + _QUOTED + r"|(\S*))")
QUOTED_RE = re.compile(_QUOTED)
# The same for text known to hold no backslash (then a quoted value ends at the next quote).
KV_PLAIN_RE = re.compile(r'([\w.\-/]+)=(?:"([^"]*)"|(\S*))')

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}
_ESCAPE_RE = re.compile(r"\\(.)")


def unquote(text: str) -> str:
    """Undo Go %q / logrus escaping of the common characters (\\" \\\\ \\n \\t)."""
    if "\\" not in text:
        return text
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def parse_pairs(text: str, start: int = 0, into: dict | None = None) -> dict:
    """All key=value pairs of `text` from `start` on, values unquoted, into a dict."""
    out = {} if into is None else into
    for key, quoted, bare in KV_RE.findall(text, start):
        # `k=""` and `k=` both give "": findall cannot tell them apart, nor need it.
        out[key] = unquote(quoted) if quoted else bare
    return out
