"""GE validates a PostgreSQL snapshot's week in the database: the rows are never pulled,
failing rows come back as sample rows, type expectations are judged against the
warehouse's column types, and no password leaves in a message or a pickle."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from canary.checks.in_warehouse import in_warehouse
from canary.checks.suites import load_suite
from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.dashboards import catalog
from canary.errors import SourceError
from canary.pipeline import Plan, check_dataset
from canary.prefect_ops.data_docs import RecordingGE
from canary.sample.generator import SampleSpec
from canary.sample.warehouse import WarehouseSpec, ensure
from canary.sources.sql import types as sql_types
from canary.sources.sql.connection import column_types, columns_only, values_present
from canary.sources.sql.dialects import POSTGRESQL
from canary.sources.sql.source import SqlSource
from canary.summary import TileSummary, WarehouseRows
from tests.conftest import LATEST_WEEK, REPO
from tests.warehouse_db import TABLES, copy_sample, pg_database

MONITOR = "code-insights-all-instances"
DAY = timedelta(days=1)
CANARY = "Sourcegraph (S2)"  # the canary instance every sample week holds


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database holding the sample with the usage object null for every instance."""
    spec = WarehouseSpec(SampleSpec(end_week=LATEST_WEEK, weeks=4), "object-null", LATEST_WEEK)
    warehouse = ensure(tmp_path_factory.mktemp("wh"), spec)
    with pg_database() as url:
        copy_sample(warehouse, url, "broken")
        yield url


@pytest.fixture(scope="module")
def ge() -> GreatExpectations:
    return GreatExpectations()


def _source(url: str) -> SqlSource:
    board = catalog().dashboards["all-instances"]
    return SqlSource("wh", url, board, DAY, tables={t: f"broken.{t}" for t in TABLES})


def _plan(source: SqlSource) -> Plan:
    config = load_config(REPO / "canary.yaml")
    board = catalog().dashboards["all-instances"]
    return Plan(
        MONITOR, config.monitors[MONITOR], board, source, LATEST_WEEK, REPO / "expectations"
    )


def _summary(url: str) -> TileSummary:
    return _source(url).summarize(catalog().tiles["instance_usage"], LATEST_WEEK)


def test_the_week_is_validated_in_postgresql_and_failing_rows_come_back(
    pg: str, ge: GreatExpectations
) -> None:
    summary = _summary(pg)
    assert summary.warehouse is not None
    _, results = check_dataset(_plan(_source(pg)), ge, summary)
    assert summary.batch._frame is None  # the week's rows never left the database
    nulls = next(
        c
        for c in results
        if c.column == "weekly_insights_page_views" and c.check == "usage reported"
    )
    assert nulls.status == "failed"
    rows = nulls.observed["rows"]
    assert rows > 1000 and nulls.observed == {
        "unexpected_count": rows,
        "unexpected_percent": 100.0,
        "rows": rows,
    }
    assert nulls.sample_rows
    assert set(nulls.sample_rows[0]) == {"site_id", "week", "weekly_insights_page_views"}
    assert nulls.sample_rows[0]["weekly_insights_page_views"] is None
    types = [c for c in results if c.check == "type"]
    assert len(types) == 19 and {c.status for c in types} == {"passed"}
    counter = next(c for c in types if c.column == "weekly_insights_page_views")
    assert counter.observed == "int8"


def test_a_type_the_warehouse_changed_fails_its_type_check(pg: str, ge: GreatExpectations) -> None:
    rows = _summary(pg).warehouse
    assert rows is not None
    # the field's SQL now yields text: GE's pandas engine never sees it (canary types frames)
    text = replace(rows, sql=f"SELECT CAST(site_id AS text) AS n FROM ({rows.sql}) r")
    suite = {
        "name": "t",
        "expectations": [
            {
                "type": "expect_column_values_to_be_of_type",
                "kwargs": {"column": "n", "type_": "int64"},
            },
            {
                "type": "expect_column_values_to_be_in_type_list",
                "kwargs": {"column": "n", "type_list": ["object", "str"]},
            },
        ],
    }
    got = in_warehouse(ge, suite, text, {}, "SUMMARY", [])
    assert [(r.success, r.result["observed_value"]) for r in got] == [
        (False, "text"),
        (True, "text"),
    ]


def test_an_unreachable_warehouse_is_a_source_error_without_its_password(
    ge: GreatExpectations,
) -> None:
    url = "postgresql+psycopg://canary:s3cret-pw@127.0.0.1:1/nowhere"
    one = "SELECT 1 AS n"
    rows = WarehouseRows(url, one, timedelta(seconds=5), "source wh, table t", one)
    suite = load_suite(REPO / "expectations", "all_instances.instance_usage")
    with pytest.raises(SourceError) as raised:
        in_warehouse(
            ge, {**suite, "expectations": suite["expectations"][:2]}, rows, {}, "BASIC", []
        )
    assert "s3cret-pw" not in str(raised.value)
    assert str(raised.value).startswith("source wh, table t: ")


def test_the_rows_cross_processes_without_the_url(pg: str) -> None:
    rows = _summary(pg).warehouse
    assert rows is not None
    sent = pickle.loads(pickle.dumps(rows))
    assert sent.url == "" and sent.sql == rows.sql
    secret = replace(
        rows, url=sa.engine.make_url(pg).set(password="s3cret-pw").render_as_string(False)
    )
    assert "s3cret-pw" not in repr(secret) + str(pickle.dumps(secret))


@pytest.mark.parametrize(
    ("expected", "sql_type", "ok"),
    [
        ("int64", "int8", True),
        ("int64", "bigint", True),
        ("Int64", "numeric(12,0)", True),
        ("int64", "numeric(12,2)", False),
        ("int64", "text", False),
        ("float64", "double precision", True),
        ("datetime64[ns]", "date", True),
        ("datetime64[ns]", "timestamp with time zone", True),
        ("object", "character varying(64)", True),
        ("str", "text", True),
        ("object", "bigint", False),
        ("BIGINT", "bigint", True),  # a SQL type name is compared as itself
        ("VARCHAR", "text", False),
    ],
)
def test_a_dtype_name_stands_for_its_family_of_sql_types(
    expected: str, sql_type: str, ok: bool
) -> None:
    assert sql_types.matches(expected, sql_type, POSTGRESQL.types) is ok


def test_a_type_check_of_a_column_the_warehouse_lacks_fails() -> None:
    verdict = sql_types.verdict(
        {"column": "gone", "type_": "int64"}, {"n": "int8"}, POSTGRESQL.types
    )
    assert verdict == (False, None)


def test_the_query_run_alone_for_its_column_names_fetches_no_row(pg: str) -> None:
    rows = _summary(pg).warehouse
    assert rows is not None
    engine = sa.create_engine(pg)
    columns_only(engine, {rows.sql})
    with engine.connect() as con:
        probe = con.execute(sa.text(rows.sql))  # what GE runs to learn the columns
        assert list(probe.keys())[:2] == ["week", "site_id"] and probe.fetchall() == []
        counted = con.execute(sa.text(f"SELECT count(*) FROM ({rows.sql}) AS r")).scalar()
        assert counted is not None and counted > 1000  # as a subquery it runs unchanged
    engine.dispose()


def test_a_set_the_column_should_contain_is_asked_of_the_warehouse(
    pg: str, ge: GreatExpectations
) -> None:
    rows = _summary(pg).warehouse
    assert rows is not None
    contain = "expect_column_distinct_values_to_contain_set"
    suite = {
        "name": "t",
        "expectations": [
            {"type": contain, "kwargs": {"column": "instance_label", "value_set": [CANARY]}},
            {"type": contain, "kwargs": {"column": "instance_label", "value_set": [CANARY, "x:y"]}},
        ],
    }
    got = in_warehouse(ge, suite, rows, {}, "SUMMARY", [])
    # only the wanted values come back, not every instance's label
    assert [(r.success, r.result["observed_value"]) for r in got] == [
        (True, [CANARY]),
        (False, [CANARY]),
    ]


def test_a_suite_validated_in_the_warehouse_reaches_data_docs(pg: str) -> None:
    rows = _summary(pg).warehouse
    assert rows is not None
    ge = RecordingGE()
    suite = load_suite(REPO / "expectations", "all_instances.instance_usage")
    got = in_warehouse(ge, suite, rows, {}, "BASIC", [])
    assert ge.take() == [("all_instances.instance_usage", got)]
    assert len(got) == len(suite["expectations"])  # type checks and GE's own, in suite order


def test_a_colon_in_written_in_sql_is_not_taken_for_a_parameter(pg: str) -> None:
    sql = "SELECT 'deploy :kubernetes' AS label, CAST(1 AS bigint) AS n"
    assert column_types(pg, sql, timedelta(seconds=5), "t") == {"label": "text", "n": "int8"}
    assert values_present(pg, sql, "label", ["deploy :kubernetes"], timedelta(seconds=5), "t") == {
        "deploy :kubernetes"
    }


def test_only_the_expectations_that_failed_are_run_again_for_sample_rows(
    pg: str, ge: GreatExpectations, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _summary(pg).warehouse
    assert rows is not None
    null = "expect_column_values_to_not_be_null"
    same_name = {"check": "not null"}  # names repeat across columns
    suite = {
        "name": "t",
        "expectations": [
            {"type": null, "kwargs": {"column": "site_id"}, "meta": same_name},
            {"type": null, "kwargs": {"column": "weekly_insights_page_views"}, "meta": same_name},
        ],
    }
    passes: list[list[str]] = []
    real = ge._suite

    def spy(doc: dict[str, Any]) -> Any:
        passes.append([e["kwargs"]["column"] for e in doc["expectations"]])
        return real(doc)

    monkeypatch.setattr(ge, "_suite", spy)
    got = in_warehouse(ge, suite, rows, {}, "SUMMARY", ["site_id"])
    assert passes == [["site_id", "weekly_insights_page_views"], ["weekly_insights_page_views"]]
    assert [r.success for r in got] == [True, False]
    assert got[1].result["partial_unexpected_index_list"]  # its sample rows


def test_counts_run_over_unsorted_rows_and_samples_come_in_the_dashboards_order(
    pg: str, ge: GreatExpectations, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _summary(pg).warehouse
    assert rows is not None
    assert "ORDER BY" not in rows.sql and "ORDER BY" in rows.ordered  # a sort only slows counts
    asked: list[str] = []
    real = ge._query_batch

    def spy(where: WarehouseRows, sql: str) -> Any:
        asked.append(sql)
        return real(where, sql)

    monkeypatch.setattr(ge, "_query_batch", spy)
    null = {"type": "expect_column_values_to_not_be_null"}
    suite = {
        "name": "t",
        "expectations": [{**null, "kwargs": {"column": "weekly_insights_page_views"}}],
    }
    got = in_warehouse(ge, suite, rows, {}, "SUMMARY", ["site_id"])
    assert asked == [rows.sql, rows.ordered]
    sampled = [i["site_id"] for i in got[0].result["partial_unexpected_index_list"]]
    engine = sa.create_engine(pg)
    with engine.connect() as con:
        first = con.execute(sa.text(f"SELECT site_id FROM ({rows.ordered}) AS r LIMIT 20"))
        assert sampled == [r[0] for r in first][: len(sampled)] and len(sampled) > 1
    engine.dispose()
