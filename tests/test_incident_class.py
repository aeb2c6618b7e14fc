"""Product or pipeline: each incident's class and the one-sentence evidence for it."""

from __future__ import annotations

from datetime import date

import pytest

from canary.dashboards import catalog
from canary.incidents import Incident, find_incidents
from canary.incidents.causes import CATALOG
from canary.incidents.classify import WeekFacts, classify
from canary.incidents.evidence import evidence_of
from canary.results import CheckResult, RunResult
from tests.test_incidents import ALL, CANARY, W, _check, _object_null_run

DEPLOY_TYPES = ("docker-compose", "helm", "kubernetes")
S2 = {CANARY: "Sourcegraph (S2)"}


def _drop(
    deploy_types: tuple[str, ...] = DEPLOY_TYPES, observed: float = 4688.0
) -> list[CheckResult]:
    """Page views below their range overall and on ``deploy_types`` (the others normal)."""
    checks = [
        _check(
            "level",
            "failed",
            "total_insights_page_views",
            None,
            observed,
            {"min": 8000.0, "max": 14000.0},
            dataset="page_views",
        )
    ]
    for d in DEPLOY_TYPES:
        low = d in deploy_types
        checks.append(
            _check(
                "level",
                "failed" if low else "passed",
                "total_insights_page_views",
                {"deploy_type": d},
                1500.0 if low else 3500.0,
                {"min": 3000.0, "max": 5000.0},
                dataset="usage_by_deploy_type",
            )
        )
    return checks


def _reporting(status: str = "passed") -> CheckResult:
    return _check(
        "instances reporting",
        status,
        "instances_reporting",
        None,
        1200.0 if status == "passed" else 700.0,
        {"min": 1000.0, "max": 1400.0},
        dataset="instances_reporting",
    )


def _canary(status: str = "passed") -> RunResult:
    check = _check(
        "level",
        status,
        "weekly_insights_page_views",
        None,
        40.0 if status == "passed" else 2.0,
        {"min": 20.0, "max": 60.0},
        monitor=CANARY,
    )
    return RunResult(CANARY, W, [check], scope="Sourcegraph (S2)")


def _week(*runs: RunResult) -> list[Incident]:
    scopes = {r.monitor: r.scope for r in runs if r.scope}
    return find_incidents(list(runs), catalog().tiles, scopes)


def _of(incidents: list[Incident], column: str) -> Incident:
    [found] = [i for i in incidents if i.observed is not None and column in i.headline]
    return found


def test_a_usage_change_everywhere_with_the_pipeline_healthy_is_product() -> None:
    incidents = _week(RunResult(ALL, W, [*_drop(), _reporting()]), _canary())
    [incident] = incidents
    assert incident.cause is None and incident.scope == "every deploy_type"
    assert incident.class_ == "product"
    assert incident.class_evidence == (
        "values merely lower across every segment, instances reporting stable and the "
        "canary instance (code-insights-canary) normal."
    )


def test_the_canary_instance_broken_the_same_week_makes_it_pipeline() -> None:
    incidents = _week(RunResult(ALL, W, [*_drop(), _reporting()]), _canary("failed"))
    drop = _of(incidents, "total_insights_page_views")
    assert drop.class_ == "pipeline"
    assert "canary instance's monitor (code-insights-canary) failed the same week" in (
        drop.class_evidence
    )


def test_instances_reporting_out_of_range_makes_it_pipeline() -> None:
    run = RunResult(ALL, W, [*_drop(), _reporting("failed")])
    incidents = _week(run, _canary())
    assert {i.class_ for i in incidents} == {"pipeline"}


def test_zero_where_there_was_usage_is_pipeline_not_merely_lower() -> None:
    incidents = _week(RunResult(ALL, W, [*_drop(observed=0.0), _reporting()]), _canary())
    zero = _of(incidents, "total_insights_page_views")
    assert zero.class_ == "pipeline"
    assert zero.class_evidence == (
        "total_insights_page_views is null or zero (level), not merely lower."
    )


def test_a_broken_invariant_is_pipeline() -> None:
    broken = _check(
        "first-time <= creators",
        "failed",
        "total_insight_creators,total_first_time_insight_creators",
        dataset="creators",
    )
    [incident] = _week(RunResult(ALL, W, [broken, _reporting()]), _canary())
    assert incident.cause is None and incident.class_ == "pipeline"
    assert incident.class_evidence == "the invariant first-time <= creators is broken on creators."


def test_a_catalog_cause_is_pipeline_and_names_the_canary_when_it_broke_too() -> None:
    [alone] = _week(_object_null_run())
    assert (alone.cause, alone.class_) == ("object-null", "pipeline")
    assert alone.class_evidence == ("object-null is a breakage of the data, not a change in usage.")
    both = _week(_object_null_run(), _canary("failed"))
    assert both[0].class_ == "pipeline" and "code-insights-canary" in both[0].class_evidence


@pytest.mark.parametrize("slug", sorted(CATALOG))
def test_every_catalog_cause_is_a_pipeline_breakage(slug: str) -> None:
    """Whatever the rest of the week shows, a breakage the catalog names is the pipeline."""
    claimed = evidence_of(ALL, _drop(), catalog().tiles)
    healthy = WeekFacts(canary=CANARY, instances="stable")
    assert classify(slug, claimed, "every deploy_type", healthy) == (
        "pipeline",
        f"{slug} is a breakage of the data, not a change in usage.",
    )


def test_a_change_confined_to_some_segments_is_unclear() -> None:
    run = RunResult(ALL, W, [*_drop(deploy_types=("kubernetes",)), _reporting()])
    [incident] = _week(run, _canary())
    assert incident.scope == "deploy_type kubernetes only"
    assert incident.class_ == "unclear"
    assert incident.class_evidence.startswith(
        "values lower on deploy_type kubernetes only, not every segment alike"
    )


def test_missing_evidence_is_unclear_and_says_what_is_missing() -> None:
    [no_canary] = _week(RunResult(ALL, W, [*_drop(), _reporting()]))
    assert no_canary.class_ == "unclear"
    assert "the canary instance's monitor did not run" in no_canary.class_evidence
    [no_count] = _week(RunResult(ALL, W, _drop()), _canary())
    assert no_count.class_ == "unclear"
    assert no_count.class_evidence.endswith("but instances reporting were not judged.")


def test_a_dataset_that_could_not_be_checked_is_unclear() -> None:
    error = CheckResult(ALL, "page_views", "pull", "error", "page_views: the pull failed.")
    [incident] = _week(RunResult(ALL, W, [error]), _canary())
    assert incident.status == "error" and incident.class_ == "unclear"


def test_the_class_is_in_every_json_incident() -> None:
    from canary.report.json_result import document, validate

    doc = document([RunResult(ALL, W, [*_drop(), _reporting()]), _canary()])
    validate(doc)
    assert [(i["class"], i["class_evidence"][:15]) for i in doc["incidents"]] == [
        ("product", "values merely l")
    ]
    assert date.fromisoformat(doc["incidents"][0]["week"]) == W


def test_the_console_and_the_summary_artifact_show_the_class_and_its_evidence() -> None:
    from rich.console import Console

    from canary.incidents.render import incidents_markdown
    from canary.report.console import print_report

    runs = [RunResult(ALL, W, [*_drop(), _reporting()]), _canary()]
    console = Console(record=True, width=250)
    print_report(console, runs)
    text = console.export_text()
    assert "│ unexplained │            │ product │ 2026-11-16 │" in text
    assert "product: values merely lower across every segment" in text
    markdown = incidents_markdown(_week(*runs))
    assert markdown.splitlines()[2].startswith("1. **unexplained**, product, since 2026-11-16")
    assert markdown.splitlines()[3] == (
        "   *product:* values merely lower across every segment, instances reporting stable "
        "and the canary instance (code-insights-canary) normal."
    )


def test_the_prefect_summary_classes_incidents_with_the_weeks_other_monitors() -> None:
    """The summary of one monitor's run reads the canary instance's run of the same week,
    as Slack does: alone, the same drop would lack the canary's verdict."""
    from canary.report.artifacts import summary_markdown

    run = RunResult(ALL, W, [*_drop(), _reporting()])
    assert "*product:* values merely lower" in summary_markdown(run, others=[_canary()])
    assert "*unclear:* values merely lower" in summary_markdown(run)
    assert "*pipeline:*" in summary_markdown(run, others=[_canary("failed")])


def _usage_change(
    observed: float = 4688.0,
    told: str = "-57% from last week (10,951)",
    segment: dict[str, str] | None = None,
) -> CheckResult:
    check = _check(
        "usage change",
        "failed",
        "weekly_insights_page_views",
        segment,
        observed,
        {"min": 7665.0, "max": 14236.0},
    )
    check.reason = (
        f"instance_usage, week {W}: page views {observed:,.0f}, {told}, on every version and "
        "deploy type alike; instances reporting stable (1,200)."
    )
    return check


@pytest.mark.parametrize(
    ("observed", "told", "segment", "slug"),
    [
        (4688.0, "-57% from last week (10,951)", None, "usage-drop"),
        (5210.0, "-45% over 6 weeks (from 9,480)", None, "usage-decline"),
        (19000.0, "+73% from last week (10,951)", None, "adoption-surge"),
        (400.0, "-75% per instance", {"version_minor": "5.29"}, "release-regression"),
    ],
)
def test_a_usage_change_is_one_product_incident_named_for_its_kind(
    observed: float, told: str, segment: dict[str, str] | None, slug: str
) -> None:
    change = _usage_change(observed, told, segment)
    levels = _drop() if observed < 10951 and segment is None else []
    [incident] = _week(RunResult(ALL, W, [change, *levels, _reporting()]), _canary())
    assert (incident.cause, incident.class_) == (slug, "product")
    assert set(incident.check_ids) == {change.id} | {c.id for c in levels if c.status == "failed"}
    assert incident.class_evidence == (
        f"{slug} is a change in usage, not in the data: every counter moved alike, instances "
        "reporting stable and the canary instance (code-insights-canary) normal."
    )
    if segment:
        assert incident.scope == "version_minor 5.29 only"


def test_a_canary_instance_that_moved_like_everyone_keeps_a_usage_drop_a_product_change() -> None:
    moved = _canary("failed")
    moved.checks[0].observed = 17.0  # -57% against its usual 40, like every instance
    moved.checks[0].details = {"expected_centre": 40.0}
    runs = [RunResult(ALL, W, [_usage_change(), *_drop(), _reporting()]), moved]
    [incident] = _week(*runs)
    assert (incident.cause, incident.class_) == ("usage-drop", "product")
    assert incident.class_evidence.endswith(
        "the canary instance (code-insights-canary) moved like every other instance."
    )
    # the same drop with the canary's values far lower than everyone's, or null: pipeline
    far = _canary("failed")  # 2 against 20..60: -95% where everyone is -57%
    assert _week(RunResult(ALL, W, [_usage_change(), _reporting()]), far)[0].class_ == "pipeline"
    null = RunResult(
        CANARY,
        W,
        [_check("usage reported", "failed", "weekly_insights_page_views", monitor=CANARY)],
        scope="Sourcegraph (S2)",
    )
    found = _week(RunResult(ALL, W, [_usage_change(), _reporting()]), null)
    assert {i.class_ for i in found} == {"pipeline"}


def test_a_usage_change_with_instances_reporting_out_of_range_is_pipeline() -> None:
    run = RunResult(ALL, W, [_usage_change(), _reporting("failed")])
    incidents = _week(run, _canary())
    change = next(i for i in incidents if i.cause == "usage-drop")
    assert change.class_ == "pipeline"


def _dead(usual: float, null: bool = False) -> RunResult:
    """The canary instance's ``weekly_data_export_clicks`` at zero (or null) from ``usual``."""
    details: dict[str, object] = {"expected_centre": usual, "null": null}
    dead = _check(
        "dead metric",
        "failed",
        "weekly_data_export_clicks",
        None,
        0.0,
        {"min": 0.5, "max": None},
        monitor=CANARY,
    )
    dead.details = details
    return RunResult(CANARY, W, [dead], scope="Sourcegraph (S2)")


def test_a_small_canary_counter_rounded_down_to_zero_by_a_drop_keeps_it_a_product_change() -> None:
    change = _usage_change()  # 4,688 against a usual of 10,951: -57%
    change.details = {"expected_centre": 10951.0}
    runs = [RunResult(ALL, W, [change, _reporting()])]
    small = _week(*runs, _dead(usual=5.0))  # 43% of 5 is 2: zero is a likely count
    assert next(i for i in small if i.cause == "usage-drop").class_ == "product"
    stored = _dead(usual=5.0)  # stored before dead metrics said null or zero: as null
    del stored.checks[0].details["null"]
    for canary in (_dead(usual=40.0), _dead(usual=5.0, null=True), stored):
        found = _week(*runs, canary)
        assert next(i for i in found if i.cause == "usage-drop").class_ == "pipeline"
