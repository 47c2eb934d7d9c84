"""The only module that imports durable_rules.

durable_rules' Host starts two self-rearming timer threads that run pending actions in the
background (a segfault in 1 of 5 threaded runs in our experiments, and non-deterministic firing);
we disable them and drive every evaluation synchronously.
"""

from __future__ import annotations

import durable.engine as _durable


class QuietHost(_durable.Host):
    """A Host with no dispatcher threads. Action names given as strings resolve to a no-op."""

    def _run(self) -> None:  # noqa: D401 - durable's hook that would start the timers
        pass

    def get_action(self, action_name):  # the SINK rule's "noop"
        return _noop


def _noop(c) -> None:  # one positional parameter: two would make durable treat it as async
    return None


MessageNotHandled = _durable.MessageNotHandledException
MessageObserved = _durable.MessageObservedException
