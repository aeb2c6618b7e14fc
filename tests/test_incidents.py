"""Incidents: failed checks sharing a cause become one incident with a catalog cause."""

from __future__ import annotations

from datetime import date

import pytest
from rich.console import Console

from canary.checks.validate import GreatExpectations
from canary.config import Config
from canary.dashboards import catalog
from canary.incidents import find_incidents, incidents_of
from canary.incidents.render import incidents_markdown
from canary.pipeline import RunOptions, plan
from canary.replay import backtest
from canary.report.console import print_report
from canary.report.json_result import document, validate
from canary.results import CheckResult, RunResult
from canary.store.db import Store
from canary.weeks import WEEK
from tests.conftest import LATEST_WEEK, NOW

ALL = "code-insights-all-instances"
CANARY = "code-insights-canary"
W = date(2026, 11, 16)
COUNTERS = (
    "weekly_insights_page_views",
    "weekly_insight_creators",
    "weekly_insight_configure_click",
    "total_dashboard_count",
)
VERSIONS = ("5.26", "5.27", "5.28")


def _check(
    check: str,
    status: str,
    column: str | None = None,
    segment: dict[str, str] | None = None,
    observed: float | None = None,
    expected: dict[str, float] | None = None,
    dataset: str = "instance_usage",
    monitor: str = ALL,
    since: date | None = W,
) -> CheckResult:
    where = f"{dataset}, week {W}: {check} on {column} {segment or ''}."
    return CheckResult(
        monitor,
        dataset,
        check,
        status,  # type: ignore[arg-type]
        where,
        column,
        segment,
        observed,
        expected,
        first_failed_week=since if status == "failed" else None,
    )


def _null_rate(column: str, segment: dict[str, str] | None, rate: float) -> CheckResult:
    failed = rate > 0.2
    return _check(
        "null rate", "failed" if failed else "passed", column, segment, rate, {"max": 0.2}
    )


def _object_null_run(rate: float = 1.0) -> RunResult:
    checks = [_null_rate(c, None, 1.0 if i else rate) for i, c in enumerate(COUNTERS)]
    checks += [_null_rate(c, {"version_minor": v}, 1.0) for c in COUNTERS for v in VERSIONS]
    checks.append(
        _check(
            "level",
            "failed",
            "total_insights_page_views",
            None,
            0.0,
            {"min": 4000.0, "max": 9000.0},
            dataset="page_views",
        )
    )
    return RunResult(ALL, W, checks)


@pytest.mark.parametrize(
    ("rate", "where"),
    [(0.97, "on at least 97% of instances"), (0.9997, "on nearly every instance")],
)
def test_the_headline_says_how_many_instances_the_counters_are_null_on(
    rate: float, where: str
) -> None:
    [incident] = find_incidents([_object_null_run(rate)], catalog().tiles)
    assert incident.cause == "object-null"
    assert incident.headline.startswith(f"4 counters null {where}:")


def test_a_broken_object_is_one_incident_with_its_cause_scope_and_evidence() -> None:
    run = _object_null_run()
    incidents = find_incidents([run], catalog().tiles)
    assert len(incidents) == 1
    incident = incidents[0]
    assert incident.cause == "object-null"
    assert 0 < incident.confidence <= 1
    assert sorted(incident.check_ids) == sorted(c.id for c in run.checks if c.status == "failed")
    assert incident.first_failed_week == W
    assert incident.scope == "every version_minor"
    assert incident.headline.startswith("4 counters null on every instance")
    assert "since 2026-11-16" in incident.headline and "(object-null)" in incident.headline
    assert incident.observed == 1.0 and incident.expected == {"max": 0.2}


def test_a_segment_confined_drop_names_its_version_and_its_cause() -> None:
    checks = [_null_rate("weekly_insights_page_views", None, 0.12)]
    checks += [
        _null_rate("weekly_insights_page_views", {"version_minor": v}, 1.0 if v == "5.28" else 0.05)
        for v in VERSIONS
    ]
    incidents = find_incidents([RunResult(ALL, W, checks)], catalog().tiles)
    assert [(i.cause, i.scope) for i in incidents] == [
        ("version-field-drop", "version_minor 5.28 only")
    ]


def test_unexplained_failures_stay_incidents_of_their_own() -> None:
    run = _object_null_run()
    odd = _check(
        "level",
        "failed",
        "total_insight_creators",
        None,
        900.0,
        {"min": 100.0, "max": 400.0},
        dataset="creators",
    )
    other_onset = _check("one ping per instance", "failed", dataset="instances_reporting")
    earlier = _check(
        "level",
        "failed",
        "instances_reporting",
        None,
        10.0,
        {"min": 800.0, "max": 1200.0},
        dataset="instances_reporting",
        since=W - WEEK * 2,
    )
    run.checks += [odd]
    incidents = find_incidents([run], catalog().tiles)
    assert [i.cause for i in incidents] == ["object-null", None]
    assert incidents[1].check_ids == [odd.id] and "creators (level): " in incidents[1].headline
    # a cause's own checks in another onset week are not merged into this week's incident
    later = RunResult(ALL, W, [*_object_null_run().checks, other_onset, earlier])
    found = find_incidents([later], catalog().tiles)
    assert {i.first_failed_week for i in found} == {W, W - WEEK * 2}
    assert next(i for i in found if i.first_failed_week == W - WEEK * 2).check_ids == [earlier.id]


def test_monitors_of_one_week_share_an_incident_and_a_watched_instance_is_its_scope() -> None:
    quiet = RunResult(
        CANARY,
        W,
        [
            _check("latest week present", "failed", None, None, 0.0, {"min": 1.0}, monitor=CANARY),
            _check("canary reporting", "failed", None, None, 0.0, {"min": 1.0}, monitor=CANARY),
        ],
        scope="Sourcegraph (S2)",
    )
    present = RunResult(ALL, W, [_check("canary present", "failed", "instance_label")])
    incidents = find_incidents([quiet, present], catalog().tiles)
    assert [(i.cause, i.scope, i.monitors) for i in incidents] == [
        ("canary-silent", "Sourcegraph (S2) only", [ALL, CANARY])
    ]


def test_json_carries_incidents_most_severe_first_and_validates() -> None:
    run = _object_null_run()
    run.checks.append(
        _check(
            "level",
            "failed",
            "total_insight_creators",
            None,
            900.0,
            {"max": 400.0},
            dataset="creators",
        )
    )
    doc = document([run])
    validate(doc)
    assert [i["cause"] for i in doc["incidents"]] == ["object-null", None]
    first = doc["incidents"][0]
    assert set(first) >= {
        "id",
        "cause",
        "confidence",
        "headline",
        "scope",
        "check_ids",
        "first_failed_week",
    }
    assert first["first_failed_week"] == "2026-11-16"
    assert document([run])["incidents"][0]["id"] == first["id"]  # stable across runs
    clean = RunResult(ALL, W, [_check("level", "passed", "x")])
    assert document([clean])["incidents"] == []


def test_console_shows_incidents_before_the_checks() -> None:
    console = Console(record=True, width=200)
    print_report(console, [_object_null_run()])
    text = console.export_text()
    assert text.index("incidents") < text.index("canary run") < text.index("checks that did")
    assert "object-null" in text


@pytest.mark.integration
@pytest.mark.parametrize(
    "slug", ["object-null", "version-field-drop", "canary-silent", "double-count", "ingestion-loss"]
)
def test_a_scenario_week_gives_one_incident_with_the_scenario_as_its_cause_classed_pipeline(
    slug: str, config: Config, ge: GreatExpectations
) -> None:
    week = LATEST_WEEK - WEEK * 3
    store = Store(f"sqlite:///{config.data_dir / 'replay.db'}", home=config.data_dir)
    runs: list[RunResult] = []
    for monitor in config.monitors:
        options = RunOptions(week=week, now=NOW, scenario=slug)
        runs += backtest(plan(config, monitor, options, config.data_dir), week, store, ge)
    store.close()
    incidents = incidents_of(runs)
    assert [(i.cause, i.class_) for i in incidents] == [(slug, "pipeline")]
    failed = {c.id for r in runs for c in r.checks if c.status == "failed"}
    assert set(incidents[0].check_ids) == failed
    validate(document(runs))


@pytest.mark.integration
@pytest.mark.parametrize(
    "slug", ["usage-drop", "adoption-surge", "usage-decline", "release-regression"]
)
def test_a_product_change_gives_one_incident_with_its_slug_as_its_cause_classed_product(
    slug: str, config: Config, ge: GreatExpectations
) -> None:
    """The canary instance is a real instance: its numbers move too, and that does not
    make a product change a pipeline one."""
    week = LATEST_WEEK - WEEK * 3  # a release rolled out to a fifth of the instances
    store = Store(f"sqlite:///{config.data_dir / 'replay.db'}", home=config.data_dir)
    runs: list[RunResult] = []
    for monitor in config.monitors:
        options = RunOptions(week=week, now=NOW, scenario=slug)
        runs += backtest(plan(config, monitor, options, config.data_dir), week, store, ge)
    store.close()
    [incident] = incidents_of(runs)
    assert (incident.cause, incident.class_) == (slug, "product"), incident.class_evidence
    assert incident.class_evidence.startswith(f"{slug} is a change in usage, not in the data")
    failed = {c.id for r in runs for c in r.checks if c.status == "failed"}
    assert set(incident.check_ids) == failed
    change = next(
        c for r in runs for c in r.checks if c.check == "usage change" and c.status == "failed"
    )
    if slug == "release-regression":
        assert "the drop follows release" in change.reason and change.segment
    else:
        assert "instances reporting stable" in change.reason
    validate(document(runs))


@pytest.mark.integration
@pytest.mark.parametrize("slug", ["object-null", "double-count"])
def test_the_canary_monitor_alone_tells_a_breakage_as_one_incident_with_its_cause(
    slug: str, config: Config, ge: GreatExpectations
) -> None:
    """Without the all-instances monitor, the watched instance's own findings tell the
    breakage: its counters all null are object-null (not a dozen unexplained incidents),
    its ping repeated is double-count (not "the canary went quiet")."""
    week = LATEST_WEEK - WEEK * 3
    store = Store(f"sqlite:///{config.data_dir / 'replay.db'}")
    options = RunOptions(week=week, now=NOW, scenario=slug)
    runs = backtest(plan(config, CANARY, options, config.data_dir), week, store, ge)
    store.close()
    [incident] = incidents_of(runs)
    assert incident.cause == slug
    assert incident.scope == "Sourcegraph (S2) only"
    assert set(incident.check_ids) == {c.id for c in runs[0].checks if c.status == "failed"}


def test_markdown_lists_incidents_most_severe_first_for_the_summary_artifact() -> None:
    run = _object_null_run()
    run.checks.append(
        _check(
            "level",
            "failed",
            "total_insight_creators",
            None,
            900.0,
            {"max": 400.0},
            dataset="creators",
        )
    )
    text = incidents_markdown(find_incidents([run], catalog().tiles))
    lines = text.splitlines()
    assert lines[0] == "## Incidents"
    assert lines[2].startswith(
        "1. **object-null** (90%), pipeline, since 2026-11-16, 17 checks: 4 counters"
    )
    assert lines[3] == (
        "   *pipeline:* object-null is a breakage of the data, not a change in usage."
    )
    assert lines[4].startswith(
        "2. **unexplained**, unclear, since 2026-11-16, 1 check: creators (level):"
    )
    assert lines[5] == (
        "   *unclear:* values higher overall, with no segment judged to show how broad."
    )
    assert incidents_markdown([]) == ""


def test_a_breakage_keeps_its_incident_id_week_after_week_and_when_it_returns() -> None:
    first = _object_null_run()
    later = _object_null_run()
    later.week = W + WEEK  # still failing: the checks' first failed week stays W
    (a,) = find_incidents([first], catalog().tiles)
    (b,) = find_incidents([later], catalog().tiles)
    assert a.id == b.id and b.week == W + WEEK and b.first_failed_week == W
    back = _object_null_run()  # the same breakage again after a recovery: the same id
    for c in back.checks:
        c.first_failed_week = W + WEEK * 3
    back.week = W + WEEK * 3
    (c,) = find_incidents([back], catalog().tiles)
    assert c.id == a.id and c.first_failed_week == W + WEEK * 3
    odd = _check("level", "failed", "total_insight_creators", None, 9.0, dataset="creators")
    other = RunResult(ALL, W, [odd])
    assert find_incidents([other], catalog().tiles)[0].id != a.id  # another field, cause


def test_two_breakages_of_one_kind_with_different_onsets_get_distinct_ids() -> None:
    run = RunResult(
        ALL,
        W,
        [
            _check("level", "failed", "total_insight_creators", None, 9.0, dataset="creators"),
            _check(
                "volume",
                "failed",
                "total_insight_creators",
                None,
                9.0,
                dataset="creators",
                since=W - WEEK,
            ),
        ],
    )
    found = find_incidents([run], catalog().tiles)
    assert len(found) == 2 and len({i.id for i in found}) == 2


def test_a_total_summed_to_zero_is_not_an_undercount_and_stays_with_its_field() -> None:
    """A counter gone null on the canary sums to 0 (as Looker sums): "unique <= total"
    then fails too; that is the dropped field's doing, not a version undercount."""
    pair = "total_insights_page_views,total_insights_unique_page_views"
    checks = [
        _check("unique <= total", "failed", pair, dataset="page_views", monitor=CANARY),
        _check("usage reported", "failed", "weekly_insights_page_views", monitor=CANARY),
        _check(
            "canary uses Code Insights",
            "failed",
            "total_insights_page_views",
            dataset="page_views",
            monitor=CANARY,
        ),
    ]
    incidents = find_incidents(
        [RunResult(CANARY, W, checks, scope="Sourcegraph (S2)")], catalog().tiles
    )
    assert [(i.cause, len(i.check_ids)) for i in incidents] == [(None, 3)]
    undercount = _check("unique <= total", "failed", pair, dataset="page_views")
    found = find_incidents([RunResult(ALL, W, [undercount])], catalog().tiles)
    assert [i.cause for i in found] == ["version-undercount"]  # lower, not null: undercount


def test_a_dataset_that_could_not_be_read_is_never_claimed_by_a_cause() -> None:
    """An unreadable export is bad input: its error stays an incident of its own, with no
    cause, even when a breakage's rule would claim every failure of the week."""
    missing = [
        _check("latest week present", "failed", None, None, 0.0, {"min": 1.0}, dataset=d)
        for d in ("page_views", "creators")
    ]
    unread = _check("pull", "error", dataset="instance_usage", since=None)
    incidents = find_incidents([RunResult(ALL, W, [*missing, unread])], catalog().tiles)
    causes = {i.cause: set(i.check_ids) for i in incidents}
    assert causes == {"stale-missing": {c.id for c in missing}, None: {unread.id}}
