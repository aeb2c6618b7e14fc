"""GE's expectations on a Parquet week: run inside DuckDB against GE's pandas engine.

    .venv/bin/python -m bench.ge_duckdb [--rows 1000000] [--repeat 3]

Writes a week of ``--rows`` instances as Parquet (DuckDB's ``range``), then validates the
same four expectations (not null, in set, between, row count) both ways through canary's
``GreatExpectations``: in DuckDB (``run_sql`` over the week's query, as the files source
gives it) and in pandas (the week read into a frame, then ``run``; the read is shown
apart). Each figure is the best of ``--repeat`` after one warm-up run of both; GE's import
is not counted.
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
            "kwargs": {"column": "page_views", "min_value": 0, "max_value": 1000},
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
        sql = f"SELECT * FROM read_parquet('{path}')"
        rows = WarehouseRows(SCANNER, sql, timedelta(minutes=10), f"bench {path}", sql)

        def in_duckdb() -> list[Any]:
            return ge.run_sql(SUITE, rows, {}, "SUMMARY", ["site_id"])

        def read() -> Any:
            with duckdb.connect() as con:
                return con.execute(sql).df()

        def in_pandas() -> list[Any]:
            return ge.run(SUITE, read(), {}, "SUMMARY")

        frame = read()
        verdicts = [[r.success for r in run()] for run in (in_duckdb, in_pandas)]
        assert verdicts[0] == verdicts[1], verdicts
        duck = best(args.repeat, in_duckdb)
        loading = best(args.repeat, read)
        pandas = best(args.repeat, lambda: ge.run(SUITE, frame, {}, "SUMMARY"))
    print(f"{args.rows:,} rows, 4 expectations, verdicts {verdicts[0]} both ways")
    print(f"in DuckDB: {duck:.2f} s")
    print(
        f"in pandas: {loading + pandas:.2f} s ({loading:.2f} s reading the week, "
        f"{pandas:.2f} s validating it)"
    )


if __name__ == "__main__":
    main()
