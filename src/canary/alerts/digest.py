"""The channel-neutral body of a run's alert: incidents first, checks as their evidence.

Built once from a run and its incidents with everything shown to people masked; each
channel renders it when it sends (Slack Block Kit, a Prefect notification block, markdown).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canary.alerts.model import Alert, Link, alert_from_check, alert_from_json
from canary.alerts.privacy import masked_reason, masked_rows, masked_value
from canary.config import SlackMasking
from canary.incidents.model import Incident
from canary.jsonable import json_ready
from canary.masking import mask_text
from canary.results import CheckResult, RunResult

EVIDENCE = 5  # checks shown per incident; the rest are counted


@dataclass
class IncidentView:
    """One incident as people see it: headline, cause, scope, and a few checks as evidence."""

    id: str
    cause: str | None
    confidence: float
    headline: str
    scope: str
    since: date
    checks: int
    status: str
    severity: str
    evidence: list[Alert] = field(default_factory=list)
    sample_rows: list[dict[str, Any]] = field(default_factory=list)
    chart_check: str | None = None  # the headline check, whose chart goes in the thread


@dataclass
class Digest:
    """What one run says, whatever the channel."""

    monitor: str
    week: date
    status: str
    counts: dict[str, int]
    incidents: list[IncidentView]
    more: Link | None = None
    drill: bool = False

    def to_json(self) -> str:
        """The body as stored in the outbox, rendered per channel when it is sent."""
        return json.dumps(json_ready(dataclasses.asdict(self)), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Digest:
        raw = json.loads(text)
        raw["week"] = date.fromisoformat(raw["week"])
        raw["more"] = Link(**raw["more"]) if raw.get("more") else None
        raw["incidents"] = [_view_from(v) for v in raw["incidents"]]
        return cls(**raw)


def _view_from(raw: dict[str, Any]) -> IncidentView:
    raw["since"] = date.fromisoformat(raw["since"])
    raw["evidence"] = [alert_from_json(a) for a in raw["evidence"]]
    return IncidentView(**raw)


def _evidence_order(checks: list[CheckResult], lead: CheckResult | None) -> list[CheckResult]:
    """The headline check, then one check of each kind (dataset and check), then the rest."""
    first = [lead] if lead is not None else []
    seen = {(c.dataset, c.check) for c in first}
    varied = []
    for c in checks:
        if c is not lead and (c.dataset, c.check) not in seen:
            seen.add((c.dataset, c.check))
            varied.append(c)
    chosen = {id(c) for c in first + varied}
    return first + varied + [c for c in checks if id(c) not in chosen]


def _view(
    incident: Incident, run: RunResult, others: list[RunResult], masking: SlackMasking
) -> IncidentView:
    by_id = {c.id: c for r in [run, *others] for c in r.checks}
    mine = [by_id[i] for i in incident.check_ids if i in by_id]
    ordered = _evidence_order(mine, by_id.get(incident.headline_check or ""))
    lead = ordered[0] if ordered else None
    evidence = []
    for check in ordered[:EVIDENCE]:
        alert = alert_from_check(check, run.week)
        alert.reason = masked_reason(alert.reason, alert.column, masking)
        alert.observed = masked_value(alert.observed)
        alert.extras = masked_value(alert.extras)
        alert.sample_rows = []
        evidence.append(alert)
    rows = next((c.sample_rows for c in ordered if c.sample_rows), [])
    return IncidentView(
        id=incident.id,
        cause=incident.cause,
        confidence=incident.confidence,
        headline=mask_text(incident.headline),
        scope=mask_text(incident.scope),
        since=incident.first_failed_week,
        checks=len(mine),
        status=incident.status,
        severity=incident.severity,
        evidence=evidence,
        sample_rows=masked_rows(rows, masking),
        chart_check=lead.id if lead is not None else None,
    )


def digest(
    run: RunResult,
    incidents: list[Incident],
    masking: SlackMasking,
    more: Link | None = None,
    others: list[RunResult] | None = None,
    drill: bool = False,
) -> Digest:
    """The body of ``run``'s alert: the incidents touching its monitor, most severe first.

    ``others`` are the runs of other monitors the same week: an incident they share shows
    all of its checks as evidence.
    """
    mine = [i for i in incidents if run.monitor in i.monitors and i.week == run.week]
    rest = [r for r in others or [] if r is not run and r.week == run.week]
    return Digest(
        run.monitor,
        run.week,
        run.status,
        run.counts(),
        [_view(i, run, rest, masking) for i in mine],
        more,
        drill,
    )
