"""The report's channel-neutral body: plain data that round-trips through JSON, stored in
the outbox and rendered (Slack Block Kit, markdown, plain text) when it is sent."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from canary.alerts.render.model import Link
from canary.jsonable import json_ready

Standing = Literal["within", "below", "above", "unknown"]


@dataclass(frozen=True)
class Headline:
    """One headline number of the dashboard's tiles this week.

    Changes are fractions (``-0.25`` is 25% lower), None where history lacks the week;
    ``low``..``high``: the expected range of this week's check, when one ran."""

    dataset: str
    column: str
    label: str
    value: float
    week_before: float | None = None
    median_4w: float | None = None
    year_ago: float | None = None
    low: float | None = None
    high: float | None = None
    standing: Standing = "unknown"

    def change(self, base: float | None) -> float | None:
        """``value`` against ``base`` as a fraction (None without a base or from zero)."""
        if base is None or base == 0:
            return None
        return self.value / base - 1


@dataclass(frozen=True)
class Mover:
    """A segment (``field`` = ``label``, e.g. version 5.2) among the week's biggest movers:
    its change from last week and its share of the whole change of ``metric``."""

    metric: str
    field: str
    label: str
    value: float
    before: float
    share: float  # of the total change, -1..1 and beyond when segments move apart


@dataclass(frozen=True)
class Told:
    """An incident as the report lists it: one line, its class, its thread when posted."""

    title: str
    cls: Literal["pipeline", "product", "unclear"]
    evidence: str
    link: Link | None = None


@dataclass(frozen=True)
class ChartSeries:
    """One small multiple of the report's chart: a metric's last weeks, with the expected
    band where the week's check gave one (None elsewhere); the last week is this week."""

    label: str
    weeks: list[date]
    values: list[float | None]
    low: list[float | None]
    high: list[float | None]


@dataclass
class Health:
    """Whether the pipeline behind the numbers is healthy this week."""

    passed: int
    total: int
    incidents: list[Told] = field(default_factory=list)
    canary: str | None = None  # "pipeline healthy: Sourcegraph (S2) reported normally"


@dataclass
class ReportBody:
    """One monitor's weekly report. ``lede`` is its first line: the usage changes found
    (a product incident, a failed usage-change check) or that the week is as expected."""

    monitor: str
    week: date
    title: str
    lede: str
    headlines: list[Headline] = field(default_factory=list)
    movers: list[Mover] = field(default_factory=list)
    calendar: list[str] = field(default_factory=list)  # "year-end week: a dip is expected"
    health: Health | None = None
    links: list[Link] = field(default_factory=list)  # http(s) only: Looker, Prefect, Data Docs
    series: list[ChartSeries] = field(default_factory=list)  # the chart (none: no chart)
    drill: str | None = None

    def to_json(self) -> str:
        return json.dumps(json_ready(dataclasses.asdict(self)), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ReportBody:
        raw: dict[str, Any] = json.loads(text)
        raw["week"] = date.fromisoformat(raw["week"])
        raw["headlines"] = [Headline(**h) for h in raw.get("headlines", [])]
        raw["movers"] = [Mover(**m) for m in raw.get("movers", [])]
        raw["links"] = [Link(**link) for link in raw.get("links", [])]
        raw["series"] = [_series(s) for s in raw.get("series", [])]
        if raw.get("health"):
            h = raw["health"]
            h["incidents"] = [_told(t) for t in h.get("incidents", [])]
            raw["health"] = Health(**h)
        return cls(**raw)


def _told(raw: dict[str, Any]) -> Told:
    link = raw.get("link")
    return Told(raw["title"], raw["cls"], raw["evidence"], Link(**link) if link else None)


def _series(raw: dict[str, Any]) -> ChartSeries:
    raw["weeks"] = [date.fromisoformat(w) for w in raw["weeks"]]
    return ChartSeries(**raw)
