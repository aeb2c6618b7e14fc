"""DuckDB reads from many threads (the flow pulls datasets concurrently) all succeed: more
threads than the engine pools connections made its pool close one another was reading."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pandas as pd

from canary.sources.files import SCANNER
from canary.sources.sql_connection import read_frame


def test_concurrent_reads_of_files_through_duckdb_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "rows.parquet"
    pd.DataFrame({"n": range(50_000)}).to_parquet(path)
    sql = f"SELECT count(*) AS c, sum(n) AS s FROM read_parquet('{path}')"

    def read(_: int) -> tuple[int, int]:
        row = read_frame(SCANNER, sql, {}, timedelta(seconds=30), "t").iloc[0]
        return int(row["c"]), int(row["s"])

    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(read, range(400)))
    assert set(got) == {(50_000, sum(range(50_000)))}
