from __future__ import annotations

from dataclasses import replace
from datetime import date

from canary.dashboards import build_query, catalog
from tests.conftest import pings_tiles


def test_both_dashboards_share_the_tiles_and_the_canary_is_filtered() -> None:
    c = catalog()
    everyone, canary = c.dashboards["all-instances"], c.dashboards["canary"]
    assert [t.dataset for t in everyone.tiles] == [t.dataset for t in pings_tiles(canary)]
    assert everyone.filter_values() == {}
    assert canary.filter_values() == {"instance_label": "Sourcegraph (S2)"}
    shapes = {t.dataset: t.shape for t in everyone.tiles}
    assert shapes.pop("instance_usage") == "snapshot" and set(shapes.values()) == {"series"}
    assert c.tiles["usage_by_version"].segments == ("version_minor",)
    assert c.tiles["instance_usage"].row_key == ["site_id", "week"]
    assert c.tiles["insights_by_type"].row_key == ["week", "insight_type"]


def test_fields_have_looker_names_snake_case_columns_and_types() -> None:
    tile = catalog().tiles["page_views"]
    assert tile.fields[0].ref == "weekly_pings.week" and tile.fields[0].type == "date"
    assert all(f.column == f.column.lower() and "." not in f.column for f in tile.fields)
    assert catalog().field("weekly_pings.admin_email").personal


def test_build_query_groups_filters_and_bounds_weeks() -> None:
    c = catalog()
    tile = c.tiles["usage_by_version"]
    sql, params = build_query(
        c.views[tile.view],
        list(tile.fields),
        {"instance_label": "Sourcegraph (S2)"},
        (None, date(2026, 11, 16)),
        500,
    )
    assert "count(DISTINCT site_id) AS instances_reporting" in sql
    assert "GROUP BY week, version_minor" in sql and sql.endswith("LIMIT 500")
    assert params == ["Sourcegraph (S2)", date(2026, 11, 16)]
    snap = c.tiles["instance_usage"]
    sql, _ = build_query(
        c.views[snap.view], list(snap.fields), {}, (date(2026, 11, 16), date(2026, 11, 16))
    )
    assert "GROUP BY" not in sql


def test_sums_are_coalesced_as_looker_writes_them_and_name_their_counter() -> None:
    """Looker's sum measures are COALESCE(SUM(x), 0): a week without views sums to 0."""
    views = catalog().views
    sums = [f for v in views.values() for f in v.fields.values() if f.summed]
    assert len(sums) == 8 and all(f.sql.startswith("coalesce(sum(") for f in sums)
    page_views = catalog().field("weekly_pings.total_insights_page_views")
    assert page_views.summed == "weekly_insights_page_views"
    assert replace(page_views, sql="SUM(weekly_insights_page_views)").summed == page_views.summed
    assert catalog().field("weekly_pings.instances_reporting").summed is None
    assert catalog().field("weekly_pings.weekly_insights_page_views").summed is None
