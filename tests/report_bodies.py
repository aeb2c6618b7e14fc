"""Weekly report bodies built by hand: a healthy week, a usage drop explained by a product
change, a broken pipeline, a week without last year's numbers, a drill, long labels."""

from __future__ import annotations

import math
from datetime import date, timedelta

from canary.alerts.render.model import Link
from canary.weekly.body import ChartSeries, Headline, Health, Mover, ReportBody, Told

WEEK = date(2026, 11, 9)
MONITOR = "code-insights-all-instances"
LINKS = [
    Link("Looker dashboard", "https://looker.example.com/dashboards/12"),
    Link("Prefect run", "https://prefect.example.com/runs/flow-run/3f2a"),
    Link("full results", None),
    Link("results file", "/home/worker/.canary/results/2026-11-09.json"),
]


def series(
    label: str, level: float, weeks: int = 16, last: float | None = None, missing: bool = False
) -> ChartSeries:
    """``weeks`` weeks of a metric around ``level`` ending in ``WEEK`` (``last``: this
    week's value instead; ``missing``: none this week), the band known for the last eight."""
    days = [WEEK - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    values: list[float | None] = [
        round(level * (1 + 0.08 * math.sin(i * 1.3))) for i in range(weeks)
    ]
    if last is not None or missing:
        values[-1] = last
    low: list[float | None] = [None] * (weeks - 8) + [round(level * 0.7)] * 8
    high: list[float | None] = [None] * (weeks - 8) + [round(level * 1.3)] * 8
    return ChartSeries(label, days, values, low, high)


def headline(
    label: str, value: float, level: float, standing: str = "within", **kw: float | None
) -> Headline:
    args: dict[str, float | None] = {
        "week_before": level * 1.02,
        "median_4w": level,
        "year_ago": level * 0.8,
        "low": level * 0.7123,
        "high": level * 1.2871,
    }
    args.update(kw)
    return Headline(
        "usage", label.lower().replace(" ", "_"), label, value, standing=standing, **args
    )  # type: ignore[arg-type]


def healthy() -> ReportBody:
    return ReportBody(
        monitor=MONITOR,
        week=WEEK,
        title="Code Insights usage",
        lede="A normal week: every number within its expected range.",
        headlines=[
            headline("Instances reporting", 1143, 1130),
            headline("Page views", 18234.0, 18000),
            headline("Insight creators", 212, 205),
        ],
        health=Health(
            passed=42,
            total=42,
            canary="pipeline healthy: Sourcegraph (S2) reported normally",
        ),
        links=list(LINKS),
        series=[
            series("Instances reporting", 1130),
            series("Page views", 18000),
            series("Insight creators", 205),
        ],
    )


def usage_drop() -> ReportBody:
    return ReportBody(
        monitor=MONITOR,
        week=WEEK,
        title="Code Insights usage",
        lede="Page views fell 57% after release 5.2 moved the insights page.",
        headlines=[
            headline("Instances reporting", 1143, 1130),
            headline("Page views", 7712.0, 18000, "below", week_before=17990.0),
            headline("Insight creators", 0.299914 * 700, 205),
        ],
        movers=[
            Mover("Page views", "version", "5.2", 766, 2000, 0.62),
            Mover("Page views", "version", "5.1", 4100, 3900, -0.05),
            Mover("Page views", "deploy type", "helm", 3100, 3300, 0.2),
        ],
        calendar=["Veterans Day week: a small dip is expected"],
        health=Health(
            passed=41,
            total=42,
            incidents=[
                Told(
                    "Page views down on version 5.2",
                    "product",
                    "the canary instance's page views fell too",
                    Link("thread", "https://acme.slack.com/archives/C0123/p1731142800"),
                )
            ],
            canary="pipeline healthy: Sourcegraph (S2) reported normally",
        ),
        links=list(LINKS),
        series=[
            series("Instances reporting", 1130),
            series("Page views", 18000, last=7712),
            series("Insight creators", 205),
            series("Page views on 5.2", 2000, last=766),
        ],
    )


def pipeline_broken() -> ReportBody:
    return ReportBody(
        monitor=MONITOR,
        week=WEEK,
        title="Code Insights usage",
        lede="Usage numbers are incomplete: the usage object is null for every instance.",
        headlines=[
            headline("Instances reporting", 1143, 1130),
            headline("Page views", 0, 18000, "below"),
            headline("Insight creators", 0, 205, "below"),
        ],
        health=Health(
            passed=30,
            total=42,
            incidents=[
                Told(
                    "code_insights_usage is null for every instance",
                    "pipeline",
                    "the canary instance went quiet as well",
                    Link("thread", "/home/worker/.canary/outbox/incident.md"),
                ),
                Told("Insight creators below range", "unclear", ""),
            ],
            canary="pipeline broken: Sourcegraph (S2) sent no usage",
        ),
        links=list(LINKS),
        series=[
            series("Instances reporting", 1130),
            series("Page views", 18000, last=0),
            series("Insight creators", 205, missing=True),
        ],
    )


def no_year_ago() -> ReportBody:
    body = healthy()
    body.headlines = [
        headline("Instances reporting", 1143, 1130, year_ago=None),
        headline(
            "Page views", 18234.0, 18000, year_ago=None, low=None, high=None, standing="unknown"
        ),
    ]
    return body


def drill() -> ReportBody:
    body = pipeline_broken()
    body.drill = "object-null"
    return body


def long_labels() -> ReportBody:
    """Labels and notes far past what Slack allows, and many numbers and movers."""
    body = usage_drop()
    body.title = "Code Insights usage " + "and more " * 30
    body.lede = "Page views fell. " * 400
    body.headlines = [headline(f"Tile {i} " + "x" * 300, 1000 + i, 1000) for i in range(25)]
    body.movers = [
        Mover("Page views " * 20, "version", f"5.{i} " + "y" * 200, 10, 20, 0.01) for i in range(60)
    ]
    body.calendar = ["a long calendar note " * 200]
    body.health = Health(1, 2, [Told("t " * 800, "pipeline", "e " * 800)] * 40)
    body.series = [series(f"Series {i} " + "z" * 120, 100 * (i + 1)) for i in range(9)]
    return body


BODIES = {
    "healthy": healthy,
    "usage-drop": usage_drop,
    "pipeline-broken": pipeline_broken,
    "no-year-ago": no_year_ago,
    "drill": drill,
    "long-labels": long_labels,
}
