"""Snowflake end to end on fakesnow (Snowflake's API over DuckDB, served on a loopback port
and spoken to by Snowflake's own connector): a ``kind: sql`` source on the sample's rows
gives the same checks, verdict by verdict, and the same summaries as the files source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from snowflake.connector import errors

from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.dashboards import catalog
from canary.pipeline import Plan, run_monitor
from canary.sample.generator import SampleSpec
from canary.sample.scenarios import CROSS_SOURCE, SCENARIOS
from canary.sample.warehouse import WarehouseSpec, ensure, url_of
from canary.sources.base import Source
from canary.sources.files import FilesSource
from canary.sources.files_config import FileDataset
from canary.sources.sql import connection
from canary.sources.sql.connection import column_types, engine_options
from canary.sources.sql.dialects import SNOWFLAKE, dialect_of
from canary.sources.sql.source import SqlSource
from canary.sources.sql.types import family
from canary.store.db import Store
from canary.summary import summary_of
from tests.conftest import LATEST_WEEK, REPO
from tests.test_source_parity import DAY, MONITOR, _assert_same_summary
from tests.warehouse_db import TABLES, copy_sample_snowflake, snowflake_database

pytestmark = pytest.mark.filterwarnings(
    # DuckDB's note to fakesnow, which hands the server's results over as Arrow
    "ignore:Arrow output on a DB-API result:UserWarning"
)


@pytest.fixture(scope="module")
def snowflake() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as monkeypatch, snowflake_database(monkeypatch) as url:
        yield url


@pytest.fixture(scope="module")
def ge() -> GreatExpectations:
    return GreatExpectations()


def _sources(slug: str, directory: Path, snowflake: str) -> dict[str, Source]:
    """The same broken warehouse as Snowflake tables and as CSV exports."""
    board = catalog().dashboards["all-instances"]
    spec = WarehouseSpec(SampleSpec(end_week=LATEST_WEEK, weeks=16), slug, LATEST_WEEK)
    warehouse = ensure(directory / "warehouse", spec)
    schema = slug.replace("-", "_")
    copy_sample_snowflake(warehouse, snowflake, schema)
    duck = SqlSource("duckdb", url_of(warehouse), board, DAY)
    exports = directory / "exports"
    exports.mkdir()
    for tile in board.tiles:
        frame = duck.query(tile, (None, LATEST_WEEK)).frame
        frame.to_csv(exports / f"{tile.dataset}.csv", index=False)
    return {
        "snowflake": SqlSource(
            "snowflake", snowflake, board, DAY, tables={t: f"{schema}.{t}" for t in TABLES}
        ),
        "files": FilesSource(
            exports, {t.dataset: FileDataset(path=f"{t.dataset}.csv") for t in board.tiles}, DAY
        ),
    }


@pytest.mark.parametrize("slug", sorted(set(SCENARIOS) - set(CROSS_SOURCE)))
def test_snowflake_gives_the_files_sources_checks_and_summaries(
    slug: str, tmp_path: Path, snowflake: str, ge: GreatExpectations
) -> None:
    config = load_config(REPO / "canary.yaml")
    verdicts = {}
    for name, source in _sources(slug, tmp_path, snowflake).items():
        tile = catalog().tiles["instance_usage"]
        summary = source.summarize(tile, LATEST_WEEK)
        _assert_same_summary(summary, summary_of(source.pull(tile, LATEST_WEEK), LATEST_WEEK))
        # GE's expectations run as SQL in Snowflake; the files source validates in pandas
        assert summary.warehouse is not None  # GE runs in Snowflake, and in DuckDB for files
        p = Plan(
            MONITOR,
            config.monitors[MONITOR],
            catalog().dashboards["all-instances"],
            source,
            LATEST_WEEK,
            REPO / "expectations",
        )
        store = Store(f"sqlite:///{tmp_path / name}.db")
        run = run_monitor(p, store, ge)
        store.close()
        verdicts[name] = sorted((c.id, c.status, c.reason) for c in run.checks)
    assert not [c for c in verdicts["files"] if c[1] == "error"]
    assert [c[:2] for c in verdicts["snowflake"]] == [c[:2] for c in verdicts["files"]]


def test_snowflake_reports_its_types_and_canary_reads_their_families(
    tmp_path: Path, snowflake: str
) -> None:
    """The connector describes a column by a type code (and a number's precision and
    scale): canary names them as Snowflake does and finds their families."""
    spec = WarehouseSpec(SampleSpec(end_week=LATEST_WEEK, weeks=2))
    copy_sample_snowflake(ensure(tmp_path, spec), snowflake, "typed")
    sql = (
        "SELECT week, site_id, weekly_insights_page_views, CAST(1.5 AS FLOAT) AS ratio, "
        "CAST(week AS TIMESTAMP_NTZ) AS stamp FROM typed.weekly_pings"
    )
    types = column_types(snowflake, sql, timedelta(seconds=30), "typed.weekly_pings")
    assert types == {
        "week": "DATE",
        "site_id": "VARCHAR",
        "weekly_insights_page_views": "NUMBER(38,0)",
        "ratio": "FLOAT",
        "stamp": "TIMESTAMP_NTZ",
    }
    families = {c: family(t, SNOWFLAKE.types) for c, t in types.items()}
    assert families == {
        "week": "date",
        "site_id": "string",
        "weekly_insights_page_views": "integer",
        "ratio": "number",
        "stamp": "date",
    }
    assert family("NUMBER(12,2)", SNOWFLAKE.types) == "number"
    assert family("VARIANT", SNOWFLAKE.types) is None


def test_snowflake_names_are_quoted_as_snowflake_stores_unquoted_ones() -> None:
    assert SNOWFLAKE.quote("week") == '"WEEK"'
    assert SNOWFLAKE.quote("version_minor") == '"VERSION_MINOR"'
    assert SNOWFLAKE.quote("Mixed Case") == '"Mixed Case"'
    assert SNOWFLAKE.quote('a"b') == '"a""b"'
    assert dialect_of("snowflake://u@acct/db/schema") is SNOWFLAKE


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (errors.DatabaseError("lost", errno=250001, sqlstate="08001"), True),
        (errors.DatabaseError("closed", errno=250002, sqlstate="08003"), True),
        (errors.OperationalError("login timed out", errno=251011), True),
        (errors.ProgrammingError("statement timeout", errno=630, sqlstate="57014"), True),
        (errors.ProgrammingError("no such table", errno=2003, sqlstate="42S02"), False),
        (errors.ProgrammingError("no privilege", errno=3001, sqlstate="42501"), False),
    ],
    ids=lambda e: str(getattr(e, "errno", e)),
)
def test_the_connectors_network_and_timeout_errors_are_transient(
    error: errors.Error, transient: bool
) -> None:
    wrapped = sa.exc.DBAPIError.instance("SELECT 1", {}, error, errors.Error)
    assert connection._transient(wrapped, "snowflake://u@acct/db") is transient


def test_the_query_timeout_is_a_session_parameter_of_every_connection() -> None:
    """The connector has no cancel on its connection: Snowflake cancels the statement."""
    assert engine_options("snowflake://u@acct/db", timeout=timedelta(milliseconds=1500)) == {
        "connect_args": {"session_parameters": {"STATEMENT_TIMEOUT_IN_SECONDS": 2}}
    }
    url = "snowflake://u@acct/db"
    five, ten = timedelta(seconds=5), timedelta(seconds=10)
    assert connection.engine_for(url, five) is connection.engine_for(url, five)
    assert connection.engine_for(url, five) is not connection.engine_for(url, ten)
    # a driver that cancels (PostgreSQL's) keeps one engine whatever the timeout
    postgres = "postgresql+psycopg://u@h/db"
    assert connection.engine_for(postgres, five) is connection.engine_for(postgres, ten)
