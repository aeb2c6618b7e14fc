"""GE validates the week inside DuckDB for the bundled sample (a DuckDB file) and for
exports (DuckDB over CSV or Parquet): the week's rows are never fetched into pandas, and
every check gives the verdict, counts and sample rows of GE's pandas engine on the same
rows."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.dashboards import catalog
from canary.pipeline import Plan, check_dataset
from canary.results import CheckResult
from canary.sample.generator import SampleSpec
from canary.sample.warehouse import WarehouseSpec, ensure, url_of
from canary.sources.files import FilesSource
from canary.sources.files_config import FileDataset
from canary.sources.sql.source import SqlSource
from canary.summary import TileSummary
from tests.conftest import LATEST_WEEK, REPO

MONITOR = "code-insights-all-instances"
DAY = timedelta(days=1)
#: What a type or contain-set check observes differs by engine: DuckDB's type names
#: (``BIGINT``) and the values found, against a frame's dtypes and GE's counts.
OWN_CHECKS = {"type", "canary present"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SqlSource:
    """The sample with the usage object null for every instance in the latest week."""
    spec = WarehouseSpec(SampleSpec(end_week=LATEST_WEEK, weeks=4), "object-null", LATEST_WEEK)
    board = catalog().dashboards["all-instances"]
    return SqlSource("duck", url_of(ensure(tmp_path_factory.mktemp("wh"), spec)), board, DAY)


def _plan(source: Any) -> Plan:
    config = load_config(REPO / "canary.yaml")
    board = catalog().dashboards["all-instances"]
    return Plan(
        MONITOR, config.monitors[MONITOR], board, source, LATEST_WEEK, REPO / "expectations"
    )


def _exports(sample: SqlSource, directory: Path, fmt: str) -> FilesSource:
    """The sample's instance tile (every week) as an export in ``fmt``."""
    tile = catalog().tiles["instance_usage"]
    frame = sample.query(tile, (None, LATEST_WEEK)).frame
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"instance_usage.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return FilesSource(directory, {"instance_usage": FileDataset(path=path.name)}, DAY)


def _in_duckdb_and_in_pandas(
    source: Any, ge: GreatExpectations
) -> tuple[list[CheckResult], list[CheckResult]]:
    """The checks of the instance tile's week validated in DuckDB (its rows never fetched),
    and the same week's rows validated by GE's pandas engine."""
    summary: TileSummary = source.summarize(catalog().tiles["instance_usage"], LATEST_WEEK)
    assert summary.warehouse is not None
    fetched: list[bool] = []
    summary.batch._fetch = lambda: fetched.append(True)  # type: ignore[assignment,return-value]
    _, in_duckdb = check_dataset(_plan(source), ge, summary)
    assert fetched == []  # the week's rows never came into pandas
    pulled = dataclasses.replace(summary, warehouse=None)
    pulled.batch._fetch = lambda: source.query(summary.tile, (LATEST_WEEK, LATEST_WEEK)).frame
    _, in_pandas = check_dataset(_plan(source), ge, pulled)
    return in_duckdb, in_pandas


def _assert_same_checks(in_duckdb: list[CheckResult], in_pandas: list[CheckResult]) -> None:
    assert [(c.check, c.column) for c in in_duckdb] == [(c.check, c.column) for c in in_pandas]
    for duck, pandas in zip(in_duckdb, in_pandas, strict=True):
        if duck.check in OWN_CHECKS:
            assert (duck.status, duck.column) == (pandas.status, pandas.column)
            continue
        assert duck == pandas


def test_the_sample_is_validated_in_duckdb_as_in_pandas(
    sample: SqlSource, ge: GreatExpectations
) -> None:
    in_duckdb, in_pandas = _in_duckdb_and_in_pandas(sample, ge)
    _assert_same_checks(in_duckdb, in_pandas)
    nulls = next(
        c
        for c in in_duckdb
        if c.column == "weekly_insights_page_views" and c.check == "usage reported"
    )
    assert nulls.status == "failed" and nulls.observed["unexpected_percent"] == 100.0
    assert nulls.sample_rows and nulls.sample_rows[0]["weekly_insights_page_views"] is None
    types = {c.column: c.observed for c in in_duckdb if c.check == "type"}
    assert types["weekly_insights_page_views"] == "BIGINT" and types["site_id"] == "VARCHAR"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_exports_are_validated_in_duckdb_as_in_pandas(
    sample: SqlSource, ge: GreatExpectations, tmp_path: Path, fmt: str
) -> None:
    files = _exports(sample, tmp_path, fmt)
    in_duckdb, in_pandas = _in_duckdb_and_in_pandas(files, ge)
    _assert_same_checks(in_duckdb, in_pandas)
    assert {c.status for c in in_duckdb} >= {"passed", "failed"}
    failed = [c for c in in_duckdb if c.status == "failed"]
    assert all(c.sample_rows for c in failed if c.observed and "unexpected_count" in c.observed)


def test_the_week_of_an_export_is_one_query_naming_its_files(
    sample: SqlSource, tmp_path: Path
) -> None:
    files = _exports(sample, tmp_path, "parquet")
    rows = files.summarize(catalog().tiles["instance_usage"], LATEST_WEEK).warehouse
    assert rows is not None and rows.sql == rows.ordered
    assert str(tmp_path / "instance_usage.parquet") in rows.sql
    assert LATEST_WEEK.isoformat() in rows.sql and ":" + "wk" not in rows.sql


def test_no_connection_to_the_sample_file_is_kept_after_its_suite(
    sample: SqlSource, ge: GreatExpectations
) -> None:
    summary = sample.summarize(catalog().tiles["instance_usage"], LATEST_WEEK)
    check_dataset(_plan(sample), ge, summary)
    path = sa.engine.make_url(sample.url).database
    # another configuration of the file (writable: the sample's next week) opens it
    with duckdb.connect(str(path)) as con:
        assert con.execute("SELECT count(*) FROM pings").fetchone()
