"""One exception hierarchy for the whole tool; the CLI edge maps each class to an exit code.

Exit codes (documented in README):
  0  success (a diagnosis was produced, including category "none")
  1  usage or input error (bad target, unreadable/corrupt bundle, bad option, unknown finding id)
  2  internal error (a bug in eksdoctor: please report it)
  3  AWS error (credentials, permissions, throttling that outlived retries, unmanaged instance)
  4  timeout (a search pattern or a per-bundle limit ran out)
"""

from __future__ import annotations


class EksDoctorError(Exception):
    """Base of every error eksdoctor raises on purpose. `str(err)` is a one-line message for users."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint  # the next step for the user, shown on its own line


class InputError(EksDoctorError):
    """The user gave us something we cannot use: a missing path, an unknown instance id, a bad option."""

    exit_code = 1


class BundleError(InputError):
    """The bundle cannot be opened at all (not an archive, corrupt header, nothing readable)."""


class UnsafeBundleError(BundleError):
    """The bundle tried something hostile that we refuse outright (e.g. limits exceeded before any member)."""


class LimitExceeded(InputError):
    """A documented size/count/time limit was exceeded; the message names the limit and how to raise it."""


class UnknownFindingError(InputError):
    """`summarize` was given a finding id that the diagnosis does not contain."""


class ContextError(InputError):
    """aws-context.json is malformed or does not follow the schema."""


class WorkspaceError(EksDoctorError):
    """The workspace cannot be written (read-only, full disk, locked by another process too long)."""

    exit_code = 1


class RuleBaseError(EksDoctorError):
    """A rule file is invalid. Raised at load time, never silently skipped."""

    exit_code = 2


class EngineError(EksDoctorError):
    """The rule engine failed (an action raised, the session could not be created/deleted)."""

    exit_code = 2


class AwsError(EksDoctorError):
    """An AWS call failed in a way we cannot work around (no credentials, denied, not SSM-managed...)."""

    exit_code = 3


class SearchTimeout(EksDoctorError):
    """A regular expression exceeded its time budget (catastrophic backtracking guard)."""

    exit_code = 4
