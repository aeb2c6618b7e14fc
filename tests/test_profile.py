from __future__ import annotations

import json
from datetime import date

import pandas as pd

from canary.dashboards import catalog
from canary.profile import profile

WEEK = date(2026, 11, 16)


def test_snapshot_profile_table_columns_and_segments() -> None:
    tile = catalog().tiles["instance_usage"]
    frame = pd.DataFrame(
        {
            "week": pd.to_datetime(["2026-11-09", "2026-11-16", "2026-11-16", "2026-11-16"]),
            "site_id": ["a", "a", "b", "c"],
            "version_minor": ["5.3", "5.3", "5.3", "5.4"],
            "deploy_type": ["helm", "helm", "helm", "k3s"],
            "weekly_insights_page_views": pd.array([7, 100, None, 0], dtype="Int64"),
        }
    )
    out = profile("instance_usage", tile, frame, WEEK)

    def get(col: str, seg: str, metric: str) -> float:
        hit = out[(out.column_name == col) & (out.segment == seg) & (out.metric == metric)]
        return float(hit["value"].item())

    assert set(out["week"]) == {WEEK}  # only the week under test, not the week before
    assert get("", "", "row_count") == 3
    assert get("weekly_insights_page_views", "", "sum") == 100
    assert get("weekly_insights_page_views", "", "null_rate") == 1 / 3
    assert get("weekly_insights_page_views", "", "zero_rate") == 1 / 3
    seg53 = json.dumps({"version_minor": "5.3"})
    assert get("", seg53, "row_count") == 2
    assert get("weekly_insights_page_views", seg53, "sum") == 100
    assert get("weekly_insights_page_views", seg53, "null_rate") == 0.5
    assert set(out["dataset"]) == {"instance_usage"}


def test_series_profile_is_every_week_value_per_segment() -> None:
    tile = catalog().tiles["usage_by_version"]
    frame = pd.DataFrame(
        {
            "week": pd.to_datetime(["2026-11-09", "2026-11-16", "2026-11-16"]),
            "version_minor": ["5.3", "5.3", "5.4"],
            "instances_reporting": pd.array([10, 20, 5], dtype="Int64"),
            "total_insights_page_views": pd.array([100, None, 0], dtype="Int64"),
        }
    )
    out = profile("usage_by_version", tile, frame, WEEK)
    assert set(out["metric"]) == {"value"}
    assert len(out) == 6  # 3 rows x 2 numeric columns
    hit = out[(out.week == date(2026, 11, 9)) & (out.column_name == "total_insights_page_views")]
    assert (
        hit["segment"].item() == json.dumps({"version_minor": "5.3"}) and hit["value"].item() == 100
    )


def test_profile_of_an_empty_snapshot() -> None:
    tile = catalog().tiles["instance_usage"]
    out = profile("instance_usage", tile, pd.DataFrame({c: [] for c in tile.columns}), WEEK)
    assert out[out.metric == "row_count"]["value"].tolist() == [0.0]
    assert out[out.metric == "sum"]["value"].isna().all()
