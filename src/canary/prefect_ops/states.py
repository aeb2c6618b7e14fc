"""The final state of a flow run: Failed with a message naming the failures, or Completed."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Literal, get_args

from canary.results import RunResult
from canary.statuses import FAILING

FailOn = Literal["checks", "errors", "never"]
FAIL_ON: tuple[str, ...] = get_args(FailOn)


class ChecksFailed(Exception):
    """The exception of a Failed run: the message names the failures; ``document`` is the
    run's canary.result/1 document."""

    def __init__(self, message: str, document: dict[str, Any] | None = None) -> None:
        super().__init__(message, document)
        self.message = message
        self.document = document

    def __str__(self) -> str:
        return self.message


def failure_message(run: RunResult, fail_on: FailOn, limit: int = 6) -> str | None:
    """Why the run should end Failed, or None when it should complete.

    ``checks``: any failed or errored check fails the run; ``errors``: only checks that
    could not run (source or infrastructure errors); ``never``: the run always completes.
    """
    if fail_on not in FAIL_ON:
        raise ValueError(f"fail_on {fail_on!r} is unknown; allowed: {', '.join(FAIL_ON)}")
    failing: dict[str, set[str]] = {"checks": set(FAILING), "errors": {"error"}, "never": set()}
    wanted = failing[fail_on]
    bad = [c for c in run.problems() if c.status in wanted]
    if not bad:
        return None
    kinds = Counter((c.dataset, c.check, c.status) for c in bad)  # segments of one check
    named = "; ".join(
        f"{dataset}: {check} ({status}{f' x{n}' if n > 1 else ''})"
        for (dataset, check, status), n in list(kinds.items())[:limit]
    )
    more = f"; and {len(kinds) - limit} more kinds" if len(kinds) > limit else ""
    noun = "check" if len(bad) == 1 else "checks"
    return f"{run_label(run)}: {len(bad)} {noun} did not pass: {named}{more}"


def completed_message(run: RunResult) -> str:
    return f"{run_label(run)}: {run.status}"


def run_label(run: RunResult) -> str:
    """``<monitor> week <week>``, after ``DRILL <scenario>:`` for a drill."""
    label = f"{run.monitor} week {run.week}"
    return f"DRILL {run.drill}: {label}" if run.drill else label


class DataFailureIsNotACrash(logging.Filter):
    """Drops the engine's "exited with unexpected exception" traceback of a ``ChecksFailed``
    run: failed checks are a finding, already told by the run's Failed state and message."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ChecksFailed)


def quiet_data_failures(logger_name: str = "prefect.flow_runs") -> None:
    """Install ``DataFailureIsNotACrash`` on the logger Prefect's engine reports runs with
    (once per process)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, DataFailureIsNotACrash) for f in logger.filters):
        logger.addFilter(DataFailureIsNotACrash())
