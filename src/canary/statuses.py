"""The words of a check's and a run's outcome and how each is shown: their order, the
console's colours, the icons of artifacts, the checks table and alerts, and which of them
fail a run (the run's status, Prefect's Failed state, the store's failing datasets).
Exit codes per word are ``canary.errors.OUTCOMES``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

Status = Literal["passed", "failed", "warning", "error", "skipped"]
RunStatus = Literal["passed", "failed", "error"]

#: Every check status, in the order the console's summary counts them.
STATUSES: tuple[Status, ...] = get_args(Status)
#: Most severe first: what a list of checks that did not pass is sorted by.
STATUS_ORDER: dict[str, int] = {"failed": 0, "error": 1, "warning": 2, "skipped": 3, "passed": 4}
#: Statuses that fail a run: a check failed, or could not run.
FAILING: tuple[Status, ...] = ("failed", "error")

STATUS_ICON = {"passed": "✅", "failed": "❌", "error": "⚠️", "warning": "🟡", "skipped": "⏭️"}
UNKNOWN_ICON = "❔"  # a status stored by a release that had other words
STATUS_STYLE = {
    "passed": "green",
    "failed": "bold red",
    "error": "magenta",
    "warning": "yellow",
    "skipped": "dim",
}


def run_status(statuses: Iterable[str]) -> RunStatus:
    """A run's status from its checks': failed over error over passed."""
    seen = set(statuses)
    if "failed" in seen:
        return "failed"
    if "error" in seen:
        return "error"
    return "passed"
