"""``canary doctor`` on sql sources: the dialect and what runs in the warehouse, connect,
tables, each field's SQL, rows of the latest week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pandas as pd

from canary.dashboards import Dashboard, Field
from canary.database_url import database_url_problem
from canary.doctor.base import Context, Finding, Status, failure
from canary.errors import CanaryError
from canary.sources.registry import BuildContext
from canary.sources.sql.config import WAREHOUSE_EXAMPLE, SqlSourceConfig
from canary.sources.sql.dialects import Dialect
from canary.sources.sql.source import SqlSource, build
from canary.url_secrets import safe_url
from canary.weeks import latest_complete_week


def _fields(ctx: Context, source: str) -> dict[str, dict[str, Field]]:
    """View -> the fields (by name) that monitors of ``source`` read from it."""
    out: dict[str, dict[str, Field]] = {}
    for monitor in ctx.config.monitors.values():
        board = ctx.config.catalog.dashboards[monitor.dashboard]
        for dataset in (d for d in monitor.datasets if monitor.source_for(d) == source):
            tile = board.tile(dataset)
            out.setdefault(tile.view, {}).update({f.name: f for f in tile.fields})
    return out


def placement(dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """What of a run happens in a warehouse of ``dialect`` and what does not, and why: a
    line for the doctor and the lines under it."""
    parts = (
        ("snapshot summaries (push-down)", dialect.pushdown),
        ("GE's expectations as SQL", dialect.ge_sql),
    )
    inside = [part for part, on in parts if on]
    detail = f"{dialect.label}: " + (
        f"{' and '.join(inside)} run in the warehouse"
        if inside
        else "only reads of each week's rows run in the warehouse"
    )
    lines = []
    if dialect.approximate:
        lines.append(f"approximate: {dialect.approximate}")
    if dialect.outside:
        lines.append(f"outside: {dialect.outside}")
    lines.append(
        "outside: series tiles (their rows are aggregates already) are pulled, summarised and "
        "validated in Python"
    )
    return detail, tuple(lines)


def check(ctx: Context, name: str, cfg: SqlSourceConfig) -> Iterator[Finding]:
    """A sql source: its dialect, connection, tables, fields and rows of the latest week."""
    board = Dashboard(name, name, ())
    try:
        context = BuildContext(
            board, ctx.config.data_dir, ctx.config.data_dir, ctx.environ, ctx.config.catalog.views
        )
        source = build(name, cfg, context)
    except CanaryError as exc:
        yield failure(f"{name}: connect", exc)
        return
    # a URL from a secret is seen here first
    problem = database_url_problem(source.url, WAREHOUSE_EXAMPLE)
    if problem:
        yield Finding(f"{name}: connect", "fail", f"source {name}: {problem}")
        return
    yield Finding(f"{name}: dialect", "ok", *placement(source.dialect))
    try:
        source.read("SELECT 1 AS ok", {}, f"source {name} ({safe_url(source.url)})")
    except CanaryError as exc:
        yield failure(f"{name}: connect", exc)
        return
    yield Finding(f"{name}: connect", "ok", f"connected to {safe_url(source.url)}")
    week = latest_complete_week(datetime.now(UTC), cfg.complete_after)
    for view, fields in sorted(_fields(ctx, name).items()):
        yield from _table(source, view, list(fields.values()), week)


def _table(source: SqlSource, view: str, fields: list[Field], week: object) -> Iterator[Finding]:
    table = source.table(view)
    check = f"{source.name}: table {table}"
    try:
        columns = source.columns(table)
    except CanaryError as exc:
        yield failure(check, exc)
        return
    broken = source.broken_fields(table, fields)
    for problem in broken:
        yield Finding(f"{check}: view {view}", "fail", f"{problem} (the field's SQL does not run)")
    if broken:
        return
    week_sql = source.views[view].fields["week"].sql
    try:
        count = source.read(
            f"SELECT count(*) AS n FROM {table} WHERE {week_sql} = :p0",
            {"p0": week},
            source.where(table),
        )
    except CanaryError as exc:
        yield failure(check, exc)
        return
    rows = int(count["n"].iloc[0])
    found = f"{len(columns)} columns, {len(fields)} fields of view {view} run; "
    if rows:
        yield Finding(check, "ok", f"{found}{rows:,} rows in week {week}")
        return
    status, why = _empty_week(source, table, view, week_sql)
    yield Finding(check, status, f"{found}0 rows in week {week}; {why}")


def _empty_week(source: SqlSource, table: str, view: str, week_sql: str) -> tuple[Status, str]:
    """Why the latest week has no rows: an empty or stale table, or weeks not named by Monday."""
    latest = source.read(f"SELECT max({week_sql}) AS latest FROM {table}", {}, source.where(table))
    value = latest["latest"].iloc[0]
    if value is None or pd.isna(value):
        return "warn", "the table has no rows"
    stamp = pd.Timestamp(value)
    if stamp.weekday() or stamp != stamp.normalize():
        return "fail", (
            f"its latest week is {stamp:%Y-%m-%d %H:%M} (a {stamp:%A}), but canary names a week "
            f"by the Monday 00:00 UTC it starts: make view {view}'s field week that date "
            f"(in {source.dialect.label}: {source.dialect.week_start(week_sql)})"
        )
    return "warn", f"its latest week is {stamp:%Y-%m-%d} (the table is not up to date?)"
