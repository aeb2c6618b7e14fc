"""Snowflake end to end on fakesnow (Snowflake's API over DuckDB, served on a loopback port
and spoken to by Snowflake's own connector): a ``kind: sql`` source on the sample's rows
gives the same checks, verdict by verdict, and the same summaries as the files source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from canary.checks.validate import GreatExpectations
from canary.config import FileDataset, load_config
from canary.dashboards import catalog
from canary.pipeline import Plan, run_monitor
from canary.sample.generator import SampleSpec
from canary.sample.scenarios import SCENARIOS
from canary.sample.warehouse import WarehouseSpec, ensure, url_of
from canary.sources.base import Source
from canary.sources.files import FilesSource
from canary.sources.sql.source import SqlSource
from canary.store.db import Store
from canary.summary import summary_of
from tests.conftest import LATEST_WEEK, REPO
from tests.test_source_parity import DAY, MONITOR, _assert_same_summary
from tests.warehouse_db import TABLES, copy_sample_snowflake, snowflake_database

pytestmark = pytest.mark.filterwarnings(
    # DuckDB's note to fakesnow, which hands the server's results over as Arrow
    "ignore:Arrow output on a DB-API result:UserWarning"
)


@pytest.fixture(scope="module")
def snowflake() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as monkeypatch, snowflake_database(monkeypatch) as url:
        yield url


@pytest.fixture(scope="module")
def ge() -> GreatExpectations:
    return GreatExpectations()


def _sources(slug: str, directory: Path, snowflake: str) -> dict[str, Source]:
    """The same broken warehouse as Snowflake tables and as CSV exports."""
    board = catalog().dashboards["all-instances"]
    spec = WarehouseSpec(SampleSpec(end_week=LATEST_WEEK, weeks=16), slug, LATEST_WEEK)
    warehouse = ensure(directory / "warehouse", spec)
    schema = slug.replace("-", "_")
    copy_sample_snowflake(warehouse, snowflake, schema)
    duck = SqlSource("duckdb", url_of(warehouse), board, DAY)
    exports = directory / "exports"
    exports.mkdir()
    for tile in board.tiles:
        frame = duck.query(tile, (None, LATEST_WEEK)).frame
        frame.to_csv(exports / f"{tile.dataset}.csv", index=False)
    return {
        "snowflake": SqlSource(
            "snowflake", snowflake, board, DAY, tables={t: f"{schema}.{t}" for t in TABLES}
        ),
        "files": FilesSource(
            exports, {t.dataset: FileDataset(path=f"{t.dataset}.csv") for t in board.tiles}, DAY
        ),
    }


@pytest.mark.parametrize("slug", sorted(SCENARIOS))
def test_snowflake_gives_the_files_sources_checks_and_summaries(
    slug: str, tmp_path: Path, snowflake: str, ge: GreatExpectations
) -> None:
    config = load_config(REPO / "canary.yaml")
    verdicts = {}
    for name, source in _sources(slug, tmp_path, snowflake).items():
        tile = catalog().tiles["instance_usage"]
        _assert_same_summary(
            source.summarize(tile, LATEST_WEEK),
            summary_of(source.pull(tile, LATEST_WEEK), LATEST_WEEK),
        )
        p = Plan(
            MONITOR,
            config.monitors[MONITOR],
            catalog().dashboards["all-instances"],
            source,
            LATEST_WEEK,
            REPO / "expectations",
        )
        store = Store(f"sqlite:///{tmp_path / name}.db")
        run = run_monitor(p, store, ge)
        store.close()
        verdicts[name] = sorted((c.id, c.status, c.reason) for c in run.checks)
    assert not [c for c in verdicts["files"] if c[1] == "error"]
    assert [c[:2] for c in verdicts["snowflake"]] == [c[:2] for c in verdicts["files"]]
