"""The Looker stand-in answers from its own model and SQL compiler, so comparing it with the
sql source checks canary's query builder against Looker's way of computing the same tiles.

The compiler is tested on its own first (a small table in memory); then every tile of both
dashboards must come back from the stand-in, over HTTP, exactly as the sql source reads it
from the same warehouse file, healthy and broken.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import requests

from canary.dashboards import Catalog, Tile, bundled_raw, catalog, parse_catalog
from canary.sample.warehouse import FILE_NAME, WarehouseSpec, ensure, url_of
from canary.sources.base import week_range
from canary.sources.sample import sample_spec
from canary.sources.sample_config import SampleSourceConfig
from canary.sources.sql.source import SqlSource
from tests.conftest import LATEST_WEEK, NOW, pings_tiles
from tests.looker_fake import CLIENT_ID, CLIENT_SECRET, MODEL, LookerFake
from tests.looker_sql import QueryError, compile_query, load_model

# --- the compiler on a small table ----------------------------------------------------

TOY_MODEL = """
model: toy
views:
  pings:
    label: Pings
    sql_table_name: pings
    dimensions:
      week: {type: date_week, sql: "${TABLE}.day", label: Week}
      site: {type: string, sql: "${TABLE}.site", label: Site}
      views: {type: number, sql: "${TABLE}.views", label: Views}
    measures:
      total_views: {type: sum, sql: "${views}", label: Views}
      sites: {type: count_distinct, sql: "${site}", label: Sites}
      rows: {type: count, label: Rows}
      most: {type: max, sql: "${views}", label: Most}
      least: {type: min, sql: "${views}", label: Least}
explores:
  pings: {view: pings}
dashboards: {}
"""
TOY_ROWS = [
    ("2026-11-16", "a", 3),
    ("2026-11-18", "a", 3),  # the same week, site and views as the row before
    ("2026-11-17", "b", None),
    ("2026-11-10", "b", None),
    ("2026-11-09", "c_1", 7),
    ("2026-11-02", "%", 1),
    ("2026-11-02", None, 2),
]
TODAY = date(2026, 11, 19)  # a Thursday


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    directory = tmp_path_factory.mktemp("toy")
    (directory / "model.yaml").write_text(TOY_MODEL)
    model = load_model(directory / "model.yaml")
    con = duckdb.connect()
    con.execute("CREATE TABLE pings (day DATE, site VARCHAR, views BIGINT)")
    con.executemany("INSERT INTO pings VALUES (?, ?, ?)", TOY_ROWS)

    def run(fields: list[str], run_limit: str | None = None, **body: Any) -> list[tuple[Any, ...]]:
        query = {"model": "toy", "view": "pings", "fields": [f"pings.{f}" for f in fields]}
        query.update(body)
        rows: list[tuple[Any, ...]] = con.execute(
            compile_query(model, query, run_limit, TODAY).sql
        ).fetchall()
        return rows

    yield run
    con.close()


def test_sums_of_nothing_are_zero_and_other_measures_as_looker_defines_them(toy: Any) -> None:
    rows = toy(["site", "total_views", "sites", "rows", "most", "least"], sorts=["pings.site"])
    assert rows == [
        ("%", 1, 1, 1, 1, 1),
        ("a", 6, 1, 2, 3, 3),
        ("b", 0, 1, 2, None, None),  # COALESCE(SUM(x), 0): no views is 0 views
        ("c_1", 7, 1, 1, 7, 7),
        (None, 2, 0, 1, 2, 2),
    ]


def test_every_dimension_is_grouped_and_weeks_start_on_monday(toy: Any) -> None:
    rows = toy(["week", "site", "views"], sorts=["pings.week desc", "pings.site"])
    assert rows[:2] == [(date(2026, 11, 16), "a", 3), (date(2026, 11, 16), "b", None)]
    assert len(rows) == len(TOY_ROWS) - 1  # the two identical rows of site a are one


def test_sorts_default_and_limits(toy: Any) -> None:
    assert [r[0] for r in toy(["week", "rows"])] == [
        date(2026, 11, 16),
        date(2026, 11, 9),
        date(2026, 11, 2),
    ]  # no sorts: the date descending
    assert toy(["site", "rows"])[0][1] == 2  # else the first measure descending
    assert len(toy(["site"], limit="2")) == 2
    assert len(toy(["site"], limit="-1")) == 5
    assert len(toy(["site"], run_limit="1", limit="3")) == 1  # the run's limit wins


@pytest.mark.parametrize(
    ("field", "expr", "expected"),
    [
        ("site", "a", {"a"}),
        ("site", "a,b", {"a", "b"}),
        ("site", "-a", {"b", "c_1", "%", None}),  # "is not" keeps nulls
        ("site", "-a,-b", {"c_1", "%", None}),
        ("site", "NULL", {None}),
        ("site", "-NULL", {"a", "b", "c_1", "%"}),
        ("site", "EMPTY", {None}),
        ("site", "c%", {"c_1"}),
        ("site", "_", {"a", "b", "%"}),  # any one character
        ("site", "^%", {"%"}),  # an escaped wildcard is itself
        ("site", "c^_1", {"c_1"}),
        ("site", "%,-a", {"b", "c_1", "%"}),
        ("views", ">=3", {"a", "c_1"}),
        ("views", "NOT 3", {"b", "c_1", "%", None}),
        ("views", "1 to 2", {"%", None}),
        ("views", "NULL", {"b"}),
        ("views", "NOT NULL", {"a", "c_1", "%", None}),
        ("week", "2026-11-16 to 2026-11-18", {"a", "b"}),  # the end day is left out
        ("week", "before 2026-11-09", {"%", None}),
        ("week", "after 2026-11-17", {"a", "b"}),  # on or after
        ("week", "2026-11-17", {"b"}),
        ("week", "3 days", {"a", "b"}),  # today (Thursday 19th) and the two days before
        ("week", "1 week", {"a", "b"}),  # this week, from Monday
        ("week", "2 weeks", {"a", "b", "c_1"}),
        ("week", "3 weeks", {"a", "b", "c_1", "%", None}),
        ("week", "2026", {"a", "b", "c_1", "%", None}),
        ("week", "NOT NULL", {"a", "b", "c_1", "%", None}),
    ],
)
def test_filter_expressions(toy: Any, field: str, expr: str, expected: set[str | None]) -> None:
    rows = toy(["site", "rows"], filters={f"pings.{field}": expr})
    assert {r[0] for r in rows} == expected


def test_measure_filters_go_to_having(toy: Any) -> None:
    rows = toy(["site", "total_views"], filters={"pings.total_views": ">=6"})
    assert sorted(r[0] for r in rows) == ["a", "c_1"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"fields": ["pings.nope"]}, "Unknown field 'pings.nope'"),
        ({"fields": ["pings.site"], "sorts": ["pings.rows"]}, "Cannot sort by 'pings.rows'"),
        ({"fields": ["pings.site"], "filters": {"pings.week": "soon"}}, "Invalid date filter"),
        ({"fields": ["pings.site"], "filters": {"pings.views": "many"}}, "Invalid number"),
        ({"fields": ["pings.site"], "limit": "0"}, "Invalid row limit"),
        ({"view": "nope", "fields": ["pings.site"]}, "Explore 'nope' not found"),
    ],
)
def test_queries_looker_refuses(tmp_path: Path, body: dict[str, Any], message: str) -> None:
    (tmp_path / "model.yaml").write_text(TOY_MODEL)
    model = load_model(tmp_path / "model.yaml")
    with pytest.raises(QueryError, match=message) as err:
        compile_query(model, {"model": "toy", "view": "pings", **body}, None, TODAY)
    assert err.value.status == (404 if "not found" in message else 400)


# --- every tile: the stand-in against the sql source -----------------------------------


def looker_rows(fake: LookerFake, tile: Tile, filters: dict[str, str]) -> list[tuple[Any, ...]]:
    """The tile's rows as the stand-in answers an inline query over HTTP, sorted."""
    login = requests.post(
        f"{fake.base_url}/api/4.0/login",
        data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=30,
    )
    token = login.json()["access_token"]
    query = {
        "model": MODEL,
        "view": tile.view,
        "fields": [f.ref for f in tile.fields],
        "filters": filters,
        "limit": "-1",
    }
    answer = requests.post(
        f"{fake.base_url}/api/4.0/queries/run/json",
        json=query,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return sorted((tuple(row[f] for f in query["fields"]) for row in answer.json()), key=repr)


def normalised(rows: pd.DataFrame) -> list[tuple[Any, ...]]:
    """A frame's rows as sorted tuples of plain values (dates as ISO text, nulls None)."""

    def plain(value: Any) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
            return None
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        return value.item() if hasattr(value, "item") else value

    out = [tuple(plain(v) for v in row) for row in rows.itertuples(index=False)]
    return sorted(out, key=repr)


def sql_source(warehouse: Path, board: str, views: Catalog) -> SqlSource:
    return SqlSource(
        "warehouse",
        url_of(warehouse),
        views.dashboards[board],
        timedelta(days=1),
        views=views.views,
    )


def differing_tiles(warehouse: Path, views: Catalog) -> dict[str, str]:
    """Tile -> what differs, for every tile of both dashboards (the weeks a pull reads)."""
    diffs: dict[str, str] = {}
    filters_of = {"all-instances": {}, "canary": {"instance_label": "Sourcegraph (S2)"}}
    with LookerFake(warehouse) as fake:
        for board, dims in filters_of.items():
            source = sql_source(warehouse, board, views)
            for tile in pings_tiles(views.dashboards[board]):
                filters = {f"{tile.view}.{d}": v for d, v in dims.items()}
                lo, hi = week_range(tile, LATEST_WEEK)  # series: every week; snapshots: two
                end = hi + timedelta(weeks=1)
                filters[f"{tile.view}.week"] = f"{lo} to {end}" if lo else f"before {end}"
                got = looker_rows(fake, tile, filters)
                want = normalised(source.query(tile, (lo, hi)).frame)
                assert got, f"{board}/{tile.dataset}: the stand-in answered no rows"
                if got != want:
                    wrong = len(set(got) ^ set(want))
                    diffs[f"{board}/{tile.dataset}"] = f"{wrong} of {len(want)} rows differ"
    return diffs


@pytest.fixture(scope="module")
def dropped_field(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse where the newest release stops sending page views: whole versions then
    sum no views at all (null in plain SQL, 0 in Looker)."""
    spec = WarehouseSpec(
        sample_spec(SampleSourceConfig(kind="sample"), NOW),
        "version-field-drop",
        LATEST_WEEK - timedelta(weeks=3),
    )
    return ensure(tmp_path_factory.mktemp("drop"), spec)


def test_every_tile_of_the_healthy_sample_agrees(shared_sample: Path) -> None:
    assert differing_tiles(shared_sample / FILE_NAME, catalog()) == {}


def test_every_tile_agrees_where_sums_add_up_nothing(dropped_field: Path) -> None:
    assert differing_tiles(dropped_field, catalog()) == {}


def test_a_sum_without_coalesce_is_caught(dropped_field: Path) -> None:
    """The builder bug the stand-in used to hide (it answered through the same builder):
    plain ``sum(x)`` gives null where Looker gives 0."""
    raw = bundled_raw()
    for view in raw["views"].values():
        for measure in view["measures"].values():
            measure["sql"] = measure["sql"].replace("coalesce(", "").replace("), 0)", ")")
    diffs = differing_tiles(dropped_field, parse_catalog(raw))
    assert "all-instances/usage_by_version" in diffs
