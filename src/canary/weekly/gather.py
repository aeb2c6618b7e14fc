"""What a monitor's weekly report is built from, read from the store and the config (I/O);
``canary.weekly.build`` makes the report of it."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pandas as pd

from canary.alerts.render.model import Link, is_web
from canary.alerts.week_runs import recorded_runs
from canary.config import Config, MonitorConfig
from canary.errors import ConfigError
from canary.results import RunResult
from canary.sources.looker.config import LookerDashboardConfig
from canary.sources.looker.links import dashboard_link
from canary.store.db import Store
from canary.store.history import level_ranges, with_current
from canary.url_secrets import safe_link
from canary.weekly.body import ReportBody
from canary.weekly.build import Setup, build
from canary.weeks import WEEK

#: weeks of metrics read: the longest chart (26) and last year's same ISO week (52 or 53 back)
HISTORY_WEEKS = 54


def setup_of(config: Config, monitor: str) -> Setup:
    """The report settings of ``monitor``; a monitor without ``report`` is a config error."""
    m = config.monitors[monitor]
    if m.report is None:
        raise ConfigError(
            f"monitor {monitor} has no weekly report: set monitors.{monitor}.report "
            "(channel, when, metrics, weeks; see docs/report.md)"
        )
    board = config.catalog.dashboards[m.dashboard]
    return Setup(
        title=board.title,
        tiles={t.dataset: t for t in board.tiles if t.dataset in m.datasets},
        report=m.report,
        quiet_weeks=list(m.quiet_weeks),
        masking=config.policy.masking,
        catalog=config.catalog.tiles,
        watches_canary=any(
            config.catalog.dashboards[c.dashboard].filter_values() for c in config.monitors.values()
        ),
    )


def report_for(
    config: Config,
    store: Store,
    run: RunResult,
    *,
    others: Sequence[RunResult] = (),
    links: Sequence[Link] = (),
    threads: Mapping[str, Link] | None = None,
    current: pd.DataFrame | None = None,
) -> ReportBody:
    """The weekly report of ``run`` (its monitor's run of the week, just finished or as
    recorded). ``others``: the week's runs of other monitors (those not given are read as
    recorded); ``links``: more http(s) links (the Prefect run, Data Docs); ``threads``: an
    incident's alert key (``canary.alerts.render.digest.fingerprint`` of the monitor and the
    incident, as the alert state keys it) -> its Slack thread; ``current``: the run's
    metric rows when they are not stored yet."""
    setup = setup_of(config, run.monitor)
    given = [r for r in others if r.week == run.week and r.monitor != run.monitor]
    missing = [
        m for m in config.monitors if m != run.monitor and m not in {r.monitor for r in given}
    ]
    week = run.week
    since = week - WEEK * HISTORY_WEEKS
    series = [name for name, tile in setup.tiles.items() if tile.shape == "series"]
    stored = [
        store.metric_history(run.monitor, name, since=since, before=week + WEEK) for name in series
    ]
    metrics = pd.concat(stored, ignore_index=True) if stored else pd.DataFrame()
    if current is not None and len(current):
        metrics = with_current(metrics, current[current["dataset"].isin(series)])
    bands = level_ranges(store, run.monitor, week - WEEK * (setup.report.weeks - 1), week)
    return build(
        setup,
        run,
        [*given, *recorded_runs(store, config, week, missing)],
        metrics,
        bands,
        [*looker_links(config, config.monitors[run.monitor], run), *links],
        threads,
    )


def looker_links(config: Config, monitor: MonitorConfig, run: RunResult) -> list[Link]:
    """The Looker dashboard a monitor watches, with its filters, when it pulls from one: the
    address the run's pull linked, else the one its config names; fit to show (no user or
    password, filter values masked), even as an older run recorded it."""
    source = config.sources[monitor.source]
    if not isinstance(source, LookerDashboardConfig):
        return []
    pulled = (
        d.link
        for d in run.datasets
        if d.name in monitor.datasets and monitor.source_for(d.name) == monitor.source
    )
    url = next((u for u in pulled if is_web(u)), None)
    web = source.web_url or source.base_url or os.environ.get("LOOKERSDK_BASE_URL")
    if url is None and is_web(web):
        url = dashboard_link(str(web).rstrip("/"), source.dashboard_id, source.filters)
    return [Link("Looker dashboard", safe_link(url))] if url else []
