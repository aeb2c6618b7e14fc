"""Prefect flow: one monitor per flow run, the pipeline's stages as tasks.

Tasks are thin wrappers of canary.pipeline; only errors marked transient are retried.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from canary.alerts.deliver import deliver
from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.errors import CanaryError
from canary.pipeline import (
    Collected,
    Plan,
    RunOptions,
    check_dataset,
    collect,
    finish,
    history_checks,
    plan,
    pull_dataset,
)
from canary.report import json_result
from canary.report.artifacts import artifact_key, check_table, summary_markdown
from canary.results import CheckResult, RunResult
from canary.sources.base import Dataset
from canary.store.db import Store
from canary.weeks import as_of_datetime, parse_week


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only errors their raiser marked transient (timeouts, 429, 5xx...)."""
    try:
        state.result()
    except CanaryError as exc:
        return exc.transient
    except Exception:
        return False
    return False


@task(
    retries=3,
    retry_delay_seconds=[2, 10, 30],
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def pull(p: Plan, dataset: str) -> Dataset:
    return pull_dataset(p, dataset)


@task(cache_policy=NO_CACHE)
def check(p: Plan, ge: GreatExpectations, data: Dataset) -> tuple[pd.DataFrame, list[CheckResult]]:
    return check_dataset(p, ge, data)


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def judge_and_record(
    p: Plan, store_url: str, ge: GreatExpectations, got: Collected, started: datetime
) -> RunResult:
    """History-aware checks (they read the store), then record the run."""
    store = Store(store_url)
    try:
        checks = got.checks + history_checks(p, store, ge, got)
        return finish(p, store, checks, got.metrics, got.datasets, started)
    finally:
        store.close()


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def send_alerts(config: Config, store_url: str, run: RunResult) -> None:
    """Alerts through the durable outbox: a retried task never shows anyone an alert twice."""
    store = Store(store_url)
    try:
        report = deliver(config, store, [run])
    finally:
        store.close()
    if not report.ok:
        get_run_logger().warning("alerts not all delivered; kept in the outbox: %s", report)


@task(cache_policy=NO_CACHE)
def publish(run: RunResult) -> None:
    create_table_artifact(
        key=artifact_key(run.monitor, "checks"),
        table=check_table(run),
        description=f"canary checks of {run.monitor}, week {run.week}",
    )
    create_markdown_artifact(
        key=artifact_key(run.monitor, "summary"),
        markdown=summary_markdown(run),
        description=f"canary summary of {run.monitor}, week {run.week}",
    )


@flow(name="weekly-canary", log_prints=True)
def weekly_canary(
    monitor: str,
    config_path: str = "canary.yaml",
    week: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Run one monitor for a week (default: the latest complete one) and publish artifacts."""
    logger = get_run_logger()
    path = Path(config_path)
    config = load_config(path)
    options = RunOptions(
        week=parse_week(week) if week else None,
        now=as_of_datetime(date.fromisoformat(as_of)) if as_of else datetime.now(UTC),
    )
    p = plan(config, monitor, options, path.resolve().parent)
    started = datetime.now(UTC)
    ge = GreatExpectations()
    store_url = config.store_url(os.environ)
    got = collect(p, ge, pull=pull, check=check)
    run = judge_and_record(p, store_url, ge, got, started)
    send_alerts(config, store_url, run)
    publish(run)
    logger.info("%s week %s: %s %s", run.monitor, run.week, run.status, run.counts())
    return json_result.document([run])
