"""The runs of one week across monitors: what the store recorded of them (incidents are
found with them, for alerts and the weekly report, so that a breakage several monitors see
is one), and the order in which a week's runs tell the most."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from canary.config import Config
from canary.results import RunResult
from canary.store.db import Store


def scope_of(config: Config, monitor: str) -> str | None:
    """What ``monitor`` is narrowed to (its dashboard's filter values: the canary
    instance), None when it watches every instance."""
    dashboard = config.catalog.dashboards[config.monitors[monitor].dashboard]
    return ", ".join(dashboard.filter_values().values()) or None


def recorded_runs(store: Store, config: Config, week: date, monitors: list[str]) -> list[RunResult]:
    """The runs of ``monitors`` in ``week`` as the store recorded their verdicts."""
    return [
        RunResult(monitor, week, checks, [], scope_of(config, monitor))
        for monitor, checks in store.week_checks(week, monitors).items()
    ]


def run_order(config: Config, monitors: Iterable[str]) -> list[str]:
    """``monitors`` in the order a week is best run: those narrowed to one instance first.
    The canary instance's verdict is what tells the other monitors' usage changes (class
    ``product``, sent to the product team) from broken pipelines, and completes their
    weekly reports; its own failures are the pipeline's whatever the others show."""
    return sorted(monitors, key=lambda m: scope_of(config, m) is None)
