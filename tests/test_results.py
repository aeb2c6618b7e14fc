"""Fingerprints, run status, failure history and exit codes."""

from __future__ import annotations

from datetime import date

import pytest

from canary.errors import ConfigError, ExitCode, SourceError, StoreError, exit_code_for
from canary.results import CheckResult, PastCheck, RunResult, fingerprint, first_failed_week

W = date(2026, 11, 16)


def test_fingerprint_is_stable_and_tells_checks_apart() -> None:
    a = fingerprint("m", "page_views", "not null", "total_insights_page_views", None)
    assert a == fingerprint("m", "page_views", "not null", "total_insights_page_views", {})
    assert a != fingerprint("m", "page_views", "not null", "total_insights_unique_page_views", None)
    assert a != fingerprint("m2", "page_views", "not null", "total_insights_page_views", None)
    seg = fingerprint("m", "usage_by_version", "drop", "x", {"version_minor": "5.3"})
    assert seg != fingerprint("m", "usage_by_version", "drop", "x", {"version_minor": "5.4"})
    assert seg == fingerprint("m", "usage_by_version", "drop", "x", {"version_minor": "5.3"})


def test_fingerprint_does_not_change_between_releases() -> None:
    # Alert state and history are keyed by it: changing the hash would orphan them.
    assert fingerprint(
        "code-insights-canary", "instance_usage", "canary reporting", None, None
    ) == ("51e2db7d6802e21c")


def _check(status: str) -> CheckResult:
    return CheckResult("m", "d", f"c-{status}", status, "why")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("statuses", "run_status", "code"),
    [
        (["passed", "warning", "skipped"], "passed", ExitCode.OK),
        (["passed", "failed", "error"], "failed", ExitCode.CHECKS_FAILED),
        (["passed", "error", "warning"], "error", ExitCode.INCOMPLETE),
        ([], "passed", ExitCode.OK),
    ],
)
def test_run_status_and_exit_code(statuses: list[str], run_status: str, code: ExitCode) -> None:
    run = RunResult("m", W, [_check(s) for s in statuses])
    assert run.status == run_status
    assert exit_code_for([run.status]) == code


def test_exit_codes_for_errors() -> None:
    assert exit_code_for([], ConfigError("x")) == ExitCode.USAGE == 2
    assert exit_code_for([], StoreError("store down")) == ExitCode.INCOMPLETE == 3
    assert exit_code_for([], SourceError("no file")) == ExitCode.INCOMPLETE
    assert exit_code_for([], RuntimeError("bug")) == ExitCode.INTERNAL == 4
    assert exit_code_for(["passed", "error", "failed"]) == 1


def test_one_map_for_every_command_s_outcomes() -> None:
    """Doctor findings and Slack probes go through the same map as run statuses."""
    assert exit_code_for(["ok", "warn", "unreachable", "fail"]) == ExitCode.USAGE
    assert exit_code_for(["ok", "unreachable"]) == ExitCode.INCOMPLETE
    assert exit_code_for(["ok", "warn"]) == ExitCode.OK
    with pytest.raises(KeyError):
        exit_code_for(["fine"])  # a word outside the map is a bug, not a silent 0


def test_problems_are_most_severe_first() -> None:
    run = RunResult(
        "m", W, [_check(s) for s in ("passed", "warning", "error", "failed", "skipped")]
    )
    assert [c.status for c in run.problems()] == ["failed", "error", "warning", "skipped"]


def test_first_failed_week_follows_the_unbroken_run() -> None:
    prev = date(2026, 11, 9)
    assert first_failed_week("passed", W, None) is None
    assert first_failed_week("failed", W, None) == W
    assert first_failed_week("failed", W, PastCheck(prev, "failed", date(2026, 10, 26))) == date(
        2026, 10, 26
    )
    assert first_failed_week("failed", W, PastCheck(prev, "passed", None)) == W
    gap = PastCheck(date(2026, 11, 2), "failed", date(2026, 10, 26))  # a week never ran between
    assert first_failed_week("failed", W, gap) == W
