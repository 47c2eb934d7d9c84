"""Instance user data: decode it (base64, optionally gzip), redact secrets, read the cluster name from it."""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib

MAX_DECODED_BYTES = 1 << 20  # user data is at most 16 KiB raw; a gzip bomb stops here

# Fallback redaction, used only while eksdoctor.redact (the reports' redactor) is not installed.
_FALLBACK_PATTERNS = (
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "<redacted-access-key>"),
    (re.compile(r"k8s-aws-v1\.[A-Za-z0-9_\-.=]+"), "k8s-aws-v1.<redacted>"),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9_\-.=:/+]{8,}"), r"\1<redacted>"),
    (re.compile(r"(?i)((?:aws_)?secret(?:_access)?_key|session_token|password|passwd|token|secret)"
                r"(\s*[:=]\s*[\"']?)[^\s\"']+"), r"\1\2<redacted>"),
)


def redact(text: str) -> str:
    """Redact secrets with the shared redactor (eksdoctor.redact), else a conservative fallback."""
    try:
        from eksdoctor.redact import redact_text
    except ImportError:
        for pattern, replacement in _FALLBACK_PATTERNS:
            text = pattern.sub(replacement, text)
        return text
    return redact_text(text)


def decode_user_data(encoded: str | None) -> str | None:
    """Base64 user data (as EC2 returns it) -> text; gzip-compressed user data is inflated.

    Returns None when there is none. Undecodable bytes are replaced, never fatal.
    """
    if not encoded:
        return None
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError):
        return None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = zlib.decompressobj(wbits=31).decompress(raw, MAX_DECODED_BYTES)
        except (zlib.error, gzip.BadGzipFile):
            return "<user data: gzip data that could not be decompressed>"
    return raw[:MAX_DECODED_BYTES].decode("utf-8", errors="replace")


_BOOTSTRAP_NAME = re.compile(r"/etc/eks/bootstrap\.sh\s+['\"]?([A-Za-z0-9][A-Za-z0-9_-]{0,99})")
_NODECONFIG_NAME = re.compile(r"(?m)^\s*cluster:\s*\n(?:\s+\S.*\n)*?\s+name:\s*['\"]?([A-Za-z0-9][A-Za-z0-9_-]{0,99})")
_BOTTLEROCKET_NAME = re.compile(r"(?m)^\s*cluster-name\s*=\s*['\"]([A-Za-z0-9][A-Za-z0-9_-]{0,99})")


def cluster_name_from_user_data(text: str | None) -> str | None:
    """The cluster the node was told to join: bootstrap.sh's first argument (AL2), NodeConfig
    spec.cluster.name (AL2023), or settings.kubernetes.cluster-name (Bottlerocket)."""
    if not text:
        return None
    for pattern in (_BOOTSTRAP_NAME, _NODECONFIG_NAME, _BOTTLEROCKET_NAME):
        if m := pattern.search(text):
            return m.group(1)
    return None
