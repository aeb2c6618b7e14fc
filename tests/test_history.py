"""History-aware checks on the sample: quiet on normal weeks, loud on every breakage."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from canary.anomaly.attribution import attribute
from canary.anomaly.inputs import HistoryInput
from canary.checks.validate import GreatExpectations
from canary.config import Config, HistorySettings
from canary.dashboards import catalog
from canary.pipeline import RunOptions, plan
from canary.replay import backfill, backtest
from canary.results import CheckResult, RunResult
from canary.store import history
from canary.store.db import Store
from canary.weeks import WEEK
from tests.conftest import LATEST_WEEK, NOW

pytestmark = pytest.mark.integration
ALL = "code-insights-all-instances"
CANARY = "code-insights-canary"


def _replay(
    config: Config,
    monitor: str,
    start: date,
    end: date,
    ge: GreatExpectations,
    scenario: str | None = None,
    store: Store | None = None,
) -> list[RunResult]:
    store = store or Store(f"sqlite:///{config.data_dir / 'replay.db'}", home=config.data_dir)
    options = RunOptions(week=start, now=NOW, scenario=scenario)
    return backtest(plan(config, monitor, options, config.data_dir), end, store, ge)


def _failed(runs: list[RunResult]) -> list[CheckResult]:
    return [c for r in runs for c in r.checks if c.status == "failed"]


def test_year_end_and_normal_weeks_raise_nothing(config: Config, ge: GreatExpectations) -> None:
    runs = _replay(config, ALL, date(2025, 12, 15), date(2026, 1, 12), ge)
    assert [r.week for r in runs][:3] == [
        date(2025, 12, 15),
        date(2025, 12, 22),
        date(2025, 12, 29),
    ]
    assert _failed(runs) == []
    judged = [c for r in runs for c in r.checks if c.check == "level" and c.status == "passed"]
    assert judged, "level checks ran"


# scenario -> (monitor, dataset, check, column, segment key or None) expected in its week
CAUGHT = {
    "ingestion-loss": (ALL, "instance_usage", "volume", None, None),
    "double-count": (ALL, "page_views", "level", "total_insights_page_views", None),
    "cumulative-counter": (
        ALL,
        "instance_usage",
        "cumulative counter",
        "weekly_insights_page_views",
        None,
    ),
    "stale-copy": (ALL, "instance_usage", "copy of last week", None, None),
    "category-drift": (ALL, "insights_by_type", "new label", "insight_type", "insight_type"),
    "object-null": (ALL, "instance_usage", "dead metric", "weekly_insights_page_views", None),
    "schema-rename": (ALL, "page_views", "dead metric", "total_insights_page_views", None),
    "version-field-drop": (
        ALL,
        "instance_usage",
        "null rate",
        "weekly_insights_page_views",
        "version_minor",
    ),
    "canary-silent": (CANARY, "instance_usage", "dead metric", "weekly_insights_page_views", None),
}


@pytest.mark.parametrize("slug", list(CAUGHT))
def test_scenario_raises_its_history_check_in_its_week(
    slug: str, config: Config, ge: GreatExpectations
) -> None:
    monitor, dataset, check, column, segment_key = CAUGHT[slug]
    week = LATEST_WEEK - WEEK * 3
    runs = _replay(config, monitor, week, week, ge, scenario=slug)
    hits = [c for c in _failed(runs) if (c.dataset, c.check, c.column) == (dataset, check, column)]
    assert hits, [(c.dataset, c.check, c.column) for c in _failed(runs)]
    assert all(str(week) in c.reason for c in hits)
    if segment_key:
        assert all(c.segment and segment_key in c.segment for c in hits)
    if slug in ("object-null", "canary-silent"):  # judged as zero, told apart as null
        assert all(c.details.get("null") is True for c in hits), [
            (c.reason, c.details) for c in hits
        ]
    if slug == "version-field-drop":  # the version being rolled out (and odd builds of it)
        assert "5.28" in {c.segment["version_minor"] for c in hits}  # type: ignore[index]
        assert {c.segment["version_minor"] for c in hits} <= {"5.28", "other"}  # type: ignore[index]


def test_a_total_breakage_is_carried_alike_and_names_no_segment(
    config: Config, ge: GreatExpectations
) -> None:
    week = LATEST_WEEK - WEEK * 3
    runs = _replay(config, ALL, week, week, ge, scenario="object-null")
    level = next(
        c
        for c in _failed(runs)
        if c.dataset == "page_views"
        and c.check == "level"
        and c.column == "total_insights_page_views"
    )
    assert level.details["attribution"] == []
    assert "every deploy_type and version_minor carries the drop alike (-100%)" in level.reason
    assert "of the drop is on" not in level.reason
    assert "weekly_insights_page_views is null on 100% of all" in level.reason
    assert "every segment alike" in level.reason


def _by_version(now: dict[str, float]) -> list[HistoryInput]:
    """page_views (total) and usage_by_version inputs: 5.27 usually 900, 5.28 usually 100."""
    tiles = catalog().tiles
    week = LATEST_WEEK
    rows = [
        (w, "total_insights_page_views", json.dumps({"version_minor": v}), "value", value)
        for v, usual in (("5.27", 900.0), ("5.28", 100.0))
        for w, value in [(week - WEEK * i, usual) for i in range(1, 5)] + [(week, now[v])]
    ]
    metrics = pd.DataFrame(rows, columns=["week", "column_name", "segment", "metric", "value"])
    empty = metrics.iloc[0:0]
    return [
        HistoryInput(ALL, name, tiles[name], week, None, frame, HistorySettings())
        for name, frame in (("page_views", empty), ("usage_by_version", metrics))
    ]


def _level(observed: float) -> pd.Series:
    return pd.Series(
        {
            "dataset": "page_views",
            "column": "total_insights_page_views",
            "observed": observed,
            "expected": 1000.0,
        }
    )


def test_attribution_names_a_version_only_when_it_carries_more_than_its_share() -> None:
    text, shares = attribute(_level(900.0), _by_version({"5.27": 900.0, "5.28": 0.0}))
    assert shares == [
        {
            "dataset": "usage_by_version",
            "segment": {"version_minor": "5.28"},
            "share": 1.0,
            "usual_share": 0.1,
        }
    ]
    assert text.startswith("100% of the drop is on version_minor 5.28 (usually 10% of")
    text, shares = attribute(_level(500.0), _by_version({"5.27": 450.0, "5.28": 50.0}))
    assert shares == []
    assert text == "every version_minor carries the drop alike (-50%)"
    # one instance (the canary's monitor) has no segment story: nothing is attributed
    one = pd.DataFrame(
        [(LATEST_WEEK, "", "", "row_count", 1.0)],
        columns=["week", "column_name", "segment", "metric", "value"],
    )
    tile = catalog().tiles["instance_usage"]
    single = HistoryInput(CANARY, "instance_usage", tile, LATEST_WEEK, None, one, HistorySettings())
    inputs = [*_by_version({"5.27": 900.0, "5.28": 0.0}), single]
    assert attribute(_level(900.0), inputs) == ("", [])


def test_too_little_history_is_skipped_with_the_reason(
    config: Config, ge: GreatExpectations, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'fresh.db'}")
    p = plan(config, ALL, RunOptions(week=LATEST_WEEK, now=NOW), tmp_path)
    from canary.pipeline import run_monitor

    run = run_monitor(p, store, ge)
    skipped = [c for c in run.checks if c.dataset == "instance_usage" and c.check == "level"]
    assert skipped and all(c.status == "skipped" for c in skipped)
    assert "0 of 6 weeks of history" in skipped[0].reason
    series = [c for c in run.checks if c.dataset == "page_views" and c.check == "level"]
    assert series and all(c.status == "passed" for c in series)  # a series carries its history


def test_accepted_shift_stops_failing(
    config: Config, ge: GreatExpectations, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'accept.db'}")
    week = LATEST_WEEK - WEEK * 2
    runs = _replay(config, ALL, week, week, ge, scenario="ingestion-loss", store=store)
    volume = next(c for c in _failed(runs) if c.check == "volume")
    history.accept(store, ALL, volume.id, week, "the warehouse dropped a customer segment", "ana")
    assert history.list_accepted(store)[0]["accepted_by"] == "ana"
    first = plan(config, ALL, RunOptions(week=week, now=NOW, scenario="ingestion-loss"), tmp_path)
    later = backtest(replace(first, week=week + WEEK), week + WEEK * 2, store, ge)
    still = [c for r in later for c in r.checks if c.id == volume.id]
    assert still and all(c.status != "failed" for c in still)


def test_backtest_reads_nothing_after_the_week_it_replays(
    config: Config, ge: GreatExpectations, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canary import pipeline
    from canary.sources.sample import SampleWarehouseSource

    seen: list[tuple[date, date]] = []  # (week replayed, latest week its checks were given)
    real_pull = pipeline.pull_dataset

    def spying(p, dataset):  # type: ignore[no-untyped-def]
        data = real_pull(p, dataset)
        rows = data.batch()
        weeks = [*data.metrics["week"], *(d.date() for d in rows[data.tile.time_column])]
        if weeks:
            seen.append((p.week, max(weeks)))
        return data

    asked: list[date] = []  # the last week of each read of the warehouse
    real_query = SampleWarehouseSource.query

    def querying(self: SampleWarehouseSource, tile, weeks):  # type: ignore[no-untyped-def]
        asked.append(weeks[1])
        return real_query(self, tile, weeks)

    monkeypatch.setattr(pipeline, "pull_dataset", spying)
    monkeypatch.setattr(SampleWarehouseSource, "query", querying)
    _replay(config, CANARY, LATEST_WEEK - WEEK * 2, LATEST_WEEK - WEEK, ge)
    assert seen and all(latest <= week for week, latest in seen)
    assert max(latest for _, latest in seen) == LATEST_WEEK - WEEK
    assert asked and max(asked) == LATEST_WEEK - WEEK


def _verdicts(runs: list[RunResult]) -> list[tuple[object, ...]]:
    return [(r.week, c.id, c.status, json.dumps(c.observed)) for r in runs for c in r.checks]


def test_backtest_in_worker_processes_equals_one_process(
    config: Config, ge: GreatExpectations, tmp_path: Path
) -> None:
    """The static checks run ahead in a worker (and in this process when it is idle), the
    history goes week by week on a store kept in memory: the verdicts are the same."""
    start, end = LATEST_WEEK - WEEK * 2, LATEST_WEEK
    options = RunOptions(week=start, now=NOW, scenario="object-null")
    first = plan(config, ALL, options, config.data_dir)
    alone = backtest(first, end, Store(f"sqlite:///{tmp_path / 'alone.db'}"), ge)
    kept = Store(f"sqlite:///{tmp_path / 'kept.db'}", sole_writer=True)
    spread = backtest(first, end, kept, ge, workers=1)
    assert [r.week for r in spread] == [start + WEEK * i for i in range(3)]
    assert _verdicts(spread) == _verdicts(alone)
    assert any(c.status == "failed" for r in spread for c in r.checks)


def test_unstarted_weeks_are_taken_by_this_process_latest_first(
    ge: GreatExpectations, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import Future

    from canary import replay

    done: Future[object] = Future()
    done.set_result("by a worker")
    unstarted: list[Future[object]] = [Future() for _ in range(3)]  # no worker got to them
    taken: list[object] = []
    monkeypatch.setattr(replay, "collect", lambda p, _ge: taken.append(p) or f"here {p}")
    got = list(replay._in_order([0, 1, 2, 3], [done, *unstarted], ge))  # type: ignore[arg-type]
    assert got == ["by a worker", "here 1", "here 2", "here 3"]
    assert taken == [3, 2, 1] and all(f.cancelled() for f in unstarted)


def test_backfill_is_resumable_and_idempotent(config: Config, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'backfill.db'}")
    p = plan(config, ALL, RunOptions(week=LATEST_WEEK, now=NOW), tmp_path)
    start = LATEST_WEEK - WEEK * 3
    first = backfill(p, store, start, LATEST_WEEK - WEEK)
    assert first["instance_usage"] == 3 and first["page_views"] == 3
    rows = len(store.metric_history(ALL))
    again = backfill(p, store, start, LATEST_WEEK)
    assert again["instance_usage"] == 1  # only the week not stored yet
    assert len(store.metric_history(ALL)) > rows
    assert set(backfill(p, store, start, LATEST_WEEK).values()) == {0}  # every week stored
    forced = backfill(p, store, start, LATEST_WEEK, force=True)
    assert forced["instance_usage"] == 4
    assert store.metric_weeks(ALL, "instance_usage") == {start + WEEK * i for i in range(4)}


def test_backtest_cli_prints_the_summary_and_writes_valid_json(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from canary.cli import main
    from canary.report.json_result import validate

    out = tmp_path / "bt.json"
    code = main(
        [
            "backtest",
            "--config",
            str(config_path),
            "--monitor",
            CANARY,
            "--from",
            str(LATEST_WEEK - WEEK),
            "--to",
            str(LATEST_WEEK),
            "--as-of",
            "2026-11-28",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    validate(doc)
    assert [r["week"] for r in doc["runs"]] == [str(LATEST_WEEK - WEEK), str(LATEST_WEEK)]
    assert "alerts per check over 2 replayed weeks" in capsys.readouterr().out


def test_a_backtest_of_more_than_ten_years_is_a_usage_error(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--from 1900-01-01`` replayed thousands of empty weeks for hours."""
    from canary.cli import main

    argv = ["backtest", "--config", str(config_path), "--monitor", CANARY]
    assert main([*argv, "--from", "1900-01-01", "--to", str(LATEST_WEEK)]) == 2
    err = capsys.readouterr().err
    assert f"--from 1900-01-01 --to {LATEST_WEEK} spans 6621 weeks" in err
    assert "at most 520 (ten years)" in err
