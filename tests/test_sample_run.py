"""The whole pipeline on the bundled sample: healthy passes, scenarios fail the right check."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from canary.cli import main
from canary.replay import FirstRun
from canary.report.json_result import validate
from tests.conftest import AS_OF, LATEST_WEEK

pytestmark = pytest.mark.integration
ARGS = ["--as-of", AS_OF.isoformat()]


def _run(config: Path, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", "--config", str(config), "--json", str(out), "--quiet", *ARGS, *extra])
    doc = json.loads(out.read_text())
    validate(doc)
    return code, doc


def _failed(doc: dict[str, Any]) -> set[tuple[str, str, str, str | None, str]]:
    return {
        (r["monitor"], c["dataset"], c["check"], c["column"], r["week"])
        for r in doc["runs"]
        for c in r["checks"]
        if c["status"] == "failed"
    }


def test_healthy_sample_passes_and_rerun_replaces(
    config_path: Path, sample_data_dir: Path, tmp_path: Path
) -> None:
    code, doc = _run(config_path, tmp_path / "out.json")
    assert code == 0
    assert {r["status"] for r in doc["runs"]} == {"passed"}
    assert {r["week"] for r in doc["runs"]} == {LATEST_WEEK.isoformat()}
    store = sample_data_dir / "store.db"

    def counts() -> tuple[int, int, int]:
        with sqlite3.connect(store) as con:
            return tuple(
                con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("runs", "metrics", "check_results")
            )  # type: ignore[return-value]

    first = counts()
    assert first[0] == 2 and first[1] > 100 and first[2] > 100
    assert _run(config_path, tmp_path / "again.json")[0] == 0
    assert counts() == first


# scenario -> a (monitor, dataset, check, column) the static suites must fail in its week
EXPECTED = {
    "object-null": (
        "code-insights-all-instances",
        "instance_usage",
        "usage reported",
        "weekly_insights_page_views",
    ),
    # Looker sums a missing counter to 0, not null: the level falls, not the null check
    "schema-rename": (
        "code-insights-all-instances",
        "page_views",
        "level",
        "total_insights_page_views",
    ),
    "canary-silent": ("code-insights-canary", "instance_usage", "canary reporting", None),
    "double-count": (
        "code-insights-all-instances",
        "instance_usage",
        "one row per key",
        "site_id,week",
    ),
    "stale-missing": (
        "code-insights-all-instances",
        "instances_reporting",
        "latest week present",
        None,
    ),
    "category-drift": (
        "code-insights-all-instances",
        "insights_by_type",
        "known insight types",
        "insight_type",
    ),
    # history-aware: the throwaway store is backfilled before the week under test
    "ingestion-loss": (
        "code-insights-all-instances",
        "instances_reporting",
        "level",
        "instances_reporting",
    ),
    "stale-copy": ("code-insights-all-instances", "page_views", "copy of last week", None),
    "version-undercount": (
        "code-insights-all-instances",
        "instance_usage",
        "unique <= total",
        "weekly_insights_page_views,weekly_insights_unique_page_views",
    ),
}


@pytest.mark.parametrize("slug", list(EXPECTED))
def test_scenario_fails_the_check_that_catches_it(
    slug: str, config_path: Path, sample_data_dir: Path, tmp_path: Path
) -> None:
    store = sample_data_dir / "store.db"
    assert not store.exists()
    code, doc = _run(config_path, tmp_path / "out.json", "--scenario", slug)
    assert code == 1
    monitor, dataset, check, column = EXPECTED[slug]
    assert (monitor, dataset, check, column, LATEST_WEEK.isoformat()) in _failed(doc)
    hit = next(
        c
        for r in doc["runs"]
        for c in r["checks"]
        if c["check"] == check and c["dataset"] == dataset and r["monitor"] == monitor
    )
    assert hit["first_failed_week"] == LATEST_WEEK.isoformat()
    assert dataset in hit["reason"] and LATEST_WEEK.isoformat() in hit["reason"]
    if slug == "schema-rename":  # caught by levels now, and still told as one named incident
        assert [i["cause"] for i in doc["incidents"]] == [slug]
    assert not store.exists()  # the real history is never touched


@pytest.mark.parametrize(
    "slug", ["usage-drop", "release-regression", "adoption-surge", "usage-decline"]
)
def test_a_product_change_drill_is_one_product_incident_named_for_it(
    slug: str, config_path: Path, sample_data_dir: Path, tmp_path: Path
) -> None:
    """``canary run --scenario`` drills a product change like a breakage: the usage change
    check fails, and the week tells one incident, its slug the cause, classed product."""
    week = "2026-10-26"  # the newest release then ran on a fifth of the instances
    code, doc = _run(config_path, tmp_path / "out.json", "--scenario", slug, "--week", week)
    assert code == 1
    [incident] = doc["incidents"]
    assert (incident["cause"], incident["class"]) == (slug, "product")
    assert incident["class_evidence"].startswith(f"{slug} is a change in usage")
    changed = [c for r in doc["runs"] for c in r["checks"] if c["check"] == "usage change"]
    assert any(c["status"] == "failed" and c["id"] in incident["check_ids"] for c in changed)
    assert not (sample_data_dir / "store.db").exists()  # the real history is never touched


def test_scenario_at_an_earlier_week_tests_that_week(config_path: Path, tmp_path: Path) -> None:
    code, doc = _run(
        config_path,
        tmp_path / "out.json",
        "--scenario",
        "double-count",
        "--week",
        "2026-10-26",
        "--monitor",
        "code-insights-canary",
    )
    assert code == 1
    assert [r["week"] for r in doc["runs"]] == ["2026-10-26"]
    assert (
        "code-insights-canary",
        "instance_usage",
        "one row per key",
        "site_id,week",
        "2026-10-26",
    ) in _failed(doc)


def test_first_failed_week_spans_consecutive_failing_weeks(
    config_path: Path, tmp_path: Path
) -> None:
    """Weeks run in order against one store: the unbroken run of failures is dated."""
    from canary.checks.validate import GreatExpectations
    from canary.config import load_config
    from canary.pipeline import RunOptions, plan, run_monitor
    from canary.sample.warehouse import WarehouseSpec
    from canary.sources.sample import SampleWarehouseSource
    from canary.store.db import Store
    from canary.weeks import parse_week
    from tests.conftest import NOW

    config = load_config(config_path)
    store = Store(config.store_url({}))
    ge = GreatExpectations()
    statuses = {}
    for week in ("2026-10-26", "2026-11-02", "2026-11-09"):
        p = plan(
            config,
            "code-insights-canary",
            RunOptions(week=parse_week(week), now=NOW),
            config_path.parent,
        )
        assert isinstance(p.source, SampleWarehouseSource)
        p.source.spec = WarehouseSpec(
            p.source.spec.sample, "double-count", parse_week("2026-11-02")
        )
        run = run_monitor(p, store, ge)
        check = next(
            c for c in run.checks if c.check == "one row per key" and c.dataset == "instance_usage"
        )
        statuses[week] = (check.status, check.first_failed_week)
    store.close()
    assert statuses["2026-10-26"] == ("passed", None)
    assert statuses["2026-11-02"] == ("failed", parse_week("2026-11-02"))
    assert statuses["2026-11-09"] == ("failed", parse_week("2026-11-02"))


def test_unreadable_dataset_is_an_error_and_exit_3(tmp_path: Path) -> None:
    """A files source whose export is missing: that dataset errors, the rest are checked."""
    from tests.test_files_source import export_tiles, files_config

    exports = export_tiles(tmp_path / "exports", "code-insights-canary")
    (exports / "creators.csv").unlink()
    config = files_config(tmp_path, "exports/{name}.csv")
    code, doc = _run(config, tmp_path / "out.json")
    assert code == 3
    run = doc["runs"][0]
    assert run["status"] == "error"
    errors = [c for c in run["checks"] if c["status"] == "error"]
    assert [(c["dataset"], c["check"]) for c in errors] == [("creators", "pull")]
    assert "creators.csv" in errors[0]["reason"]
    assert any(c["dataset"] == "page_views" and c["status"] == "passed" for c in run["checks"])


def test_a_first_runs_message_names_the_weeks_it_stored_not_those_it_asked_for() -> None:
    """An export that starts later than the history asked for: the weeks it held."""
    asked = ((date(2025, 9, 1), date(2025, 11, 24)), (date(2026, 7, 13), date(2026, 11, 16)))
    held = ((date(2026, 10, 19), date(2026, 11, 16)),)
    told = FirstRun("pings", asked, 2, held).summary()
    assert "backfilled 5 weeks (2026-10-19..2026-11-16) of 2 datasets" in told
    none = FirstRun("pings", asked, 2, ()).summary()
    assert "none backfilled (2025-09-01..2025-11-24 and 2026-07-13..2026-11-16)" in none


def test_first_run_backfills_the_history_it_needs_then_judges_with_it(
    config_path: Path, sample_data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "first.json"
    code = main(["run", "--config", str(config_path), "--json", str(out), *ARGS])
    printed = capsys.readouterr().out
    assert code == 0
    for monitor in ("code-insights-all-instances", "code-insights-canary"):
        # 18 weeks to train, and the weeks around last year's November 11 (Veterans Day,
        # Armistice Day) that the week after this year's compares with
        assert (
            f"{monitor}: no history in the store yet: backfilled 32 weeks "
            "(2025-08-25..2025-11-24 and 2026-07-13..2026-11-09)" in printed
        )
    checks = [c for r in json.loads(out.read_text())["runs"] for c in r["checks"]]
    skipped = [c for c in checks if c["status"] == "skipped"]
    assert len(skipped) < 0.05 * len(checks)  # without the backfill: about 270 of 410
    assert not [c for c in skipped if c["check"] in ("level", "volume", "schema change")]
    assert all("judged" in c["reason"] for c in skipped), [c["reason"] for c in skipped]
    main(["run", "--config", str(config_path), "--json", str(out), *ARGS])
    assert "backfilled" not in capsys.readouterr().out  # history exists now


def test_the_weeks_after_a_first_run_pass_as_the_sample_grows(
    config_path: Path, sample_data_dir: Path, tmp_path: Path
) -> None:
    """A scheduled run each later week sees the sample append a week, its past unchanged:
    no history-rewritten alarm, no failed check, and the warehouse's past rows identical."""

    def pings() -> dict[date, list[tuple[Any, ...]]]:
        with duckdb.connect(str(sample_data_dir / "sample.duckdb"), read_only=True) as con:
            rows = con.execute("SELECT * FROM pings ORDER BY week, site_id").fetchall()
        by_week: dict[date, list[tuple[Any, ...]]] = {}
        for row in rows:
            by_week.setdefault(row[1], []).append(row)
        return by_week

    assert _run(config_path, tmp_path / "first.json")[0] == 0
    before = pings()
    for later in (1, 2, 3):
        as_of = (AS_OF + timedelta(weeks=later)).isoformat()
        code, doc = _run(config_path, tmp_path / f"week{later}.json", "--as-of", as_of)
        week = LATEST_WEEK + timedelta(weeks=later)
        assert {r["week"] for r in doc["runs"]} == {week.isoformat()}
        assert _failed(doc) == set() and code == 0
        now = pings()
        assert max(now) == week and week not in before
        shared = [w for w in now if w in before]
        assert len(shared) == 103 and all(now[w] == before[w] for w in shared)
        before = now


def test_a_monitor_named_twice_runs_once(
    config_path: Path, sample_data_dir: Path, tmp_path: Path
) -> None:
    """Its second mention would wait on the run's own lock until store.lock_timeout."""
    raw = yaml.safe_load(config_path.read_text())
    raw["store"] = {"lock_timeout": "2s"}
    config_path.write_text(yaml.safe_dump(raw))
    twice = ["--monitor", "code-insights-canary"] * 2
    code, doc = _run(config_path, tmp_path / "out.json", *twice)
    assert code == 0
    assert [r["monitor"] for r in doc["runs"]] == ["code-insights-canary"]
