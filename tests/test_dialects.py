"""Dialect records: how each writes the push-down SQL, its type families, its transient
errors, and what ``canary doctor`` says runs in its warehouse."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from canary.dashboards import catalog
from canary.sources.sql import connection
from canary.sources.sql.dialects import DUCKDB, POSTGRESQL, Dialect, dialect_of
from canary.sources.sql.doctor import placement
from canary.sources.sql.pushdown import grouping_sets
from canary.sources.sql.types import families, family
from tests.conftest import LATEST_WEEK
from tests.test_source_parity import _assert_same_summary, _instance_export


@pytest.mark.parametrize("dialect", [POSTGRESQL, DUCKDB], ids=lambda d: d.name)
def test_postgresql_and_duckdb_write_standard_sql(dialect: Dialect) -> None:
    assert dialect.quote('week "b"') == '"week ""b"""'
    assert dialect.percentile("b0", 0.5) == "percentile_cont(0.5) WITHIN GROUP (ORDER BY b0)"
    assert dialect.to_date('"week"') == 'CAST("week" AS DATE)'
    assert dialect.week_start("week") == "CAST(date_trunc('week', week) AS DATE)"
    assert dialect.float_type == "DOUBLE PRECISION"
    assert dialect.grouping_sets


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        (
            DUCKDB,
            "SELECT canary_w AS w, x AS v0, GROUPING(x) AS g0, count(*) AS n FROM r "
            "GROUP BY GROUPING SETS ((canary_w), (canary_w, x))",
        ),
        (
            replace(DUCKDB, grouping_sets=False),
            "SELECT canary_w AS w, NULL AS v0, 1 AS g0, count(*) AS n FROM r GROUP BY canary_w "
            "UNION ALL "
            "SELECT canary_w AS w, x AS v0, 0 AS g0, count(*) AS n FROM r GROUP BY canary_w, x",
        ),
    ],
    ids=["grouping sets", "union"],
)
def test_grouping_sets_are_written_as_the_dialect_has_them(dialect: Dialect, sql: str) -> None:
    keys = {"w": "canary_w", "v0": "x"}
    got = grouping_sets(dialect, keys, [["w"], ["w", "v0"]], {"g0": "v0"}, "count(*) AS n", "r")
    assert got == sql


def test_an_empty_grouping_set_is_one_row_over_all_of_them_in_a_union() -> None:
    got = grouping_sets(
        replace(DUCKDB, grouping_sets=False), {"va": "va"}, [[], ["va"]], {"byv": "va"}, "1", "m"
    )
    assert got == (
        "SELECT NULL AS va, 1 AS byv, 1 FROM m UNION ALL SELECT va AS va, 0 AS byv, 1 FROM m "
        "GROUP BY va"
    )


#: DuckDB written with its own equivalents of every construct a record sets: its own median
#: aggregate, a cast by ``::``, its name of a double, and no grouping sets.
REWRITTEN = replace(
    DUCKDB,
    percentile=lambda expr, fraction: f"quantile_cont({expr}, {fraction!r})",
    to_date=lambda expr: f"({expr})::DATE",
    float_type="DOUBLE",
    grouping_sets=False,
)


@pytest.mark.parametrize("repeat", [False, True], ids=["one row per key", "repeated keys"])
def test_the_push_down_sql_is_written_by_the_record(
    repeat: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every construct the record sets is written its way, in every query of a summary, and
    the summary is the standard record's, check by check."""
    from canary.sources import files as files_module

    files = _instance_export(tmp_path, repeat)
    tile = catalog().tiles["instance_usage"]
    standard = files.summarize(tile, LATEST_WEEK)
    statements: list[str] = []
    real = files_module.read_frame

    def recorded(*args: Any, **kwargs: Any) -> pd.DataFrame:
        statements.append(str(args[1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(files_module, "read_frame", recorded)
    monkeypatch.setattr(files_module, "DUCKDB", REWRITTEN)
    rewritten = files.summarize(tile, LATEST_WEEK)
    _assert_same_summary(rewritten, standard)
    pushed = " ".join(s for s in statements if s.startswith("WITH r AS"))
    assert "quantile_cont(" in pushed and ")::DATE" in pushed and "AS DOUBLE)" in pushed
    assert "UNION ALL" in pushed
    for standard_sql in ("percentile_cont", "GROUPING", "DOUBLE PRECISION", "AS DATE)"):
        assert standard_sql not in pushed, standard_sql


def test_each_record_lists_its_own_type_names() -> None:
    assert family("int8", POSTGRESQL.types) == family("hugeint", DUCKDB.types) == "integer"
    assert family("hugeint", POSTGRESQL.types) is None  # not a PostgreSQL type
    assert family("numeric(12,0)", POSTGRESQL.types) == "integer"
    assert family("timestamptz", DUCKDB.types) == "date"
    wider = families(integer={"int64"}, string={"string"})
    assert family("INT64", wider) == "integer" and family("bigint", wider) == "integer"
    with pytest.raises(ValueError, match=r"no type family \['decimal'\]"):
        families(decimal={"bignumeric"})


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"driver error {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("dialect", "code", "transient"),
    [
        (POSTGRESQL, "57014", True),  # canceled by the server
        (POSTGRESQL, "08006", True),  # connection failure
        (POSTGRESQL, "42P01", False),  # a missing table
        (POSTGRESQL, "", True),  # an operational error without a code
        (replace(POSTGRESQL, transient_codes=("390",)), "390114", True),
        (replace(POSTGRESQL, transient_codes=("390",)), "57014", False),
    ],
)
def test_a_record_says_which_error_codes_are_transient(
    dialect: Dialect, code: str, transient: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "dialect_of", lambda url: dialect)
    error = sa.exc.OperationalError("SELECT 1", {}, _DriverError(code))
    assert connection._transient(error, "postgresql+psycopg://h/db") is transient
    # a code decides whatever the error's class (BigQuery's driver raises every API error as
    # a DatabaseError); without one, only an operational error is transient
    programming = sa.exc.ProgrammingError("SELECT 1", {}, _DriverError(code))
    assert connection._transient(programming, "postgresql+psycopg://h/db") is (
        transient and bool(code)
    )


def test_the_doctor_says_what_runs_in_each_warehouse() -> None:
    detail, lines = placement(POSTGRESQL)
    assert detail == (
        "PostgreSQL: snapshot summaries (push-down) and GE's expectations as SQL run in the "
        "warehouse"
    )
    assert lines == (
        "outside: series tiles (their rows are aggregates already) are pulled, summarised and "
        "validated in Python",
    )
    detail, lines = placement(DUCKDB)
    assert detail == "DuckDB: snapshot summaries (push-down) run in the warehouse"
    assert "outside: GE's expectations run in pandas on the week's rows" in lines[0]
    detail, lines = placement(dialect_of("mysql://h/db"))
    assert detail == "mysql: only reads of each week's rows run in the warehouse"
    assert lines[0].startswith("outside: no dialect record: a snapshot's week is pulled")
    _, lines = placement(replace(POSTGRESQL, approximate="medians (APPROX_QUANTILES)"))
    assert "approximate: medians (APPROX_QUANTILES)" in lines
