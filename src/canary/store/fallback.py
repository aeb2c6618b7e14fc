"""The local fallback store: what a run could not write to its store, kept until it can.

When the store fails mid-run (PostgreSQL dropped, disk full, a locked or read-only file),
the run's record and its alerts go to a SQLite file under ``data_dir`` with the same
schema. The next run that opens the store copies in every row the store lacks (the store
wins where both hold a row) and deletes the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert, select, tuple_

from canary.store.schema import check_results, metadata, outbox, runs

NAME = "fallback-store.db"


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def _key(table: Table) -> list[str]:
    """Columns that identify a row across stores (the outbox's id is per store)."""
    if table is outbox:
        return ["key"]
    return [c.name for c in table.primary_key.columns]


def _present(
    target: Connection, table: Table, key: list[str], rows: list[dict[str, Any]]
) -> set[tuple[Any, ...]]:
    wanted = {tuple(r[k] for k in key) for r in rows}
    found: set[tuple[Any, ...]] = set()
    columns = [table.c[k] for k in key]
    batch = sorted(wanted, key=repr)
    for start in range(0, len(batch), 500):
        chunk = batch[start : start + 500]
        query = select(*columns).where(tuple_(*columns).in_(chunk))
        found.update(tuple(r) for r in target.execute(query))
    return found


def copy_missing(source: Connection, target: Connection) -> int:
    """Insert into ``target`` the rows of ``source`` it lacks; returns how many.

    A run's check results come with the run only: a week the target already recorded keeps
    the target's results.
    """
    copied = 0
    new_runs: set[tuple[Any, ...]] = set()
    for table in [runs, *(t for t in metadata.sorted_tables if t is not runs)]:
        order = [table.c.id] if table is outbox else []
        rows = [dict(r._mapping) for r in source.execute(select(table).order_by(*order))]
        if table is check_results:
            rows = [r for r in rows if (r["monitor"], r["week"]) in new_runs]
        if not rows:
            continue
        key = _key(table)
        present = _present(target, table, key, rows)
        fresh = [r for r in rows if tuple(r[k] for k in key) not in present]
        if table is outbox:
            fresh = [{k: v for k, v in r.items() if k != "id"} for r in fresh]
        if table is runs:
            new_runs = {(r["monitor"], r["week"]) for r in fresh}
        if fresh:
            target.execute(insert(table), fresh)
            copied += len(fresh)
    return copied
