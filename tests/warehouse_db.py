"""Throwaway PostgreSQL and Snowflake (fakesnow) databases holding the sample's tables, for
the sql source's tests."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psycopg
import pytest
import sqlalchemy as sa

PG_ADMIN = os.environ.get("CANARY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLES = ("weekly_pings", "insight_types", "tracked_pages")


@contextmanager
def pg_database() -> Iterator[str]:
    """A new database on the machine's PostgreSQL (SQLAlchemy URL), dropped afterwards."""
    name = f"canary_wh_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql:", "postgresql+psycopg:") + f"/{name}"
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def copy_sample(warehouse: Path, url: str, schema: str = "analytics") -> None:
    """Copy the sample warehouse's tables into ``schema`` of the database at ``url``."""
    dsn = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False)
    source = duckdb.connect(str(warehouse), read_only=True)
    try:
        with psycopg.connect(dsn, autocommit=True) as pg:
            pg.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table in TABLES:
                described = source.execute(f"DESCRIBE {table}").fetchall()
                columns = ", ".join(f"{c[0]} {_pg_type(str(c[1]))}" for c in described)
                pg.execute(f"CREATE TABLE {schema}.{table} ({columns})")
                with tempfile.TemporaryDirectory() as tmp:
                    csv = Path(tmp) / f"{table}.csv"
                    source.execute(f"COPY {table} TO '{csv}' (HEADER, DELIMITER ',')")
                    with pg.cursor().copy(
                        f"COPY {schema}.{table} FROM STDIN WITH (FORMAT csv, HEADER true)"
                    ) as copy:
                        copy.write(csv.read_bytes())
    finally:
        source.close()


def _pg_type(duck: str) -> str:
    return {"VARCHAR": "text", "DATE": "date", "BIGINT": "bigint", "INTEGER": "integer"}[duck]


@contextmanager
def snowflake_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fakesnow server (Snowflake's API over DuckDB, on a loopback port) for this test,
    as the SQLAlchemy URL of its database ``canary``: Snowflake's own connector talks to
    it over HTTP."""
    import fakesnow

    # host, port and protocol are connector arguments snowflake-sqlalchemy takes from the
    # URL only when asked; no probe of cloud metadata services for the login's client info
    monkeypatch.setenv("SNOWFLAKE_SQLALCHEMY_LEGACY_URL_PARAMS", "1")
    monkeypatch.setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
    with fakesnow.server() as server:
        yield (
            # fakesnow takes any user and password
            f"snowflake://canary:s3cret-pw@{server['account']}/canary"
            f"?host={server['host']}&port={server['port']}&protocol={server['protocol']}"
        )


def copy_sample_snowflake(warehouse: Path, url: str, schema: str) -> None:
    """Copy the sample warehouse's tables into ``schema`` of the fakesnow database at
    ``url``: made by Snowflake DDL through the connector (Snowflake's types, unquoted
    upper-case names), their rows bulk-loaded into the server's DuckDB (as a ``COPY INTO``
    would load them; 74,000 rows inserted through the connector take ten minutes)."""
    from fakesnow.server import shared_fs

    source = duckdb.connect(str(warehouse), read_only=True)
    engine = sa.create_engine(url)
    loader = shared_fs.duck_conn.cursor()
    database = str(sa.engine.make_url(url).database).upper()
    try:
        with engine.begin() as con:
            con.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for table in TABLES:
                described = source.execute(f"DESCRIBE {table}").fetchall()
                columns = ", ".join(f"{c[0]} {_snowflake_type(str(c[1]))}" for c in described)
                con.exec_driver_sql(f"CREATE TABLE {schema}.{table} ({columns})")
        for table in TABLES:
            rows = source.execute(f"SELECT * FROM {table}").to_arrow_table()  # noqa: F841
            target = f"{database}.{schema.upper()}.{table.upper()}"
            loader.execute(f"INSERT INTO {target} SELECT * FROM rows")
    finally:
        loader.close()
        engine.dispose()
        source.close()


def _snowflake_type(duck: str) -> str:
    return {"VARCHAR": "VARCHAR", "DATE": "DATE", "BIGINT": "NUMBER(38,0)", "INTEGER": "INT"}[duck]
