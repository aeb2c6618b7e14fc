"""The store: migrations from the first table, reruns replace, any SQLAlchemy URL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from canary.errors import StoreError
from canary.results import CheckResult, RunResult
from canary.store.db import Store

W = date(2026, 11, 16)
PG_ADMIN = os.environ.get("CANARY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _run(status: str = "failed") -> tuple[RunResult, pd.DataFrame]:
    run = RunResult("m", W, [CheckResult("m", "d", "c", status, "why", "col")])  # type: ignore[arg-type]
    metrics = pd.DataFrame(
        [
            {
                "dataset": "d",
                "week": W,
                "column_name": "",
                "segment": "",
                "metric": "row_count",
                "value": 3.0,
            },
            {
                "dataset": "d",
                "week": W,
                "column_name": "x",
                "segment": "",
                "metric": "sum",
                "value": float("nan"),
            },
        ]
    )
    return run, metrics


def _exercise(store: Store) -> None:
    run, metrics = _run()
    now = datetime.now(UTC)
    store.record_run(run, metrics, now)
    store.record_run(run, metrics, now)  # a rerun of the week replaces
    history = store.metric_history("m")
    assert len(history) == 2 and history["value"].isna().sum() == 1
    assert [r["status"] for r in store.runs("m")] == ["failed"]
    later = date(2026, 11, 23)
    past = store.past_checks("m", later, [run.checks[0].id])
    assert past[run.checks[0].id].status == "failed" and past[run.checks[0].id].week == W
    assert store.past_checks("m", W, [run.checks[0].id]) == {}


def test_sqlite_store_migrates_and_replaces(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'store.db'}"
    store = Store(url)
    _exercise(store)
    with store.engine.connect() as con:
        assert con.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() is not None
    store.close()
    reopened = Store(url)  # reopening an up-to-date store migrates nothing and loses nothing
    assert len(reopened.metric_history("m")) == 2
    reopened.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway database on the machine's PostgreSQL."""
    name = f"canary_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgres_store(pg_url: str) -> None:
    store = Store(pg_url)
    _exercise(store)
    store.close()


def test_unreachable_store_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreError) as info:
        Store("postgresql://canary:s3cr3t-pw@127.0.0.1:1/nowhere")
    text = str(info.value)
    assert "s3cr3t-pw" not in text and "127.0.0.1:1" in text and "cannot open" in text
    assert info.value.transient
