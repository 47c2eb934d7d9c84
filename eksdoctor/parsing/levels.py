"""Level normalisation: every format's severity word onto eksdoctor.models.LEVELS."""

from __future__ import annotations

import re

KLOG_LEVELS = {"I": "info", "W": "warning", "E": "error", "F": "fatal"}

_WORDS = {
    "trace": "debug", "debug": "debug", "dbug": "debug",
    "info": "info", "information": "info", "notice": "info",
    "warn": "warning", "warning": "warning",
    "error": "error", "err": "error", "eror": "error",
    "fatal": "fatal", "critical": "fatal", "crit": "fatal", "panic": "fatal", "dpanic": "fatal",
    "emerg": "fatal", "emergency": "fatal", "alert": "fatal",
}


def level_word(word: object) -> str | None:
    """'INFO', 'warn', 'dpanic', '[ERROR]'... -> a normalised level, or None if not a level word."""
    if not isinstance(word, str):
        return None
    return _WORDS.get(word.strip("[]:").lower())


# systemd's messages about a unit that failed (the unit itself may never log a line).
SYSTEMD_FAILURE_RE = re.compile(
    r"Failed to start |Failed with result|status=203/EXEC|code=exited, status=[1-9]\d*/"
    r"|Failed at step |Dependency failed|Failed to (?:execute|locate executable|spawn)"
)


def systemd_level(message: str) -> str | None:
    """'error' for systemd unit-failure lines, else None (systemd does not print a severity)."""
    return "error" if SYSTEMD_FAILURE_RE.search(message) else None
