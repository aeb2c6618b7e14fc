"""A small files-source setup for backfill tests: two datasets of the canary dashboard
(a snapshot and a series) exported from the sample, and a store dump to compare."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import write_files_config
from tests.test_files_source import export_tiles

#: A snapshot first, so that a backfill writes it week by week before the series' one write.
DATASETS = ("instance_usage", "page_views")
MONITOR = "code-insights-canary"
#: Columns whose values differ between two runs by nature (clocks, row ids).
VOLATILE = {
    "started_at",
    "finished_at",
    "updated_at",
    "created_at",
    "delivered_at",
    "claimed_at",
    "claimed_by",
    "lease_until",
    "id",
}


def make_exports(directory: Path) -> Path:
    """The canary dashboard's tiles as CSV files in ``directory`` (made once per module)."""
    return export_tiles(directory, MONITOR)


def files_setup(tmp_path: Path, exports: Path) -> Path:
    """A copy of ``exports`` in ``tmp_path`` and a config reading ``DATASETS`` from it."""
    shutil.copytree(exports, tmp_path / "exports", ignore=shutil.ignore_patterns("warehouse"))
    return write_files_config(tmp_path, MONITOR, DATASETS)


def store_path(config: Path) -> Path:
    return config.parent / ".canary" / "store.db"


def dump(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a SQLite store, rows sorted, without the columns in ``VOLATILE``."""
    con = sqlite3.connect(store)
    try:
        tables = [
            t
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if t != "alembic_version"
        ]
        out = {}
        for table in sorted(tables):
            cursor = con.execute(f'SELECT * FROM "{table}"')
            keep = [i for i, d in enumerate(cursor.description) if d[0] not in VOLATILE]
            out[table] = sorted((tuple(row[i] for i in keep) for row in cursor), key=repr)
        return out
    finally:
        con.close()
