"""The level check around the year end: last year's dip absorbs this year's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from canary.anomaly.calendar import Calendar
from canary.anomaly.detectors import cumulative_counter, level, year_ago_weeks
from canary.anomaly.inputs import HistoryInput
from canary.config import DEFAULT_QUIET_WEEKS, CalendarSettings, load_config
from canary.dashboards import catalog
from canary.dataset import Dataset
from canary.pipeline import RunOptions, plan
from canary.replay import warm_up
from canary.store.db import Store
from canary.summary import summary_of
from canary.weeks import WEEK, weeks_back
from tests.conftest import NOW, write_config
from tests.history_inputs import COLUMN, page_views


def _series(values: dict[date, float], week: date) -> HistoryInput:
    return page_views(values, week, Calendar(list(DEFAULT_QUIET_WEEKS)))


def _two_years(week: date, dip: dict[int, float], noise: float = 0.0) -> dict[date, float]:
    """A steady 1,000 a week with ``dip`` (weeks before ``week`` -> share kept) a year ago
    and this year, wiggling by ``noise``."""
    rng = np.random.default_rng(5)
    weeks = weeks_back(week, 104)
    values = {w: 1000.0 * (1 + noise * rng.standard_normal()) for w in weeks}
    for back, share in dip.items():
        for year in (0, 52):
            w = week - WEEK * (back + year)
            if w in values:
                values[w] = values[w] * share
    return values


def _row(h: HistoryInput) -> dict[str, object]:
    (row,) = [r for r in level(h) if r["column"] == COLUMN]
    return row


def test_last_years_dip_sets_this_years_expectation() -> None:
    week = date(2025, 12, 29)  # ISO week 1 of 2026: a quiet week
    row = _row(_series(_two_years(week, {1: 0.6, 0: 0.35}), week))
    # 65% down a year ago too: expected about 350, not the 45% floor of a first year
    assert abs(row["expected"] - 350) < 20
    assert row["lower"] <= 350 <= row["upper"]


def test_a_dip_flagged_last_year_still_counts_as_last_years_dip() -> None:
    week = date(2025, 12, 29)
    h = _series(_two_years(week, {1: 0.6, 0: 0.35}), week)
    h.flagged = {(COLUMN, "", week - WEEK * 52)}  # last year's dip raised an alert
    assert _row(h)["lower"] <= 350


def test_a_breakage_in_a_dip_week_is_still_caught() -> None:
    week = date(2025, 12, 29)
    values = _two_years(week, {1: 0.6, 0: 0.55}, noise=0.02)
    values[week] = values[week] * 0.4  # 60% of the pings lost on top of the holidays
    row = _row(_series(values, week))
    assert row["observed"] < row["lower"]


def test_a_dip_edge_moving_into_the_next_week_is_absorbed() -> None:
    week = date(2025, 12, 22)
    values = _two_years(week, {0: 0.9, -1: 0.5})
    values[week] = 600.0  # this year the holidays began two days earlier
    row = _row(_series(values, week))
    assert row["lower"] <= 600 <= row["upper"]


def test_a_backtest_warms_up_the_weeks_last_year_that_calendar_weeks_compare_with() -> None:
    no_holidays = CalendarSettings(countries=[], summer_weeks=[])
    quiet_only = Calendar(list(DEFAULT_QUIET_WEEKS), no_holidays)
    needed = year_ago_weeks(quiet_only, date(2025, 12, 1), date(2026, 1, 26))
    assert date(2024, 12, 30) in needed  # ISO week 1 of 2025, a year before 2025-12-29
    assert needed[0] <= date(2024, 12, 16) - WEEK * 10  # the normal weeks before it
    assert year_ago_weeks(quiet_only, date(2026, 3, 2), date(2026, 6, 1)) == []
    # with public holidays, Easter Monday 2026 (April 6) compares with April 21, 2025
    spring = year_ago_weeks(Calendar([]), date(2026, 4, 6), date(2026, 4, 6))
    assert date(2025, 4, 21) in spring and date(2025, 4, 14) - WEEK * 10 in spring


def test_backtest_scratch_store_holds_last_years_quiet_weeks(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path), environ={})
    store = Store(f"sqlite:///{tmp_path / 'scratch.db'}")
    first = plan(
        config,
        "code-insights-all-instances",
        RunOptions(week=date(2025, 12, 22), now=NOW),
        tmp_path,
    )
    warm_up(first, store, end=date(2026, 1, 5))
    stored = store.metric_weeks("code-insights-all-instances", "instance_usage")
    assert date(2024, 12, 23) in stored and date(2025, 1, 6) in stored
    assert date(2025, 12, 15) in stored  # and the training weeks, as before


def _two_weeks_of_instances(rise: np.ndarray, week: date) -> HistoryInput:
    """instance_usage for ``week`` and the week before, page views multiplied by ``rise``."""
    tile = catalog().dashboards["all-instances"].tile("instance_usage")
    rng = np.random.default_rng(2)
    before = rng.integers(5, 200, len(rise))
    rows = []
    for when, views in ((week - WEEK, before), (week, np.round(before * rise))):
        for i, v in enumerate(views):
            row = {c: 1 for c in tile.dtypes}
            row.update(week=pd.Timestamp(when), site_id=f"s{i}", weekly_insights_page_views=v)
            rows.append(row)
    h = _series({}, week)
    frame = pd.DataFrame(rows)
    h.tile, h.dataset = tile, "instance_usage"
    h.summary = summary_of(Dataset("instance_usage", tile, frame), week)
    return h


def _cumulative(h: HistoryInput) -> dict[str, object]:
    (row,) = [r for r in cumulative_counter(h) if r["column"] == "weekly_insights_page_views"]
    return row


def test_the_week_after_the_holidays_is_not_a_cumulative_counter() -> None:
    week = date(2026, 1, 12)
    rise = np.random.default_rng(4).lognormal(np.log(2.0), 0.4, 300)  # back from a 50% dip
    row = _cumulative(_two_weeks_of_instances(rise, week))
    assert 0.9 < row["observed"] <= row["upper"]  # most rose, as a running total would
    running = _cumulative(_two_weeks_of_instances(1 + rise / 20, week))
    assert running["observed"] > running["upper"]
