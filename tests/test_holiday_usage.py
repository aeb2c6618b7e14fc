"""The third benchmark generator: countries' holidays, shutdowns, shapes drawn per seed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bench.holiday_usage import Shape, country_days, export, generate, ramp, weekly
from bench.pings import GeneratorSpec

from canary.dashboards import catalog
from canary.sample.generator import CANARY_SITE_ID, release_of
from canary.sample.scenarios import inject
from canary.sources.files import FilesSource
from canary.sources.files_config import FileDataset
from canary.weeks import week_start

END = date(2026, 11, 16)
VIEWS = "usage.WeeklyInsightsPageViews"
SMALL = GeneratorSpec(end_week=END, weeks=60, seed=4, instances=200)


@pytest.fixture(scope="module")
def pings() -> pd.DataFrame:
    return generate(SMALL)


def test_the_same_seed_gives_the_same_pings(pings: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(generate(SMALL), pings)
    other = generate(GeneratorSpec(end_week=END, weeks=60, seed=5, instances=200))
    assert len(other) != len(pings) or not other[VIEWS].equals(pings[VIEWS])


def test_ramp_rises_holds_and_fades() -> None:
    strength = ramp(12, 2, 2, 3, 2)
    assert strength.tolist() == pytest.approx([0, 0, 1 / 3, 2 / 3, 1, 1, 1, 2 / 3, 1 / 3, 0, 0, 0])
    assert ramp(5, 1, 0, 1, 0).tolist() == [0, 1, 0, 0, 0]


@pytest.mark.parametrize("seed", range(6))
def test_easter_moves_between_years_and_its_dip_with_it(seed: int) -> None:
    """Easter Monday is in ISO week 17 of 2025 and week 15 of 2026: each year that week
    loses usage in Germany, the same week of the other year does not."""
    rng = np.random.default_rng(seed)
    shape = Shape.draw(rng)
    first = date(2025, 1, 6)
    weeks = weekly(country_days(shape, "DE", first, 7 * 70, rng), shape.weekend)

    def factor(monday: date) -> float:
        return float(weeks[(monday - first).days // 7])

    easter_2025, easter_2026 = date(2025, 4, 21), date(2026, 4, 6)
    assert week_start(easter_2025).isocalendar().week == 17
    assert week_start(easter_2026).isocalendar().week == 15
    assert factor(week_start(easter_2025)) < factor(week_start(easter_2025) + timedelta(weeks=52))
    assert factor(week_start(easter_2026)) < factor(week_start(easter_2026) - timedelta(weeks=52))
    assert factor(date(2025, 3, 10)) == pytest.approx(1.0)  # an ordinary week


def test_the_year_end_dips_and_recovers_in_every_country() -> None:
    rng = np.random.default_rng(11)
    shape = Shape.draw(rng)
    first = date(2025, 11, 3)
    for country in ("US", "GB", "JP", "IN"):
        weeks = weekly(country_days(shape, country, first, 7 * 12, rng), shape.weekend)
        deepest = int(np.argmin(weeks))
        assert date(2025, 12, 15) <= first + timedelta(weeks=deepest) <= date(2026, 1, 5)
        assert weeks[deepest] < 0.85 and weeks[-1] > weeks[deepest]


def test_shapes_differ_between_seeds() -> None:
    shapes = [Shape.draw(np.random.default_rng([seed, 2027])) for seed in range(1, 21)]
    assert {s.size_law for s in shapes} == {"lognormal", "pareto"}
    assert min(s.trend for s in shapes) < 0 < max(s.trend for s in shapes)
    assert len({c for s in shapes for c in s.countries}) >= 8
    assert len({s.summer_start for s in shapes}) >= 10
    assert max(s.upgrade for s in shapes) > 3 * min(s.upgrade for s in shapes)
    assert all(s.countries[0] == "US" and sum(s.shares) == pytest.approx(1.0) for s in shapes)


def _top_share(frame: pd.DataFrame) -> float:
    """Share of a year's page views the ten largest instances carry."""
    views = frame[frame["week"] > END - timedelta(weeks=52)].groupby("site_id")[VIEWS].sum()
    return float(views.nlargest(10).sum() / views.sum())


def test_generated_shapes_differ_between_seeds(pings: pd.DataFrame) -> None:
    frames = [pings] + [
        generate(GeneratorSpec(end_week=END, weeks=60, seed=s, instances=200)) for s in (6, 7)
    ]
    shares = [_top_share(f) for f in frames]
    assert max(shares) - min(shares) > 0.05
    newest = [
        (f.loc[f["week"] == END, "release_index"] >= release_of(END) - 1).mean() for f in frames
    ]
    assert max(newest) - min(newest) > 0.05  # rollouts at another speed


def test_the_canary_instance_reports_every_week_on_the_newest_release(
    pings: pd.DataFrame,
) -> None:
    canary = pings[pings["site_id"] == CANARY_SITE_ID]
    assert len(canary) == SMALL.weeks
    newest = canary["week"].map(release_of)
    assert (canary["release_index"] == newest).all()
    assert (canary[VIEWS] > 0).mean() > 0.9


def test_instances_churn_and_join(pings: pd.DataFrame) -> None:
    first = set(pings.loc[pings["week"] == pings["week"].min(), "site_id"])
    last = set(pings.loc[pings["week"] == END, "site_id"])
    assert first - last and last - first


def test_the_dashboards_invariants_hold(pings: pd.DataFrame) -> None:
    def col(key: str) -> pd.Series:
        return pings["usage." + key].astype("float64")

    assert (col("WeeklyInsightsUniquePageViews") <= col("WeeklyInsightsPageViews")).all()
    assert (col("WeeklyFirstTimeInsightCreators") <= col("WeeklyInsightCreators")).all()
    assert (col("TotalOrgsWithDashboard") <= col("TotalDashboardCount")).all()
    assert not pings.duplicated(["site_id", "week"]).any()


def test_the_catalog_injects_into_it(pings: pd.DataFrame) -> None:
    week = END - timedelta(weeks=3)
    broken = inject(pings, "object-null", week, SMALL.sample_spec())
    assert (broken.loc[broken["week"] >= week, "usage_state"] == "null").all()
    assert (broken.loc[broken["week"] < week, "usage_state"] != "null").mean() > 0.95
    undercount = inject(pings, "version-undercount", week, SMALL.sample_spec())
    hit = (pings["week"] >= week) & (pings["release_index"] >= release_of(week))
    assert undercount.loc[hit, VIEWS].sum() < 0.7 * pings.loc[hit, VIEWS].sum()
    assert undercount.loc[~hit, VIEWS].equals(pings.loc[~hit, VIEWS])


def test_exports_are_read_by_the_files_source(tmp_path: Path) -> None:
    spec = GeneratorSpec(end_week=END, weeks=40, seed=2, instances=150)
    globs = export(spec, tmp_path, "double-count", END)
    dashboard = catalog().dashboards["all-instances"]
    pattern = str(globs["all-instances"])
    source = FilesSource(
        tmp_path,
        {t.dataset: FileDataset(path=pattern.format(dataset=t.dataset)) for t in dashboard.tiles},
        timedelta(1),
    )
    usage = source.pull(dashboard.tile("instance_usage"), END).frame
    weeks = pd.to_datetime(usage["week"]).dt.date
    assert set(weeks) == {END - timedelta(weeks=1), END}
    clean = generate(spec)
    assert (weeks == END).sum() >= 2 * (clean["week"] == END).sum()  # the breakage was injected
    assert (weeks < END).sum() == (clean["week"] == END - timedelta(weeks=1)).sum()
    series = source.pull(dashboard.tile("page_views"), END).frame
    assert len(series) == spec.weeks
