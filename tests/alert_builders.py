"""Configs, checks and runs the alert tests build (canary's data, not the Slack stand-in's)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert

from canary.config import Config, load_config
from canary.results import CheckResult, DatasetInfo, RunResult
from canary.store.db import Store
from canary.store.schema import metrics
from canary.weeks import WEEK
from tests.slack_fake import SlackFake

W1 = date(2026, 11, 2)
W2, W3, W4 = W1 + WEEK, W1 + 2 * WEEK, W1 + 3 * WEEK


def make_config(
    directory: Path, fake: SlackFake | None = None, *, reports: bool = False, **slack: Any
) -> Config:
    """The repo's config with a ``slack:`` section (pointing at ``fake`` when given).

    Without ``reports`` the monitors send no weekly report (alerts only), so that a test of
    alerts sees alerts alone; tests/test_report_delivery.py tests the reports."""
    from tests.conftest import REPO, write_config

    section = {"delivery": "bot", **slack}
    if fake is not None:
        section.setdefault("base_url", fake.url)
    monitors = yaml.safe_load((REPO / "canary.yaml").read_text())["monitors"]
    for monitor in monitors.values():
        if not reports:
            monitor.pop("report", None)
    return load_config(write_config(directory, slack=section, monitors=monitors))


def check(
    name: str = "not null",
    status: str = "failed",
    *,
    dataset: str = "page_views",
    column: str | None = "total_insights_page_views",
    monitor: str = "code-insights-all-instances",
    **fields: Any,
) -> CheckResult:
    reason = fields.pop("reason", f"{dataset}: {column} {status}.")
    return CheckResult(monitor, dataset, name, status, reason, column, **fields)  # type: ignore[arg-type]


def run_of(
    week: date, *checks: CheckResult, monitor: str = "code-insights-all-instances"
) -> RunResult:
    return RunResult(monitor, week, list(checks), [DatasetInfo("page_views", 1, None)])


def open_store(directory: Path) -> Store:
    return Store(f"sqlite:///{directory / 'store.db'}")


def seed_history(
    store: Store, column: str, weeks: int = 8, monitor: str = "code-insights-all-instances"
) -> None:
    """``weeks`` healthy weeks of ``page_views.column`` before W1 (so its failures get charts)."""
    rows = [
        {
            "monitor": monitor,
            "dataset": "page_views",
            "week": W1 - timedelta(weeks=weeks - i),
            "column_name": column,
            "segment": "",
            "metric": metric,
            "value": value,
        }
        for i in range(weeks)
        for metric, value in (("sum", 1000.0 + 10 * i), ("null_rate", 0.0))
    ]
    with store.engine.begin() as con:
        con.execute(insert(metrics), rows)
