"""Drills marked everywhere, and what the Prefect UI shows of a run (pure parts)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest

from canary.prefect_ops.events import run_events
from canary.prefect_ops.states import (
    ChecksFailed,
    DataFailureIsNotACrash,
    completed_message,
    failure_message,
)
from canary.report.artifacts import artifact_key, links_markdown, summary_markdown
from canary.report.checks_table import WIDTHS, checks_markdown, rows, wrap
from canary.report.drill import run_name
from canary.results import CheckResult, DatasetInfo, RunResult

WEEK = date(2026, 11, 16)


def _run(drill: str | None) -> RunResult:
    checks = [
        CheckResult("mon", "page_views", "level", "failed", "page views fell", "views"),
        CheckResult("mon", "page_views", "not null", "passed", "fine", "views"),
    ]
    datasets = [DatasetInfo("page_views", 10, "file:///tmp/canary-scenario-x/sample.duckdb#a")]
    return RunResult("mon", WEEK, checks, datasets, drill=drill)


def test_a_drill_is_named_keyed_and_messaged_as_a_drill() -> None:
    drill, real = _run("object-null"), _run(None)
    assert run_name("mon", WEEK, None) == "mon 2026-11-16"
    assert run_name("mon", WEEK, "object-null") == "mon 2026-11-16 (DRILL object-null)"
    assert artifact_key("mon", "summary") == "canary-mon-summary"
    assert artifact_key("mon", "summary", "object-null") == "canary-mon-drill-object-null-summary"
    assert str(failure_message(drill, "checks")).startswith("DRILL object-null: mon week ")
    assert str(failure_message(real, "checks")).startswith("mon week 2026-11-16: 1 check")
    assert completed_message(drill) == "DRILL object-null: mon week 2026-11-16: failed"


def test_a_drill_emits_drill_events_only() -> None:
    events = run_events(_run("object-null"), {})
    assert [e.event for e in events] == ["canary.drill.check.failed", "canary.drill.run.completed"]
    assert all(e.payload["drill"] == "object-null" for e in events)
    real = run_events(_run(None), {})
    assert [e.event for e in real] == ["canary.check.failed", "canary.run.completed"]
    assert all("drill" not in e.payload for e in real)


def test_a_drill_summary_has_a_banner_and_no_links_into_its_deleted_sample() -> None:
    text = summary_markdown(_run("object-null"), links={"Data Docs": "https://d.example/x"})
    first, _, banner = text.splitlines()[:3]
    assert first == "# ❌ DRILL object-null: mon — week 2026-11-16: failed"
    assert banner.startswith("> 🧪 **DRILL object-null:") and "no alerts were sent" in banner
    assert "canary-scenario" not in text and "[Data Docs](https://d.example/x)" in text
    links = links_markdown(_run("object-null"), {"Data Docs": "https://d.example/x"})
    assert "canary-scenario" not in links and "| [Data Docs](https://d.example/x) |" in links
    real = summary_markdown(_run(None), links={"Data Docs": "file:///srv/docs/index.html"})
    assert "DRILL" not in real and "file://" not in real  # a path on the worker opens nowhere
    web = _run(None)
    web.datasets[0].link = "https://looker.example.com/dashboards/7"
    assert "| [dataset page_views](https://looker.example.com/dashboards/7) |" in links_markdown(
        web, {"Data Docs": "file:///srv/docs/index.html"}
    )
    assert "file://" not in links_markdown(_run(None), {"Data Docs": "file:///srv/docs/x"})


def test_checks_table_wraps_names_column_and_segment_and_groups_alike_checks() -> None:
    run = _run(None)
    run.checks[0].observed, run.checks[0].expected = 120.0, {"min": 1234.5678, "max": 9876.4321}
    run.checks[0].reason = "page_views, week 2026-11-16: views fell " + "far " * 30 + "a|b <x>"
    run.checks[0].segment = {"version_minor": "5.3"}
    alike = [  # one passed check per column, saying the same: one row, counted
        CheckResult(
            "mon",
            "page_views",
            "type",
            "passed",
            "page_views, week 2026-11-16: passed.",
            column,
            observed="int64",
        )
        for column in ("a", "b", "c", "weekly_standalone_dashboard_clicks")
    ]
    run.checks += alike
    found = rows(run)
    assert [(r.status, r.check, r.count) for r in found] == [
        ("failed", "level", 1),
        ("passed", "not null", 1),
        ("passed", "type", 4),
    ]
    assert found[2].columns == ["a", "b", "c", "weekly_standalone_dashboard_clicks"]
    text = checks_markdown(run)
    lines = text.splitlines()
    assert lines[0] == "# Checks of mon, week 2026-11-16"
    assert lines[2] == "1 failed · 5 passed · 3 rows (checks that read alike counted in one)"
    assert lines[4] == "| | check | column · segment | observed | reason |"
    failed, _, grouped = lines[6:]
    cells = failed.split(" | ")
    assert cells[0] == "| ❌" and cells[1] == "**level**<br>page_views"
    assert cells[2] == "views<br>version_minor 5.3"
    assert cells[3] == "120<br>expected 1,235<br>to 9,876"
    assert cells[4].startswith("views fell far far") and "<br>" in cells[4]
    assert all(len(line) <= WIDTHS["reason"] for line in cells[4].removesuffix(" |").split("<br>"))
    assert "a\\|b &lt;x&gt;" in failed  # no cell broken by a pipe, no HTML from a reason
    assert grouped == (
        "| ✅ x4 | **type**<br>page_views | 4 columns: a, b, c and<br>1 more | int64 | passed. |"
    )
    assert wrap("weekly_standalone_dashboard_clicks is null", 22) == [
        "weekly_standalone_",
        "dashboard_clicks is",
        "null",
    ]


def test_the_summary_shows_the_weeks_key_numbers() -> None:
    import pandas as pd

    from canary.dashboards import catalog
    from canary.report.key_numbers import change_text
    from canary.weekly.build import headlines, values_of
    from canary.weekly.measures import series_measures

    rows_ = [
        ("instances_reporting", WEEK - timedelta(days=7), "instances_reporting", 1000.0),
        ("instances_reporting", WEEK, "instances_reporting", 1189.0),
        ("page_views", WEEK, "total_insights_page_views", 53210.0),
        ("instance_usage", WEEK, "weekly_insights_page_views", 7.0),  # a snapshot: no tile sum
    ]
    metrics = pd.DataFrame(
        [(d, w, c, "", "value", v) for d, w, c, v in rows_],
        columns=["dataset", "week", "column_name", "segment", "metric", "value"],
    )
    numbers = headlines(values_of(metrics), series_measures(catalog().tiles.values()), WEEK)
    assert [(n.label, n.value, change_text(n)) for n in numbers] == [
        ("Instances reporting", 1189.0, "+18.9%"),
        ("Insights page views", 53210.0, "—"),
    ]
    text = summary_markdown(_run(None), numbers=numbers)
    assert "## Key numbers" in text
    assert "| Instances reporting | 1,189 | 1,000 | +18.9% |" in text
    assert "| Insights page views | 53,210 | — | — |" in text


def test_a_data_failure_leaves_no_traceback_in_the_run_logs() -> None:
    def record(exc: BaseException) -> logging.LogRecord:
        return logging.LogRecord(
            "prefect.flow_runs",
            logging.ERROR,
            __file__,
            1,
            "Engine execution exited",
            (),
            (type(exc), exc, None),
        )

    quiet = DataFailureIsNotACrash()
    assert not quiet.filter(record(ChecksFailed("mon week 2026-11-16: 1 check did not pass")))
    assert quiet.filter(record(RuntimeError("a real crash keeps its traceback")))


def test_data_docs_pages_render_nullable_values_without_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import pandas as pd

    from canary.checks.validate import GreatExpectations
    from canary.prefect_ops.data_docs import _page

    suite = {
        "name": "t.views",
        "expectations": [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "views"},
                "meta": {"check": "views present"},
            }
        ],
    }
    batch = pd.DataFrame({"views": pd.array([1, 9, None, 9, None], dtype="Int64")})
    results = GreatExpectations().run(suite, batch, {}, "SUMMARY")
    with caplog.at_level(logging.ERROR):
        page, passed, total = _page("t.views", results)
    assert (passed, total) == (0, 1)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "views" in page
