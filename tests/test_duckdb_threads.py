"""DuckDB and the sample from many threads (the flow pulls datasets concurrently): every read
succeeds (more threads than an engine pools made it close a connection another was reading),
and the sample file is generated once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from canary.dashboards import catalog
from canary.sample import warehouse
from canary.sample.generator import SampleSpec
from canary.sample.warehouse import WarehouseSpec
from canary.sources.files import SCANNER
from canary.sources.sample import SampleWarehouseSource
from canary.sources.sql.connection import read_frame
from tests.conftest import LATEST_WEEK


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


def test_datasets_pulled_at_once_generate_the_sample_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    real = warehouse.generate

    def counting(spec: SampleSpec) -> pd.DataFrame:
        made.append(1)
        return real(spec)

    monkeypatch.setattr(warehouse, "generate", counting)
    spec = WarehouseSpec(SampleSpec(end_week=LATEST_WEEK, weeks=8))
    source = SampleWarehouseSource(
        tmp_path, spec, catalog().dashboards["all-instances"], timedelta(days=1)
    )
    with ThreadPoolExecutor(4) as pool:
        urls = {s.url for s in pool.map(lambda _: source.sql(), range(4))}
    assert len(made) == 1 and len(urls) == 1
