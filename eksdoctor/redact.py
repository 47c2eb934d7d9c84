"""Secret redaction applied to every report format (json included) and to AWS user data.

Keeps what an operator needs to act (ARNs, account and instance ids, IPs, host names) and removes
credentials: access key ids, secret keys, session tokens, k8s-aws-v1 bearer tokens, Authorization
headers, passwords/tokens/secrets in user data and environment assignments, PEM private keys.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "[REDACTED]"
_RULES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S),
     "-----BEGIN PRIVATE KEY----- " + MASK),
    (re.compile(r"k8s-aws-v1\.[A-Za-z0-9_\-]+"), "k8s-aws-v1." + MASK),
    (re.compile(r"(?i)(authorization:\s*bearer\s+)[^\s\"']+"), r"\1" + MASK),
    (re.compile(r"\b((?:AKIA|ASIA|AROA|AIDA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9])[A-Z0-9]{15}\b"), r"\1" + "…" + MASK),
    (re.compile(r"(?i)((?:aws_?)?secret_?access_?key[\"']?\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{30,}"), r"\1" + MASK),
    (re.compile(r"(?i)((?:aws_?)?session_?token[\"']?\s*[=:]\s*[\"']?|X-Amz-Security-Token=)[A-Za-z0-9/+=%]{16,}"),
     r"\1" + MASK),
    # password / token / secret assignments (user data, env, command lines): `DB_PASSWORD=...`,
    # `--token=...`, `"password": "..."`. The keyword must start a word, so `ExpiredToken: The` stays.
    (re.compile(r"(?i)(\b(?:[A-Za-z0-9]+_)*(?:password|passwd|pwd|secret|token|api_?key)\b[\"']?"
                r"\s*(?:=|:\s*[\"']))[\"']?(?!\[REDACTED)[^\s\"'&,;]+"), r"\1" + MASK),
    (re.compile(r"(?i)(--(?:[a-z0-9]+-)*(?:password|token|secret)[ =])(?!\[REDACTED)[^\s\"']+"), r"\1" + MASK),
)


def redact_text(text: str) -> str:
    if not text:
        return text
    for rx, repl in _RULES:
        text = rx.sub(repl, text)
    return text


def redact_obj(obj: Any) -> Any:
    """A deep copy of `obj` with every string redacted (dict keys kept)."""
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, dict):
        return {k: redact_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [redact_obj(v) for v in obj]
    return obj
