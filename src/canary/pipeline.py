"""One monitor's weekly run: pull -> profile -> validate -> results -> store.

Each stage is a plain function so that the CLI runs them in a row and the Prefect flow
runs each as a task. I/O stays at the edges (sources, store); the middle is pure.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from canary.anomaly.stage import changed_weeks_only, gather, judge, record_schemas
from canary.checks.suites import (
    check_column,
    check_name,
    load_suite,
    parameters_of,
    suite_path,
)
from canary.checks.validate import (
    GreatExpectations,
    checks_from_json,
    checks_to_json,
    to_check,
)
from canary.config import Config, MonitorConfig
from canary.dashboards import Dashboard
from canary.errors import CanaryError, ConfigError, SuiteError
from canary.profile import METRIC_COLUMNS, profile
from canary.results import CheckResult, DatasetInfo, RunResult, first_failed_week
from canary.sample.scenarios import SCENARIOS
from canary.sources.base import Dataset, Source
from canary.sources.registry import BuildContext, build
from canary.sources.sample import sample_spec as sample_spec
from canary.store.db import Store
from canary.weeks import latest_complete_week

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RunOptions:
    """What a run may override: the week, "now", and an injected scenario."""

    week: date | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    scenario: str | None = None


@dataclass
class Plan:
    """Everything a monitor's run needs, resolved from config and options."""

    monitor: str
    config: MonitorConfig
    dashboard: Dashboard
    source: Source
    week: date
    expectations_dir: Path
    sample_rows: bool = True  # backtests skip them: GE's BASIC results are cheaper
    drill: str | None = None  # the scenario injected by ``--scenario``


def build_source(
    config: Config, monitor: MonitorConfig, options: RunOptions, base_dir: Path
) -> Source:
    """The source object a monitor pulls from, built by its kind's module."""
    ctx = BuildContext(
        dashboard=config.catalog.dashboards[monitor.dashboard],
        views=config.catalog.views,
        base_dir=base_dir,
        data_dir=config.data_dir,
        environ=os.environ,
        now=options.now,
        scenario=options.scenario,
        scenario_week=options.week if options.scenario else None,
    )
    return build(monitor.source, config.sources[monitor.source], ctx)


def plan(config: Config, name: str, options: RunOptions, base_dir: Path) -> Plan:
    if name not in config.monitors:
        raise ConfigError(
            f"--monitor {name!r} is not in the config; allowed: {', '.join(sorted(config.monitors))}"
        )
    if options.scenario is not None and options.scenario not in SCENARIOS:
        raise ConfigError(
            f"--scenario {options.scenario!r} is unknown; allowed: {', '.join(sorted(SCENARIOS))}"
        )
    monitor = config.monitors[name]
    source = build_source(config, monitor, options, base_dir)
    latest = latest_complete_week(options.now, source.complete_after)
    week = options.week or latest
    if week > latest:
        raise ConfigError(
            f"--week {week} is not complete yet (source {monitor.source} completes a week "
            f"{source.complete_after} after it ends); the latest complete week is {latest}"
        )
    return Plan(
        name,
        monitor,
        config.catalog.dashboards[monitor.dashboard],
        source,
        week,
        config.expectations_dir,
        drill=options.scenario,
    )


def pull_dataset(p: Plan, dataset: str) -> Dataset:
    """Pull one dataset (raises ``SourceError``, transient where a retry may help)."""
    return p.source.pull(p.dashboard.tile(dataset), p.week)


def error_result(p: Plan, dataset: str, error: BaseException) -> CheckResult:
    """A dataset that could not be pulled or checked, as an ``error`` check."""
    what = "suite" if isinstance(error, SuiteError) else "pull"
    return CheckResult(
        p.monitor,
        dataset,
        what,
        "error",
        f"{dataset}, week {p.week}: could not be checked: {error}",
    )


def check_dataset(
    p: Plan, ge: GreatExpectations, data: Dataset, parameters: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, list[CheckResult]]:
    """Profile and validate the week under test of one dataset."""
    tile = data.tile
    batch = data.frame
    if tile.time_column in batch.columns:
        batch = batch[batch[tile.time_column] == pd.Timestamp(p.week)].reset_index(drop=True)
    metrics = profile(data.name, tile, data.frame, p.week)
    suite_name = p.config.suite_for(data.name)
    suite = load_suite(p.expectations_dir, suite_name)
    given = parameters or {}
    missing = parameters_of(suite) - set(given)
    broken = ge.unbuildable(suite["expectations"])
    runnable: list[tuple[dict[str, Any], set[str]]] = []
    skipped: list[tuple[dict[str, Any], set[str]]] = []
    for i, expectation in enumerate(suite["expectations"]):
        if i in broken:
            continue
        needs = parameters_of({"expectations": [expectation]}) & missing
        (skipped if needs else runnable).append((expectation, needs))
    results = (
        [
            CheckResult(
                p.monitor,
                data.name,
                "source warning",
                "warning",
                f"{data.name}, week {p.week}: {'; '.join(data.warnings)}",
            )
        ]
        if data.warnings
        else []
    )
    results += [
        CheckResult(
            p.monitor,
            data.name,
            check_name(suite["expectations"][i]),
            "error",
            f"{data.name}, week {p.week}: the check could not run: suite {suite_name} "
            f"({suite_path(p.expectations_dir, suite_name).name}) expectations[{i}]: {why}.",
            check_column(suite["expectations"][i].get("kwargs") or {}),
        )
        for i, why in broken.items()
    ]
    if runnable:
        personal = {f.column for f in tile.fields if f.personal}
        fmt = "SUMMARY" if p.sample_rows else "BASIC"
        checked = {**suite, "expectations": [e for e, _ in runnable]}

        def validate() -> list[CheckResult]:
            raw = ge.run(checked, batch, given, fmt)
            return [
                to_check(
                    r,
                    monitor=p.monitor,
                    dataset=data.name,
                    week=p.week,
                    batch=batch,
                    key_columns=tile.row_key,
                    personal_columns=personal,
                )
                for r in raw
            ]

        parts = [p.monitor, data.name, p.week, checked, given, fmt, tile.row_key, sorted(personal)]
        validated: list[CheckResult] = ge.remember(
            parts, batch, validate, checks_to_json, checks_from_json
        )
        results += validated
    for expectation, needs in skipped:
        results.append(
            CheckResult(
                p.monitor,
                data.name,
                check_name(expectation),
                "skipped",
                f"{data.name}, week {p.week}: no value yet for {', '.join(sorted(needs))}; "
                "judged once the suite's parameters give one.",
                check_column(expectation.get("kwargs") or {}),
            )
        )
    return metrics, results


def finish(
    p: Plan,
    store: Store,
    checks: list[CheckResult],
    metrics: list[pd.DataFrame],
    datasets: list[DatasetInfo],
    started_at: datetime,
) -> RunResult:
    """Attach failure history, record the run in the store (replacing a rerun), return it."""
    past = store.past_checks(p.monitor, p.week, (c.id for c in checks))
    for check in checks:
        check.first_failed_week = first_failed_week(check.status, p.week, past.get(check.id))
    scope = ", ".join(p.dashboard.filter_values().values()) or None
    run = RunResult(p.monitor, p.week, checks, datasets, scope, drill=p.drill)
    frame = (
        pd.concat(metrics, ignore_index=True) if metrics else pd.DataFrame(columns=METRIC_COLUMNS)
    )
    store.record_run(run, frame, started_at)
    return run


@dataclass
class Collected:
    """What the datasets of one run produced, before it is recorded."""

    checks: list[CheckResult] = field(default_factory=list)
    metrics: list[pd.DataFrame] = field(default_factory=list)
    datasets: list[DatasetInfo] = field(default_factory=list)
    pulled: list[Dataset] = field(default_factory=list)


Puller = Callable[[Plan, str], Dataset]
Checker = Callable[[Plan, GreatExpectations, Dataset], tuple[pd.DataFrame, list[CheckResult]]]


def collect(
    p: Plan,
    ge: GreatExpectations,
    pull: Puller = pull_dataset,
    check: Checker = check_dataset,
    progress: Progress | None = None,
) -> Collected:
    """Pull and check every dataset; one that fails becomes an ``error`` check, the rest go on.

    ``pull`` and ``check`` default to the plain stages; the Prefect flow passes its tasks.
    """
    out = Collected()
    for name in p.config.datasets:
        if progress:
            progress(f"{p.monitor}: {name}")
        try:
            data = pull(p, name)
            frame, results = check(p, ge, data)
        except CanaryError as exc:
            out.checks.append(error_result(p, name, exc))
            out.datasets.append(DatasetInfo(name, None))
            continue
        out.metrics.append(frame)
        out.pulled.append(data)
        out.checks.extend(results)
        out.datasets.append(DatasetInfo(name, len(data.frame), data.link))
    return out


def run_monitor(
    p: Plan, store: Store, ge: GreatExpectations, progress: Progress | None = None
) -> RunResult:
    """Run every dataset of a monitor in a row (the CLI path) and record the run."""
    started = datetime.now(UTC)
    got = collect(p, ge, progress=progress)
    got.checks.extend(history_checks(p, store, ge, got))
    return finish(p, store, got.checks, got.metrics, got.datasets, started)


def history_checks(
    p: Plan, store: Store, ge: GreatExpectations, got: Collected
) -> list[CheckResult]:
    """History-aware checks of every pulled dataset (skipped datasets had their error already).

    Also trims ``got.metrics`` of series to the weeks new or changed since the last pull.
    """
    null_by_design = {
        d.name: set(
            load_suite(p.expectations_dir, p.config.suite_for(d.name))
            .get("meta", {})
            .get("null_by_design", {})
        )
        for d in got.pulled
    }
    inputs = gather(p.monitor, p.config, p.week, store, got.pulled, got.metrics, null_by_design)
    results = judge(p.monitor, p.week, ge, p.expectations_dir, inputs)
    record_schemas(store, p.monitor, p.week, got.pulled)
    stored = {h.dataset: h.stored_values for h in inputs}
    got.metrics = [
        changed_weeks_only(m, stored.get(str(m["dataset"].iloc[0])), p.week) if len(m) else m
        for m in got.metrics
    ]
    return results


def scenario_dirs() -> tempfile.TemporaryDirectory[str]:
    """A throwaway data directory (and store) for ``--scenario`` runs."""
    return tempfile.TemporaryDirectory(prefix="canary-scenario-")
