"""The shim that buffers GE's query results: what GE 1.24.1 does without it on DuckDB
(these tests fail the day GE changes), what it does with it, and its version pin."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import great_expectations as gx
import pytest
import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine

from canary.checks.ge_buffered import GE_VERSION, UnsupportedGE, buffer_results
from tests.conftest import REPO

QUERY = sa.text("SELECT 42 AS n UNION ALL SELECT 43")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Any]:
    """GE's SQL engine on a DuckDB file."""
    made = SqlAlchemyExecutionEngine(connection_string=f"duckdb:///{tmp_path / 'w.duckdb'}")
    yield made
    made.close()


def test_unbuffered_ge_loses_the_rows_of_a_duckdb_query(engine: Any) -> None:
    """GE 1.24.1 reads a result after closing its connection: DuckDB's has no row then.
    When this fails, GE fetches the rows itself: drop ``canary.checks.ge_buffered``."""
    assert engine.execute_query(QUERY).fetchall() == []


def test_buffered_ge_gets_every_row(engine: Any) -> None:
    buffer_results(engine)
    assert engine.execute_query(QUERY).fetchall() == [(42,), (43,)]
    # a statement returning no rows passes through (GE's temporary tables)
    engine.execute_query_in_transaction(sa.text("CREATE TABLE t AS SELECT 1 AS n"))
    assert engine.execute_query(sa.text("SELECT n FROM t")).scalar() == 1


def test_another_ge_release_is_refused(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gx, "__version__", "1.25.0")
    with pytest.raises(UnsupportedGE, match=r"written for great_expectations 1\.24\.1, and 1\.25"):
        buffer_results(engine)
    assert engine.execute_query(QUERY).fetchall() == []  # left as it was


def test_the_shim_is_for_the_ge_release_canary_pins() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert f"great-expectations=={GE_VERSION}" in project["project"]["dependencies"]
    assert gx.__version__ == GE_VERSION
