"""Read-only SQL over any SQLAlchemy URL: engines, timeouts, and errors without passwords."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from canary.database_url import database_url_problem
from canary.errors import SourceError, TransientSourceError
from canary.sources.sql.config import WAREHOUSE_EXAMPLE
from canary.sources.sql.dialects import dialect_of
from canary.url_secrets import safe_url, scrub

T = TypeVar("T")


def link_of(url: str, table: str) -> str:
    """Where a dataset came from, for people: a DuckDB file as ``file://``, else the URL."""
    path = local_file(url)
    return f"file://{path}#{table}" if path is not None else f"{safe_url(url)}#{table}"


def local_file(url: str) -> Path | None:
    parsed = make_url(url)
    if not dialect_of(url).in_process or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


def engine_for(url: str, timeout: timedelta | None = None) -> Engine:
    """One engine per URL and process; where the dialect's sessions carry the query timeout
    (``Dialect.session_timeout``), one per ``timeout`` too. ``SourceError`` when the driver
    cannot make its client (BigQuery's finds no credentials)."""
    per_session = dialect_of(url).session_timeout
    try:
        return _engine(url, os.getpid(), timeout if per_session else None)
    except sa.exc.SQLAlchemyError:  # not a URL, or no dialect for it: said where it is read
        raise
    except Exception as exc:  # the driver's own, e.g. google.auth's DefaultCredentialsError
        raise SourceError(
            scrub(f"{safe_url(url)}: the driver could not start: {first_line(exc)}", url)
        ) from None


def _read_only(url: str) -> dict[str, Any]:
    """``create_engine`` keywords opening a DuckDB file read-only, for canary and GE alike
    (a process opens a file with one configuration); none for other URLs."""
    return {"connect_args": {"read_only": True}} if local_file(url) is not None else {}


@lru_cache(maxsize=16)
def _engine(url: str, pid: int, timeout: timedelta | None) -> Engine:
    if local_file(url) is not None:
        # Closed after each read: a rewritten file (the sample after a new week) is read
        # anew, and other processes may write it in between.
        return sa.create_engine(url, poolclass=NullPool, **_read_only(url))
    options = engine_options(url, timeout) if timeout is not None else {}
    return sa.create_engine(url, pool_pre_ping=dialect_of(url).pre_ping, **options)


#: DuckDB is in-process and its Python connections are not safe across threads (a pooled
#: connection closed by one thread while another reads: "connection is busy with another
#: call"): its reads run one at a time (DuckDB parallelises each query itself).
_DUCKDB_TURN = threading.Lock()


def _turn(url: str) -> AbstractContextManager[Any]:
    return _DUCKDB_TURN if dialect_of(url).in_process else nullcontext()


@contextmanager
def _watchdog(con: Connection, timeout: timedelta) -> Iterator[threading.Event]:
    """Cancel the statement running on ``con`` once ``timeout`` passes; the event says so."""
    fired = threading.Event()
    raw = con.connection.dbapi_connection

    def cancel() -> None:
        fired.set()
        for name in ("cancel_safe", "cancel", "interrupt"):
            method = getattr(raw, name, None)
            if callable(method):
                method()
                return

    timer = threading.Timer(timeout.total_seconds(), cancel)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def _transient(exc: sa.exc.DBAPIError, url: str) -> bool:
    """A lost connection, an error of any class whose code the dialect calls transient
    (``Dialect.transient_codes``), or an operational error without a code."""
    dialect = dialect_of(url)
    code = dialect.error_code(exc.orig)
    if code:
        return exc.connection_invalidated or code.startswith(dialect.transient_codes)
    return exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError)


def first_line(exc: BaseException) -> str:
    """The database's own message, first line only (no SQL, no parameters)."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def whole_text(exc: BaseException) -> str:
    """The database's own message, every line of it joined into one, up to the excerpt of
    the query it may end with (``LINE 1: SELECT ...``)."""
    orig = getattr(exc, "orig", None) or exc
    text = []
    for line in str(orig).strip().splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            text.append(line.strip())
    return " ".join(text) if text else type(orig).__name__


def read_frame(
    url: str,
    sql: str,
    params: Mapping[str, Any],
    timeout: timedelta,
    where: str,
    whole: bool = False,
) -> pd.DataFrame:
    """Run one SELECT in a read-only transaction that is rolled back, as a frame.

    Raises ``TransientSourceError`` (unreachable, timed out) or ``SourceError`` (anything
    else, e.g. a missing table or a permission error); messages start with ``where`` and
    hold the database's first line, or with ``whole`` its whole explanation on one line
    (DuckDB's CSV errors: the line, the column, the value and the dialect it read).
    """

    def frame(result: sa.CursorResult[Any]) -> pd.DataFrame:
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    return _read(url, sql, params, timeout, where, frame, whole)


def column_types(url: str, sql: str, timeout: timedelta, where: str) -> dict[str, str]:
    """Column -> the database's type name for each column of ``sql`` (SQL with its values
    written in; no row is read), as
    ``read_frame`` runs it (``bigint``, ``text``, ``numeric(12,0)`` on PostgreSQL)."""

    column_type = dialect_of(url).column_type

    def types(result: sa.CursorResult[Any]) -> dict[str, str]:
        # the names as SQLAlchemy gives them (Snowflake's upper-case ones normalised)
        described = result.cursor.description or ()
        return {str(k): column_type(d) for k, d in zip(result.keys(), described, strict=True)}

    probe = f"SELECT * FROM ({_literal(sql)}) canary_rows WHERE 1 = 0"
    return _read(url, probe, {}, timeout, where, types)


def _literal(sql: str) -> str:
    """SQL whose values are written in, as ``sa.text`` reads it (a colon is not a parameter)."""
    return sql.replace(":", "\\:")


def values_present(
    url: str, sql: str, column: str, values: list[Any], timeout: timedelta, where: str
) -> set[Any]:
    """Which of ``values`` column ``column`` of ``sql`` (SQL with its values written in)
    holds: a read of at most ``len(values)`` rows."""
    if not values:
        return set()
    quoted = dialect_of(url).quote(column)
    marks = ", ".join(f":v{i}" for i in range(len(values)))
    query = (
        f"SELECT DISTINCT {quoted} AS v FROM ({_literal(sql)}) canary_rows "
        f"WHERE {quoted} IN ({marks})"
    )
    frame = read_frame(url, query, {f"v{i}": v for i, v in enumerate(values)}, timeout, where)
    return set(frame["v"])


def engine_options(url: str, timeout: timedelta) -> dict[str, Any]:
    """``create_engine`` keywords for another client of the warehouse (GE's SQL engine):
    where the dialect has them, read-only transactions and ``timeout`` on every statement;
    a DuckDB file read-only."""
    options = dialect_of(url).engine_options
    ms = int(timeout.total_seconds() * 1000)
    return {**(options(ms) if options else {}), **_read_only(url)}


def release_file(url: str, *engines: Engine) -> None:
    """Close the idle connections ``engines`` (another client's: GE's) keep to the DuckDB
    file of ``url``, as canary's own reads close theirs: the file can then be rewritten or
    opened otherwise. Connections to other databases are kept."""
    if local_file(url) is not None:
        for engine in engines:
            engine.dispose()


def columns_only(engine: Engine, queries: Collection[str]) -> None:
    """Make ``engine`` run each of ``queries``, when executed as a statement of its own, with
    no rows: GE runs a query asset's whole query to learn its column names, and a
    client-side cursor (psycopg's) fetches every row of it (500 MB for a million rows). As a
    subquery of GE's metric queries it runs unchanged."""

    def limited(
        conn: Connection, statement: Any, multiparams: Any, params: Any, options: Any
    ) -> tuple[Any, Any, Any]:
        if isinstance(statement, sa.TextClause) and statement.text in queries:
            statement = sa.text(f"SELECT * FROM ({statement.text}) AS canary_columns LIMIT 0")
        return statement, multiparams, params

    sa.event.listen(engine, "before_execute", limited, retval=True)


def _read(
    url: str,
    sql: str,
    params: Mapping[str, Any],
    timeout: timedelta,
    where: str,
    fetch: Callable[[sa.CursorResult[Any]], T],
    whole: bool = False,
) -> T:
    try:
        with _turn(url), engine_for(url, timeout).connect() as con, con.begin() as tx:
            statement = dialect_of(url).read_only
            if statement:
                con.exec_driver_sql(statement)
            try:
                options = dialect_of(url).statement_options
                timed = options(int(timeout.total_seconds() * 1000)) if options else {}
                with _watchdog(con, timeout) as fired:
                    got = fetch(con.execute(sa.text(sql), dict(params), execution_options=timed))
            except sa.exc.DBAPIError:
                if fired.is_set():
                    raise TransientSourceError(
                        f"{where}: query timed out after {timeout.total_seconds():g}s "
                        f"(query_timeout)"
                    ) from None
                raise
            finally:
                tx.rollback()
    except sa.exc.DBAPIError as exc:
        message = scrub(f"{where}: {(whole_text if whole else first_line)(exc)}", url)
        if _transient(exc, url):
            raise TransientSourceError(message) from None
        raise SourceError(message) from None
    except sa.exc.NoSuchModuleError:
        raise SourceError(f"{where}: {database_url_problem(url, WAREHOUSE_EXAMPLE)}") from None
    except sa.exc.ArgumentError as exc:
        raise SourceError(scrub(f"{where}: {exc}", url)) from None
    return got
