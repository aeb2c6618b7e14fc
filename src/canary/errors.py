"""One exception tree, marked transient or terminal where raised, and the exit codes."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of ``canary`` (DESIGN.md section 4)."""

    OK = 0
    CHECKS_FAILED = 1
    USAGE = 2
    INCOMPLETE = 3
    INTERNAL = 4


class CanaryError(Exception):
    """Base of every error canary raises on purpose. ``transient`` errors may be retried."""

    transient: bool = False

    def __init__(self, message: str, *, transient: bool | None = None) -> None:
        super().__init__(message)
        if transient is not None:
            self.transient = transient


class ConfigError(CanaryError):
    """Bad config or usage: nothing ran. The message names the file, key and allowed values."""


class SourceError(CanaryError):
    """A dataset could not be pulled from its source."""


class TransientSourceError(SourceError):
    """A source failure worth retrying (timeouts, 429, 5xx, dropped connections)."""

    transient = True


class SuiteError(CanaryError):
    """A Great Expectations suite file is missing or invalid."""


class StoreError(CanaryError):
    """The metrics store could not be read or written."""


class SecretError(CanaryError):
    """A secret could not be resolved. Never carries the secret's value."""


def exit_code_for(run_statuses: list[str], error: BaseException | None = None) -> ExitCode:
    """Map the statuses of the runs (or the error that stopped them) to an exit code."""
    if error is not None:
        return ExitCode.USAGE if isinstance(error, ConfigError) else ExitCode.INTERNAL
    if "failed" in run_statuses:
        return ExitCode.CHECKS_FAILED
    if "error" in run_statuses:
        return ExitCode.INCOMPLETE
    return ExitCode.OK
