"""Backfill and backtest read each tile's weeks in one query, and cut every week from it
exactly as a pull of that week gives it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.dashboards import Tile, catalog
from canary.errors import SourceError
from canary.pipeline import RunOptions, plan
from canary.replay import _warm_ranges, backfill, backtest
from canary.sample.warehouse import WarehouseSpec
from canary.sources.files import FilesSource
from canary.sources.files_config import FileDataset
from canary.sources.ranges import read_weeks, runs, summarize_weeks
from canary.sources.sample import SampleWarehouseSource, sample_spec
from canary.sources.sample_config import SampleSourceConfig
from canary.sources.sql.source import SqlSource
from canary.store.db import Store
from canary.summary import TYPICAL_METRICS, TileSummary, summary_of
from canary.weeks import WEEK, weeks_between
from tests.conftest import LATEST_WEEK, NOW, write_config

pytestmark = pytest.mark.integration
ALL = "code-insights-all-instances"
CANARY = "code-insights-canary"
BOARD = catalog().dashboards["all-instances"]


def _sample(data_dir: Path) -> SampleWarehouseSource:
    spec = WarehouseSpec(sample_spec(SampleSourceConfig(kind="sample"), NOW))
    return SampleWarehouseSource(data_dir, spec, BOARD, timedelta(days=1))


def _count_queries(monkeypatch: pytest.MonkeyPatch, cls: type) -> Counter[str]:
    """Queries of ``cls`` (a source class) per dataset, from now on: pulls run one too."""
    reads: Counter[str] = Counter()
    real = cls.query

    def counting(self: object, tile: Tile, weeks: tuple[date | None, date | None]) -> object:
        reads[tile.dataset] += 1
        return real(self, tile, weeks)

    monkeypatch.setattr(cls, "query", counting)
    return reads


def test_runs_are_consecutive_weeks_at_most_so_long() -> None:
    w = LATEST_WEEK
    weeks = [w, w - WEEK, w - WEEK * 2, w - WEEK * 5, w - WEEK * 6, w - WEEK * 9]
    assert runs(weeks) == [
        [w - WEEK * 9],
        [w - WEEK * 6, w - WEEK * 5],
        [w - WEEK * i for i in (2, 1, 0)],
    ]
    assert runs(weeks, most=2) == [
        [w - WEEK * 9],
        [w - WEEK * 6, w - WEEK * 5],
        [w - WEEK * 2, w - WEEK],
        [w],
    ]


def test_every_week_cut_from_one_read_is_what_its_pull_gives(
    shared_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _sample(shared_sample)
    weeks = [LATEST_WEEK - WEEK * i for i in (12, 4, 3, 2, 1, 0)]  # two runs of weeks
    expected = {(t.dataset, w): source.pull(t, w) for t in BOARD.tiles for w in weeks}
    reads = _count_queries(monkeypatch, SqlSource)
    for tile in BOARD.tiles:
        for week, got in read_weeks(source, tile, weeks):
            assert not isinstance(got, Exception)
            want = expected[(tile.dataset, week)]
            pd.testing.assert_frame_equal(got.frame, want.frame)
            assert (got.name, got.link, got.warnings) == (want.name, want.link, want.warnings)
    snapshots = {t.dataset for t in BOARD.tiles if t.shape == "snapshot"}
    assert snapshots == {"instance_usage"}
    # a series once up to the last week; a snapshot once per run of consecutive weeks
    assert reads == {t.dataset: 2 if t.dataset in snapshots else 1 for t in BOARD.tiles}


#: The week ``_broken_export`` writes a value that is not a number into.
BROKEN = LATEST_WEEK - WEEK * 2


def _broken_export(shared_sample: Path, directory: Path) -> FilesSource:
    """The instance-level export as CSV, page views "lots" in week ``BROKEN``."""
    tile = BOARD.tile("instance_usage")
    frame = _sample(shared_sample).query(tile, (None, LATEST_WEEK)).frame
    frame["weekly_insights_page_views"] = frame["weekly_insights_page_views"].astype(object)
    in_week = frame["week"] == pd.Timestamp(BROKEN)
    frame.loc[in_week, "weekly_insights_page_views"] = "lots"
    # its rows first, where DuckDB samples the types: the column is read as text
    pd.concat([frame[in_week], frame[~in_week]]).to_csv(directory / "usage.csv", index=False)
    return FilesSource(
        directory, {"instance_usage": FileDataset(path="usage.csv")}, timedelta(days=1)
    )


def test_a_week_that_cannot_be_read_is_its_own_error_not_every_weeks(
    shared_sample: Path, tmp_path: Path
) -> None:
    tile = BOARD.tile("instance_usage")
    files = _broken_export(shared_sample, tmp_path)
    broken = BROKEN
    got = dict(read_weeks(files, tile, [LATEST_WEEK - WEEK * i for i in range(5)]))
    bad = [week for week, outcome in got.items() if isinstance(outcome, SourceError)]
    assert bad == [broken, broken + WEEK]  # the week itself, and the next that compares with it
    assert "'lots'" in str(got[broken])
    assert all(len(o.frame) > 1000 for w, o in got.items() if w not in bad)  # type: ignore[union-attr]


def test_weeks_the_grouped_query_cannot_sum_are_summarised_week_by_week(
    shared_sample: Path, tmp_path: Path
) -> None:
    files = _broken_export(shared_sample, tmp_path)
    weeks = [LATEST_WEEK - WEEK * i for i in range(5)]
    got = dict(summarize_weeks(files, BOARD.tile("instance_usage"), weeks))
    # one bad value fails the query of every week; read again, it is its own week's error
    assert [w for w, o in got.items() if isinstance(o, SourceError)] == [BROKEN]
    assert "'lots'" in str(got[BROKEN])
    good = [o for w, o in got.items() if w != BROKEN]
    assert len(good) == 4 and all(isinstance(o, TileSummary) and o.rows > 1000 for o in good)


def test_backfill_reads_each_tile_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write_config(tmp_path), environ={})
    p = plan(config, ALL, RunOptions(week=LATEST_WEEK, now=NOW), tmp_path)
    p.source.pull(BOARD.tile("creators"), LATEST_WEEK)  # the sample is built before counting
    reads = _count_queries(monkeypatch, SqlSource)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    written = backfill(p, store, LATEST_WEEK - WEEK * 25, LATEST_WEEK)
    assert written["instance_usage"] == 26
    # a series is read once; the snapshot's 26 weeks are one aggregate query, no rows pulled
    assert reads == {name: 1 for name in config.monitors[ALL].datasets if name != "instance_usage"}
    assert store.metric_weeks(ALL, "instance_usage") == set(
        weeks_between(LATEST_WEEK - WEEK * 25, LATEST_WEEK)
    )
    # what the database computed is what the pure code gives on the pulled weeks
    stored = store.metric_history(ALL)
    keys = ["week", "column_name", "segment", "metric"]
    for week in (LATEST_WEEK - WEEK * 25, LATEST_WEEK - WEEK * 7, LATEST_WEEK):
        pure = summary_of(p.source.pull(BOARD.tile("instance_usage"), week), week).metrics
        # the typical instance's figures are read for the week under test only
        pure = pure[~pure["metric"].isin(TYPICAL_METRICS)]
        got = stored[(stored["dataset"] == "instance_usage") & (stored["week"] == week)]
        pd.testing.assert_frame_equal(
            got[[*keys, "value"]].sort_values(keys).reset_index(drop=True),
            pure[[*keys, "value"]].sort_values(keys).reset_index(drop=True),
            check_dtype=False,
            rtol=1e-12,
        )


def test_backfill_of_files_scans_each_export_once(
    shared_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tile = BOARD.tile("instance_usage")
    _sample(shared_sample).query(tile, (None, LATEST_WEEK)).frame.to_parquet(
        tmp_path / "usage.parquet", index=False
    )
    config = load_config(
        write_config(
            tmp_path,
            sources={
                "exports": {
                    "kind": "files",
                    "datasets": {"instance_usage": {"path": "usage.parquet"}},
                }
            },
            monitors={
                ALL: {
                    "source": "exports",
                    "dashboard": "all-instances",
                    "suite_prefix": "all_instances",
                    "alerts": {"channel": "#code-insights"},
                    "datasets": {"instance_usage": {}},
                }
            },
        ),
        environ={},
    )
    p = plan(config, ALL, RunOptions(week=LATEST_WEEK, now=NOW), tmp_path)
    reads = _count_queries(monkeypatch, FilesSource)
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    assert backfill(p, store, LATEST_WEEK - WEEK * 51, LATEST_WEEK) == {"instance_usage": 52}
    assert reads == {}  # one aggregate query by DuckDB over the file, no rows pulled
    row_counts = store.metric_history(ALL)
    row_counts = row_counts[(row_counts["metric"] == "row_count") & (row_counts["segment"] == "")]
    assert len(row_counts) == 52 and (row_counts["value"] > 1000).all()


def _verdicts(runs: list) -> list[tuple[object, ...]]:  # type: ignore[type-arg]
    # a type is observed as DuckDB names it when GE ran there, as a dtype on pulled rows
    return [
        (r.week, c.id, c.status, None if c.check == "type" else json.dumps(c.observed))
        for r in runs
        for c in r.checks
    ]


def test_backtest_reads_each_run_of_weeks_once_and_judges_as_week_by_week_pulls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_config(tmp_path), environ={})
    start, end = LATEST_WEEK - WEEK * 5, LATEST_WEEK
    first = plan(config, CANARY, RunOptions(week=start, now=NOW, scenario="object-null"), tmp_path)
    ge = GreatExpectations()
    first.source.pull(BOARD.tile("creators"), start)  # the sample is built before counting
    reads = _count_queries(monkeypatch, SqlSource)
    once = backtest(first, end, Store(f"sqlite:///{tmp_path / 'once.db'}"), ge)
    needed = [w for a, b in _warm_ranges(first, end) for w in weeks_between(a, b)]
    needed += weeks_between(start, end)
    datasets = config.monitors[CANARY].datasets
    # a snapshot is read once per run of weeks (recent ones, last year's around a holiday);
    # a series once: its read of the last week holds every week before it
    series = {name for name in datasets if first.dashboard.tile(name).shape == "series"}
    assert reads == {name: 1 if name in series else len(runs(needed)) for name in datasets}
    assert series and len(runs(needed)) <= 3 < len(needed)

    # a source that pulls a week at a time
    monkeypatch.delattr(SampleWarehouseSource, "query")
    monkeypatch.delattr(SampleWarehouseSource, "weekly_summaries")
    weekly = backtest(first, end, Store(f"sqlite:///{tmp_path / 'weekly.db'}"), ge)
    assert _verdicts(once) == _verdicts(weekly)
    assert any(c.status == "failed" for r in once for c in r.checks)
    assert reads["instance_usage"] > len(runs(needed))  # week by week reads more
