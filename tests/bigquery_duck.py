"""BigQuery's client as its DB-API driver calls it, answering from a DuckDB file.

No BigQuery emulator can be installed here. Everything above the client is real: canary's
SQL, GE's SQL engine, ``sqlalchemy-bigquery``'s compiler and the driver's cursor, which
turns SQLAlchemy's parameters into BigQuery's (``@p0`` and typed query parameters). Each
query is parsed as BigQuery SQL by sqlglot with errors raised, its parameters written in,
transpiled to DuckDB and run on the file; a DuckDB error comes back as BigQuery's API error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa
import sqlglot
from google.api_core.exceptions import BadRequest
from google.cloud.bigquery import QueryJobConfig, SchemaField
from sqlglot import exp
from sqlglot.errors import ErrorLevel

#: BigQuery's names (as its API reports them) of the DuckDB types the sample holds.
_TYPES = {
    "BIGINT": "INTEGER",
    "INTEGER": "INTEGER",
    "HUGEINT": "INTEGER",
    "DOUBLE": "FLOAT",
    "FLOAT": "FLOAT",
    "DECIMAL": "NUMERIC",
    "VARCHAR": "STRING",
    "DATE": "DATE",
    "TIMESTAMP": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "BOOLEAN": "BOOLEAN",
}


@dataclass
class _Rows:
    """What ``query_and_wait`` returns, as far as the cursor reads it."""

    schema: list[SchemaField]
    rows: list[tuple[Any, ...]]
    num_dml_affected_rows: None = None

    @property
    def total_rows(self) -> int:
        return len(self.rows)

    def _should_use_bqstorage(self, *args: Any, **kwargs: Any) -> bool:
        return False

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)


@dataclass
class DuckClient:
    """A ``google.cloud.bigquery.Client`` for the driver: ``queries`` and ``jobs`` are what
    it was sent."""

    path: Path
    project: str = "canary-test"
    queries: list[str] = field(default_factory=list)
    jobs: list[QueryJobConfig | None] = field(default_factory=list)

    def _ensure_bqstorage_client(self, *args: Any, **kwargs: Any) -> None:
        return None

    def close(self) -> None:
        return None

    def query_and_wait(
        self, query: str, job_config: QueryJobConfig | None = None, **kwargs: Any
    ) -> _Rows:
        self.queries.append(query)
        self.jobs.append(job_config)
        tree = sqlglot.parse_one(query, read="bigquery", error_level=ErrorLevel.RAISE)
        values = {p.name: p.value for p in job_config.query_parameters} if job_config else {}

        def written_in(node: exp.Expression) -> exp.Expression:
            return exp.convert(values[node.name]) if isinstance(node, exp.Parameter) else node

        sql = tree.transform(written_in).sql(dialect="duckdb")
        try:
            with duckdb.connect(str(self.path), read_only=True) as con:
                cursor = con.execute(sql)
                rows = cursor.fetchall()
                description = cursor.description or []
        except duckdb.Error as exc:
            raise BadRequest(str(exc).splitlines()[0]) from None
        schema = [SchemaField(str(d[0]), _bigquery_type(str(d[1]))) for d in description]
        return _Rows(schema, rows)


def _bigquery_type(duck: str) -> str:
    base = duck.split("(")[0].strip().upper()
    return _TYPES.get(base, "STRING")


def engine(client: DuckClient, url: str, **kwargs: Any) -> sa.Engine:
    """A BigQuery engine whose driver calls ``client`` (``url`` without a key or the
    ``user_supplied_client`` flag)."""
    flagged = sa.make_url(url).update_query_dict({"user_supplied_client": "true"})
    return sa.create_engine(flagged, connect_args={"client": client}, **kwargs)
