"""Throwaway PostgreSQL databases holding the sample's tables, for the sql source's tests."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psycopg
import sqlalchemy as sa

PG_ADMIN = os.environ.get("CANARY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLES = ("weekly_pings", "insight_types")


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
