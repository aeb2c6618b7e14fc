from __future__ import annotations

import json

import pandas as pd

from canary.dashboards import catalog
from canary.profile import profile


def test_profile_table_columns_and_segments() -> None:
    tile = catalog().tiles["usage_by_version"]
    batch = pd.DataFrame(
        {
            "week": pd.to_datetime(["2026-11-16"] * 3),
            "version_minor": ["5.3", "5.3", "5.4"],
            "instances_reporting": pd.array([10, 20, 5], dtype="Int64"),
            "total_insights_page_views": pd.array([100, None, 0], dtype="Int64"),
        }
    )
    out = profile("usage_by_version", tile, batch)

    def get(col: str, seg: str, metric: str) -> float:
        hit = out[(out.column_name == col) & (out.segment == seg) & (out.metric == metric)]
        return float(hit["value"].item())

    assert get("", "", "row_count") == 3
    assert get("instances_reporting", "", "sum") == 35
    assert get("total_insights_page_views", "", "null_rate") == 1 / 3
    assert get("total_insights_page_views", "", "zero_rate") == 1 / 3
    seg53 = json.dumps({"version_minor": "5.3"})
    assert get("", seg53, "row_count") == 2
    assert get("total_insights_page_views", seg53, "sum") == 100
    assert get("total_insights_page_views", seg53, "null_rate") == 0.5
    assert set(out["dataset"]) == {"usage_by_version"}


def test_profile_of_an_empty_batch() -> None:
    tile = catalog().tiles["page_views"]
    out = profile("page_views", tile, pd.DataFrame({c: [] for c in tile.columns}))
    rows = out[out.metric == "row_count"]
    assert rows["value"].tolist() == [0.0]
    assert out[out.metric == "sum"]["value"].isna().all()
