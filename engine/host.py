"""The only module that imports durable_rules.

durable_rules' Host starts two self-rearming timer threads that run pending actions in the
background (a segfault in 1 of 5 threaded runs in our experiments, and non-deterministic firing);
we disable them and drive every evaluation synchronously from the calling thread.
"""

from __future__ import annotations

import durable.engine as _durable

from eksdoctor.engine.compiler import NOOP_ACTION
from eksdoctor.errors import EngineError


class QuietHost(_durable.Host):
    """A Host with no dispatcher threads; the only action named by string is the SINK's no-op."""

    def _run(self) -> None:  # durable's hook that would start the timer threads
        pass

    def get_action(self, action_name):
        if action_name != NOOP_ACTION:
            raise EngineError(f"unknown engine action {action_name!r}: rules must compile to Python actions")
        return _noop


def _noop(c) -> None:  # one positional parameter: two would make durable treat it as async
    return None
