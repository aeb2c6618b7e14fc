"""The week's runs of other monitors as the store recorded them: incidents are found with
them (alerts, the weekly report), so that a breakage several monitors see is one."""

from __future__ import annotations

from datetime import date

from canary.config import Config
from canary.results import RunResult
from canary.store.db import Store


def recorded_runs(store: Store, config: Config, week: date, monitors: list[str]) -> list[RunResult]:
    """The runs of ``monitors`` in ``week`` as the store recorded their verdicts."""
    found = []
    for monitor, checks in store.week_checks(week, monitors).items():
        dashboard = config.catalog.dashboards[config.monitors[monitor].dashboard]
        scope = ", ".join(dashboard.filter_values().values()) or None
        found.append(RunResult(monitor, week, checks, [], scope))
    return found
