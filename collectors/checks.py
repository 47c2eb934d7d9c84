"""Record what could not be checked, instead of failing: one denied call must not hide the other facts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .gateway import CallFailed, PermissionDenied

T = TypeVar("T")


class NotChecked:
    """The `not_checked` list of aws-context.json: [{"call": "eks:ListAccessEntries", "reason": ...}]."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, call: str, reason: str) -> None:
        entry = {"call": call, "reason": reason}
        if entry not in self.items:
            self.items.append(entry)

    def attempt(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Run one collection step; a denied or failed AWS call is recorded and yields None."""
        try:
            return fn(*args, **kwargs)
        except PermissionDenied as err:
            self.add(err.action, f"{err.code}: missing permission {err.action}")
        except CallFailed as err:
            self.add(err.action, f"{err.code}: {err.aws_message}".rstrip(": "))
        return None
