"""Which week a deployment's scheduled runs test: ``prefect.yaml``'s cron schedules against
the ``complete_after`` of the sources each monitor reads.

A weekly run is meant to test the week that has just ended. It does only if every source
of its monitor counts that week complete by the time the run starts: a Monday 09:00 run
with ``complete_after: 1d`` tests the week before last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from cronsim import CronSim, CronSimError

from canary.config import Config
from canary.errors import ConfigError
from canary.weeks import WEEK, latest_complete_week, week_start


@dataclass(frozen=True)
class ScheduledWeek:
    """The next run of one deployment's schedule and the week it will test."""

    deployment: str
    monitor: str
    cron: str
    fires: datetime
    complete_after: timedelta
    tests: date

    @property
    def ended(self) -> date:
        """The week that ended last before the run: the one a weekly run should test."""
        return week_start(self.fires.date()) - WEEK

    @property
    def behind(self) -> int:
        """How many weeks older than ``ended`` the tested week is (0: on time)."""
        return (self.ended - self.tests).days // 7


def next_fire(cron: str, timezone: str, after: datetime) -> datetime:
    """The first time after ``after`` that ``cron`` fires in ``timezone`` (Prefect's own
    cron library, so the same instant the Prefect scheduler picks); ValueError if either
    is not valid."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown timezone {timezone!r}") from None
    try:
        return next(CronSim(cron, after.astimezone(zone)))
    except CronSimError as exc:
        raise ValueError(f"cron {cron!r} is not valid: {exc}") from None


def completes_after(config: Config, monitor: str) -> timedelta:
    """The slowest ``complete_after`` among the sources ``monitor`` reads."""
    names = config.monitors[monitor].source_names()
    return max(config.sources[n].complete_after for n in names)


def _deployments(path: Path) -> list[dict[str, Any]]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read as YAML: {exc}") from exc
    deployments = doc.get("deployments") if isinstance(doc, dict) else None
    return [d for d in deployments or [] if isinstance(d, dict)]


def scheduled_weeks(path: Path, config: Config, after: datetime) -> list[ScheduledWeek]:
    """Each active cron schedule of each deployment in ``path`` that runs a monitor of
    ``config``: when it next fires after ``after`` and which week that run tests."""
    found = []
    for deployment in _deployments(path):
        monitor = (deployment.get("parameters") or {}).get("monitor")
        if monitor not in config.monitors:
            continue
        lag = completes_after(config, monitor)
        for schedule in deployment.get("schedules") or []:
            if not schedule.get("cron") or not schedule.get("active", True):
                continue
            try:
                fires = next_fire(schedule["cron"], schedule.get("timezone") or "UTC", after)
            except ValueError as exc:
                where = f"deployments.{deployment.get('name')}.schedules"
                raise ConfigError(f"{path}: {where}: {exc}") from None
            found.append(
                ScheduledWeek(
                    str(deployment.get("name")),
                    monitor,
                    schedule["cron"],
                    fires,
                    lag,
                    latest_complete_week(fires, lag),
                )
            )
    return found
