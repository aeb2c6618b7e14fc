"""One exception tree, marked transient or terminal where raised, and the exit codes."""

from __future__ import annotations

from collections.abc import Iterable
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
    """The metrics store could not be read or written.

    The message is one line; ``detail`` (the statement and the driver's full text) is for
    the log file only.
    """

    def __init__(
        self, message: str, *, transient: bool | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message, transient=transient)
        self.detail = detail

    def doing(self, what: str) -> StoreError:
        """This error, its message ending with what the store was doing (``what``)."""
        return StoreError(f"{self} ({what})", transient=self.transient, detail=self.detail)


class SecretError(CanaryError):
    """A secret could not be resolved. Never carries the secret's value."""


#: Every outcome word canary reports (run and check statuses, doctor findings, Slack
#: probes) and the exit code it calls for. Doctor's ``fail`` is a config problem.
OUTCOMES: dict[str, ExitCode] = {
    "passed": ExitCode.OK,
    "ok": ExitCode.OK,
    "warning": ExitCode.OK,
    "warn": ExitCode.OK,
    "skipped": ExitCode.OK,
    "failed": ExitCode.CHECKS_FAILED,
    "fail": ExitCode.USAGE,
    "error": ExitCode.INCOMPLETE,
    "unreachable": ExitCode.INCOMPLETE,
}
#: When outcomes call for different codes, the first of these present wins.
PRECEDENCE = (ExitCode.USAGE, ExitCode.CHECKS_FAILED, ExitCode.INCOMPLETE)


def exit_code_for(outcomes: Iterable[str] = (), error: BaseException | None = None) -> ExitCode:
    """The one map to exit codes: of the error that stopped a command, else of its outcomes.

    A ``ConfigError`` is 2, any other ``CanaryError`` (source, store, suite, secret) 3, and
    anything else a bug, 4. Outcomes are the words of ``OUTCOMES``; a word not there is a bug.
    """
    if error is not None:
        if isinstance(error, ConfigError):
            return ExitCode.USAGE
        return ExitCode.INCOMPLETE if isinstance(error, CanaryError) else ExitCode.INTERNAL
    codes = {OUTCOMES[word] for word in outcomes}
    return next((code for code in PRECEDENCE if code in codes), ExitCode.OK)
