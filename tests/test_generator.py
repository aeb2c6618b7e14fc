"""The sample generator reproduces the pings data model of DESIGN.md section 2."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from canary.sample.generator import (
    CANARY_SITE_ID,
    COUNTERS,
    RELEASES,
    TYPES_PREFIX,
    USAGE,
    SampleSpec,
    generate,
    release_name,
)
from canary.weeks import WEEK

END = date(2026, 11, 16)


@pytest.fixture(scope="module")
def pings() -> pd.DataFrame:
    return generate(SampleSpec(end_week=END))


def test_same_seed_same_data_other_seed_other_data(pings: pd.DataFrame) -> None:
    again = generate(SampleSpec(end_week=END))
    pd.testing.assert_frame_equal(pings, again)
    other = generate(SampleSpec(end_week=END, seed=8))
    assert not other["usage.WeeklyInsightsPageViews"].equals(pings["usage.WeeklyInsightsPageViews"])


def test_scale_weeks_and_instances(pings: pd.DataFrame) -> None:
    per_week = pings.groupby("week")["site_id"].nunique()
    assert len(per_week) == 104 and per_week.index.max() == END
    assert per_week.min() >= 1000 and per_week.max() <= 1300
    assert pings["site_id"].nunique() >= 1200  # churned and new instances over two years
    first, last = per_week.iloc[:8].mean(), per_week.iloc[-8:].mean()
    assert last > first * 1.05  # steady growth
    assert not pings.duplicated(["site_id", "week"]).any()


def test_offline_and_churn(pings: pd.DataFrame) -> None:
    weeks = sorted(pings["week"].unique())
    seen = pings.groupby("site_id")["week"].agg(["min", "max", "count"])
    spans = seen["count"] / (
        (pd.to_datetime(seen["max"]) - pd.to_datetime(seen["min"])).dt.days / 7 + 1
    )
    assert 0.85 < spans.mean() < 0.95  # ~10% of weeks offline
    assert (seen["max"] < weeks[-12]).mean() > 0.03  # some instances churned for good


def test_canary_reports_every_week_and_always_uses_insights(pings: pd.DataFrame) -> None:
    canary = pings[pings["site_id"] == CANARY_SITE_ID]
    assert len(canary) == 104
    assert (canary["instance_label"] == "Sourcegraph (S2)").all()
    assert (canary["usage.WeeklyInsightsPageViews"] > 0).all()


def test_usage_share_and_zero_inflated_heavy_tail(pings: pd.DataFrame) -> None:
    last = pings[pings["week"] == END]
    views = last["usage.WeeklyInsightsPageViews"].astype("float")
    assert 0.10 < (views > 0).mean() < 0.30
    positive = views[views > 0]
    assert positive.max() > 8 * positive.median()


def test_invariants(pings: pd.DataFrame) -> None:
    u = pings
    pv, uniq = u[USAGE + "WeeklyInsightsPageViews"], u[USAGE + "WeeklyInsightsUniquePageViews"]
    cr, first = u[USAGE + "WeeklyInsightCreators"], u[USAGE + "WeeklyFirstTimeInsightCreators"]
    assert (uniq <= pv).all() and (first <= cr).all()
    for key in COUNTERS:
        assert (u[USAGE + key].dropna() >= 0).all()
    assert (u[USAGE + "TotalOrgsWithDashboard"] <= u[USAGE + "TotalDashboardCount"]).all()
    types = [c for c in u.columns if c.startswith(TYPES_PREFIX)]
    assert sorted(t[len(TYPES_PREFIX) :] for t in types) == [
        "captureGroupInsights",
        "codeStatsInsights",
        "searchInsights",
    ]


def test_usage_object_missing_empty_or_null_sometimes(pings: pd.DataFrame) -> None:
    shares = pings["usage_state"].value_counts(normalize=True)
    assert 0.01 < shares["null"] < 0.08 and 0.005 < shares["empty"] < 0.04


def test_export_clicks_null_before_their_release(pings: pd.DataFrame) -> None:
    col = pings[USAGE + "WeeklyDataExportClicks"]
    minor = pings["version"].str.extract(r"^v?(\d{1,2})\.(\d+)\.").astype(float)
    old = (minor[0] < 5) | ((minor[0] == 5) & (minor[1] < 1))
    assert col[old].isna().all() and col[~old & minor[0].notna()].notna().all()


def test_versions_heavy_tail_and_odd_strings(pings: pd.DataFrame) -> None:
    last = pings[pings["week"] == END]
    minor = last["version"].str.extract(r"^v?(\d{1,2}\.\d+)\.")[0]
    odd = minor.isna() | last["version"].str.startswith("v")
    assert 0.005 < odd.mean() < 0.03
    counts = minor.value_counts()
    covering_95 = int((counts.cumsum() / counts.sum() < 0.95).sum()) + 1
    assert 8 <= covering_95 <= 20 < len(counts)  # ~15 versions carry most, a long tail the rest
    assert counts.iloc[0] / counts.sum() < 0.4  # no single version dominates: a long tail
    assert last["version"].str.match(r"^\d{5}_\d{4}-\d{2}-\d{2}_[0-9a-f]{7}$").any()
    assert pings["version"].str.match(r"^20\d\d\.\d\d\.\d\d\+").any()


def test_new_release_rolls_out_gradually(pings: pd.DataFrame) -> None:
    pings = pings.assign(minor=pings["version"].str.extract(r"^v?(\d{1,2}\.\d+)\.")[0])
    share = pings.groupby("week")["minor"].apply(lambda s: (s == "5.20").mean())
    rolled = share[share > 0]
    assert rolled.iloc[0] < 0.1 and rolled.max() > 0.2  # starts small, grows over weeks


def test_deploy_type_mix(pings: pd.DataFrame) -> None:
    share = pings.drop_duplicates("site_id")["deploy_type"].value_counts(normalize=True)
    assert 0.45 < share[["kubernetes", "helm", "kustomize"]].sum() < 0.65
    assert 0.22 < share["docker-compose"] < 0.38
    assert 0.002 < share[["k8s", "cluster", "server"]].sum() < 0.03


def test_year_end_and_summer_are_quieter(pings: pd.DataFrame) -> None:
    views = pings.groupby("week")[USAGE + "WeeklyInsightsPageViews"].sum()
    views.index = pd.to_datetime(views.index)
    december = views[(views.index.month == 12) & (views.index.day >= 22)]
    november = views[views.index.month == 11]
    assert december.mean() < november.mean() * 0.75
    iso = views.index.isocalendar().week
    summer = views[(iso >= 29) & (iso <= 33)].mean()
    spring = views[(iso >= 20) & (iso <= 26)].mean()
    assert summer < spring
    assert np.isfinite(summer)


@pytest.mark.parametrize("later", [1, 2, 3])
def test_a_later_end_week_appends_a_week_and_keeps_the_past(
    pings: pd.DataFrame, later: int
) -> None:
    """Like a warehouse: the same seed gives the same past whatever the end week."""
    newer = generate(SampleSpec(end_week=END + WEEK * later))
    assert newer["week"].max() == END + WEEK * later
    shared = newer[newer["week"] <= END].reset_index(drop=True)
    past = pings[pings["week"] >= newer["week"].min()].reset_index(drop=True)
    assert len(past) > 100_000
    pd.testing.assert_frame_equal(shared, past)


def test_releases_continue_past_the_named_ones() -> None:
    assert release_name(0) == "3.20" and release_name(len(RELEASES) - 1) == "5.29"
    assert release_name(len(RELEASES)) == "6.0" and release_name(len(RELEASES) + 31) == "7.1"
    years_on = generate(SampleSpec(end_week=date(2029, 6, 4), weeks=2))
    assert years_on["version"].str.match(r"^(v?\d+\.\d+\.\d|\d{5}_|2023\.)").all()
    assert years_on["version"].str.startswith("7.").mean() > 0.5
