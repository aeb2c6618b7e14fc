"""One record per SQL backend: what runs in the warehouse there and how it is written.

A new backend is one record here (and its tests); code asks ``dialect_of(url)`` instead of
comparing backend names. Backends without a record are read with plain SELECTs: their
snapshot weeks are pulled and summarised and validated in Python, as for Looker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Dialect:
    """A backend (SQLAlchemy's backend name) and what canary does in it."""

    name: str
    label: str  # for people: "PostgreSQL"
    #: snapshot summaries run as SQL in the warehouse (``canary.sources.sql.pushdown``)
    pushdown: bool = False
    #: GE validates a snapshot's week as SQL in the warehouse (``TileSummary.warehouse``)
    ge_sql: bool = False
    #: why a part runs outside the warehouse, for ``canary doctor`` (empty: all of it runs there)
    outside: str = ""
    #: the statement that makes a transaction read-only (None: plain SELECTs)
    read_only: str | None = None
    #: in-process (DuckDB): a file opened read-only, one read at a time per process
    in_process: bool = False
    #: ``create_engine`` keywords of another client (GE's SQL engine), given a statement
    #: timeout in milliseconds (None: none)
    engine_options: Callable[[int], dict[str, Any]] | None = field(default=None, repr=False)


def _postgres_options(timeout_ms: int) -> dict[str, Any]:
    options = f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}"
    return {"connect_args": {"options": options}}


POSTGRESQL = Dialect(
    "postgresql",
    "PostgreSQL",
    pushdown=True,
    ge_sql=True,
    read_only="SET TRANSACTION READ ONLY",
    engine_options=_postgres_options,
)
#: GE's SQL engine reads DuckDB's results after closing their connection: canary's GE
#: engines buffer them first (``canary.checks.ge_buffered``).
DUCKDB = Dialect("duckdb", "DuckDB", pushdown=True, ge_sql=True, in_process=True)
DIALECTS: dict[str, Dialect] = {d.name: d for d in (POSTGRESQL, DUCKDB)}


def dialect_of(url: str) -> Dialect:
    """The record of ``url``'s backend; a plain one (nothing pushed down) for others."""
    name = make_url(url).get_backend_name()
    return DIALECTS.get(name) or Dialect(
        name,
        name,
        outside="no dialect record: a snapshot's week is pulled, summarised and validated "
        "in Python",
    )
