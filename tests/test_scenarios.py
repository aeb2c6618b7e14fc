"""Each scenario changes the data from its week on (a gradual one from its lead weeks
before), and never before; product changes move every counter alike and keep the data whole."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from canary.cli import main
from canary.sample.generator import CANARY_SITE_ID, SampleSpec, generate, release_of
from canary.sample.scenarios import (
    BREAKAGES,
    CROSS_SOURCE,
    PRODUCT_CHANGES,
    SCENARIOS,
    WEEKLY,
    inject,
)
from canary.sample.tracking import tracked_views
from canary.weeks import WEEK as WEEK_DELTA
from tests.conftest import REPO
from tests.test_run_faults import shared_exports  # noqa: F401  (a fixture)

END = date(2026, 11, 16)
WEEK = date(2026, 10, 26)
SPEC = SampleSpec(end_week=END)


@pytest.fixture(scope="module")
def healthy() -> pd.DataFrame:
    return generate(SPEC)


def test_scenario_slugs_are_the_design_catalog() -> None:
    design = REPO.parent / "shared" / "DESIGN.md"
    text = design.read_text() if design.exists() else ""
    catalog = set(re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.M))
    assert len(BREAKAGES) == 11 + len(CROSS_SOURCE)  # and one side of a cross check breaking
    if catalog:
        assert set(BREAKAGES) - set(CROSS_SOURCE) == catalog
    assert set(PRODUCT_CHANGES) == {
        "usage-drop",
        "release-regression",
        "adoption-surge",
        "usage-decline",
    }
    assert set(SCENARIOS) == set(BREAKAGES) | set(PRODUCT_CHANGES)


def test_list_scenarios_prints_slug_tab_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "--list-scenarios"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == list(SCENARIOS)
    assert all(len(line.split("\t")) == 2 and line.split("\t")[1] for line in lines)


@pytest.mark.parametrize("slug", list(SCENARIOS))
def test_breaks_only_from_its_week(healthy: pd.DataFrame, slug: str) -> None:
    if SCENARIOS[slug].tracking:  # it breaks the page views the browser tracks
        healthy = tracked_views(healthy, SPEC.seed)
    broken = inject(healthy, slug, WEEK, SPEC)
    start = WEEK - WEEK_DELTA * SCENARIOS[slug].lead_weeks
    before_h = healthy[healthy["week"] < start].reset_index(drop=True)
    before_b = broken[broken["week"] < start].reset_index(drop=True)
    shared = [c for c in before_h.columns if c in before_b.columns]
    pd.testing.assert_frame_equal(before_b[shared], before_h[shared])
    after_h = healthy[healthy["week"] >= WEEK]
    after_b = broken[broken["week"] >= WEEK]
    changed = (
        len(after_h) != len(after_b)
        or set(after_b.columns) != set(after_h.columns)
        or not (after_b.reset_index(drop=True).equals(after_h.reset_index(drop=True)))
    )
    assert changed, f"{slug} changed nothing"


def test_specific_breakages(healthy: pd.DataFrame) -> None:
    views = "usage.WeeklyInsightsPageViews"
    on = lambda f: f[f["week"] >= WEEK]  # noqa: E731
    assert (on(inject(healthy, "object-null", WEEK, SPEC))["usage_state"] == "null").all()
    silent = inject(healthy, "canary-silent", WEEK, SPEC)
    assert not (on(silent)["site_id"] == CANARY_SITE_ID).any()
    double = on(inject(healthy, "double-count", WEEK, SPEC))
    assert double.duplicated(["site_id", "week"]).mean() > 0.7
    missing = inject(healthy, "stale-missing", END, SPEC)
    assert missing["week"].max() < END
    copy = inject(healthy, "stale-copy", END, SPEC)
    last = copy[copy["week"] == END].drop(columns="week").reset_index(drop=True)
    prev = healthy[healthy["week"] == date(2026, 11, 9)].drop(columns="week").reset_index(drop=True)
    pd.testing.assert_frame_equal(last, prev)
    cumulative = inject(healthy, "cumulative-counter", WEEK, SPEC)
    canary = cumulative[cumulative["site_id"] == CANARY_SITE_ID].set_index("week")[views]
    assert canary[canary.index >= WEEK].is_monotonic_increasing
    assert canary[WEEK] > healthy[healthy["site_id"] == CANARY_SITE_ID][views].sum() * 0.5
    loss = inject(healthy, "ingestion-loss", WEEK, SPEC)
    assert 0.25 < 1 - len(on(loss)) / len(on(healthy)) < 0.65
    drop = on(inject(healthy, "version-field-drop", WEEK, SPEC))
    nulled = drop[drop[views].isna() & (drop["usage_state"] == "present")]
    assert nulled["release_index"].nunique() == 1 and len(nulled) < len(drop) * 0.5


def _sums(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame.groupby("week")[column].sum().astype("float64")


@pytest.mark.parametrize(
    ("slug", "low", "high"),
    [("usage-drop", 0.35, 0.65), ("adoption-surge", 1.5, 2.6), ("usage-decline", 0.35, 0.6)],
)
def test_a_broad_product_change_moves_every_counter_alike_and_keeps_the_data_whole(
    healthy: pd.DataFrame, slug: str, low: float, high: float
) -> None:
    changed = inject(healthy, slug, WEEK, SPEC)
    pd.testing.assert_frame_equal(  # the same instances report, with the same versions
        changed[["site_id", "week", "version", "usage_state"]],
        healthy[["site_id", "week", "version", "usage_state"]],
    )
    for column in WEEKLY:
        ratio = _sums(changed, column) / _sums(healthy, column)
        if healthy[column].sum() > 1000:
            assert low < ratio[WEEK] < high, (slug, column, ratio[WEEK])
        assert (changed[column].isna() == healthy[column].isna()).all()  # no new nulls
    unique = "usage.WeeklyInsightsUniquePageViews"
    views = "usage.WeeklyInsightsPageViews"
    assert not (changed[unique] > changed[views]).any()  # the invariants hold
    if slug == "usage-decline":  # six weeks down, step by step
        ratio = _sums(changed, views) / _sums(healthy, views)
        steps = ratio[[WEEK - WEEK_DELTA * k for k in range(5, -1, -1)]].to_numpy()
        assert (steps[1:] < steps[:-1]).all() and steps[-1] < 0.6 and steps[0] > 0.85


def test_a_release_regression_hits_only_instances_on_the_new_release(
    healthy: pd.DataFrame,
) -> None:
    changed = inject(healthy, "release-regression", WEEK, SPEC)
    views = "usage.WeeklyInsightsPageViews"
    new = (healthy["week"] >= WEEK) & (healthy["release_index"] >= release_of(WEEK))
    assert changed.loc[~new, views].equals(healthy.loc[~new, views])
    hit = changed.loc[new, views].sum() / healthy.loc[new, views].sum()
    assert 0.1 < hit < 0.4


@pytest.mark.integration
def test_schema_rename_in_an_export_names_the_missing_column_and_its_new_name(
    tmp_path: Path,
    shared_exports: Path,  # noqa: F811  (the fixture imported above)
) -> None:
    """schema-rename as a files export delivers it: the old column gone, the new one there."""
    from tests.test_run_faults import checks, exports_config, run
    from tests.test_suites import PLACEHOLDER

    config = exports_config(tmp_path, shared_exports)
    path = tmp_path / "exports" / "instance_usage.csv"
    old, new = "weekly_insights_page_views", "weekly_insight_page_view_count"
    pd.read_csv(path).rename(columns={old: new}).to_csv(path, index=False)
    code, doc = run(config, tmp_path / "out.json", "--quiet")
    assert code == 1
    named = [c for c in checks(doc, dataset="instance_usage") if old in (c["column"] or "")]
    assert named and {c["status"] for c in named} == {"failed"}
    for check in named:
        assert (
            f"column {old} is missing from instance_usage; the pull has {new} instead"
            in (check["reason"])
        ), check["reason"]
        assert old in check["observed"]["missing_columns"]
    assert not [c["reason"] for c in checks(doc) if PLACEHOLDER.search(c["reason"])]
