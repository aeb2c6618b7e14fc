"""The independent benchmark generator: calendar year end, summer lull, heavy tail, exports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bench.calendar_usage import Season, export, generate
from bench.pings import GeneratorSpec

from canary.dashboards import catalog
from canary.sample.generator import CANARY_LABEL
from canary.sources.files import FilesSource
from canary.sources.files_config import FileDataset
from canary.weeks import week_start

END = date(2026, 11, 16)
VIEWS = "usage.WeeklyInsightsPageViews"


@pytest.fixture(scope="module")
def pings() -> pd.DataFrame:
    return generate(GeneratorSpec(end_week=END, weeks=130, seed=3))


def _dipped(season: Season, year: int) -> list[date]:
    """Mondays of the weeks around ``year``'s end that lose usage to the holidays."""
    monday = week_start(date(year, 12, 1))
    weeks = [monday + timedelta(weeks=k) for k in range(9)]
    return [w for w in weeks if season.week_factor(w) < 0.97]


def test_year_end_dip_follows_the_calendar() -> None:
    for seed in range(20):
        season = Season.draw(np.random.default_rng(seed))
        assert 0.3 <= season.dip_depth <= 0.6
        offsets = set()
        for year in range(2023, 2030):
            dipped = _dipped(season, year)
            christmas, new_year = date(year, 12, 25), date(year + 1, 1, 1)
            assert week_start(christmas) in dipped and week_start(new_year) in dipped
            assert 2 <= len(dipped) <= 5  # 2-4 weeks of holidays, the edges partial
            deepest = min(season.week_factor(w) for w in dipped)
            assert deepest == pytest.approx(1 - season.dip_depth, abs=0.08)
            offsets.add((christmas - week_start(christmas)).days)
        assert len(offsets) >= 5  # Dec 25 on another weekday most years


def test_dipped_weeks_are_not_52_weeks_apart_every_year() -> None:
    season = Season(0.5, (12, 20), 20, 0.15, 0.3)
    shifted = []
    for year in range(2024, 2032):
        this, last = _dipped(season, year), _dipped(season, year - 1)
        shifted.append({w - timedelta(weeks=52) for w in this} != set(last))
    assert any(shifted)


def test_summer_lull_is_ten_to_twenty_percent() -> None:
    for seed in range(20):
        season = Season.draw(np.random.default_rng(seed))
        july = season.week_factor(date(2026, 7, 13))
        assert 0.8 <= july <= 0.9
        assert season.week_factor(date(2026, 10, 12)) == pytest.approx(1.0)


def test_a_handful_of_instances_carry_half_the_usage(pings: pd.DataFrame) -> None:
    week = pings[pings["week"] == date(2026, 3, 2)]
    views = week.groupby("site_id")[VIEWS].sum().sort_values(ascending=False)
    carry_half = int((views.cumsum() < views.sum() / 2).sum()) + 1
    users = int((views > 0).sum())
    assert carry_half <= 15 < users / 10


def test_usage_grows_twenty_to_fifty_percent_a_year(pings: pd.DataFrame) -> None:
    totals = pings.groupby("week")[VIEWS].sum()
    spring = [date(2026, 3, 2) + timedelta(weeks=k) for k in range(10)]
    ratio = totals.loc[spring].sum() / totals.loc[[w - timedelta(weeks=52) for w in spring]].sum()
    assert 1.1 <= ratio <= 1.6


def test_instances_churn_and_join(pings: pd.DataFrame) -> None:
    first = set(pings.loc[pings["week"] == pings["week"].min(), "site_id"])
    last = set(pings.loc[pings["week"] == END, "site_id"])
    assert len(first - last) > 40 and len(last - first) > 100


def test_creators_are_small_counts(pings: pd.DataFrame) -> None:
    creators = pings["usage.WeeklyInsightCreators"].astype(float)
    assert creators.median() <= 2 and creators.max() < 200
    assert (pings.loc[pings["instance_label"] == CANARY_LABEL, "week"].nunique()) == 130


def test_exports_are_read_by_the_files_source(tmp_path: Path) -> None:
    spec = GeneratorSpec(end_week=END, weeks=60, seed=2, instances=200)
    globs = export(spec, tmp_path, "ingestion-loss", END)
    dashboard = catalog().dashboards["all-instances"]
    pattern = str(globs["all-instances"])
    source = FilesSource(
        tmp_path,
        {t.dataset: FileDataset(path=pattern.format(dataset=t.dataset)) for t in dashboard.tiles},
        timedelta(1),
    )
    usage = source.pull(dashboard.tile("instance_usage"), END).frame
    assert set(pd.to_datetime(usage["week"]).dt.date) == {END - timedelta(weeks=1), END}
    clean = generate(spec)
    kept = usage[pd.to_datetime(usage["week"]).dt.date == END]
    assert len(kept) < 0.8 * (clean["week"] == END).sum()  # the breakage was injected
    series = source.pull(dashboard.tile("page_views"), END).frame
    assert len(series) == 60


def test_instances_without_insights_report_zeros(pings: pd.DataFrame) -> None:
    present = pings["usage_state"] == "present"
    assert present.mean() > 0.97  # the static suites allow at most 20% nulls
    assert (pings.loc[present, VIEWS] == 0).mean() > 0.4
