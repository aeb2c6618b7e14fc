"""One monitor's weekly run, in the order of its stages (and of this file): plan (config and
options resolved), pull and validate every dataset (metrics from its source, its suite by
GE), judge it against history, record the run (and its alerts) in the store. Delivery
follows (``canary.alerts.deliver``).

Each stage is a plain function so that the CLI runs them in a row and the Prefect flow
runs each as a task. I/O stays at the edges (sources, store); the middle is pure.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from sqlalchemy import Connection

from canary import logfiles
from canary.anomaly.reads import SeriesRead, changed_weeks, first_read, spans_of
from canary.anomaly.stage import changed_weeks_only, gather, judge, schemas_of
from canary.checks import row_key
from canary.checks.in_warehouse import in_warehouse
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
from canary.config_base import duration_text
from canary.dashboards import Dashboard, Tile
from canary.dataset import Dataset
from canary.errors import CanaryError, ConfigError, SourceError, StoreError, SuiteError
from canary.fingerprints import fingerprints_of
from canary.profile import METRIC_COLUMNS, NUMERIC
from canary.results import (
    PULL_CHECK,
    SUITE_CHECK,
    CheckResult,
    DatasetInfo,
    RunResult,
    first_failed_week,
)
from canary.sample.scenarios import SCENARIOS
from canary.sources.base import Source
from canary.sources.registry import BuildContext, build
from canary.store import fingerprints as store_fingerprints
from canary.store.db import Store
from canary.store.fallback import NAME as FALLBACK_NAME
from canary.summary import TileSummary, summary_of
from canary.url_secrets import scrub
from canary.weeks import WEEK, latest_complete_week

Progress = Callable[[str], None]

#: Held by a validation with GE (``checked_in_turn``), one at a time per process.
GE_TURN = threading.Lock()

#: The dataset name of checks about the run's store rather than a dataset.
STORE_DATASET = "store"


@dataclass(frozen=True)
class RunOptions:
    """What a run may override: the week, "now", and an injected scenario."""

    week: date | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    scenario: str | None = None
    deep: bool = False  # read every week of every series tile, as a first run does


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
    dataset_sources: dict[str, Source] = field(default_factory=dict)  # where not ``source``
    deep: bool = False  # series tiles read every week (else ``reads`` says which)
    reads: dict[str, SeriesRead] = field(default_factory=dict)  # series dataset -> its read

    def source_of(self, dataset: str) -> Source:
        return self.dataset_sources.get(dataset, self.source)

    def suite(self, dataset: str) -> dict[str, Any]:
        """The suite that checks ``dataset``; a missing one's error says how to write it."""
        hint = f"; `canary suite init {self.monitor} {dataset}` writes a starter suite"
        return load_suite(self.expectations_dir, self.config.suite_for(dataset), missing=hint)


def plan(config: Config, name: str, options: RunOptions, base_dir: Path) -> Plan:
    """The plan of monitor ``name``'s run: its sources built, its week chosen (the latest
    complete one unless ``options`` name it); ``ConfigError`` names what is not allowed."""
    if name not in config.monitors:
        raise ConfigError(
            f"--monitor {name!r} is not in the config; allowed: {', '.join(sorted(config.monitors))}"
        )
    if options.scenario is not None and options.scenario not in SCENARIOS:
        raise ConfigError(
            f"--scenario {options.scenario!r} is unknown; allowed: {', '.join(sorted(SCENARIOS))}"
        )
    monitor = config.monitors[name]
    sources = {
        n: build_source(config, monitor, options, base_dir, n) for n in monitor.source_names()
    }
    slowest = max(sorted(sources), key=lambda n: sources[n].complete_after)
    latest = latest_complete_week(options.now, sources[slowest].complete_after)
    week = options.week or latest
    if week > latest:
        raise ConfigError(
            f"--week {week} is not complete yet (source {slowest} completes a week "
            f"{duration_text(sources[slowest].complete_after)} after it ends); the latest "
            f"complete week is {latest}"
        )
    return Plan(
        name,
        monitor,
        config.catalog.dashboards[monitor.dashboard],
        sources[monitor.source],
        week,
        config.expectations_dir,
        drill=options.scenario,
        deep=options.deep,
        dataset_sources={
            d: sources[monitor.source_for(d)]
            for d in monitor.datasets
            if monitor.source_for(d) != monitor.source
        },
    )


def build_source(
    config: Config,
    monitor: MonitorConfig,
    options: RunOptions,
    base_dir: Path,
    name: str | None = None,
) -> Source:
    """Source ``name`` (default the monitor's) for a monitor, built by its kind's module."""
    name = name or monitor.source
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
    return build(name, config.sources[name], ctx)


#: Given the store, a run and its metrics, composes the run's alerts; returns their writer.
Alerts = Callable[[Store, RunResult, pd.DataFrame], Callable[[Connection], object]]


def run_monitor(
    p: Plan,
    store: Store,
    ge: GreatExpectations,
    progress: Progress | None = None,
    alerts: Alerts | None = None,
) -> RunResult:
    """Run every dataset of a monitor in a row (the CLI path) and record the run: pull and
    validate each dataset, then judge against history and record."""
    started = datetime.now(UTC)
    p.reads = plan_reads(p, store)
    got = collect(p, ge, progress=progress, warm_ge=_validates(p, store, ge))
    return judge_and_finish(p, store, ge, got, started, alerts)


def plan_reads(p: Plan, store: Store) -> dict[str, SeriesRead]:
    """How each series dataset is read this run (``canary.anomaly.reads``): the week under
    test, from the first week the store lacks, plus each earlier week of the lookback window
    (the week before included) whose fingerprint changed; every week on a first run or
    ``deep``.

    A source with a fingerprint query of its own (SQL) answers it in the database; from
    another (an API, files) the plan pulls the weeks it reads and the window's in one call
    and keeps them for the run. A fingerprint or store read that fails leaves its dataset
    to a full read; when the plan's own pull failed, its error stays the dataset's cause if
    that read fails too (a source that gave up after the plan's tries says only that)."""
    out: dict[str, SeriesRead] = {}
    for name in p.config.datasets:
        tile = p.dashboard.tile(name)
        if tile.shape != "series":
            continue
        source = p.source_of(name)
        since = fingerprints_since(p, name, p.week)
        pulled = None
        try:
            values = store.metric_history(p.monitor, name, before=p.week)
            first = None if p.deep else first_read(set(values["week"]), p.week)
            stored = (
                {}
                if first is None
                else store_fingerprints.stored(store, p.monitor, name, since, first)
            )
            if getattr(source, "fingerprints", None) is None:
                lo = None if first is None else min(first, since)
                try:
                    pulled = source.pull(dataclasses.replace(tile, reads_from=lo), p.week)
                except SourceError as exc:
                    out[name] = SeriesRead(None, fault=exc)
                    continue
            now = window_fingerprints(source, tile, (since, p.week), pulled)
        except (SourceError, StoreError):
            out[name] = SeriesRead(None)
            continue
        changed = () if first is None else changed_weeks(now, stored, first)
        out[name] = SeriesRead(first, changed, now, pulled)
    return out


def fingerprints_since(p: Plan, dataset: str, week: date) -> date:
    """The first week of ``dataset``'s fingerprint lookback window ending at ``week``."""
    return week - WEEK * ((p.config.history_for(dataset).fingerprint_weeks or 1) - 1)


def window_fingerprints(
    source: Source, tile: Tile, weeks: tuple[date, date], pulled: Dataset | None
) -> dict[date, str]:
    """Week -> fingerprint of ``tile``'s ``weeks`` (first, last): by the source's own query
    where it has one (SQL), else from the rows ``pulled`` (a read of those weeks at least)."""
    own = getattr(source, "fingerprints", None)
    if own is not None:
        return dict(own(tile, weeks))
    assert pulled is not None, "a source without a fingerprint query needs its rows pulled"
    counters = [c for c, kind in tile.dtypes.items() if kind in NUMERIC]
    found = fingerprints_of(pulled.frame, tile.time_column, counters, weeks[0])
    return {w: text for w, text in found.items() if w <= weeks[1]}


def _validates(p: Plan, store: Store, ge: GreatExpectations) -> bool:
    """Whether this run is likely to validate (so GE is worth importing ahead): a first run
    of its week does; a rerun of a recorded week usually finds every verdict in the cache."""
    if not ge.cache.keeps:
        return True
    try:
        return not store.week_checks(p.week, [p.monitor])
    except StoreError:
        return True


@dataclass
class Collected:
    """What the datasets of one run produced, before it is recorded."""

    checks: list[CheckResult] = field(default_factory=list)
    metrics: list[pd.DataFrame] = field(default_factory=list)
    datasets: list[DatasetInfo] = field(default_factory=list)
    pulled: list[TileSummary] = field(default_factory=list)


def collect(
    p: Plan,
    ge: GreatExpectations,
    submit: Submit | None = None,
    progress: Progress | None = None,
    warm_ge: bool = True,
) -> Collected:
    """Pull and check every dataset; one that fails becomes an ``error`` check, the rest go on.

    ``submit`` starts each dataset's ``pull_and_check`` (the Prefect flow submits a task per
    dataset, so they run concurrently); by default one thread pulls the datasets in turn,
    snapshot tiles first (``pull_order``), while this one checks each pulled dataset (a pull
    waits on its source, a check on GE: the two overlap). Results keep the config's dataset
    order whatever order they finish in. With ``warm_ge``, GE is imported in the background
    meanwhile (``GreatExpectations.prepare``).
    """
    _import_shared()
    if warm_ge:
        ge.prepare()
    if submit is not None:
        return _gathered(p, {name: submit(p, name) for name in pull_order(p)}, progress)
    pulls = ThreadPoolExecutor(max_workers=1, thread_name_prefix="canary-pull")
    try:
        ahead: dict[str, Pending] = {
            name: _PulledAhead(p, ge, pulls.submit(pull_dataset, p, name)) for name in pull_order(p)
        }
        return _gathered(p, ahead, progress)
    finally:
        pulls.shutdown(cancel_futures=True)


def _import_shared() -> None:
    """Import, before pulls and GE's import run in threads, what both use: SQLAlchemy's ORM.
    GE imports it; while it does, the hooks it registers already serve every statement a pull
    compiles (a DuckDB connection's first ping), half-defined: AttributeError, partially
    initialized module 'sqlalchemy.orm.exc'."""
    import sqlalchemy.orm  # noqa: F401


class Pending(Protocol):
    """A dataset's pull and check, started: ``result()`` waits for it and raises its error."""

    def result(self) -> Checked: ...


#: Starts the pull and check of dataset ``name`` of a plan; returns a handle on it.
Submit = Callable[[Plan, str], Pending]


@dataclass
class _PulledAhead:
    """A dataset whose pull was started on the pulling thread; checked in this thread when
    its result is asked for (while the next dataset is pulled)."""

    p: Plan
    ge: GreatExpectations
    pull: Future[TileSummary]

    def result(self) -> Checked:
        data = self.pull.result()
        return Checked(data, *check_dataset(self.p, self.ge, data))


def pull_order(p: Plan) -> list[str]:
    """The plan's datasets in the order they are pulled: snapshot tiles first (their pulls
    summarise in the database and take the longest, so the other pulls run while they are
    validated), then the series, each group in config order."""
    return sorted(p.config.datasets, key=lambda name: p.dashboard.tile(name).shape != "snapshot")


def _gathered(p: Plan, started: dict[str, Pending], progress: Progress | None) -> Collected:
    """Each started dataset's outcome, waited for in the order started, kept in config order."""
    outcomes: dict[str, Checked | CanaryError] = {}
    for name, pending in started.items():
        if progress:
            progress(f"{p.monitor}: {name}")
        try:
            outcomes[name] = pending.result()
        except CanaryError as exc:
            outcomes[name] = exc
    out = Collected()
    for name in p.config.datasets:
        got = outcomes[name]
        if isinstance(got, CanaryError):
            out.checks.append(error_result(p, name, got))
            out.datasets.append(DatasetInfo(name, None))
            continue
        out.metrics.append(got.metrics)
        out.pulled.append(got.data)
        out.checks.extend(got.results)
        out.datasets.append(DatasetInfo(name, got.data.rows, got.data.link))
    return out


@dataclass
class Checked:
    """One dataset pulled and checked: its data, metrics and check results."""

    data: TileSummary
    metrics: pd.DataFrame
    results: list[CheckResult]


Checker = Callable[[Plan, GreatExpectations, TileSummary], tuple[pd.DataFrame, list[CheckResult]]]


def pull_dataset(p: Plan, dataset: str) -> TileSummary:
    """One dataset's week, summarised by its source (raises ``SourceError``, transient where
    a retry may help); a series read narrow (``Plan.reads``) reads its weeks in one pass and
    each run of changed earlier weeks alone, or takes the rows its read plan pulled."""
    source, tile = p.source_of(dataset), p.dashboard.tile(dataset)
    read = p.reads.get(dataset)
    rows = read.rows_read(tile) if read is not None else None
    if rows is not None:
        return summary_of(rows, p.week)
    if read is not None and read.fault is not None:
        try:
            return source.summarize(tile, p.week)
        except SourceError as exc:
            raise read.fault from exc  # the first failure names the cause; a retry's may not
    if read is None or read.first is None:
        return source.summarize(tile, p.week)
    spans = [*spans_of(read.changed), (read.first, p.week)]
    parts = [source.pull(dataclasses.replace(tile, reads_from=lo), hi) for lo, hi in spans]
    main = parts[-1]
    frame = pd.concat([d.frame for d in parts], ignore_index=True) if len(parts) > 1 else main.frame
    data = Dataset(dataset, tile, frame, main.link, [w for d in parts for w in d.warnings])
    return summary_of(data, p.week)


def check_dataset(
    p: Plan, ge: GreatExpectations, data: TileSummary, parameters: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, list[CheckResult]]:
    """The metrics and static checks of one dataset's week: metrics from its summary, the
    suite validated by GE on the week's rows (fetched only when the suite has checks to run)."""
    key = row_key.verdict(p.monitor, data.name, data.key_problem, p.week)
    metrics = data.metrics
    suite_name = p.config.suite_for(data.name)
    suite = p.suite(data.name)
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
    results = [key]
    if data.warnings:
        results.append(
            CheckResult(
                p.monitor,
                data.name,
                "source warning",
                "warning",
                f"{data.name}, week {p.week}: {'; '.join(data.warnings)}",
            )
        )
    if not suite["expectations"]:
        results.append(
            CheckResult(
                p.monitor,
                data.name,
                "empty suite",
                "warning",
                f"{data.name}, week {p.week}: suite {suite_name} "
                f"({suite_path(p.expectations_dir, suite_name).name}) has no expectations: "
                "nothing checks this dataset's rows; add some, or write a starter suite with "
                f"`canary suite init {p.monitor} {data.name} --force`.",
            )
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
        checked = {**suite, "expectations": [e for e, _ in runnable]}
        results += _validated(p, ge, data, checked, given)
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


def _validated(
    p: Plan, ge: GreatExpectations, data: TileSummary, suite: dict[str, Any], given: dict[str, Any]
) -> list[CheckResult]:
    """``suite`` validated by GE on the week's rows: in the warehouse when the summary says
    they are there (``TileSummary.warehouse``), else on the pulled rows (verdicts cached)."""
    tile = data.tile
    personal = {f.column for f in tile.fields if f.personal}
    fmt = "SUMMARY" if p.sample_rows else "BASIC"

    def checks(raw: list[Any], batch: pd.DataFrame | None) -> list[CheckResult]:
        return [
            to_check(
                r,
                monitor=p.monitor,
                dataset=data.name,
                week=p.week,
                columns=data.columns,
                batch=batch,
                key_columns=tile.row_key,
                personal_columns=personal,
                known_columns=tile.columns,
            )
            for r in raw
        ]

    parts = [
        p.monitor,
        data.name,
        p.week,
        suite,
        given,
        fmt,
        tile.row_key,
        sorted(personal),
        tile.columns,
    ]
    rows = data.warehouse
    if rows is not None:

        def in_place() -> list[CheckResult]:
            raw = in_warehouse(ge, suite, rows, given, fmt, tile.row_key)
            # GE's own errors may quote the connection string
            return [
                dataclasses.replace(c, reason=scrub(c.reason, rows.url)) for c in checks(raw, None)
            ]

        if rows.fingerprint is None:  # a remote warehouse: what it holds is not known here
            return in_place()
        return ge.cache.remember(
            [*parts, rows.sql], rows.fingerprint, in_place, checks_to_json, checks_from_json
        )
    batch = data.batch()
    return ge.cache.remember(
        parts,
        batch,
        lambda: checks(ge.run(suite, batch, given, fmt), batch),
        checks_to_json,
        checks_from_json,
    )


def error_result(p: Plan, dataset: str, error: BaseException) -> CheckResult:
    """A dataset that could not be pulled or checked, as an ``error`` check."""
    what = SUITE_CHECK if isinstance(error, SuiteError) else PULL_CHECK
    return CheckResult(
        p.monitor,
        dataset,
        what,
        "error",
        f"{dataset}, week {p.week}: could not be checked: {error}",
    )


def pull_and_check(
    p: Plan, ge: GreatExpectations, dataset: str, check: Checker = check_dataset
) -> Checked:
    """Pull one dataset and check it (raises what the pull or the suite raised)."""
    data = pull_dataset(p, dataset)
    metrics, results = check(p, ge, data)
    return Checked(data, metrics, results)


def checked_in_turn(
    p: Plan, ge: GreatExpectations, data: TileSummary
) -> tuple[pd.DataFrame, list[CheckResult]]:
    """``check_dataset`` under ``GE_TURN``: GE keeps a process-wide current context, so
    validations run one at a time while pulls run concurrently."""
    with GE_TURN:
        return check_dataset(p, ge, data)


def judge_and_finish(
    p: Plan,
    store: Store,
    ge: GreatExpectations,
    got: Collected,
    started: datetime,
    alerts: Alerts | None = None,
) -> RunResult:
    """History-aware checks, then record the run; a store fault is an ``error`` check."""
    try:
        got.checks.extend(history_checks(p, store, ge, got))
    except StoreError as exc:
        got.checks.append(store_error_result(p, "history-aware checks", exc))
    return finish(p, store, got, started, alerts)


def history_checks(
    p: Plan, store: Store, ge: GreatExpectations, got: Collected
) -> list[CheckResult]:
    """History-aware checks of every pulled dataset (skipped datasets had their error already).

    Also trims ``got.metrics`` of series to the weeks new or changed since the last pull.
    A dataset without a key of its own per row (``row_key``) is left out.
    """
    pulled = [d for d in got.pulled if d.key_problem is None]
    null_by_design = {
        d.name: set(p.suite(d.name).get("meta", {}).get("null_by_design", {})) for d in pulled
    }
    narrow = {d for d, r in p.reads.items() if r.narrow}
    inputs = gather(p.monitor, p.config, p.week, store, pulled, got.metrics, null_by_design, narrow)
    results = judge(p.monitor, p.week, ge, p.expectations_dir, inputs, p.config.cross_checks)
    stored = {h.dataset: h.stored_values for h in inputs}
    got.metrics = [
        changed_weeks_only(m, stored.get(str(m["dataset"].iloc[0])), p.week) if len(m) else m
        for m in got.metrics
    ]
    return results


def finish(
    p: Plan, store: Store, got: Collected, started_at: datetime, alerts: Alerts | None = None
) -> RunResult:
    """Attach failure history, record the run in the store (replacing a rerun), return it.

    ``alerts`` are written in the run's transaction. A store fault does not hide the run: it
    becomes an ``error`` check of the returned run (the store keeps what it can in its
    fallback file; the caller then delivers its alerts, see ``alerts.kept``).
    """
    checks = got.checks
    try:
        past = store.past_checks(p.monitor, p.week, (c.id for c in checks))
    except StoreError as exc:
        past = {}
        checks.append(store_error_result(p, "failure history", exc))
    for check in checks:
        check.first_failed_week = first_failed_week(check.status, p.week, past.get(check.id))
    scope = ", ".join(p.dashboard.filter_values().values()) or None
    tiles = {t.dataset: t for t in p.dashboard.tiles}
    run = RunResult(p.monitor, p.week, checks, got.datasets, scope, drill=p.drill, tiles=tiles)
    frame = (
        pd.concat(got.metrics, ignore_index=True)
        if got.metrics
        else pd.DataFrame(columns=METRIC_COLUMNS)
    )
    schemas = schemas_of(got.pulled)
    try:
        writer = alerts(store, run, frame) if alerts is not None else None
        store.record_run(run, frame, started_at, schemas, writer, fingerprints_of_run(p, got))
    except StoreError as exc:
        error = store_error_result(p, "record", exc)
        run.checks.append(error)
        kept = store.keep(run, frame, started_at, schemas)
        if kept is not None:
            error.reason += f" The run is kept in {kept} until the store takes it."
    return run


def fingerprints_of_run(p: Plan, got: Collected) -> dict[str, dict[date, str]]:
    """The fingerprints to store with the run: those of each series read whose pull gave
    metrics (a pull without them stores no numbers, so its weeks stay unconfirmed)."""
    measured = {d.name for d in got.pulled if d.key_problem is None}
    return {d: r.fingerprints for d, r in p.reads.items() if d in measured}


def store_error_result(p: Plan, what: str, error: StoreError) -> CheckResult:
    """A store fault as an ``error`` check of the run; its SQL goes to a log file only."""
    where = f" (details in {logfiles.write('store-error', error.detail)})" if error.detail else ""
    return CheckResult(
        p.monitor, STORE_DATASET, what, "error", f"week {p.week}: {what}: {error}{where}"
    )


def recorded(run: RunResult) -> bool:
    """Whether the store took the run (and the alerts written with it)."""
    return not any(c.dataset == STORE_DATASET and c.check == "record" for c in run.checks)


def fallback_path(config: Config) -> Path:
    """Where a run keeps what its store could not take (``canary.store.fallback``)."""
    return config.data_dir / FALLBACK_NAME


def open_store(config: Config, url: str, catch_up: bool = True) -> Store:
    """The store a run records in, with its fallback file and run-lock timeout."""
    return Store(
        url,
        fallback=fallback_path(config),
        lock_timeout=config.store.lock_timeout.total_seconds(),
        catch_up=catch_up,
        home=config.data_dir,
    )


def scenario_dirs() -> tempfile.TemporaryDirectory[str]:
    """A throwaway data directory (and store) for ``--scenario`` runs."""
    return tempfile.TemporaryDirectory(prefix="canary-scenario-")
