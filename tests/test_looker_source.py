"""The Looker sources with the real looker-sdk over HTTP: tiles, filters, looks, queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from canary.config import load_config
from canary.dashboards import catalog
from canary.errors import ConfigError, SourceError
from canary.pipeline import RunOptions, build_source
from canary.sample.warehouse import FILE_NAME, WarehouseSpec
from canary.sources.looker.build import build_looker_source
from canary.sources.looker.config import LookerDashboardConfig, LookerLookConfig, LookerQueryConfig
from canary.sources.looker.json_bi import BodyError, parse
from canary.sources.looker.source import LookerDataset
from canary.sources.looker.tiles import slug, weeks_expression
from canary.sources.sample import SampleWarehouseSource, sample_spec
from canary.sources.sample_config import SampleSourceConfig
from tests.conftest import LATEST_WEEK, NOW, pings_tiles
from tests.looker_fake import (
    CLIENT_ID,
    CLIENT_SECRET,
    DASHBOARD_IDS,
    MODEL,
    LookerFake,
    looker_config,
    serving,
)

ALL = catalog().dashboards["all-instances"]
CANARY = catalog().dashboards["canary"]
FAST = {"attempts": 1, "backoff": 0, "jitter": 0}


@pytest.fixture
def looker(shared_sample: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LookerFake]:
    with serving(shared_sample / FILE_NAME, monkeypatch) as fake:
        yield fake


def reference(shared_sample: Path, dashboard_name: str) -> SampleWarehouseSource:
    spec = WarehouseSpec(sample_spec(SampleSourceConfig(kind="sample"), NOW))
    board = catalog().dashboards[dashboard_name]
    return SampleWarehouseSource(shared_sample, spec, board, timedelta(days=1))


def dashboard_source(fake: LookerFake, name: str = "canary", **cfg: Any) -> Any:
    raw: dict[str, Any] = {
        "kind": "looker_dashboard",
        "dashboard_id": DASHBOARD_IDS[name],
        "base_url": fake.base_url,
        "client_id": CLIENT_ID,
        "retries": FAST,
        **cfg,
    }
    return build_looker_source(
        f"looker-{name}",
        LookerDashboardConfig.model_validate(raw),
        catalog().dashboards[name],
        {"LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET},
    )


def paths(fake: LookerFake, method: str, part: str) -> list[str]:
    return [p for m, p, _ in fake.log if m == method and part in p]


def test_every_tile_of_both_dashboards_equals_the_sample_source(
    looker: LookerFake, shared_sample: Path
) -> None:
    for name, filters in (("all-instances", {}), ("canary", {"Instance": "Sourcegraph (S2)"})):
        source = dashboard_source(looker, name, filters=filters, date_filter="Week")
        ref = reference(shared_sample, name)
        for tile in pings_tiles(catalog().dashboards[name]):
            got = source.pull(tile, LATEST_WEEK)
            assert isinstance(got, LookerDataset)
            pd.testing.assert_frame_equal(got.frame, ref.pull(tile, LATEST_WEEK).frame)
            assert got.name == tile.dataset
            assert got.fields == {f.column: f.ref for f in tile.fields}
            assert got.link is not None
            assert got.link.startswith(f"{looker.base_url}/dashboards/{DASHBOARD_IDS[name]}?")
    canary_link = got.link
    assert "Instance=Sourcegraph+%28S2%29" in canary_link and "Week=" in canary_link
    assert looker.logins == 1  # both sources share one session
    assert len(paths(looker, "GET", "/dashboards/")) == 2  # each dashboard read once
    assert len(looker.runs(200)) == len(ALL.tiles) + len(pings_tiles(CANARY))


@pytest.mark.parametrize(
    "shape",
    [{}, {"plain_cells": True}, {"rows_key": "data"}, {"plain_cells": True, "rows_key": "data"}],
    ids=["value-objects", "plain-cells", "data-key", "plain-data"],
)
def test_every_json_bi_shape_reads_the_same(
    looker: LookerFake, shared_sample: Path, shape: dict[str, Any]
) -> None:
    for key, value in shape.items():
        setattr(looker.faults, key, value)
    source = dashboard_source(looker, "all-instances", date_filter="Week")
    ref = reference(shared_sample, "all-instances")
    for dataset in ("page_views", "instance_usage"):
        tile = ALL.tile(dataset)
        got = source.pull(tile, LATEST_WEEK).frame
        pd.testing.assert_frame_equal(got, ref.pull(tile, LATEST_WEEK).frame)


def test_a_looker_error_row_is_an_error_naming_lookers_message(looker: LookerFake) -> None:
    looker.faults.looker_error = "Syntax error: Unexpected keyword WHERE at [12:1]"
    source = dashboard_source(looker, "all-instances", date_filter="Week")
    with pytest.raises(SourceError) as err:
        source.pull(ALL.tile("creators"), LATEST_WEEK)
    assert str(err.value) == (
        "Looker dashboard 1, tile 'Insight creators' (element 103): Looker could not run the "
        "query: Syntax error: Unexpected keyword WHERE at [12:1]"
    )
    assert not err.value.transient


def test_tiles_sorted_oldest_first_with_500_rows_are_read_whole(
    looker: LookerFake, shared_sample: Path
) -> None:
    """3,457 rows behind a tile saved sorted by week ascending with limit "500": canary
    sorts newest first and sets a limit of its own, so the latest week is there."""
    saved = next(
        q.body
        for q in looker.elements[DASHBOARD_IDS["all-instances"]]
        if q.element == "usage_by_version"
    )
    assert saved["sorts"] == ["weekly_pings.week"] and saved["limit"] == "500"
    tile = ALL.tile("usage_by_version")
    got = dashboard_source(looker, "all-instances").pull(tile, LATEST_WEEK)
    expected = reference(shared_sample, "all-instances").pull(tile, LATEST_WEEK).frame
    assert len(expected) > 500 and expected["week"].max() == pd.Timestamp(LATEST_WEEK)
    pd.testing.assert_frame_equal(got.frame, expected)
    assert not [w for w in got.warnings if "row limit" in w]
    assert paths(looker, "POST", "/queries/run/json_bi")  # inline: the saved sort was changed


def test_past_weeks_go_through_the_date_filter(looker: LookerFake, shared_sample: Path) -> None:
    week = LATEST_WEEK - timedelta(weeks=10)
    source = dashboard_source(looker, "all-instances", date_filter="Week")
    ref = reference(shared_sample, "all-instances")
    snapshot = ALL.tile("instance_usage")
    got = source.pull(snapshot, week)
    assert set(got.frame["week"]) == {pd.Timestamp(week - timedelta(weeks=1)), pd.Timestamp(week)}
    pd.testing.assert_frame_equal(got.frame, ref.pull(snapshot, week).frame)
    series = source.pull(ALL.tile("page_views"), week)
    assert series.frame["week"].max() == pd.Timestamp(week)
    assert weeks_expression(None, week) == f"before {week + timedelta(weeks=1)}"


def test_unchanged_tiles_run_their_saved_query(looker: LookerFake) -> None:
    """Without a date filter or filter values a tile runs by query id; rows past the
    week under test are dropped client-side."""
    source = dashboard_source(looker, "all-instances")
    week = LATEST_WEEK - timedelta(weeks=3)
    got = source.pull(ALL.tile("creators"), week)
    assert got.frame["week"].max() == pd.Timestamp(week)
    assert len(paths(looker, "GET", "/queries/")) == 1
    assert not paths(looker, "POST", "/queries/run/")


def test_looks_and_inline_queries(looker: LookerFake, shared_sample: Path) -> None:
    ref = reference(shared_sample, "all-instances")
    env = {"LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET}
    common = {"base_url": looker.base_url, "client_id": CLIENT_ID, "retries": FAST}
    looks = {saved.element: look_id for look_id, saved in looker.looks.items()}
    cfg = LookerLookConfig.model_validate(
        {
            "kind": "looker_look",
            "looks": {
                "page_views": looks["page_views"],
                "instance_usage": {
                    "id": looks["instance_usage"],
                    "week_field": "weekly_pings.week",
                },
            },
            **common,
        }
    )
    source = build_looker_source("looks", cfg, ALL, env)
    for dataset in ("page_views", "instance_usage"):
        got = source.pull(ALL.tile(dataset), LATEST_WEEK)
        pd.testing.assert_frame_equal(got.frame, ref.pull(ALL.tile(dataset), LATEST_WEEK).frame)
        assert got.link == f"{looker.base_url}/looks/{looks[dataset]}"
    assert paths(looker, "GET", f"/looks/{looks['page_views']}/run/json_bi")
    tile = ALL.tile("creators")
    query_cfg = LookerQueryConfig.model_validate(
        {
            "kind": "looker_query",
            "queries": {
                "creators": {
                    "model": MODEL,
                    "view": "weekly_pings",
                    "fields": [f.ref for f in tile.fields],
                    "sorts": ["weekly_pings.week desc"],
                    "limit": 500,
                    "week_field": "weekly_pings.week",
                }
            },
            **common,
        }
    )
    got = build_looker_source("queries", query_cfg, ALL, env).pull(tile, LATEST_WEEK)
    pd.testing.assert_frame_equal(got.frame, ref.pull(tile, LATEST_WEEK).frame)
    assert got.link is not None
    assert got.link.startswith(f"{looker.base_url}/explore/{MODEL}/weekly_pings?fields=")
    assert got.link.endswith("&limit=5000") and "f%5Bweekly_pings.week%5D=before" in got.link


def test_dataset_names_can_be_overridden(looker: LookerFake) -> None:
    tile = CANARY.tile("creators")
    renamed = dashboard_source(looker, datasets={"Insight creators": "creators_s2"})
    with pytest.raises(SourceError) as err:
        renamed.pull(tile, LATEST_WEEK)
    assert "no tile is dataset 'creators'" in str(err.value)
    assert "'Insight creators' -> creators_s2" in str(err.value)
    by_id = dashboard_source(looker, datasets={"201": "creators"})
    assert by_id.pull(tile, LATEST_WEEK).link is not None
    assert "creators" in {t.dataset for t in by_id.tiles() if t.element_id == "201"}


def test_unknown_dashboard_filter_names_the_filters_it_has(looker: LookerFake) -> None:
    source = dashboard_source(looker, filters={"Instanse": "x"}, date_filter="Weeks")
    with pytest.raises(SourceError) as err:
        source.pull(CANARY.tile("creators"), LATEST_WEEK)
    assert (
        "has no filter 'Instanse', 'Weeks'; its filters: 'instance' (title 'Instance'), "
        "'week_range' (title 'Week')"
    ) in str(err.value)
    assert "sources.looker-canary.filters" in str(err.value)


def test_dashboard_filters_are_found_by_name_or_title(looker: LookerFake) -> None:
    """LookML dashboards name filters apart from the titles users see: either works."""
    tile, s2 = CANARY.tile("instance_usage"), "Sourcegraph (S2)"
    by_title = dashboard_source(looker, filters={"Instance": s2}, date_filter="Week")
    by_name = dashboard_source(looker, filters={"instance": s2}, date_filter="week_range")
    got = by_title.pull(tile, LATEST_WEEK)
    pd.testing.assert_frame_equal(got.frame, by_name.pull(tile, LATEST_WEEK).frame)
    assert set(got.frame["instance_label"]) == {s2}
    assert got.link is not None and "Instance=Sourcegraph+%28S2%29&Week=" in got.link
    assert len(paths(looker, "POST", "/queries/run/json_bi")) == 2  # both with the filters


def test_settings_come_from_lookersdk_variables_and_never_looker_ini(
    looker: LookerFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "looker.ini").write_text(
        "[Looker]\nbase_url=http://127.0.0.1:9\nclient_id=ini\nclient_secret=ini\n"
    )
    cfg = LookerDashboardConfig(kind="looker_dashboard", dashboard_id="2")
    env = {
        "LOOKERSDK_BASE_URL": looker.base_url,
        "LOOKERSDK_CLIENT_ID": CLIENT_ID,
        "LOOKERSDK_CLIENT_SECRET": CLIENT_SECRET,
        "LOOKERSDK_TIMEOUT": "7.5",
        "LOOKERSDK_VERIFY_SSL": "no",
    }
    source = build_looker_source("lk", cfg, CANARY, env)
    assert (source.conn.timeout, source.conn.verify_ssl) == (7.5, False)
    assert len(source.pull(CANARY.tile("creators"), LATEST_WEEK).frame) > 50
    for drop, key in (("LOOKERSDK_BASE_URL", "base_url"), ("LOOKERSDK_CLIENT_ID", "client_id")):
        with pytest.raises(ConfigError, match=f"sources.lk.{key}: not set, and {drop} is empty"):
            build_looker_source("lk", cfg, CANARY, {k: v for k, v in env.items() if k != drop})
    with pytest.raises(ConfigError, match=r"sources\.lk\.client_secret"):
        build_looker_source("lk", cfg, CANARY, {**env, "LOOKERSDK_CLIENT_SECRET": ""})
    bad = {
        "LOOKERSDK_BASE_URL": "http://looker.example.com/api/4.0",
        "LOOKERSDK_VERIFY_SSL": "maybe",
        "LOOKERSDK_TIMEOUT": "soon",
    }
    for name, value in bad.items():
        with pytest.raises(ConfigError, match=name):
            build_looker_source("lk", cfg, CANARY, {**env, name: value})


def test_monitors_switch_to_looker_by_config_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", CLIENT_SECRET)
    config = load_config(looker_config(tmp_path, "http://127.0.0.1:9"))
    monitor = config.monitors["code-insights-canary"]
    source = build_source(config, monitor, RunOptions(now=NOW), tmp_path)
    assert source.complete_after == timedelta(days=1)
    with pytest.raises(ConfigError, match="looker-canary is looker_dashboard"):
        build_source(config, monitor, RunOptions(now=NOW, scenario="object-null"), tmp_path)


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    path = looker_config(tmp_path, "http://127.0.0.1:9/looker")
    with pytest.raises(ConfigError, match=r"sources.looker-all.base_url: the Looker API URL"):
        load_config(path)
    base = {"base_url": "http://127.0.0.1:9", "client_id": CLIENT_ID}
    assert (
        LookerLookConfig.model_validate({"kind": "looker_look", "looks": {"creators": 12}, **base})
        .looks["creators"]
        .id
        == "12"
    )
    with pytest.raises(ValueError, match="pattern"):
        LookerQueryConfig.model_validate(
            {
                "kind": "looker_query",
                "queries": {"x": {"model": "m", "view": "v", "fields": ["nodot"]}},
            }
        )


# --- json_bi typing (pure) ------------------------------------------------------------


def bi(fields: dict[str, list[dict[str, Any]]], rows: list[dict[str, Any]]) -> str:
    return json.dumps({"metadata": {"fields": fields, "pivots": []}, "rows": rows})


def test_json_bi_types_columns_by_field_metadata() -> None:
    body = bi(
        {
            "dimensions": [
                {"name": "v.week", "type": "date_week"},
                {"name": "v.Deploy Type", "type": "string"},
                {"name": "v.is_active", "type": "yesno"},
                {"name": "w.week", "type": "date_date"},
            ],
            "measures": [
                {"name": "v.instances", "type": "count_distinct"},
                {"name": "v.avg_views", "type": "average"},
            ],
            "table_calculations": [{"name": "share"}],
        },
        [
            {
                "v.week": "2026-11-16",
                "v.Deploy Type": "helm",
                "v.is_active": "Yes",
                "w.week": "2026-11-17",
                "v.instances": 12,
                "v.avg_views": 1.5,
                "share": 0.25,
            },
            {
                "v.week": "2026-11-09",
                "v.Deploy Type": None,
                "v.is_active": "No",
                "w.week": None,
                "v.instances": None,
                "v.avg_views": None,
                "share": None,
            },
        ],
    )
    result = parse(body, ["v.week", "v.instances"], {})
    dtypes = {c: str(t) for c, t in result.frame.dtypes.items()}
    assert dtypes == {
        "v_week": "datetime64[ns]",
        "deploy_type": "object",
        "is_active": "boolean",
        "w_week": "datetime64[ns]",
        "instances": "Int64",
        "avg_views": "float64",
        "share": "object",
    }
    assert result.fields["v_week"] == "v.week" and result.fields["deploy_type"] == "v.Deploy Type"
    assert result.frame["instances"].isna().tolist() == [False, True]
    assert parse(body, [], {"v.instances": "reporting"}).fields["reporting"] == "v.instances"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<!DOCTYPE html><html>down</html>", "an HTML page, not JSON"),
        ('{"metadata": {"fields": {"dimensions": [', "not valid JSON"),
        ("", "the answer is empty"),
        ('[{"v.a": 1}]', "not a json_bi result (no rows)"),
        ('{"rows": []}', "no metadata.fields"),
        (bi({"dimensions": [{"name": "v.a"}], "pivots": [{"name": "v.b"}]}, []), "pivots"),
        (bi({"dimensions": [{"name": "v.a"}]}, [{"v.a": 1}]), "lacks field v.wanted (it has v.a)"),
        (bi({"dimensions": [{"name": "v.wanted"}]}, [{"x": 1}]), "row 0 lacks field v.wanted"),
        (
            bi({"measures": [{"name": "v.wanted", "type": "count"}]}, [{"v.wanted": "many"}]),
            "field v.wanted should hold integer values but has 'many'",
        ),
        (bi({"dimensions": [{"name": "v.wanted"}]}, [{"v.wanted": {"a": 1}}]), "nested"),
        ('{"data": [{"looker_error": "no such table"}]}', "Looker could not run the query: no"),
    ],
)
def test_json_bi_bad_bodies_say_what_is_wrong(body: str, message: str) -> None:
    with pytest.raises(BodyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse(body, ["v.wanted"] if "wanted" in message else [], {})


def test_slugs_are_stable() -> None:
    assert slug("Insights by type (S2)") == "insights_by_type_s2"
    assert slug("  Usage -- by version ") == "usage_by_version"
    assert date(2026, 11, 16).isoformat() in weeks_expression(date(2026, 11, 16), LATEST_WEEK)


def test_the_stand_in_answers_json_and_csv_too(looker: LookerFake, shared_sample: Path) -> None:
    source = dashboard_source(looker, "all-instances")
    saved = looker.elements[DASHBOARD_IDS["all-instances"]][1]  # page_views
    tile = ALL.tile(saved.element)
    run_json = source.client().call("json", lambda sdk: sdk.run_query(saved.id, "json"))
    rows = json.loads(run_json)
    expected = reference(shared_sample, "all-instances").pull(tile, LATEST_WEEK).frame
    assert len(rows) == len(expected) and set(rows[0]) == {f.ref for f in tile.fields}
    csv_text = source.client().call("csv", lambda sdk: sdk.run_query(saved.id, "csv", limit=3))
    header, *lines = str(csv_text).strip().splitlines()
    assert header.startswith("Weekly pings Week,Weekly pings Insights page views")
    assert len(lines) == 3
    with pytest.raises(SourceError, match="Unsupported result format 'xlsx'"):
        source.client().call("xlsx", lambda sdk: sdk.run_query(saved.id, "xlsx"))
