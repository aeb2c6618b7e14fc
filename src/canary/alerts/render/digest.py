"""The channel-neutral body of a run's alert: incidents first, checks as their evidence.

Built once from a run and its incidents with everything shown to people masked; each
channel renders it when it sends (Slack Block Kit, a Prefect notification block, markdown).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from canary.alerts.lifecycle import Followed
from canary.alerts.policy import Masking
from canary.alerts.privacy import masked_reason, masked_rows, masked_value
from canary.alerts.render.model import (
    Alert,
    AlertState,
    Link,
    alert_from_check,
    alert_from_json,
    is_web,
)
from canary.incidents.model import Incident
from canary.jsonable import json_ready
from canary.masking import mask_text
from canary.results import CheckResult, RunResult

EVIDENCE = 5  # checks shown per incident; the rest are counted
#: Alert fingerprints of incidents start so, telling them from the per-check alert state
#: that earlier versions kept in the same table.
INCIDENT_PREFIX = "inc-"
#: A drill's incidents (``canary run --scenario --deliver``) are followed apart from real
#: ones: a drill never touches a real incident's alert, and a real run resolves a drill's.
DRILL_PREFIX = INCIDENT_PREFIX + "drill-"


def fingerprint(monitor: str, incident_id: str, drill: bool = False) -> str:
    """The key of an incident's alert in one monitor's lifecycle (an incident shared by two
    monitors is told, and followed, in each of their messages)."""
    raw = json.dumps([monitor, incident_id]).encode()
    return (DRILL_PREFIX if drill else INCIDENT_PREFIX) + hashlib.sha256(raw).hexdigest()[:28]


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
    key: str = ""  # the alert's fingerprint in its monitor's lifecycle
    check_ids: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    state: AlertState = "new"
    weeks_failing: int = 1
    flapping: bool = False
    resolved_week: date | None = None
    drill: bool = False  # injected by a drill, whatever run tells it
    class_: str = "unclear"  # pipeline, product or unclear
    class_evidence: str = ""  # why, in one sentence (empty in bodies stored before classes)


#: What an outbox entry of a run tells: the run's message, one incident's thread reply, a
#: reply about incidents still failing or resolved, or the incidents whose details are not
#: posted one by one (and those a message had no room for).
Part = Literal["run", "incident", "ongoing", "resolved", "more"]


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
    key: str = ""  # the outbox key of the message that tells it
    channel: str = ""
    muted: int = 0  # incidents left out because every check of theirs is muted
    mentions: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)  # besides ``more``: the Prefect run
    #: every incident of the run still failing, by state ("new", "still failing"...),
    #: whether this message lists it or an earlier thread follows it
    failing: dict[str, int] = field(default_factory=dict)

    @property
    def footer(self) -> list[Link]:
        """Every link the message ends with: the full results, then the others."""
        return [link for link in (self.more, *self.links) if link is not None]

    def remote(self) -> Digest:
        """What a channel read away from this machine may show (Slack, webhooks, Prefect
        notifications): its http(s) links only, never a path or a file:// address."""
        more = self.more if self.more is not None and self.more.web else None
        return dataclasses.replace(self, more=more, links=[k for k in self.links if k.web])

    def with_incidents(self, views: list[IncidentView]) -> Digest:
        """The same run, telling only ``views`` (a thread reply about some incidents)."""
        return dataclasses.replace(self, incidents=views, mentions=[], muted=0)

    def to_json(self) -> str:
        """The body as stored in the outbox, rendered per channel when it is sent."""
        return json.dumps(json_ready(dataclasses.asdict(self)), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Digest:
        raw = json.loads(text)
        raw["week"] = date.fromisoformat(raw["week"])
        raw["more"] = Link(**raw["more"]) if raw.get("more") else None
        raw["links"] = [Link(**link) for link in raw.get("links", [])]
        raw["incidents"] = [_view_from(v) for v in raw["incidents"]]
        return cls(**raw)


def _view_from(raw: dict[str, Any]) -> IncidentView:
    raw["since"] = date.fromisoformat(raw["since"])
    if raw.get("resolved_week"):
        raw["resolved_week"] = date.fromisoformat(raw["resolved_week"])
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
    incident: Incident,
    run: RunResult,
    others: list[RunResult],
    masking: Masking,
    drill: bool,
) -> IncidentView:
    by_id = {c.id: c for r in [run, *others] for c in r.checks}
    mine = [by_id[i] for i in incident.check_ids if i in by_id]
    ordered = _evidence_order(mine, by_id.get(incident.headline_check or ""))
    lead = ordered[0] if ordered else None
    links = {  # where people can open the data (not a path on the machine that ran it)
        d.name: d.link for r in [run, *others] for d in r.datasets if is_web(d.link)
    }
    evidence = []
    for check in ordered[:EVIDENCE]:
        alert = alert_from_check(check, run.week, link=links.get(check.dataset))
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
        weeks_failing=(run.week - incident.first_failed_week).days // 7 + 1,
        checks=len(mine),
        status=incident.status,
        severity=incident.severity,
        evidence=evidence,
        sample_rows=masked_rows(rows, masking),
        chart_check=lead.id if lead is not None else None,
        key=fingerprint(run.monitor, incident.id, drill),
        drill=drill,
        check_ids=[c.id for c in mine],
        datasets=sorted({c.dataset for c in mine}),
        class_=incident.class_,
        class_evidence=mask_text(incident.class_evidence),
    )


def digest(
    run: RunResult,
    incidents: list[Incident],
    masking: Masking,
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
        [_view(i, run, rest, masking, drill) for i in mine],
        more,
        drill,
    )


def followed(d: Digest) -> list[Followed]:
    """The incidents of ``d`` as its monitor's alert lifecycle follows them."""
    return [
        Followed(v.key, d.monitor, v.status, v.since, v.id, tuple(v.check_ids)) for v in d.incidents
    ]
