"""Typed results of a run: one ``CheckResult`` per check, one ``RunResult`` per monitor-week."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canary.dashboards import Tile
from canary.display import shown_reason, shown_segment
from canary.statuses import STATUS_ORDER, RunStatus, Status, run_status
from canary.weeks import WEEK

#: The checks of a dataset that could not be checked: its pull or its suite failed.
PULL_CHECK = "pull"
SUITE_CHECK = "suite"
UNCHECKED = frozenset({PULL_CHECK, SUITE_CHECK})


def fingerprint(
    monitor: str, dataset: str, check: str, column: str | None, segment: dict[str, str] | None
) -> str:
    """Stable id of a check: the same every run, whatever GE's own ids are."""
    key = json.dumps([monitor, dataset, check, column, segment or None], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass
class CheckResult:
    """One verdict. ``observed`` and ``expected`` are JSON-ready; ``reason`` is for people.

    Made, its reason and segment labels are fit to show (masked, long ones cut: see
    ``canary.display``), so every place that shows a check shows the same text.
    """

    monitor: str
    dataset: str
    check: str
    status: Status
    reason: str
    column: str | None = None
    segment: dict[str, str] | None = None  # as shown: labels masked like values
    observed: Any = None
    expected: dict[str, Any] | None = None
    severity: str = "critical"
    first_failed_week: date | None = None
    sample_rows: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # expected centre, training, attribution
    #: The labels as the metrics store them, when masking changed them: identity, never shown.
    raw_segment: dict[str, str] | None = field(default=None, repr=False)
    #: What the check judges and what its column is (``canary.checks.families``), as its
    #: suite or detector declares them; None: not declared (see ``families.NAMED``).
    family: str | None = None
    field_role: str | None = None

    def __post_init__(self) -> None:
        self.reason = shown_reason(self.reason)
        shown = shown_segment(self.segment)
        if shown != self.segment:
            self.raw_segment = self.raw_segment or self.segment
            self.segment = shown

    @property
    def series_segment(self) -> dict[str, str] | None:
        """The segment as the metrics key it (raw labels): for the id and history look-ups."""
        return self.segment if self.raw_segment is None else self.raw_segment

    @property
    def id(self) -> str:
        return fingerprint(self.monitor, self.dataset, self.check, self.column, self.series_segment)


@dataclass
class DatasetInfo:
    """What a run knows of a dataset besides its checks (for reports and alerts)."""

    name: str
    rows: int | None
    link: str | None = None


@dataclass
class RunResult:
    monitor: str
    week: date
    checks: list[CheckResult]
    datasets: list[DatasetInfo] = field(default_factory=list)
    scope: str | None = None  # the dashboard filter values it watches (None: every instance)
    drill: str | None = None  # the catalog scenario a drill injected (``--scenario``)
    #: The tiles its datasets came from, by dataset (config ``definitions:`` included), for
    #: the incident rules; empty: the bundled definitions.
    tiles: dict[str, Tile] = field(default_factory=dict, repr=False, compare=False)

    @property
    def status(self) -> RunStatus:
        return run_status(c.status for c in self.checks)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUS_ORDER, 0)
        for check in self.checks:
            out[check.status] += 1
        return out

    def problems(self) -> list[CheckResult]:
        """Checks that did not pass, most severe first, grouped by dataset."""
        bad = [c for c in self.checks if c.status != "passed"]
        return sorted(bad, key=lambda c: (STATUS_ORDER[c.status], c.dataset, c.check))


@dataclass(frozen=True)
class PastCheck:
    """The latest stored verdict of a check before the week under test."""

    week: date
    status: str
    first_failed_week: date | None


def first_failed_week(status: str, week: date, past: PastCheck | None) -> date | None:
    """First week of the current unbroken run of failures ending at ``week``."""
    if status != "failed":
        return None
    if (
        past is not None
        and past.status == "failed"
        and past.first_failed_week is not None
        and past.week == week - WEEK
    ):
        return past.first_failed_week
    return week
