"""One record per SQL backend: what runs in the warehouse there and how its SQL is written.

A new backend is one record here (and its tests); code asks ``dialect_of(url)`` instead of
comparing backend names. Backends without a record are read with plain SELECTs: their
snapshot weeks are pulled and summarised and validated in Python, as for Looker.

How SQL is written (``canary.sources.sql.pushdown`` writes its queries once and asks the
record for each of these; the defaults are standard SQL, as PostgreSQL and DuckDB take it):

- ``quote(name)``: a quoted column name (double quotes, one inside doubled; Snowflake: a
  plain lower-case name quoted upper case, as Snowflake stores it unquoted; BigQuery:
  backticks);
- ``percentile(expr, fraction)``: an aggregate, the ``fraction`` percentile of ``expr``
  ignoring nulls (``percentile_cont(0.5) WITHIN GROUP (ORDER BY x)``; where exact ones are
  analytic-only, an approximation such as ``APPROX_QUANTILES(x, 100)[OFFSET(50)]``, said in
  ``approximate``);
- ``to_date(expr)``: a date or timestamp as its day (``CAST(x AS DATE)``);
- ``week_start(expr)``: the Monday of ``expr``'s week, as a date (shown by ``canary doctor``
  when a table names its weeks otherwise);
- ``float_type``: the type a cast to a double-precision float names (``DOUBLE PRECISION``);
- ``grouping_sets``: whether ``GROUP BY GROUPING SETS`` and ``GROUPING(x)`` are supported
  (without them the same rows are written as a ``UNION ALL`` of ``GROUP BY`` clauses);
- ``cte_once``: whether a ``WITH`` query read by several branches is computed once (then
  grouping sets that need different aggregates are written as a ``UNION ALL`` computing
  each set's own; BigQuery computes it per reference, so there ``GROUPING SETS`` compute
  them all in one pass).

Named parameters (``:wk``, ``:p0``) are SQLAlchemy's: the dialect's driver binds them.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import make_url

from canary.sources.sql.types import STANDARD_TYPES, Families, families


def double_quoted(name: str) -> str:
    """A name quoted as standard SQL writes it (a double quote inside doubled)."""
    return '"' + name.replace('"', '""') + '"'


def percentile_cont(expr: str, fraction: float) -> str:
    """The exact, interpolated percentile as an ordered-set aggregate."""
    return f"percentile_cont({fraction!r}) WITHIN GROUP (ORDER BY {expr})"


def cast_to_date(expr: str) -> str:
    """A date or timestamp as its day."""
    return f"CAST({expr} AS DATE)"


def date_trunc_week(expr: str) -> str:
    """The Monday of ``expr``'s week (``date_trunc`` weeks start on Mondays)."""
    return f"CAST(date_trunc('week', {expr}) AS DATE)"


def sqlstate(error: Any) -> str:
    """The SQLSTATE code of a driver's error (empty when it has none)."""
    return str(getattr(error, "sqlstate", "") or "")


#: SQLSTATE classes of connection errors (08), resources (53), operator intervention (57).
TRANSIENT_SQLSTATE = ("08", "53", "57")


def described_type(column: Any) -> str:
    """A result column's type name from its cursor description entry: psycopg names it
    (``type_display``), DuckDB's driver gives the type itself."""
    return str(getattr(column, "type_display", None) or column[1])


@dataclass(frozen=True)
class Dialect:
    """A backend (SQLAlchemy's backend name), what canary does in it, and how it is written."""

    name: str
    label: str  # for people: "PostgreSQL"
    #: snapshot summaries run as SQL in the warehouse (``canary.sources.sql.pushdown``)
    pushdown: bool = False
    #: GE validates a snapshot's week as SQL in the warehouse (``TileSummary.warehouse``)
    ge_sql: bool = False
    #: why a part runs outside the warehouse, for ``canary doctor`` (empty: all of it runs there)
    outside: str = ""
    #: what runs in the warehouse but approximately, for ``canary doctor`` (empty: nothing)
    approximate: str = ""
    #: the statement that makes a transaction read-only (None: plain SELECTs)
    read_only: str | None = None
    #: in-process (DuckDB): a file opened read-only, one read at a time per process
    in_process: bool = False
    #: a pooled connection is pinged before each read (one that may have dropped); False
    #: where a connection is a stateless client and a ping a query of its own (BigQuery)
    pre_ping: bool = True
    #: ``create_engine`` keywords of another client (GE's SQL engine), given a statement
    #: timeout in milliseconds (None: none)
    engine_options: Callable[[int], dict[str, Any]] | None = field(default=None, repr=False)
    #: How canary's own reads are held to the query timeout. By default the driver's
    #: connection cancels the statement when it passes (``connection._watchdog``). Where the
    #: connection has no cancel, the warehouse times the statement out, as its driver takes a
    #: timeout: ``statement_options`` are the execution options of each statement, given its
    #: timeout in milliseconds (BigQuery: a job's timeout; the driver writes each statement's
    #: parameters into the job's config, so one config is never shared by an engine whose
    #: statements run at once, as canary's do); ``session_timeout`` makes an engine per
    #: timeout whose sessions get ``engine_options``' timeout (Snowflake: its statement
    #: timeout is a session parameter, and SQLAlchemy gives its connector none per statement).
    statement_options: Callable[[int], dict[str, Any]] | None = field(default=None, repr=False)
    session_timeout: bool = False
    #: the URL with a source's connection settings written in, for a driver that reads them
    #: from its URL: a key (``credentials``, JSON) and ``max_bytes_billed`` (None: it takes
    #: neither; ``ValueError`` when a setting is malformed)
    with_settings: Callable[[str, str | None, int | None], str] | None = field(
        default=None, repr=False
    )
    quote: Callable[[str], str] = field(default=double_quoted, repr=False)
    percentile: Callable[[str, float], str] = field(default=percentile_cont, repr=False)
    to_date: Callable[[str], str] = field(default=cast_to_date, repr=False)
    week_start: Callable[[str], str] = field(default=date_trunc_week, repr=False)
    float_type: str = "DOUBLE PRECISION"
    grouping_sets: bool = True
    cte_once: bool = True
    #: the SQL type names (lower case, without parameters) of each family: ``integer``,
    #: ``number``, ``date``, ``string``, ``boolean`` (``types.families`` widens the standard)
    types: Families = field(default_factory=lambda: STANDARD_TYPES, repr=False)
    #: the code of a driver's error, and the prefixes of those codes that are transient, of
    #: any error class (BigQuery's driver raises every API error as a ``DatabaseError``,
    #: Snowflake's connector a lost connection as one and its statement timeout as a
    #: ``ProgrammingError``); an operational error without a code is transient too
    error_code: Callable[[Any], str] = field(default=sqlstate, repr=False)
    transient_codes: tuple[str, ...] = TRANSIENT_SQLSTATE
    #: the SQL type name of a result column, from its cursor description entry
    column_type: Callable[[Any], str] = field(default=described_type, repr=False)


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
    types=families(
        integer={"int2", "int4", "int8", "serial", "bigserial"},
        number={"float4", "float8"},
        date={"timestamptz"},
        string={"bpchar", "name", "uuid"},
        boolean={"bool"},
    ),
)
#: GE's SQL engine reads DuckDB's results after closing their connection: canary's GE
#: engines buffer them first (``canary.checks.ge_buffered``).
DUCKDB = Dialect(
    "duckdb",
    "DuckDB",
    pushdown=True,
    ge_sql=True,
    in_process=True,
    types=families(
        integer={
            "tinyint", "hugeint", "ubigint", "uinteger", "usmallint", "utinyint",
            "int1", "int2", "int4", "int8", "long", "short",
        },
        number={"double", "float4", "float8"},
        date={"timestamptz", "datetime"},
        string={"string", "bpchar", "uuid"},
        boolean={"bool"},
    ),
)  # fmt: skip


def backticked(name: str) -> str:
    """A name quoted as BigQuery writes it (a backtick or backslash inside escaped)."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def approx_quantiles(expr: str, fraction: float) -> str:
    """BigQuery's percentile: ``PERCENTILE_CONT`` is analytic only, the aggregate is
    ``APPROX_QUANTILES`` (here in hundredths; nulls ignored)."""
    return f"APPROX_QUANTILES({expr}, 100)[OFFSET({round(fraction * 100)})]"


def bigquery_week(expr: str) -> str:
    return f"DATE_TRUNC(CAST({expr} AS DATE), WEEK(MONDAY))"


def http_status(error: Any) -> str:
    """The HTTP status of the API error BigQuery's DB-API error wraps (empty: none)."""
    cause = error.args[0] if getattr(error, "args", None) else None
    code = getattr(cause, "code", None)
    return str(code) if isinstance(code, int) else ""


def bigquery_settings(url: str, credentials: str | None, max_bytes_billed: int | None) -> str:
    """``url`` with a service-account key as ``credentials_base64`` (hidden in shown URLs, as a
    password is: ``canary.url_secrets``) and ``maximum_bytes_billed``, as the driver reads
    them."""
    query = {}
    if credentials is not None:
        try:
            key = json.loads(credentials)
        except ValueError:
            key = None
        if not isinstance(key, dict) or key.get("type") != "service_account":
            raise ValueError("not a service-account key (the JSON of one, type service_account)")
        query["credentials_base64"] = base64.b64encode(credentials.encode()).decode()
    if max_bytes_billed is not None:
        query["maximum_bytes_billed"] = str(max_bytes_billed)
    return make_url(url).update_query_dict(query).render_as_string(hide_password=False)


def _bigquery_job(timeout_ms: int) -> dict[str, Any]:
    """The execution options of a query job that BigQuery cancels after ``timeout_ms`` (the
    driver writes each statement's parameters into the job: one per statement, or per engine
    whose statements run one at a time, as GE's do)."""
    from google.cloud.bigquery import QueryJobConfig

    return {"job_config": QueryJobConfig(job_timeout_ms=timeout_ms)}


#: Push-down and GE's expectations run as BigQuery SQL; its exact percentiles are analytic
#: functions only, so the medians of counters are approximate. The service-account key and
#: bytes billed ride in the URL (``bigquery_settings``).
BIGQUERY = Dialect(
    "bigquery",
    "BigQuery",
    pushdown=True,
    ge_sql=True,
    approximate="medians of counters are APPROX_QUANTILES (BigQuery's exact PERCENTILE_CONT "
    "is an analytic function, not an aggregate)",
    engine_options=lambda timeout_ms: {"execution_options": _bigquery_job(timeout_ms)},
    statement_options=_bigquery_job,
    with_settings=bigquery_settings,
    pre_ping=False,
    quote=backticked,
    percentile=approx_quantiles,
    week_start=bigquery_week,
    float_type="FLOAT64",
    cte_once=False,
    types=families(
        integer={"int64", "byteint", "tinyint"},
        number={"float64", "bignumeric", "bigdecimal"},
        date={"datetime"},
        string={"string", "json"},
        boolean={"bool"},
    ),
    error_code=http_status,
    # too many requests, internal error, bad gateway, unavailable, deadline exceeded
    transient_codes=("429", "500", "502", "503", "504"),
)


_UNQUOTED = re.compile(r"[a-z_][a-z0-9_$]*")


def snowflake_quote(name: str) -> str:
    """A column name as Snowflake resolves it: an unquoted name (``week AS week``) is stored
    upper case, so a plain lower-case name is quoted upper case; others as written."""
    return double_quoted(name.upper() if _UNQUOTED.fullmatch(name) else name)


def snowflake_error(error: Any) -> str:
    """The Snowflake connector's error number, six digits as Snowflake prints them
    (``000630``); the SQLSTATE where it has none."""
    errno = getattr(error, "errno", None)
    return f"{errno:06d}" if isinstance(errno, int) and errno > 0 else sqlstate(error)


#: The Snowflake connector's numbers for a database it could not reach or lost (2500xx),
#: a login that timed out (251011), a server reply it may retry (251012), and the server's
#: statement timeout (000630).
SNOWFLAKE_TRANSIENT = ("250001", "250002", "250003", "250005", "251011", "251012", "000630")


def snowflake_type(column: Any) -> str:
    """A result column's Snowflake type from the connector's description (``type_code``
    indexes its field types; a fixed-point number has a precision and a scale)."""
    from snowflake.connector.constants import FIELD_ID_TO_NAME

    name = FIELD_ID_TO_NAME.get(column[1], f"type code {column[1]}")
    if name == "FIXED":
        return f"NUMBER({column[4]},{column[5]})"
    return {"REAL": "FLOAT", "TEXT": "VARCHAR"}.get(name, name)


def _seconds(timeout_ms: int) -> int:
    """Snowflake's timeouts are whole seconds (at least one)."""
    return max(1, math.ceil(timeout_ms / 1000))


def _snowflake_options(timeout_ms: int) -> dict[str, Any]:
    parameters = {"STATEMENT_TIMEOUT_IN_SECONDS": _seconds(timeout_ms)}
    return {"connect_args": {"session_parameters": parameters}}


#: Snowflake has no read-only transaction: a role granted SELECT only keeps canary to reads.
#: Its connector's connection has no cancel (what the query timeout calls elsewhere): the
#: server cancels a statement at the session's statement timeout (``session_timeout``).
SNOWFLAKE = Dialect(
    "snowflake",
    "Snowflake",
    pushdown=True,
    ge_sql=True,
    engine_options=_snowflake_options,
    quote=snowflake_quote,
    types=families(
        integer={"byteint", "tinyint"},
        number={"number", "double", "float4", "float8"},
        date={"datetime", "timestamp_ntz", "timestamp_ltz", "timestamp_tz"},
        string={"string", "nchar", "nvarchar", "nvarchar2", "char varying", "nchar varying"},
    ),
    error_code=snowflake_error,
    transient_codes=SNOWFLAKE_TRANSIENT,
    column_type=snowflake_type,
    session_timeout=True,
)
DIALECTS: dict[str, Dialect] = {d.name: d for d in (POSTGRESQL, DUCKDB, BIGQUERY, SNOWFLAKE)}


def dialect_of(url: str) -> Dialect:
    """The record of ``url``'s backend; a plain one (nothing pushed down) for others."""
    name = make_url(url).get_backend_name()
    return DIALECTS.get(name) or Dialect(
        name,
        name,
        outside="no dialect record: a snapshot's week is pulled, summarised and validated "
        "in Python",
    )
