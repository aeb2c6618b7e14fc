"""A weekly run reads the week, not the history: the same verdicts as a full (``--deep``) read."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from canary.anomaly.reads import (
    changed_weeks,
    copies_with_stored,
    first_read,
    spans_of,
    with_stored,
)
from canary.checks.validate import GreatExpectations
from canary.config import Config
from canary.dashboards import catalog
from canary.fingerprints import fingerprint, fingerprints_of
from canary.pipeline import Plan, RunOptions, plan, run_monitor
from canary.replay import backfill
from canary.results import RunResult
from canary.sample.warehouse import FILE_NAME
from canary.sources.sample import SampleWarehouseSource
from canary.sources.sql.source import SqlSource
from canary.store import fingerprints as store_fingerprints
from canary.store.db import Store
from canary.summary import Rows, TileSummary, WeekOverWeek
from canary.weeks import WEEK
from tests.conftest import LATEST_WEEK, NOW

ALL = "code-insights-all-instances"
W = LATEST_WEEK


def test_the_first_week_read_follows_the_store() -> None:
    assert first_read([], W) is None  # a first run reads every week
    assert first_read([W - WEEK * 3, W - WEEK], W) == W  # the week before: by fingerprint
    assert first_read([W - WEEK * 5, W - WEEK * 4], W) == W - WEEK * 3  # a gap is read
    assert first_read([W, W + WEEK], W) is None  # only later weeks: as a first run


def test_a_week_is_changed_when_its_fingerprint_differs_or_one_side_lacks_it() -> None:
    a, b = fingerprint(3, {"x": 1.0}), fingerprint(3, {"x": 2.0})
    now = {W - WEEK * 3: a, W - WEEK * 2: a, W - WEEK: b, W: b}
    stored = {W - WEEK * 4: a, W - WEEK * 3: a, W - WEEK * 2: b, W - WEEK: a}
    assert changed_weeks(now, stored, W - WEEK) == (W - WEEK * 4, W - WEEK * 2)


def test_changed_weeks_in_a_row_are_read_in_one_span() -> None:
    weeks = [W - WEEK * 9, W - WEEK * 3, W - WEEK * 8, W - WEEK * 4]
    assert spans_of(weeks) == [(W - WEEK * 9, W - WEEK * 8), (W - WEEK * 4, W - WEEK * 3)]


def test_fingerprints_ignore_the_order_sums_were_added_in() -> None:
    assert fingerprint(2, {"x": 0.1 + 0.2}) == fingerprint(2, {"x": 0.3})
    assert fingerprint(2, {"x": None}) == fingerprint(2, {"x": float("nan")})
    assert fingerprint(2, {"x": 1.0}) != fingerprint(3, {"x": 1.0})
    frame = pd.DataFrame(
        {"week": pd.to_datetime(["2026-11-09", "2026-11-16", "2026-11-16"]), "x": [1, 2, 3]}
    )
    assert fingerprints_of(frame, "week", ["x"]) == {
        date(2026, 11, 9): fingerprint(1, {"x": 1}),
        date(2026, 11, 16): fingerprint(2, {"x": 5}),
    }


def test_stored_values_fill_the_weeks_a_narrow_pull_did_not_read() -> None:
    mine = pd.DataFrame(
        {
            "dataset": "d",
            "week": [W - WEEK, W],
            "column_name": "views",
            "segment": "",
            "metric": "value",
            "value": [10.0, 11.0],
        }
    )
    stored = pd.DataFrame(
        {
            "week": [W - WEEK * 2, W - WEEK, W - WEEK * 2],
            "column_name": ["views", "views", "renamed_away"],
            "segment": "",
            "value": [9.0, 99.0, 1.0],
        }
    )
    got = with_stored(mine, stored, "d")
    assert list(zip(got["week"], got["value"], strict=True)) == [
        (W - WEEK * 2, 9.0),  # stored: not read
        (W - WEEK, 10.0),  # read: the pull's value wins
        (W, 11.0),
    ]


def test_copy_of_last_week_compares_a_narrow_pull_with_the_stored_week_before() -> None:
    """Values of 10 or more last week (stored), matched by column and segment: how many
    this week repeats exactly; a pull that read the week before keeps its own comparison."""
    segments = [json.dumps({"version": v}) for v in ("5.1", "5.2", "5.3")]
    mine = pd.DataFrame(
        {
            "dataset": "d",
            "week": W,
            "column_name": "views",
            "segment": segments,
            "metric": "value",
            "value": [40.0, 12.0, 3.0],
        }
    )
    stored = pd.DataFrame(
        {"week": W - WEEK, "column_name": "views", "segment": segments, "value": [40.0, 13.0, 3.0]}
    )
    tile = catalog().tiles["usage_by_version"]
    summary = TileSummary("d", tile, 3, {}, None, mine, Rows())
    assert copies_with_stored(summary, mine, stored, W).changes == WeekOverWeek((2, 1))
    assert copies_with_stored(summary, mine, stored.assign(week=W - WEEK * 2), W).changes is None
    read = dataclasses.replace(summary, changes=WeekOverWeek((5, 0)))
    assert copies_with_stored(read, mine, stored, W).changes == WeekOverWeek((5, 0))


def _run(config: Config, store: Store, ge: GreatExpectations, week: date, deep: bool) -> RunResult:
    p = plan(config, ALL, RunOptions(week=week, now=NOW, deep=deep), config.data_dir)
    return run_monitor(p, store, ge)


def _verdicts(run: RunResult) -> dict[str, tuple[str, str]]:
    return {c.id: (c.status, json.dumps(c.observed)) for c in run.checks}


def _differences(a: RunResult, b: RunResult) -> list[str]:
    va, vb = _verdicts(a), _verdicts(b)
    names = {c.id: f"{c.dataset} {c.check} {c.column or ''} {c.segment or ''}" for c in a.checks}
    return [
        f"{names.get(k, k)}: {va.get(k)} != {vb.get(k)}"
        for k in va.keys() | vb.keys()
        if va.get(k) != vb.get(k)
    ]


def _series_reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, date | None, date | None]]:
    asked: list[tuple[str, date | None, date | None]] = []
    real = SqlSource.query

    def spying(self: SqlSource, tile, weeks):  # type: ignore[no-untyped-def]
        if tile.shape == "series":
            asked.append((tile.dataset, *weeks))
        return real(self, tile, weeks)

    monkeypatch.setattr(SqlSource, "query", spying)
    return asked


@pytest.mark.integration
@pytest.mark.parametrize("weeks_back", [6, 1], ids=["an old week", "the week before"])
def test_narrow_reads_judge_as_a_full_read_old_week_rewrites_included(
    config: Config,
    ge: GreatExpectations,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    weeks_back: int,
) -> None:
    """Week by week on the same sample, one store read narrow and one read deep: verdicts
    equal check by check, before and after a week inside the window is rewritten (an old
    one, or the week before the week under test, where late pings land)."""
    narrow = Store(f"sqlite:///{tmp_path / 'narrow.db'}", home=config.data_dir)
    deep = Store(f"sqlite:///{tmp_path / 'deep.db'}", home=config.data_dir)
    asked = _series_reads(monkeypatch)
    weeks = [W - WEEK * 3, W - WEEK * 2, W - WEEK]
    for week in weeks:
        asked.clear()
        a, b = _run(config, narrow, ge, week, False), _run(config, deep, ge, week, True)
        assert not _differences(a, b), (week, _differences(a, b))
        narrow_reads = asked[: len(asked) // 2]
        if week != weeks[0]:  # the first run reads every week; later ones their week
            assert narrow_reads and all(lo == hi == week for _, lo, hi in narrow_reads)
    old = W - WEEK * weeks_back  # inside the 13-week lookback window
    with duckdb.connect(str(config.data_dir / FILE_NAME)) as con:
        con.execute("DELETE FROM weekly_pings WHERE week = ? AND hash(site_id) % 3 = 0", [old])
    asked.clear()
    a, b = _run(config, narrow, ge, W, False), _run(config, deep, ge, W, True)
    assert not _differences(a, b)
    rewritten = [c for c in a.checks if c.check == "history rewritten" and c.status == "failed"]
    assert rewritten and all(old.isoformat() in c.reason for c in rewritten)
    assert {"page_views", "usage_by_version"} <= {c.dataset for c in rewritten}
    re_read = {(d, lo, hi) for d, lo, hi in asked[: len(asked) // 2] if lo == hi == old}
    assert ("page_views", old, old) in re_read  # the changed week alone
    stored = store_fingerprints.stored(narrow, ALL, "page_views", W - WEEK * 12, W + WEEK)
    assert len(stored) == 13  # the window's fingerprints, kept for the next run


@pytest.mark.integration
@pytest.mark.parametrize(
    "scenario", ["double-count", "schema-rename", "category-drift", "stale-copy"]
)
def test_bundled_scenarios_judge_as_a_full_read(
    config: Config, ge: GreatExpectations, tmp_path: Path, scenario: str
) -> None:
    """A scenario's week, after two healthy weeks stored: narrow and deep give the same verdicts."""
    options = RunOptions(week=W, now=NOW, scenario=scenario)
    base = plan(config, ALL, options, config.data_dir)
    runs: dict[bool, RunResult] = {}
    for deep in (False, True):
        store = Store(f"sqlite:///{tmp_path / f'{scenario}-{deep}.db'}", home=config.data_dir)
        for week in (W - WEEK * 2, W - WEEK, W):
            p: Plan = dataclasses.replace(base, week=week, deep=deep, reads={})
            runs[deep] = run_monitor(p, store, ge)
    assert not _differences(runs[False], runs[True])
    assert any(c.status in ("failed", "warning") for c in runs[False].checks)


@pytest.mark.integration
@pytest.mark.parametrize("by_query", [True, False], ids=["fingerprint query", "rows pulled"])
def test_a_backfill_stores_the_fingerprints_the_next_run_compares_with(
    by_query: bool,
    config: Config,
    ge: GreatExpectations,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a backfill the next run reads its week, no past week again; an old week rewritten after the backfill is still re-read and named. A source
    without a fingerprint query (an API, files) is fingerprinted from the rows it gave."""
    if not by_query:
        monkeypatch.delattr(SampleWarehouseSource, "fingerprints")
    store = Store(f"sqlite:///{tmp_path / 'backfilled.db'}", home=config.data_dir)
    before = plan(config, ALL, RunOptions(week=W - WEEK, now=NOW), config.data_dir)
    backfill(before, store, W - WEEK * 20, W - WEEK)
    stored = store_fingerprints.stored(store, ALL, "page_views", W - WEEK * 12, W)
    assert sorted(stored) == [W - WEEK * k for k in range(12, 0, -1)]

    def run() -> tuple[Plan, RunResult]:
        p = plan(config, ALL, RunOptions(week=W, now=NOW), config.data_dir)
        return p, run_monitor(p, store, ge)

    p, first = run()
    assert p.reads and all(r.first == W and not r.changed for r in p.reads.values())
    assert not [c for c in first.checks if c.check == "history rewritten" and c.status != "passed"]
    old = W - WEEK * 5
    with duckdb.connect(str(config.data_dir / FILE_NAME)) as con:
        con.execute("DELETE FROM weekly_pings WHERE week = ? AND hash(site_id) % 3 = 0", [old])
    p, again = run()
    assert old in p.reads["page_views"].changed
    rewritten = [c for c in again.checks if c.check == "history rewritten" and c.status == "failed"]
    assert rewritten and all(old.isoformat() in c.reason for c in rewritten)
