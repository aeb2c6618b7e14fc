"""GE's expectations on a Parquet week: run inside DuckDB against GE's pandas engine.

    .venv/bin/python -m bench.ge_duckdb [--rows 1000000] [--repeat 3]

Writes a week of ``--rows`` instances as Parquet (DuckDB's ``range``), then validates the
same four expectations (not null, in set, between: failing for 0.6% of the rows, so that
sample rows are fetched too, and row count) both ways through canary's
``GreatExpectations``: in DuckDB (``run_sql`` over the week's query, as the files source
gives it) and in pandas (the week read into a frame, then ``run``; the read is also shown
alone). Each figure is the best of ``--repeat`` after one warm-up run of both, each run on
a query of its own; GE's import is not counted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from canary.checks.validate import GreatExpectations
from canary.sources.files import SCANNER
from canary.summary import WarehouseRows

SUITE: dict[str, Any] = {
    "name": "bench",
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "site_id"}},
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "deploy_type", "value_set": ["docker", "helm", "kubernetes"]},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "page_views", "min_value": 0, "max_value": 990},
        },
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
    ],
}


def write_week(path: Path, rows: int) -> None:
    """``rows`` instances of one week: a key, a segment and a counter."""
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT 'site-' || range AS site_id, "
            "(['docker', 'helm', 'kubernetes'])[range % 3 + 1] AS deploy_type, "
            f"range % 997 AS page_views FROM range({rows})) TO '{path}' (FORMAT parquet)"
        )


def best(repeat: int, run: Callable[[], Any]) -> float:
    """The fastest of ``repeat`` runs of ``run``, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ge = GreatExpectations()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "week.parquet"
        write_week(path, args.rows)
        runs = iter(range(1_000_000))

        def week_sql() -> str:
            """The week's query, new each time: GE keeps a batch's metrics, and a run meets
            each week once."""
            return f"SELECT * FROM read_parquet('{path}') WHERE {next(runs)} >= 0"

        def in_duckdb() -> list[Any]:
            sql = week_sql()
            rows = WarehouseRows(SCANNER, sql, timedelta(minutes=10), f"bench {path}", sql)
            return ge.run_sql(SUITE, rows, {}, "SUMMARY", ["site_id"])

        def read() -> pd.DataFrame:
            with duckdb.connect() as con:
                return con.execute(week_sql()).df()

        def in_pandas() -> list[Any]:
            return ge.run(SUITE, read(), {}, "SUMMARY")

        results = [run() for run in (in_duckdb, in_pandas)]
        verdicts = [[(r.success, r.result.get("unexpected_count")) for r in got] for got in results]
        assert verdicts[0] == verdicts[1], verdicts
        duck = best(args.repeat, in_duckdb)
        pandas = best(args.repeat, in_pandas)
        loading = best(args.repeat, read)
    print(f"{args.rows:,} rows, 4 expectations, (verdict, failing rows) {verdicts[0]} both ways")
    print(f"in DuckDB: {duck:.2f} s")
    print(f"in pandas: {pandas:.2f} s (of which {loading:.2f} s reading the week into a frame)")


if __name__ == "__main__":
    main()
