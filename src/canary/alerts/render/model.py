"""The alert model of one check, independent of Slack: an incident's evidence.

Messages tell incidents (``canary.alerts.render.digest``); each shows a few of its checks as
``Alert``s. Everything here is plain data that round-trips through JSON, so a posted
message can be re-rendered later (when one of its incidents recovers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from canary.jsonable import json_ready
from canary.results import CheckResult
from canary.statuses import STATUS_ORDER

Severity = Literal["critical", "warning", "info"]  # an alert's, most severe first
SEVERITY_RANK: dict[str, int] = {"critical": 0, "warning": 1, "info": 2}

AlertState = Literal["new", "reopened", "ongoing", "resolved"]
#: Extra result fields shown when a result carries them (history-aware checks add these).
EXTRA_FIELDS = ("training_weeks", "method", "change_pct", "expected_range", "attribution")
_EXPLAINED = {"training_weeks", "method", "change_pct"}


@dataclass(frozen=True)
class Link:
    label: str
    url: str | None  # None: ``label`` is a path or hint to show as code

    @property
    def web(self) -> bool:
        """An http(s) address anyone can open (not a path on the machine that ran canary)."""
        return is_web(self.url)


def is_web(url: str | None) -> bool:
    return url is not None and url.startswith(("https://", "http://"))


@dataclass
class Alert:
    """One check that failed, errored or warned (or has just recovered)."""

    key: str
    monitor: str
    dataset: str
    check: str
    status: str
    severity: str
    reason: str
    column: str | None = None
    segment: dict[str, str] | None = None
    observed: Any = None
    expected: dict[str, Any] | None = None
    training_weeks: int | None = None
    method: str | None = None
    change_pct: float | None = None
    first_failed_week: date | None = None
    weeks_failing: int = 1
    state: AlertState = "new"
    flapping: bool = False
    resolved_week: date | None = None
    sample_rows: list[dict[str, Any]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)

    @property
    def rank(self) -> tuple[int, int]:
        """Most severe first: failures before errors before warnings, critical first."""
        sev = SEVERITY_RANK.get(self.severity, 3)
        return (STATUS_ORDER.get(self.status, 9), sev)

    @property
    def order(self) -> tuple[int, int, str, str]:
        return (*self.rank, self.check, self.column or "")

    @property
    def derivation(self) -> str | None:
        """How the expected range was derived, when the check says so."""
        if self.training_weeks is None:
            return None
        how = f", {self.method}" if self.method else ""
        return f"from {self.training_weeks} training weeks{how}"


def alert_from_json(raw: dict[str, Any]) -> Alert:
    """An ``Alert`` from its JSON form (``json_ready(dataclasses.asdict(alert))``)."""
    for name in ("first_failed_week", "resolved_week"):
        if raw.get(name):
            raw[name] = date.fromisoformat(raw[name])
    raw["links"] = [Link(**link) for link in raw.get("links", [])]
    return Alert(**raw)


def alert_severity(check: CheckResult) -> str:
    """Run errors are critical: a canary that cannot see must not stay quiet."""
    return "critical" if check.status == "error" else check.severity


def extras_of(check: CheckResult) -> dict[str, Any]:
    """Optional fields a result may carry: a ``details`` dict and/or known attributes."""
    found: dict[str, Any] = dict(getattr(check, "details", None) or {})
    for name in EXTRA_FIELDS:
        value = getattr(check, name, None)
        if value is not None:
            found[name] = value
    return json_ready(found)


def alert_from_check(
    check: CheckResult,
    week: date,
    *,
    state: AlertState = "new",
    opened: date | None = None,
    flapping: bool = False,
    rows: list[dict[str, Any]] | None = None,
    link: str | None = None,
) -> Alert:
    """The alert for ``check`` in ``week``; ``rows`` are the sample rows fit to show."""
    extras = extras_of(check)
    since = check.first_failed_week or opened or week
    if opened is not None:
        since = min(since, opened)
    change = extras.get("change_pct")
    weeks = extras.get("training_weeks")
    return Alert(
        key=check.id,
        monitor=check.monitor,
        dataset=check.dataset,
        check=check.check,
        status=check.status,
        severity=alert_severity(check),
        reason=check.reason,
        column=check.column,
        segment=check.segment,
        observed=json_ready(check.observed),
        expected=json_ready(check.expected),
        training_weeks=int(weeks) if isinstance(weeks, int | float) else None,
        method=str(extras["method"]) if extras.get("method") else None,
        change_pct=float(change) if isinstance(change, int | float) else None,
        first_failed_week=since,
        weeks_failing=(week - since).days // 7 + 1,
        state=state,
        flapping=flapping,
        sample_rows=rows if rows is not None else [],
        extras={k: v for k, v in extras.items() if k not in _EXPLAINED},
        links=[Link(check.dataset, link)] if link else [],
    )
