"""Drills marked everywhere, and what the Prefect UI shows of a run (pure parts)."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from canary.prefect_ops.events import run_events
from canary.prefect_ops.states import (
    ChecksFailed,
    DataFailureIsNotACrash,
    completed_message,
    failure_message,
)
from canary.report.artifacts import artifact_key, check_table, links_markdown, summary_markdown
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


def test_checks_table_shows_status_dataset_check_observed_expected_reason() -> None:
    run = _run(None)
    run.checks[0].observed = {"values": list(range(100))}
    run.checks[0].expected = {"min": 1234.5678, "max": 9876.4321}
    run.checks[0].reason = "page_views, week 2026-11-16: views fell " + "far " * 30
    (row, _) = check_table(run)
    assert list(row) == ["status", "dataset", "check", "observed", "expected", "reason"]
    assert row["check"] == "level" and len(row["observed"]) <= 12
    assert row["expected"] == "1,235 to 9,876"
    assert row["reason"].startswith("views fell far") and len(row["reason"]) <= 26
    run.checks[0].expected = {"min": 0.5}
    run.checks[0].observed = {"unexpected_count": 3, "unexpected_percent": 100.0, "rows": 3}
    (row, _) = check_table(run)
    assert (row["observed"], row["expected"]) == ("3 of 3 ro...", "at least 0.5")


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
