"""``canary doctor`` on Looker sources: settings, login, then the dashboard and its tiles,
the looks or the inline queries, without running a query."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from canary.dashboards import Dashboard
from canary.doctor.base import Context, Finding, failure
from canary.errors import CanaryError
from canary.sources.looker.build import build_looker_source
from canary.sources.looker.config import LookerConfig
from canary.sources.looker.source import DashboardSource, LookSource
from canary.sources.looker.tiles import DashboardTile

if TYPE_CHECKING:
    from canary.config import Config


def _users(config: Config, source: str) -> dict[str, str]:
    """Monitor -> catalog dashboard, for the monitors pulling from ``source``."""
    return {n: m.dashboard for n, m in config.monitors.items() if m.source == source}


def _monitored(config: Config, source: str) -> dict[str, list[str]]:
    """Dataset -> the monitors that check it from ``source``."""
    out: dict[str, list[str]] = {}
    for name, monitor in config.monitors.items():
        for dataset in monitor.datasets:
            if monitor.source_for(dataset) == source:
                out.setdefault(dataset, []).append(name)
    return out


def check(ctx: Context, name: str, cfg: LookerConfig) -> Iterator[Finding]:
    """A Looker source: settings, login, then its dashboard, looks or queries."""
    users = _users(ctx.config, name)
    boards = ctx.config.catalog.dashboards
    board = boards[next(iter(users.values()))] if users else Dashboard(name, name, ())
    try:
        source = build_looker_source(name, cfg, board, ctx.environ)
        me = source.client().call(
            f"sources.{name}: logging in to {source.conn.base_url}",
            lambda sdk: sdk.me(fields="id,display_name"),
        )
    except CanaryError as exc:
        yield failure(f"{name}: login", exc)
        return
    who = me.display_name or f"user {me.id}"
    yield Finding(f"{name}: login", "ok", f"logged in to {source.conn.base_url} as {who}")
    monitored = _monitored(ctx.config, name)
    if isinstance(source, DashboardSource):
        yield from _dashboard(source, monitored)
    elif isinstance(source, LookSource):
        for dataset, entry in source.cfg.looks.items():
            try:
                look = source.look(entry.id)
            except CanaryError as exc:
                yield failure(f"{name}: look {entry.id}", exc)
                continue
            yield Finding(f"{name}: look {entry.id}", "ok", f"{look.title!r} -> {dataset}")
    else:
        lines = tuple(
            f"{dataset}: {q.model}/{q.view}, {len(q.fields)} fields"
            for dataset, q in source.cfg.queries.items()
        )
        yield Finding(f"{name}: queries", "ok", f"{len(lines)} inline queries", lines)


def _dashboard(source: DashboardSource, monitored: Mapping[str, list[str]]) -> Iterator[Finding]:
    check = f"{source.name}: dashboard {source.cfg.dashboard_id}"
    try:
        board = source.board()
        tiles = source.tiles()
        values = source.filters(None, None)
    except CanaryError as exc:
        yield failure(check, exc)
        return

    def line(t: DashboardTile) -> str:
        if t.kind == "text":
            use = "skipped (text)"
        elif t.kind == "merge":
            use = "unsupported (merged results)"
        elif t.kind != "query":
            use = "skipped (no query)"
        else:
            use = ", ".join(monitored.get(t.dataset, [])) or "not monitored"
        return f"{t.element_id:>6}  {t.kind:<5}  {t.title!r} -> {t.dataset}: {use}"

    shown = ", ".join(f"{f.title}={values[f.name]!r}" for f in board.filters if values[f.name])
    date_filter = source.cfg.date_filter
    detail = f"{board.title!r}: {len(tiles)} tiles; filters {shown or 'none'}" + (
        f"; weeks through filter {date_filter!r}" if date_filter else ""
    )
    filters = tuple(
        f"filter {f.describe()}: {repr(values[f.name]) if values[f.name] else 'no value'}"
        for f in board.filters
    )
    yield Finding(check, "ok", detail, filters + tuple(line(t) for t in tiles))
    queries = {t.dataset for t in tiles if t.kind == "query"}
    for dataset, monitors in sorted(monitored.items()):
        if dataset not in queries:
            yield Finding(
                f"{check}: {dataset}",
                "fail",
                f"no query tile is dataset {dataset!r} (checked by {', '.join(monitors)}); "
                f"name one in sources.{source.name}.datasets",
            )
    if any(t.kind == "merge" for t in tiles):
        yield Finding(check, "warn", "merged-result tiles are skipped: canary cannot pull them")
