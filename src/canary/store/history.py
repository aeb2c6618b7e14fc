"""What history-aware checks read from and add to the store besides metrics."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Table, delete, insert, select

from canary.store.db import Store
from canary.store.schema import accepted_shifts, check_results, dataset_schemas


def flagged_weeks(
    store: Store, monitor: str, dataset: str, checks: tuple[str, ...], before: date
) -> set[tuple[str, str, date]]:
    """(column, segment, week) of every failure of ``checks`` before ``before``."""
    query = select(
        check_results.c.column_name, check_results.c.segment, check_results.c.week
    ).where(
        check_results.c.monitor == monitor,
        check_results.c.dataset == dataset,
        check_results.c.check_name.in_(checks),
        check_results.c.status == "failed",
        check_results.c.week < before,
    )
    with store.engine.connect() as con:
        return {(r[0] or "", r[1] or "", r[2]) for r in con.execute(query)}


def accepted(store: Store, monitor: str, until: date) -> dict[str, date]:
    """Check id -> the week its newest accepted level shift starts (on or before ``until``)."""
    query = select(accepted_shifts.c.check_id, accepted_shifts.c.from_week).where(
        accepted_shifts.c.monitor == monitor, accepted_shifts.c.from_week <= until
    )
    out: dict[str, date] = {}
    with store.engine.connect() as con:
        for check_id, week in con.execute(query):
            out[check_id] = max(week, out.get(check_id, week))
    return out


def accept(
    store: Store, monitor: str, check_id: str, from_week: date, reason: str, who: str
) -> None:
    """Record that ``check_id``'s new level from ``from_week`` is real (replaces a same-week one)."""
    key = {"monitor": monitor, "check_id": check_id, "from_week": from_week}
    _replace(
        store,
        accepted_shifts,
        key,
        {"reason": reason, "accepted_by": who, "accepted_at": datetime.now(UTC)},
    )


def list_accepted(store: Store) -> list[dict[str, Any]]:
    query = select(accepted_shifts).order_by(accepted_shifts.c.accepted_at)
    with store.engine.connect() as con:
        return [dict(r._mapping) for r in con.execute(query)]


def find_check(store: Store, check_id: str) -> dict[str, Any] | None:
    """The newest stored result of a check id (to tell which monitor it belongs to)."""
    query = (
        select(
            check_results.c.monitor,
            check_results.c.dataset,
            check_results.c.check_name,
            check_results.c.column_name,
            check_results.c.segment,
        )
        .where(check_results.c.check_id == check_id)
        .order_by(check_results.c.week.desc())
        .limit(1)
    )
    with store.engine.connect() as con:
        row = con.execute(query).first()
    return dict(row._mapping) if row else None


def last_schema(store: Store, monitor: str, dataset: str, before: date) -> dict[str, str] | None:
    """Column -> dtype of the newest recorded pull before ``before``."""
    query = (
        select(dataset_schemas.c.columns)
        .where(
            dataset_schemas.c.monitor == monitor,
            dataset_schemas.c.dataset == dataset,
            dataset_schemas.c.week < before,
        )
        .order_by(dataset_schemas.c.week.desc())
        .limit(1)
    )
    with store.engine.connect() as con:
        row = con.execute(query).first()
    return None if row is None else dict(json.loads(row[0]))


def _replace(store: Store, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Write one row of ``table``, replacing the row with the same ``key``."""
    with store.engine.begin() as con:
        con.execute(delete(table).where(*(table.c[k] == v for k, v in key.items())))
        con.execute(insert(table), [{**key, **values}])


Range = tuple[float | None, float | None]


def level_ranges(
    store: Store, monitor: str, since: date, until: date
) -> dict[tuple[str, str, date], Range]:
    """(dataset, column, week) -> the expected range (low, high) of each unsegmented
    ``level`` check stored for ``monitor`` in the weeks ``since``..``until``: the band a
    chart of that column shows (weeks whose check was skipped have none)."""
    c = check_results.c
    query = select(c.dataset, c.column_name, c.week, c.expected).where(
        c.monitor == monitor,
        c.check_name == "level",
        c.segment.is_(None),
        c.column_name.is_not(None),
        c.week >= since,
        c.week <= until,
    )
    found: dict[tuple[str, str, date], Range] = {}
    with store.engine.connect() as con:
        for dataset, column, week, expected in con.execute(query):
            bounds = json.loads(expected) if expected else None
            if bounds:
                found[(dataset, column, week)] = (bounds.get("min"), bounds.get("max"))
    return found


def with_current(history: pd.DataFrame, current: pd.DataFrame | None) -> pd.DataFrame:
    """Stored metric rows with a run's own (``current``, not stored yet) in place of the
    stored rows of the same dataset and week."""
    if current is None or current.empty:
        return history
    if history.empty:
        return current.reset_index(drop=True)
    fresh = set(zip(current["dataset"], current["week"], strict=True))
    stale = [k in fresh for k in zip(history["dataset"], history["week"], strict=True)]
    kept = history[~pd.Series(stale, index=history.index, dtype=bool)]
    return pd.concat([kept, current[history.columns]], ignore_index=True)
