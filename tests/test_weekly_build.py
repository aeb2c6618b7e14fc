"""The weekly report's content from small hand-made metrics and runs (pure)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
import pytest
import yaml

from canary.alerts.policy import Masking
from canary.alerts.render.digest import fingerprint
from canary.alerts.render.model import Link
from canary.config import DEFAULT_QUIET_WEEKS, ReportConfig, load_config
from canary.dashboards import catalog
from canary.errors import ConfigError
from canary.incidents import incidents_of
from canary.incidents.model import Incident
from canary.results import CheckResult, RunResult
from canary.weekly.body import ReportBody
from canary.weekly.build import (
    Setup,
    build,
    calendar,
    canary_verdict,
    column_labels,
    health,
    labelled,
    lede,
    values_of,
    wanted,
    year_ago,
)
from canary.weekly.chart import report_figure
from canary.weeks import WEEK
from tests.conftest import REPO, write_config

ALL = "code-insights-all-instances"
CANARY = "code-insights-canary"
W = date(2026, 11, 16)
TILES = {
    name: catalog().tiles[name]
    for name in ("instances_reporting", "page_views", "creators", "usage_by_version")
}
PV = "total_insights_page_views"


def _metrics(rows: list[tuple[str, date, str, str, float]]) -> pd.DataFrame:
    """Store rows of metric ``value``: (dataset, week, column, segment, value)."""
    return pd.DataFrame(
        [(d, w, c, s, "value", v) for d, w, c, s, v in rows],
        columns=["dataset", "week", "column_name", "segment", "metric", "value"],
    )


def _level(column: str, dataset: str, lo: float, hi: float, status: str = "passed") -> CheckResult:
    return CheckResult(
        ALL,
        dataset,
        "level",
        status,
        "level",
        column,
        expected={"min": lo, "max": hi},  # type: ignore[arg-type]
    )


def _setup(**report: Any) -> Setup:
    return Setup(
        "Code Insights usage (all instances)",
        TILES,
        ReportConfig(channel="#code-insights", **report),
        DEFAULT_QUIET_WEEKS,
        Masking(),
    )


def _history() -> list[tuple[str, date, str, str, float]]:
    """Page views over 60 weeks: 1,000 + the week's number; this week 500."""
    rows = [("page_views", W - WEEK * i, PV, "", 1000.0 + i) for i in range(1, 60)]
    return [*rows, ("page_views", W, PV, "", 500.0)]


def test_headlines_compare_with_the_week_before_the_4_week_median_and_last_year() -> None:
    run = RunResult(ALL, W, [_level(PV, "page_views", 800, 1300, "failed")])
    body = build(_setup(), run, [], _metrics(_history()), {})
    (h,) = body.headlines
    assert (h.label, h.value, h.week_before, h.median_4w) == (
        "Insights page views",
        500,
        1001,
        1002.5,
    )
    # the same ISO week of 2025 (week 47) is 52 weeks back
    assert year_ago(W) == W - WEEK * 52 and h.year_ago == 1052
    assert (h.low, h.high, h.standing) == (800, 1300, "below")
    assert h.change(h.week_before) == pytest.approx(500 / 1001 - 1)


@pytest.mark.parametrize(
    ("value", "low", "high", "status", "standing"),
    [
        (500.0, 400.0, 600.0, "passed", "within"),
        (700.0, 400.0, 600.0, "failed", "above"),
        (500.0, -30.0, 600.0, "passed", "within"),
        (500.0, None, None, "skipped", "unknown"),
    ],
)
def test_a_headline_stands_where_its_level_check_placed_it(
    value: float, low: float | None, high: float | None, status: str, standing: str
) -> None:
    check = _level(PV, "page_views", low, high, status)  # type: ignore[arg-type]
    if status == "skipped":
        check.expected = None
    run = RunResult(ALL, W, [check])
    (h,) = build(_setup(), run, [], _metrics([("page_views", W, PV, "", value)]), {}).headlines
    assert h.standing == standing
    if standing != "unknown":
        assert h.low == max(low or 0.0, 0.0)  # counts: never an expected range below zero
    assert (h.week_before, h.median_4w, h.year_ago) == (None, None, None)


def test_without_a_level_check_a_number_stands_unknown_and_year_ago_is_only_where_stored() -> None:
    rows = [("page_views", W - WEEK * i, PV, "", 10.0) for i in range(0, 5)]
    (h,) = build(_setup(), RunResult(ALL, W, []), [], _metrics(rows), {}).headlines
    assert (h.standing, h.year_ago, h.median_4w) == ("unknown", None, 10.0)
    # ISO week 53 of 2026 has no twin in 2025
    assert year_ago(date(2026, 12, 28)) is None


def test_a_4_week_median_needs_the_4_weeks() -> None:
    rows = [("page_views", W - WEEK * i, PV, "", 10.0 + i) for i in range(0, 4)]
    (h,) = build(_setup(), RunResult(ALL, W, []), [], _metrics(rows), {}).headlines
    assert (h.week_before, h.median_4w) == (11.0, None)  # 3 earlier weeks stored: no median


def test_configured_metrics_choose_the_headlines_and_the_chart() -> None:
    rows = [
        ("page_views", W, PV, "", 5.0),
        ("creators", W, "total_insight_creators", "", 3.0),
        ("instances_reporting", W, "instances_reporting", "", 9.0),
    ]
    body = build(
        _setup(metrics=["creators", "page_views.total_insights_page_views"]),
        RunResult(ALL, W, []),
        [],
        _metrics(rows),
        {},
    )
    labels = [h.label for h in body.headlines]
    assert labels == ["Insight creators", "Insights page views"]  # no value: no headline
    assert [s.label for s in body.series] == labels


def test_many_numbers_chart_the_first_of_each_tile_with_the_weeks_and_bands() -> None:
    columns = {
        "instances_reporting": [
            "instances_reporting",
            "pings_received",
            "instances_using_insights",
        ],
        "page_views": [PV, "total_insights_unique_page_views"],
        "creators": ["total_insight_creators", "total_first_time_insight_creators"],
    }
    rows = [
        (d, W - WEEK * i, c, "", float(i))
        for d, cs in columns.items()
        for c in cs
        for i in range(3)
    ]
    bands = {("page_views", PV, W - WEEK): (-5.0, 9.0)}
    body = build(_setup(weeks=12), RunResult(ALL, W, []), [], _metrics(rows), bands)
    assert len(body.headlines) == 7
    assert [s.label for s in body.series] == [
        "Instances reporting",
        "Insights page views",
        "Insight creators",
    ]
    pv = body.series[1]
    assert len(pv.weeks) == 12 and pv.weeks[-1] == W and pv.weeks[0] == W - WEEK * 11
    assert pv.values[-3:] == [2.0, 1.0, 0.0] and pv.values[0] is None
    assert (pv.low[-2], pv.high[-2]) == (0.0, 9.0) and pv.low[-1] is None


def _version(week: date, label: str, value: float) -> tuple[str, date, str, str, float]:
    return ("usage_by_version", week, PV, json.dumps({"version_minor": label}), value)


def test_movers_are_the_segments_that_moved_most_with_their_share_of_the_change() -> None:
    rows = [
        ("page_views", W - WEEK, PV, "", 1000.0),
        ("page_views", W, PV, "", 600.0),
        _version(W - WEEK, "5.2", 500.0),
        _version(W, "5.2", 200.0),
        _version(W - WEEK, "5.1", 300.0),
        _version(W, "5.1", 200.0),
        _version(W - WEEK, "5.0", 200.0),
        _version(W, "5.0", 200.0),  # unchanged: not a mover
        _version(W, "5.3", 0.0),
    ]
    body = build(_setup(), RunResult(ALL, W, []), [], _metrics(rows), {})
    assert [(m.field, m.label, m.before, m.value, m.share) for m in body.movers] == [
        ("Version (minor)", "5.2", 500.0, 200.0, pytest.approx(0.75)),
        ("Version (minor)", "5.1", 300.0, 200.0, pytest.approx(0.25)),
    ]
    assert {m.metric for m in body.movers} == {"Insights page views"}


def _deploy(week: date, label: str, value: float) -> tuple[str, date, str, str, float]:
    return ("usage_by_deploy_type", week, PV, json.dumps({"deploy_type": label}), value)


def test_movers_are_told_field_by_field_so_each_fields_shares_read_together() -> None:
    rows = [
        ("page_views", W - WEEK, PV, "", 1000.0),
        ("page_views", W, PV, "", 600.0),
        _version(W - WEEK, "5.2", 700.0),
        _version(W, "5.2", 400.0),
        _version(W - WEEK, "5.1", 300.0),
        _version(W, "5.1", 200.0),
        _deploy(W - WEEK, "helm", 600.0),
        _deploy(W, "helm", 250.0),
        _deploy(W - WEEK, "docker", 400.0),
        _deploy(W, "docker", 350.0),
    ]
    tiles = {**TILES, "usage_by_deploy_type": catalog().tiles["usage_by_deploy_type"]}
    setup = Setup("Code Insights usage", tiles, ReportConfig(channel="#ci"))
    body = build(setup, RunResult(ALL, W, []), [], _metrics(rows), {})
    assert [(m.field, m.label, m.share) for m in body.movers] == [
        ("Deploy type", "helm", pytest.approx(0.875)),
        ("Deploy type", "docker", pytest.approx(0.125)),
        ("Version (minor)", "5.2", pytest.approx(0.75)),
        ("Version (minor)", "5.1", pytest.approx(0.25)),
    ]


def test_more_configured_numbers_than_panels_are_all_charted_and_explained() -> None:
    metrics = [
        "instances_reporting",
        "creators",
        "page_views.total_insights_unique_page_views",
        "page_views.total_insights_page_views",  # the seventh: the one versions break down
    ]
    columns = {
        "instances_reporting": [
            "instances_reporting",
            "pings_received",
            "instances_using_insights",
        ],
        "page_views": ["total_insights_unique_page_views"],
        "creators": ["total_insight_creators", "total_first_time_insight_creators"],
    }
    rows = [(d, w, c, "", 10.0) for d, cs in columns.items() for c in cs for w in (W - WEEK, W)]
    rows += [
        ("page_views", W - WEEK, PV, "", 1000.0),
        ("page_views", W, PV, "", 600.0),
        _version(W - WEEK, "5.2", 1000.0),
        _version(W, "5.2", 600.0),
    ]
    body = build(_setup(metrics=metrics), RunResult(ALL, W, []), [], _metrics(rows), {})
    assert len(body.series) == 7 and body.series[-1].label == "Insights page views"
    assert [(m.label, m.share) for m in body.movers] == [("5.2", 1.0)]
    fig = report_figure(body)
    assert fig is not None and len(fig.axes) == 6
    assert "6 of 7 series" in fig.get_suptitle()


def test_a_steady_total_has_no_movers() -> None:
    rows = [
        ("page_views", W - WEEK, PV, "", 1000.0),
        ("page_views", W, PV, "", 1010.0),
        _version(W - WEEK, "5.2", 500.0),
        _version(W, "5.2", 10.0),
        _version(W, "5.3", 500.0),
    ]
    assert build(_setup(), RunResult(ALL, W, []), [], _metrics(rows), {}).movers == []


def test_segment_labels_are_masked_as_alerts_mask_them() -> None:
    rows = [
        ("page_views", W - WEEK, PV, "", 1000.0),
        ("page_views", W, PV, "", 100.0),
        _version(W - WEEK, "ops@acme.example", 900.0),
        _version(W, "ops@acme.example", 0.0),
        _version(W - WEEK, "10.1.2.3", 100.0),
        _version(W, "10.1.2.3", 100.0 - 1),
    ]
    body = build(_setup(), RunResult(ALL, W, []), [], _metrics(rows), {})
    assert [m.label for m in body.movers] == ["***@***", "***.***.***.***"]
    setup = _setup()
    for rule, shown in (("mask", ["***", "***"]), ("drop", [])):
        masked = Setup(**{**setup.__dict__, "masking": Masking(columns={"version_minor": rule})})
        assert [
            m.label for m in build(masked, RunResult(ALL, W, []), [], _metrics(rows), {}).movers
        ] == shown


def test_the_year_end_week_notes_its_dip_and_an_ordinary_week_nothing() -> None:
    week_52 = date(2026, 12, 21)
    assert week_52.isocalendar().week == 52
    assert calendar(DEFAULT_QUIET_WEEKS, week_52) == [
        "year end week: a dip is expected (usage may fall to about 45% of usual)"
    ]
    assert calendar(DEFAULT_QUIET_WEEKS, W) == []


def _canary_run(*statuses: str) -> RunResult:
    checks = [CheckResult(CANARY, "page_views", f"c{i}", s, "r") for i, s in enumerate(statuses)]  # type: ignore[arg-type]
    return RunResult(CANARY, W, checks, scope="Sourcegraph (S2)")


def test_the_canary_instances_verdict_in_one_sentence() -> None:
    mine = RunResult(ALL, W, [])
    assert canary_verdict([mine]) == "canary instance not checked this week"
    assert canary_verdict([mine], watched=False) == ""  # no monitor watches one
    assert (
        canary_verdict([mine, _canary_run("passed", "skipped")])
        == "pipeline healthy: Sourcegraph (S2) reported normally"
    )
    assert canary_verdict([mine, _canary_run("failed", "failed", "failed", "passed")]) == (
        f"pipeline broken: the canary instance's monitor ({CANARY}) failed 3 checks"
    )
    assert canary_verdict([mine, _canary_run("error", "passed")]) == (
        "pipeline not fully checked: 1 check of the canary instance's monitor could not run"
    )


def _incident(cls: str, headline: str, checks: list[str] | None = None) -> Incident:
    return Incident(
        f"id-{cls}", W, None, 0.5, headline, "overall", checks or [], W, [ALL], class_=cls
    )


def test_the_lede_tells_usage_changes_first_then_the_pipeline_then_the_numbers() -> None:
    usage = CheckResult(ALL, "page_views", "usage change", "failed", "page views -57%", PV)
    run = RunResult(ALL, W, [usage])
    pipeline = _incident("pipeline", "page_views: null for every instance")
    product = _incident("product", "page views fell on every version")
    unclear = _incident("unclear", "creators fell on 5.2", [usage.id])
    heads = build(_setup(), RunResult(ALL, W, []), [], _metrics(_history()), {}).headlines

    assert lede(run, [pipeline, product], []) == (
        "Usage changed this week: page views fell on every version"
    )
    # a failed usage change check counts unless its incident is put down to the pipeline
    assert lede(run, [pipeline, unclear], []).startswith("Usage changed this week: creators")
    assert lede(run, [], []) == "Usage changed this week: page views -57%"
    assert lede(RunResult(ALL, W, []), [pipeline, _incident("pipeline", "b")], []) == (
        "Numbers unreliable this week: page_views: null for every instance (and 1 more)"
    )
    quiet = RunResult(ALL, W, [])
    assert lede(quiet, [_incident("unclear", "x")], []) == "An unexplained change this week: x"
    assert lede(quiet, [], heads) == "A week without incidents; no number has an expected range yet"
    judged = RunResult(ALL, W, [_level(PV, "page_views", 400, 1200)])
    assert build(_setup(), judged, [], _metrics(_history()), {}).lede == (
        "A normal week: 1 of 1 numbers within their expected range"
    )
    low = RunResult(ALL, W, [_level(PV, "page_views", 800, 1200, "failed")])
    below = build(_setup(), low, [], _metrics(_history()), {}).headlines
    assert lede(quiet, [], below) == (  # out of range with no incident (a warning, say)
        "1 of 1 numbers outside their expected range: Insights page views (below)"
    )


def test_health_counts_judged_checks_and_links_open_incidents_to_their_threads() -> None:
    checks = [
        CheckResult(ALL, "page_views", "level", "failed", "page_views, week 2026-11-16: low", PV),
        CheckResult(ALL, "page_views", "dead metric", "passed", "ok", PV),
        CheckResult(ALL, "page_views", "null rate", "skipped", "too short", PV),
    ]
    run = RunResult(ALL, W, checks)
    found = build(_setup(), run, [_canary_run("passed")], _metrics(_history()), {})
    assert found.health is not None
    (told,) = found.health.incidents
    thread = Link("thread", "https://acme.slack.com/archives/C1/p1")
    key = fingerprint(ALL, incidents_of([run], TILES)[0].id)
    linked = build(
        _setup(), run, [_canary_run("passed")], _metrics(_history()), {}, threads={key: thread}
    )
    assert linked.health is not None
    assert (linked.health.passed, linked.health.total) == (1, 2)
    assert linked.health.incidents[0].link == thread and told.link is None
    assert linked.health.canary == "pipeline healthy: Sourcegraph (S2) reported normally"
    assert told.cls in ("pipeline", "product", "unclear") and told.title


def test_only_web_links_are_kept() -> None:
    links = [
        Link("Looker dashboard", "https://looker.example.com/dashboards/7"),
        Link("/home/worker/.canary/results.json", None),
        Link("Data Docs", "/home/worker/.canary/docs/index.html"),
        Link("file", "file:///tmp/report.md"),
        Link("Prefect run", "http://prefect.local/runs/1"),
    ]
    body = build(_setup(), RunResult(ALL, W, []), [], _metrics(_history()), {}, links)
    assert [link.url for link in body.links] == [
        "https://looker.example.com/dashboards/7",
        "http://prefect.local/runs/1",
    ]


def test_on_change_reports_only_numbers_out_of_range_or_open_incidents() -> None:
    normal = RunResult(ALL, W, [_level(PV, "page_views", 400, 1200)])
    low = RunResult(ALL, W, [_level(PV, "page_views", 800, 1200, "failed")])
    quiet = build(_setup(), normal, [], _metrics(_history()), {})
    loud = build(_setup(), low, [], _metrics(_history()), {})
    on_change = ReportConfig(channel="#c", when="on_change")
    assert not wanted(on_change, quiet) and wanted(on_change, loud)
    assert loud.health is not None and loud.health.incidents  # the failed level is one
    assert wanted(ReportConfig(channel="#c"), quiet)
    assert not wanted(ReportConfig(channel="#c", when="never"), loud)


def test_a_drill_is_marked_and_the_body_round_trips_through_json() -> None:
    run = RunResult(ALL, W, [_level(PV, "page_views", 800, 1200, "failed")], drill="object-null")
    body = build(_setup(), run, [_canary_run("passed")], _metrics(_history()), {})
    assert body.drill == "object-null"
    assert ReportBody.from_json(body.to_json()) == body


def test_values_of_keeps_only_stored_values() -> None:
    frame = _metrics([("page_views", W, PV, "", 1.0)])
    frame.loc[len(frame)] = ["page_views", W, PV, "", "null_rate", 0.5]
    frame.loc[len(frame)] = ["page_views", W - WEEK, PV, "", "value", float("nan")]
    assert values_of(frame) == {("page_views", PV, "", W): 1.0}


def test_a_report_metric_that_names_no_measure_is_a_config_error(tmp_path: Any) -> None:
    raw = {"channel": "#code-insights", "metrics": ["page_views", "usage_by_version"]}
    monitors = load_config(write_config(tmp_path), environ={}).model_dump(mode="json")["monitors"]
    monitors[ALL]["report"] = raw
    with pytest.raises(ConfigError, match=r"report\.metrics: 'usage_by_version' is no measure"):
        load_config(write_config(tmp_path, monitors=monitors), environ={})


def test_a_looker_monitor_links_its_dashboard_with_its_filters(tmp_path: Any) -> None:
    from canary.results import DatasetInfo
    from canary.weekly.gather import looker_links

    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    monitor = raw["monitors"][ALL]
    looker = {
        "kind": "looker_dashboard",
        "dashboard_id": "12",
        "web_url": "https://looker.example.com/",
        "filters": {"Instance": "Sourcegraph (S2)"},
    }
    sources = {"sample": raw["sources"]["sample"], "looker": looker}
    config = load_config(
        write_config(tmp_path, sources=sources, monitors={ALL: {**monitor, "source": "looker"}}),
        environ={},
    )
    run = RunResult(ALL, W, [])
    assert looker_links(config, config.monitors[ALL], run) == [
        Link(
            "Looker dashboard",
            "https://looker.example.com/dashboards/12?Instance=Sourcegraph+%28S2%29",
        )
    ]
    pulled = "https://looker.example.com/dashboards/12?Instance=x&Week=2026-11-16"
    run.datasets = [
        DatasetInfo("page_views", 18, "/home/worker/exports/page_views.csv"),
        DatasetInfo("creators", 18, pulled),
    ]
    assert looker_links(config, config.monitors[ALL], run) == [Link("Looker dashboard", pulled)]
    sample = load_config(write_config(tmp_path), environ={})
    assert looker_links(sample, sample.monitors[ALL], run) == []


def test_the_looker_link_shows_no_password_nor_personal_filter_values(tmp_path: Any) -> None:
    from canary.results import DatasetInfo
    from canary.weekly.gather import looker_links

    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    looker = {
        "kind": "looker_dashboard",
        "dashboard_id": "42",
        "web_url": "https://admin:hunter2@looker.example.com",
        "filters": {"Instance": "alice@example.com"},
    }
    sources = {"sample": raw["sources"]["sample"], "looker": looker}
    monitors = {ALL: {**raw["monitors"][ALL], "source": "looker"}}
    config = load_config(write_config(tmp_path, sources=sources, monitors=monitors), environ={})
    run = RunResult(ALL, W, [])
    shown = "https://looker.example.com/dashboards/42?Instance=***%40***"
    assert looker_links(config, config.monitors[ALL], run) == [Link("Looker dashboard", shown)]
    recorded = "https://admin:hunter2@looker.example.com/dashboards/42?Instance=alice%40example.com"
    run.datasets = [DatasetInfo("creators", 18, recorded)]
    assert looker_links(config, config.monitors[ALL], run) == [Link("Looker dashboard", shown)]


def test_this_weeks_band_comes_from_the_runs_own_check_before_it_is_stored() -> None:
    rows = [("page_views", W - WEEK * i, PV, "", 10.0) for i in range(3)]
    run = RunResult(ALL, W, [_level(PV, "page_views", 4.0, 18.0)])
    (pv,) = build(_setup(weeks=12), run, [], _metrics(rows), {}).series
    assert (pv.low[-1], pv.high[-1]) == (4.0, 18.0)
    assert pv.low[-2] is None  # earlier weeks: only what the store holds


def test_the_lede_and_incidents_name_numbers_as_the_table_does() -> None:
    reason = f"page_views: {PV} is 500, expected 800–1,300 (-50% vs the median of 12 weeks)"
    level = CheckResult(ALL, "page_views", "level", "failed", reason, PV)
    unique = "total_insights_unique_page_views"
    evidence = f"{unique} fell as well; {PV}s_extra is another column"
    incident = Incident(
        "id-u", W, None, 0.5, reason, "overall", [level.id], W, [ALL], class_evidence=evidence
    )
    labels = column_labels(TILES.values())
    assert labelled(incident.headline, labels) == (
        "page_views: Insights page views is 500, expected 800–1,300 (-50% vs the median of 12 weeks)"
    )
    (told,) = health(RunResult(ALL, W, [level]), [incident], "", {}, labels).incidents
    assert told.title == labelled(reason, labels)
    assert (
        told.evidence == f"Insights unique page views fell as well; {PV}s_extra is another column"
    )
    # every dashboard's measures: one is named as a dataset (the canary's tracked page views)
    everywhere = column_labels(catalog().tiles.values())
    broken = f"page_views (pull): /srv/exports/{PV}.csv: column '{PV}' holds 'n/a'"
    assert labelled(broken, everywhere) == (
        f"page_views (pull): /srv/exports/{PV}.csv: column 'Insights page views' holds 'n/a'"
    )
