"""Prefect flow: one monitor per flow run, the pipeline's stages as tasks.

Tasks are thin wrappers of canary.pipeline; only errors marked transient are retried.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, tags, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.states import Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner

from canary import pipeline
from canary.alerts.deliver import alerts_with_run, results_link, weekly_report
from canary.alerts.kept import deliver_or_keep
from canary.alerts.outbox.lease import holder_name
from canary.alerts.outbox.records import thread_links
from canary.alerts.outbox.undelivered import Undelivered, undelivered
from canary.alerts.render.model import Link, is_web
from canary.alerts.week_runs import recorded_runs
from canary.config import Config, load_config
from canary.errors import CanaryError
from canary.pipeline import (
    GE_TURN,
    Checked,
    Collected,
    Plan,
    RunOptions,
    checked_in_turn,
    collect,
    judge_and_finish,
    open_store,
    plan,
    plan_reads,
    recorded,
    scenario_dirs,
)
from canary.prefect_ops import data_docs
from canary.prefect_ops.data_docs import RecordingGE
from canary.prefect_ops.events import delivery_pending_event, emit, run_events
from canary.prefect_ops.run_identity import name_flow_run
from canary.prefect_ops.states import (
    ChecksFailed,
    FailOn,
    completed_message,
    failure_message,
    quiet_data_failures,
)
from canary.replay import first_run
from canary.report import drill as drill_marks
from canary.report import json_result
from canary.report.artifacts import artifact_key, links_markdown, summary_markdown
from canary.report.checks_table import checks_markdown
from canary.results import RunResult
from canary.store.db import Store
from canary.weekly.body import Headline
from canary.weekly.build import headlines, values_of
from canary.weekly.measures import series_measures
from canary.weekly.render import report_markdown
from canary.weeks import WEEK, as_of_datetime, parse_week

#: Datasets of one monitor pulled and checked at once (threads of one flow run).
MAX_WORKERS = 4
_GE: list[RecordingGE] = []
quiet_data_failures()  # a run whose checks fail is Failed with its message, not a traceback


def shared_ge() -> RecordingGE:
    """The process's GE context. GE keeps a process-wide current context, so validations
    run one at a time (under ``GE_TURN``) while pulls run concurrently."""
    with GE_TURN:
        if not _GE:
            _GE.append(RecordingGE())
        return _GE[0]


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
    task_run_name="pull and check {dataset}",
)
def pull_and_check(p: Plan, dataset: str) -> Checked:
    """One dataset's pull and check; pulls of a run go concurrently, checks one at a time."""
    return pipeline.pull_and_check(p, shared_ge(), dataset, check=checked_in_turn)


def submit_dataset(p: Plan, dataset: str) -> PrefectFuture[Checked]:
    """``canary.pipeline.collect``'s seam: each dataset as a concurrent task of the flow."""
    return pull_and_check.submit(p, dataset)


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def judge_and_record(
    p: Plan,
    config: Config,
    store_url: str,
    got: Collected,
    started: datetime,
    docs_url: str,
    alerts: bool,
    run_url: str | None = None,
) -> RunResult:
    """History-aware checks (they read the store), then record the run (under its lock)
    and, with ``alerts``, its alert state and outbox in the same transaction (as
    ``canary run`` does); the alerts link ``docs_url``, the run's Data Docs to be built,
    and ``run_url``, this flow run's page."""
    store = open_store(config, store_url)
    writer = alerts_with_run(config, docs_url=docs_url, run_url=run_url) if alerts else None
    try:
        ge = shared_ge()
        with store.lock(p.monitor, p.week), GE_TURN:
            return judge_and_finish(p, store, ge, got, started, writer)
    finally:
        store.close()


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def emit_events(store_url: str, run: RunResult) -> int:
    """canary.check.failed / .resolved (against the store's week before) and .run.completed."""
    store = Store(store_url)
    try:
        past = store.past_checks(run.monitor, run.week, (c.id for c in run.checks))
    finally:
        store.close()
    return emit(run_events(run, past))


@task(retries=2, retry_delay_seconds=5, retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
def send_alerts(
    config: Config, store_url: str, run: RunResult, docs_url: str, run_url: str | None = None
) -> Undelivered:
    """Send the outbox, which took the run's alerts with the run (a run the store did not
    take enqueues them here, in the fallback store when the store is down). Durable: a
    retried task never shows anyone an alert twice.

    What was not delivered is logged and emitted as ``canary.delivery.pending``."""
    from prefect.runtime import flow_run

    took = recorded(run)
    # a run the store did not take waits in the fallback store: it is not copied in before
    # its alerts are enqueued here (in the store, else beside it in the fallback store)
    store = open_store(config, store_url, catch_up=took)
    try:
        holder = holder_name(f"flow run {flow_run.get_name() or flow_run.get_id()}")
        unrecorded = [] if took else [run]
        report, fell_back = deliver_or_keep(
            config, store, unrecorded, docs_url=docs_url, holder=holder, run_url=run_url
        )
    finally:
        store.close()
    if fell_back:
        get_run_logger().warning(fell_back)
    missing = undelivered(report)
    if missing:
        get_run_logger().warning("%s: %s", missing.headline(), "; ".join(missing.reasons))
        emit([delivery_pending_event(run, missing)])
    return missing


@task(cache_policy=NO_CACHE)
def build_data_docs(config: Config, config_dir: Path, run: RunResult, name: str) -> str:
    """GE Data Docs of this run's validations (``name``: their folder); returns the URL of
    their index page."""
    docs = data_docs.build(config, config_dir, run, name, shared_ge().take())
    get_run_logger().info("Data Docs: %d validation pages at %s", docs.pages, docs.url)
    return docs.url


def run_links(
    config: Config, run: RunResult, docs_url: str | None = None, store_url: str | None = None
) -> dict[str, str]:
    """Links shown with a run: its Data Docs (when served over http(s): a path on the worker
    opens nowhere else), the report site (``slack.report_base_url``) and the Slack thread
    of each channel alerted (with ``slack.workspace_url`` set). A drill delivers nothing, so
    it links its Data Docs only."""
    links: dict[str, str] = {"Data Docs": docs_url} if is_web(docs_url) and docs_url else {}
    if run.drill:
        return links
    report = results_link(config, run, None)
    if report is not None and report.url:
        links["Full results"] = report.url
    if store_url and config.slack.workspace_url:
        store = Store(store_url)
        try:
            threads = thread_links(store.engine, config.slack.workspace_url, run.monitor, run.week)
        finally:
            store.close()
        links.update({f"Slack thread ({channel})": url for channel, url in threads.items()})
    return links


def week_numbers(config: Config, store_url: str, run: RunResult) -> list[Headline]:
    """The week's key numbers of the run's weekly tiles, against the week before (stored)."""
    store = Store(store_url)
    try:
        history = store.metric_history(run.monitor, since=run.week - WEEK)
    finally:
        store.close()
    tiles = (run.tiles or config.catalog.tiles).values()
    return headlines(values_of(history), series_measures(tiles), run.week)


def week_others(config: Config, store_url: str, run: RunResult) -> list[RunResult]:
    """The other monitors' runs of the run's week, as the store recorded them."""
    store = Store(store_url)
    try:
        others = [m for m in config.monitors if m != run.monitor]
        return recorded_runs(store, config, run.week, others)
    finally:
        store.close()


def publish_summary(
    run: RunResult,
    links: dict[str, str],
    missing: Undelivered | None = None,
    numbers: list[Headline] | None = None,
    others: list[RunResult] | None = None,
) -> None:
    """The summary, made by the flow itself: the UI lists a flow run's own artifacts before
    those of its tasks, so it is the first thing a data engineer reads."""
    summary = summary_markdown(run, links=links, numbers=numbers, others=others)
    if missing:
        summary += "\n" + missing.markdown()
    create_markdown_artifact(
        key=artifact_key(run.monitor, "summary", run.drill),
        markdown=summary,
        description=f"canary summary of {drill_marks.run_name(run.monitor, run.week, run.drill)}",
    )


@task(cache_policy=NO_CACHE)
def publish(run: RunResult, links: dict[str, str]) -> None:
    """The checks (a markdown table: the UI wraps its cells, not a table artifact's) and one
    table of every link of the run."""
    name = drill_marks.run_name(run.monitor, run.week, run.drill)
    create_markdown_artifact(
        key=artifact_key(run.monitor, "checks", run.drill),
        markdown=checks_markdown(run),
        description=f"canary checks of {name}",
    )
    create_markdown_artifact(
        key=artifact_key(run.monitor, "links", run.drill),
        markdown=links_markdown(run, links),
        description=f"links of {name}",
    )


@task(cache_policy=NO_CACHE)
def publish_report(
    config: Config, store_url: str, run: RunResult, links: dict[str, str], others: list[RunResult]
) -> None:
    """The monitor's weekly usage report (when it has one) as a markdown artifact of the
    run, whether or not its ``when`` sends it to Slack this week."""
    store = Store(store_url)
    try:
        shown = [Link(label, url) for label, url in links.items()]
        body = weekly_report(config, store, run, others, shown)
    finally:
        store.close()
    if body is not None:
        create_markdown_artifact(
            key=artifact_key(run.monitor, "report", run.drill),
            markdown=report_markdown(body),
            description=f"weekly usage report of "
            f"{drill_marks.run_name(run.monitor, run.week, run.drill)}",
        )


@flow(
    name="weekly-canary",
    log_prints=True,
    task_runner=ThreadPoolTaskRunner(max_workers=MAX_WORKERS),  # type: ignore[arg-type]
)
def weekly_canary(
    monitor: str,
    config_path: str = "canary.yaml",
    week: str | None = None,
    as_of: str | None = None,
    fail_on: FailOn = "checks",
    scenario: str | None = None,
    deep: bool = False,
) -> State[Any]:
    """Run one monitor for a week (default: the latest complete one) and publish artifacts.

    The run ends Failed when checks fail (``fail_on``: ``checks``, ``errors`` or ``never``).
    ``scenario`` injects a catalog breakage into a throwaway sample and store (no alerts).
    ``deep`` reads every week of every series tile (``canary run --deep``), as a monthly
    deployment does; otherwise a series reads its new weeks and those rewritten.
    """
    from prefect.runtime import flow_run

    logger = get_run_logger()
    path = Path(config_path)
    config_dir = path.resolve().parent
    config = load_config(path)
    options = RunOptions(
        week=parse_week(week) if week else None,
        now=as_of_datetime(date.fromisoformat(as_of)) if as_of else datetime.now(UTC),
        scenario=scenario,
        deep=deep,
    )
    docs_config = config  # Data Docs outlive a scenario's throwaway data_dir
    scratch = scenario_dirs() if scenario else None
    try:
        if scratch is not None:
            config = config.model_copy(update={"data_dir": Path(scratch.name)})
            store_url = f"sqlite:///{Path(scratch.name) / 'store.db'}"
        else:
            store_url = config.store_url(os.environ)
        p = plan(config, monitor, options, config_dir)
        name_flow_run(p.monitor, p.week, p.drill)
        # a first run (or a drill's empty store) backfills first
        store = Store(store_url, home=config.data_dir)
        try:
            first = first_run(p, store)
            p.reads = plan_reads(p, store)
        finally:
            store.close()
        if first is not None:
            logger.info(first.summary())
        started = datetime.now(UTC)
        docs_name = data_docs.run_name(started, flow_run.get_name())
        docs_place = data_docs.place(docs_config, config_dir, p.monitor, p.week, docs_name)
        shared_ge().take()  # drop what an earlier run in this process left
        with tags(drill_marks.TAG) if p.drill else contextlib.nullcontext():
            got = collect(p, shared_ge(), submit=submit_dataset)
            alerts = scratch is None
            run_url = flow_run.get_flow_run_ui_url()
            run = judge_and_record(
                p, config, store_url, got, started, docs_place.url, alerts, run_url
            )
            docs_url = build_data_docs(docs_config, config_dir, run, docs_name)
            missing = send_alerts(config, store_url, run, docs_url, run_url) if alerts else None
            emit_events(store_url, run)
            links = run_links(config, run, docs_url, store_url)
            numbers = week_numbers(config, store_url, run)
            others = week_others(config, store_url, run)
            publish_summary(run, links, missing, numbers, others)
            publish(run, links)
            publish_report(config, store_url, run, links, others)
    finally:
        if scratch is not None:
            scratch.cleanup()
    logger.info(
        "%s: %s %s",
        drill_marks.run_name(run.monitor, run.week, run.drill),
        run.status,
        run.counts(),
    )
    doc = json_result.document([run])
    message = failure_message(run, fail_on)
    if message is not None:
        return Failed(message=message, data=ChecksFailed(message, doc))
    return Completed(message=completed_message(run), data=doc)
