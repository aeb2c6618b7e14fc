"""Looker as a source, through the real looker-sdk (API 4.0): dashboards, looks, queries."""

from __future__ import annotations

from collections.abc import Mapping

from canary.config import LookerDashboardSource, LookerLookSource, LookerSource
from canary.dashboards import Dashboard
from canary.sources.looker.client import client_for, close_clients
from canary.sources.looker.settings import connection
from canary.sources.looker.source import (
    DashboardSource,
    LookSource,
    QuerySource,
)
from canary.sources.registry import BuildContext

__all__ = [
    "DashboardSource",
    "LookSource",
    "QuerySource",
    "build",
    "build_looker_source",
    "close_clients",
    "end_run",
]


def build_looker_source(
    name: str, cfg: LookerSource, dashboard: Dashboard, environ: Mapping[str, str]
) -> DashboardSource | LookSource | QuerySource:
    """The source object of config source ``name`` (no network until the first pull).

    Building it starts a run on its connection: a whole budget of failed tries.
    """
    conn = connection(name, cfg, environ)
    client_for(conn).start_run()
    if isinstance(cfg, LookerDashboardSource):
        return DashboardSource(name, cfg, conn, dashboard)
    if isinstance(cfg, LookerLookSource):
        return LookSource(name, cfg, conn)
    return QuerySource(name, cfg, conn)


def build(
    name: str, cfg: LookerSource, ctx: BuildContext
) -> DashboardSource | LookSource | QuerySource:
    return build_looker_source(name, cfg, ctx.dashboard, ctx.environ)


def end_run() -> None:
    """The run's last pull is done: log out of every Looker connection, once."""
    close_clients()
