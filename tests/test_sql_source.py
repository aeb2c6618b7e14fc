"""The sql source: tiles as SQL on PostgreSQL and DuckDB, read-only, faults as error checks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from canary.cli import main
from canary.dashboards import catalog
from canary.errors import SourceError
from canary.sample.warehouse import FILE_NAME, WarehouseSpec
from canary.sources.sample import SampleWarehouseSource, sample_spec
from canary.sources.sample_config import SampleSourceConfig
from canary.sources.sql.connection import read_frame
from canary.sources.sql.dialects import DUCKDB
from canary.sources.sql.source import SqlSource
from canary.summary import TYPICAL_RATIO
from tests.conftest import AS_OF, LATEST_WEEK, NOW, write_config
from tests.warehouse_db import copy_sample, pg_database

TABLES = {v: f"analytics.{v}" for v in ("weekly_pings", "insight_types", "tracked_pages")}
CANARY_DATASETS = ("instances_reporting", "page_views", "creators", "instance_usage")


@pytest.fixture(scope="module")
def pg_warehouse(shared_sample: Path) -> Iterator[str]:
    """The healthy sample's tables in schema ``analytics`` of a throwaway PostgreSQL database."""
    with pg_database() as url:
        copy_sample(shared_sample / FILE_NAME, url)
        yield url


def _source(url: str, board: str = "all-instances", **kw: Any) -> SqlSource:
    return SqlSource("warehouse", url, catalog().dashboards[board], timedelta(days=1), **kw)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("dialect", ["postgresql", "duckdb"])
@pytest.mark.parametrize("board", ["all-instances", "canary"])
def test_every_tile_reads_what_the_sample_holds(
    dialect: str, board: str, pg_warehouse: str, shared_sample: Path
) -> None:
    dashboard = catalog().dashboards[board]
    reference = SampleWarehouseSource(
        shared_sample,
        WarehouseSpec(sample_spec(SampleSourceConfig(kind="sample"), NOW)),
        dashboard,
        timedelta(days=1),
    )
    if dialect == "postgresql":
        source = _source(pg_warehouse, board, tables=TABLES)
    else:
        source = _source(f"duckdb:///{shared_sample / FILE_NAME}", board)
    for tile in dashboard.tiles:
        got = source.pull(tile, LATEST_WEEK)
        want = reference.pull(tile, LATEST_WEEK)
        assert len(got.frame) > 0, tile.dataset
        pd.testing.assert_frame_equal(_sorted(got.frame), _sorted(want.frame), check_dtype=True)
        assert str(got.link).endswith(f"#{source.table(tile.view)}")


def _sql_config(tmp_path: Path, source: dict[str, Any]) -> Path:
    return write_config(
        tmp_path,
        sources={"warehouse": {"kind": "sql", "complete_after": "1d", **source}},
        monitors={
            "code-insights-canary": {
                "source": "warehouse",
                "dashboard": "canary",
                "suite_prefix": "canary",
                "alerts": {"channel": "#code-insights-internal"},
                "datasets": {name: {} for name in CANARY_DATASETS},
            }
        },
    )


def _run(config: Path, out: Path) -> tuple[int, dict[str, Any]]:
    code = main(
        [
            "run",
            "--config",
            str(config),
            "--json",
            str(out),
            "--quiet",
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    return code, json.loads(out.read_text())


def test_a_monitor_runs_on_postgres_with_the_url_from_a_secret(
    tmp_path: Path, pg_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANARY_WAREHOUSE_URL", pg_warehouse)
    config = _sql_config(tmp_path, {"url": {"env": "CANARY_WAREHOUSE_URL"}, "tables": TABLES})
    code, doc = _run(config, tmp_path / "out.json")
    checks = doc["runs"][0]["checks"]
    assert code == 0, [c for c in checks if c["status"] not in ("passed", "skipped")]
    assert {c["dataset"] for c in checks} >= set(CANARY_DATASETS)


def _errors(doc: dict[str, Any]) -> list[str]:
    return [c["reason"] for c in doc["runs"][0]["checks"] if c["status"] == "error"]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://canary:s3cr3t-pw@127.0.0.1:1/warehouse",
        "postgresql+psycopg://canary@127.0.0.1:1/warehouse?password=s3cr3t-pw",
    ],
    ids=["in the user part", "in the query"],
)
def test_an_unreachable_warehouse_is_an_error_check_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    config = _sql_config(tmp_path, {"url": url, "retries": 1})
    code, doc = _run(config, tmp_path / "out.json")
    errors = _errors(doc)
    assert code == 3 and len(errors) == len(CANARY_DATASETS)
    assert all("source warehouse" in e and "127.0.0.1:1" in e for e in errors)
    seen = (tmp_path / "out.json").read_text() + "".join(capsys.readouterr())
    assert "s3cr3t-pw" not in seen


def test_a_first_run_on_an_unreachable_warehouse_says_it_judges_without_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://canary:s3cr3t-pw@127.0.0.1:1/warehouse"
    config = _sql_config(tmp_path, {"url": url, "retries": 1})
    args = ["run", "--config", str(config), "--as-of", AS_OF.isoformat()]
    assert main(args) == 3
    out = " ".join(capsys.readouterr().out.split())
    assert "no history in the store yet and none backfilled" in out
    assert "the source could not be reached: source warehouse" in out
    assert "this run judges without history" in out
    assert "judges with history" not in out and "s3cr3t-pw" not in out


@pytest.fixture
def renamed(pg_warehouse: str) -> str:
    """A copy of weekly_pings where weekly_insights_page_views is renamed page_views."""
    with sa.create_engine(pg_warehouse).begin() as con:
        con.exec_driver_sql("DROP TABLE IF EXISTS analytics.renamed")
        con.exec_driver_sql(
            "CREATE TABLE analytics.renamed AS SELECT * FROM analytics.weekly_pings"
        )
        con.exec_driver_sql(
            "ALTER TABLE analytics.renamed RENAME COLUMN weekly_insights_page_views TO page_views"
        )
    return "analytics.renamed"


def test_a_missing_table_and_a_missing_column_are_named(
    tmp_path: Path, pg_warehouse: str, renamed: str
) -> None:
    missing_column = {"weekly_pings": renamed, "insight_types": "analytics.nowhere"}
    config = _sql_config(tmp_path, {"url": pg_warehouse, "tables": missing_column})
    code, doc = _run(config, tmp_path / "out.json")
    assert code == 3
    errors = _errors(doc)
    assert any(
        "table analytics.renamed, column weekly_pings.weekly_insights_page_views" in e
        and "does not exist" in e
        for e in errors
    ), errors
    tile = catalog().tiles["insights_by_type"]
    with pytest.raises(SourceError, match=r"table analytics\.nowhere: .*does not exist"):
        _source(pg_warehouse, tables=missing_column).pull(tile, LATEST_WEEK)


def test_a_permission_error_names_the_table(pg_warehouse: str) -> None:
    role = "canary_reader_" + pg_warehouse.rsplit("_", 1)[-1]
    with sa.create_engine(pg_warehouse).begin() as con:
        con.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'r3ader-pw'")
        con.exec_driver_sql(f"GRANT USAGE ON SCHEMA analytics TO {role}")
    try:
        url = sa.engine.make_url(pg_warehouse).set(username=role, password="r3ader-pw")
        source = _source(url.render_as_string(hide_password=False), tables=TABLES, retries=0)
        with pytest.raises(SourceError) as info:
            source.pull(catalog().tiles["page_views"], LATEST_WEEK)
        text = str(info.value)
        assert "table analytics.weekly_pings" in text and "permission denied" in text
        assert "r3ader-pw" not in text and not info.value.transient
    finally:
        with sa.create_engine(pg_warehouse).begin() as con:
            con.exec_driver_sql(f"DROP OWNED BY {role}")
            con.exec_driver_sql(f"DROP ROLE {role}")


def test_a_slow_query_times_out_as_a_transient_error(pg_warehouse: str) -> None:
    with sa.create_engine(pg_warehouse).begin() as con:
        con.exec_driver_sql(
            "CREATE VIEW analytics.slow AS SELECT * FROM analytics.weekly_pings"
            " WHERE pg_sleep(0.01) IS NOT NULL"
        )
    source = _source(
        pg_warehouse,
        tables={**TABLES, "weekly_pings": "analytics.slow"},
        query_timeout=timedelta(seconds=1),
        retries=0,
    )
    with pytest.raises(SourceError, match=r"query timed out after 1s") as info:
        source.pull(catalog().tiles["page_views"], LATEST_WEEK)
    assert info.value.transient


@pytest.mark.parametrize("dialect", ["postgresql", "duckdb"])
def test_reads_run_in_read_only_transactions(
    dialect: str, pg_warehouse: str, shared_sample: Path
) -> None:
    url = pg_warehouse if dialect == "postgresql" else f"duckdb:///{shared_sample / FILE_NAME}"
    with pytest.raises(SourceError, match="read-only"):
        read_frame(url, "CREATE TABLE written (i integer)", {}, timedelta(seconds=30), "w")


def _doctor(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["doctor", "--config", str(config), "--source", "warehouse"])
    return code, "".join(capsys.readouterr())


def test_doctor_checks_connection_tables_and_the_latest_week(
    tmp_path: Path, pg_warehouse: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _doctor(_sql_config(tmp_path, {"url": pg_warehouse, "tables": TABLES}), capsys)
    assert code == 0, out
    flat = " ".join(out.split())
    assert (
        "warehouse: dialect: PostgreSQL: snapshot summaries (push-down) and GE's expectations "
        "as SQL run in the warehouse" in flat
    )
    assert "warehouse: connect: connected to postgresql+psycopg://" in out
    assert "table analytics.weekly_pings" in out and "rows in week" in out


def test_doctor_names_the_view_and_field_whose_sql_does_not_run(
    tmp_path: Path, pg_warehouse: str, renamed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _sql_config(
        tmp_path, {"url": pg_warehouse, "tables": {**TABLES, "weekly_pings": renamed}}
    )
    code, out = _doctor(config, capsys)
    assert code == 2, out
    assert "view weekly_pings" in out and "column weekly_pings.weekly_insights_page_views" in out


def test_doctor_reports_an_unreachable_warehouse_without_the_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+psycopg://canary:s3cr3t-pw@127.0.0.1:1/warehouse"
    code, out = _doctor(_sql_config(tmp_path, {"url": url, "retries": 0}), capsys)
    assert code == 3 and "unreachable" in out and "s3cr3t-pw" not in out
    assert "warehouse: dialect: PostgreSQL" in out  # known from the URL alone


def test_a_url_of_no_installed_dialect_says_which_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgres://canary:s3cr3t-pw@127.0.0.1:5432/warehouse"
    code, out = _doctor(_sql_config(tmp_path, {"url": url, "retries": 0}), capsys)
    flat = " ".join(out.split())  # a config error: nothing ran
    assert code == 2 and "s3cr3t-pw" not in flat, flat
    assert "no installed SQLAlchemy dialect reads 'postgres' URLs" in flat
    assert "postgresql+psycopg://" in flat


def test_doctor_checks_a_url_read_from_a_prefect_block_before_naming_its_dialect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import SecretStr

    import canary.sources.sql.source as sql_module
    from canary.secrets import ResolvedSecret

    bad = ResolvedSecret(SecretStr("postgres://canary:s3cr3t-pw@db/warehouse"), "prefect block")
    monkeypatch.setattr(sql_module, "resolve", lambda *args: bad)
    config = _sql_config(tmp_path, {"url": {"prefect_block": "warehouse-url"}})
    code, out = _doctor(config, capsys)
    flat = " ".join(out.split())
    assert code == 2 and "s3cr3t-pw" not in flat, flat
    assert "warehouse: connect: source warehouse: no installed SQLAlchemy dialect reads" in flat
    assert "dialect:" not in flat


def test_a_secret_url_is_listed_with_the_other_secrets(tmp_path: Path) -> None:
    from canary.config import load_config
    from canary.prefect_ops.secret_blocks import secret_refs

    url = {"env": "CANARY_WAREHOUSE_URL", "prefect_block": "warehouse-url"}
    refs = secret_refs(load_config(_sql_config(tmp_path, {"url": url})))
    assert refs["sources.warehouse.url"].prefect_block == "warehouse-url"


def test_doctor_says_when_weeks_are_not_named_by_their_monday(
    tmp_path: Path, pg_warehouse: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with sa.create_engine(pg_warehouse).begin() as con:
        con.exec_driver_sql("DROP TABLE IF EXISTS analytics.sunday_weeks")
        con.exec_driver_sql(
            "CREATE TABLE analytics.sunday_weeks AS SELECT * FROM analytics.weekly_pings"
        )
        con.exec_driver_sql("UPDATE analytics.sunday_weeks SET week = week - 1")
    tables = {**TABLES, "weekly_pings": "analytics.sunday_weeks"}
    code, out = _doctor(_sql_config(tmp_path, {"url": pg_warehouse, "tables": tables}), capsys)
    assert code == 2, out
    flat = " ".join(out.split())
    assert "table analytics.sunday_weeks" in flat and "0 rows in week" in flat
    assert "(a Sunday), but canary names a week by the Monday 00:00 UTC it starts" in flat
    assert "(in PostgreSQL: CAST(date_trunc('week', week) AS DATE))" in flat


def test_a_dialect_push_down_is_not_written_for_summarises_the_pulled_week(
    shared_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Push-down SQL runs only where the dialect's record says so; elsewhere the week is
    pulled instead."""
    import canary.sources.sql.source as sql_module
    from canary.summary import summary_of

    source = _source(f"duckdb:///{shared_sample / FILE_NAME}")
    tile = catalog().tiles["instance_usage"]
    pushed = source.summarize(tile, LATEST_WEEK)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("push-down SQL sent to a dialect it is not written for")

    plain = replace(DUCKDB, pushdown=False)
    monkeypatch.setattr(sql_module, "dialect_of", lambda url: plain)
    monkeypatch.setattr(sql_module.pushdown, "summarize", refuse)
    pulled = source.summarize(tile, LATEST_WEEK)
    expected = summary_of(source.pull(tile, LATEST_WEEK), LATEST_WEEK)
    assert (
        (pulled.schema, pulled.rows)
        == (expected.schema, expected.rows)
        == (
            pushed.schema,
            pushed.rows,
        )
    )
    keys = ["week", "column_name", "segment", "metric"]
    pd.testing.assert_frame_equal(
        pulled.metrics.sort_values(keys).reset_index(drop=True),
        pushed.metrics.sort_values(keys).reset_index(drop=True),
        check_dtype=False,
        rtol=1e-12,
    )


def test_the_typical_instance_is_told_beside_the_week_over_week_comparison(
    pg_warehouse: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot's two heaviest reads run side by side on a warehouse: the comparison
    waits until the typical instance's query has started (in vain, one after the other)."""
    source = _source(pg_warehouse, tables=TABLES)
    typical_started = threading.Event()
    seen: list[str] = []
    read = source.read

    def watched(sql: str, params: Any, where: str) -> pd.DataFrame:
        if "percentile_cont" in sql and " AS tk0" in sql:
            seen.append("typical")
            typical_started.set()
        elif " AS repeats" in sql:
            seen.append(f"comparison, typical under way: {typical_started.wait(10)}")
        return read(sql, params, where)

    monkeypatch.setattr(source, "read", watched)
    tile = catalog().tiles["instance_usage"]
    summary = source.summarize(tile, LATEST_WEEK)
    assert sorted(seen) == ["comparison, typical under way: True", "typical"]
    typical = summary.metrics[summary.metrics["metric"] == TYPICAL_RATIO]
    assert len(typical) and summary.changes is not None
