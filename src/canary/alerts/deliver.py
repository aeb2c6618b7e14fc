"""Delivering a run's alerts: lifecycle -> compose -> record in the outbox -> flush.

Messages to Prefect notification blocks (``notify:``) are recorded in the same outbox,
in the run's transaction, and sent after Slack's; so is the monitor's weekly usage report.

``deliver`` is what ``canary run`` (and the Prefect flow) call after the runs. It picks
the transport (bot token, else webhook, else the file outbox), records every run's
lifecycle together with the deliveries it causes in one transaction, carries over what
another transport left queued, then sends the outbox, older undelivered entries first.

The file outbox that ``delivery: auto`` falls back to when no Slack secret resolves takes
nothing queued for Slack: those alerts stay queued for Slack (and the run says so), since a
worker missing its secrets must not file the team's alerts away in a local folder. Only
``delivery: file``, set explicitly, moves them to the file outbox.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pandas as pd
from rich.console import Console
from sqlalchemy import Connection, Engine

from canary.alerts.channels import registry
from canary.alerts.channels.base import Unavailable
from canary.alerts.channels.slack.channel import Choice, open_slack
from canary.alerts.compose import Inputs, Mode, compose, detailed
from canary.alerts.lifecycle import decide
from canary.alerts.notices import notify_ops, report_notices
from canary.alerts.outbox import records
from canary.alerts.outbox.flush import FlushReport, flush
from canary.alerts.outbox.records import NOTIFY, Op
from canary.alerts.outbox.reroute import RerouteReport, reroute
from canary.alerts.outbox.state import load_messages, load_tracked, write
from canary.alerts.render import chart
from canary.alerts.render.digest import DRILL_PREFIX, IncidentView, digest, fingerprint, followed
from canary.alerts.render.model import Link, is_web
from canary.alerts.report_delivery import post_key, report_ops
from canary.alerts.week_runs import recorded_runs
from canary.config import Config
from canary.incidents import Incident, incidents_of
from canary.results import RunResult
from canary.store.db import Store
from canary.weekly.body import ReportBody
from canary.weekly.build import wanted
from canary.weekly.chart import report_png
from canary.weekly.gather import looker_links, report_for

MODES: dict[str, Mode] = {"slack": "bot", "webhook": "webhook", "file": "file"}


@dataclass
class DeliveryReport:
    transport: str
    enqueued: int = 0
    flushed: FlushReport | None = None
    rerouted: RerouteReport | None = None
    problems: list[str] = field(default_factory=list)
    open: dict[str, int] = field(default_factory=dict)
    kept_for_slack: int = 0
    unresolved: list[str] = field(default_factory=list)
    notified: int = 0  # messages sent to Prefect notification blocks

    @property
    def ok(self) -> bool:
        flushed = self.flushed
        return not self.problems and (flushed is None or not (flushed.errors or flushed.failed))


def outbox_dir(config: Config) -> Path:
    return config.slack.outbox_dir or config.data_dir / "outbox"


def choose(
    config: Config, environ: Mapping[str, str] | None = None, console: Console | None = None
) -> Choice:
    """The Slack channel's transport (see ``open_slack``), its file outbox in ``outbox_dir``."""
    env = os.environ if environ is None else environ
    return open_slack(config.slack, outbox_dir(config), env, console)


def results_link(config: Config, run: RunResult, result_path: Path | None) -> Link | None:
    """Where the full results are: the report site if configured, else the JSON file."""
    base = config.policy.report_base_url
    if base:
        url = f"{base.rstrip('/')}/{quote(run.monitor)}/{run.week.isoformat()}/"
        return Link("full results", url)
    if result_path is not None:
        return Link(str(result_path.resolve()), None)
    return None


def more_link(
    config: Config, run: RunResult, result_path: Path | None, docs_url: str | None
) -> Link | None:
    """What a run's messages link as its full results: the report site if configured, else
    ``docs_url`` (the run's Data Docs) when served over http(s), else where the results are
    on this machine (Data Docs or the JSON result), which only the file outbox shows."""
    if config.policy.report_base_url:
        return results_link(config, run, result_path)
    if docs_url and (is_web(docs_url) or result_path is None):
        return Link("Data Docs", docs_url)
    return results_link(config, run, result_path)


def run_page(url: str | None) -> list[Link]:
    """The Prefect run's page as a message link (when it has an http(s) address)."""
    return [Link("Prefect run", url)] if is_web(url) else []


def _charts(
    store: Store,
    run: RunResult,
    views: list[IncidentView],
    inputs: Inputs,
    current: pd.DataFrame | None = None,
) -> tuple[dict[str, bytes], dict[str, float]]:
    """PNG charts for incidents that get a thread reply, and the week-over-week change of
    each incident's headline check. An incident is charted by its headline check, else by
    the first of its evidence checks with a history (its ``chart_check`` is set to it).

    ``current``: the run's metrics when they are not stored yet (they replace stored rows
    of the same dataset and week)."""
    if not views:
        return {}, {}
    history = store.metric_history(run.monitor)
    if current is not None and len(current):
        fresh_keys = set(zip(current["dataset"], current["week"], strict=True))
        stale = [k in fresh_keys for k in zip(history["dataset"], history["week"], strict=True)]
        history = pd.concat([history[~pd.Series(stale, index=history.index, dtype=bool)], current])
    charted = {v.key for v in detailed(views, inputs)[: inputs.config.policy.max_charts]}
    by_id = {c.id: c for c in run.checks}
    by_dataset = {name: frame for name, frame in history.groupby("dataset")} if len(history) else {}
    charts: dict[str, bytes] = {}
    changes: dict[str, float] = {}
    for view in views:
        ids = [view.chart_check, *(a.key for a in view.evidence)]
        for check in (by_id[i] for i in dict.fromkeys(ids) if i in by_id):
            frame = by_dataset.get(check.dataset, pd.DataFrame())
            data = chart.series(check, frame, run.week, inputs.config.policy.chart_weeks)
            if data is None:
                continue
            change = chart.change_pct(data.points, run.week)
            if change is not None and check.id == view.chart_check:
                changes[check.id] = change
            if view.key in charted:
                view.chart_check = check.id
                charts[check.id] = chart.png(data)
            break
    return charts, changes


def incident_threads(
    engine: Engine, config: Config, monitor: str, incidents: list[Incident]
) -> dict[str, Link]:
    """Alert key -> the Slack thread an incident of ``incidents`` was told in, for those
    posted (and delivered) before; none without ``slack.workspace_url`` for permalinks."""
    base = config.slack.workspace_url
    if not base or not incidents:
        return {}
    keys = [fingerprint(monitor, i.id) for i in incidents]
    found: dict[str, Link] = {}
    for key, state in load_tracked(engine, keys, monitor).items():
        entry = records.by_key(engine, state.thread_key) if state.thread_key else None
        if key in keys and entry is not None and entry.channel_id and entry.ts:
            url = records.permalink(base, entry.channel_id, entry.ts)
            found[key] = Link(f"thread in {entry.channel}", url)
    return found


def weekly_report(
    config: Config,
    store: Store,
    run: RunResult,
    others: list[RunResult],
    links: list[Link],
    history: Store | None = None,
    told: list[Incident] | None = None,
    current: pd.DataFrame | None = None,
) -> ReportBody | None:
    """The monitor's weekly report of ``run`` (None: it has none), its health line linking
    the threads of incidents told earlier, ending with ``links`` (its Looker dashboard is
    linked once, however often they name it). ``history`` and ``current`` as ``compose_run``
    takes them; ``told``: the run's incidents when already found (with ``others``)."""
    if config.monitors[run.monitor].report is None:
        return None
    if told is None:
        found = incidents_of([run, *others], config.catalog.tiles)
        told = [i for i in found if run.monitor in i.monitors and i.week == run.week]
    threads = incident_threads(store.engine, config, run.monitor, told)
    own = {link.label for link in looker_links(config, config.monitors[run.monitor], run)}
    shown = [link for link in links if is_web(link.url) and link.label not in own]
    return report_for(
        config,
        history or store,
        run,
        others=others,
        links=shown,
        threads=threads,
        current=current,
    )


def _report(
    store: Store, config: Config, run: RunResult, mode: Mode, body: ReportBody | None
) -> tuple[list[Op], list[Op]]:
    """The deliveries of the run's weekly report ``body``: its Slack (or file) ones (post,
    chart, edit) when ``when`` wants it this week or it was posted already (a posted report
    is kept to the current numbers, whatever ``when`` says), and its notification-block
    ones when ``when`` wants it."""
    settings = config.monitors[run.monitor].report
    if body is None or settings is None:
        return [], []
    channel = settings.channel
    last = records.latest(store.engine, post_key(run.monitor, run.week, channel))
    sent = wanted(settings, body)
    if last is None and not sent:
        return [], []
    png = report_png(body) if mode != "webhook" else None
    return report_ops(body, channel, mode, png, last), report_notices(config, body) if sent else []


def compose_run(
    store: Store,
    config: Config,
    run: RunResult,
    mode: Mode,
    name: str,
    more: Link | None,
    today: date,
    current: pd.DataFrame | None = None,
    given: list[RunResult] | None = None,
    links: list[Link] | None = None,
    history: Store | None = None,
) -> Callable[[Connection], int]:
    """Find the run's incidents, decide and compose its deliveries (reads only); returns
    their writer; messages end with ``more`` and ``links``. Incidents are found with the other monitors' runs of the week (those
    ``given``, else as recorded), so that a breakage they share is one incident; checks of
    ``given`` runs are shown as its evidence too (recorded ones carry no masked labels).

    ``history``: where the run's metrics and the week's other runs are recorded, when not
    in ``store`` (a drill's throwaway store; its alert state is the real store's). A drill
    follows only drill incidents: it never touches a real one's alert.

    The monitor's weekly report (``report:``) is composed with them, into the same
    transaction: its post, chart and edit (``canary.alerts.report_delivery``)."""
    engine = store.engine
    history = history or store
    same = [r for r in given or [] if r.week == run.week and r.monitor != run.monitor]
    missing = [
        m for m in config.monitors if m != run.monitor and m not in {r.monitor for r in same}
    ]
    recorded = recorded_runs(history, config, run.week, missing)
    found = incidents_of([run, *same, *recorded], config.catalog.tiles)
    d = digest(run, found, config.policy.masking, more, same, drill=bool(run.drill))
    d.links = list(links or [])
    told = [i for i in found if run.monitor in i.monitors and i.week == run.week]
    tracked = load_tracked(engine, (v.key for v in d.incidents), run.monitor)
    if run.drill:
        tracked = {k: t for k, t in tracked.items() if k.startswith(DRILL_PREFIX)}
    threads = {t.thread_key for t in tracked.values() if t.thread_key}
    inputs = Inputs(config, mode, more, d.links, load_messages(engine, threads))
    told_before = [v for m in inputs.threads.values() for v in m.incidents if v.key]
    members = {v.key: v.check_ids for v in told_before}
    datasets = {v.key: v.datasets for v in told_before}
    steps = decide(run, followed(d), tracked, members, config.policy.mutes, today, datasets)
    states = {t.check.id: t.kind for t in steps}
    fresh = [v for v in d.incidents if states.get(v.key) in ("new", "reopened")]
    inputs.charts, inputs.changes = _charts(history, run, fresh, inputs, current)
    composed = compose(run, d, told, steps, inputs)
    after = [t.after for t in steps]
    notices = notify_ops(config, [d]) if config.notify else []
    body = None
    if not run.drill:  # a drill composes no report (``canary report`` previews one)
        shown = ([more] if more else []) + d.links
        others = [*same, *recorded]
        body = weekly_report(config, store, run, others, shown, history, told, current)
    reports, told_blocks = _report(store, config, run, mode, body)
    notices += told_blocks

    def writer(con: Connection) -> int:
        now = time.time()
        added = write(con, after, composed.messages, composed.ops + reports, name, now)
        return added + records.enqueue(con, notices, NOTIFY, now)

    return writer


def _send_notices(
    config: Config, store: Store, environ: Mapping[str, str], holder: str | None
) -> tuple[int, list[str]]:
    """Send what is queued for each channel configured under ``notify:``, one flush per
    channel: (sent, problems). A channel that cannot be opened now keeps its messages."""
    waiting = Counter(e.channel for e in records.queue(store.engine, NOTIFY))
    if not waiting:
        return 0, []
    sent, problems = 0, []
    held: Counter[str] = Counter()
    for name, settings in config.notify.items():
        if not waiting[name]:
            continue
        try:
            channel = registry.open_channel(settings, name, environ)
        except Unavailable as exc:
            held[str(exc)] += waiting[name]
            continue
        flushed = flush(store.engine, channel, holder=holder, only=name)
        problems += flushed.errors + flushed.failed
        problems += [f"notify: outcome unknown, not re-sent: {u}" for u in flushed.unverifiable]
        sent += flushed.delivered["notify"]
    problems[:0] = [f"notify: {n} message(s) wait: {why}" for why, n in held.items()]
    gone = sorted(set(waiting) - set(config.notify))
    if gone:
        n = sum(waiting[name] for name in gone)
        problems.append(
            f"notify: {n} message(s) wait for channel(s) no longer configured: {', '.join(gone)}"
        )
    return sent, problems


Composer = Callable[..., Callable[[Connection], int]]


def _composer(
    config: Config,
    choice: Choice,
    now: datetime | None,
    result_path: Path | None,
    docs_url: str | None,
    run_url: str | None,
    history: Store | None = None,
) -> Composer:
    """``compose_run`` for ``choice``'s transport, the messages linking the full results
    (``more_link``; a drill's nothing: its results are thrown away) and the Prefect run's
    page; ``history`` as ``compose_run`` takes it."""
    today = (now or datetime.now(UTC)).date()

    def compose(
        store: Store,
        run: RunResult,
        metrics: pd.DataFrame | None = None,
        given: list[RunResult] | None = None,
    ) -> Callable[[Connection], int]:
        more = None if run.drill else more_link(config, run, result_path, docs_url)
        mode, name = MODES[choice.name], choice.name
        return compose_run(
            store,
            config,
            run,
            mode,
            name,
            more,
            today,
            metrics,
            given,
            run_page(run_url),
            history,
        )

    return compose


def alerts_with_run(
    config: Config,
    *,
    result_path: Path | None = None,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    docs_url: str | None = None,
    run_url: str | None = None,
) -> Callable[[Store, RunResult, pd.DataFrame], Callable[[Connection], int]]:
    """For ``Store.record_run``: a run's alert state and outbox, written in the run's own
    transaction (then ``deliver`` with no runs only sends). Links as ``deliver`` does."""
    return _composer(config, choose(config, environ), now, result_path, docs_url, run_url)


def deliver(
    config: Config,
    store: Store,
    runs: list[RunResult],
    *,
    result_path: Path | None = None,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    console: Console | None = None,
    docs_url: str | None = None,
    holder: str | None = None,
    run_url: str | None = None,
    history: Store | None = None,
) -> DeliveryReport:
    """Record the alerts of ``runs`` and send everything the outbox holds.

    Messages link the full results (``more_link``) and ``run_url``, the Prefect run's page
    (Slack and Prefect notifications show http(s) links only). ``holder`` names this
    delivery in the claims it takes (default: this process); ``history``: where the runs
    were recorded, when not in ``store`` (a drill's).
    """
    choice = choose(config, environ, console)
    report = DeliveryReport(choice.name)
    compose = _composer(config, choice, now, result_path, docs_url, run_url, history)
    for run in runs:  # each run's deliveries in one transaction
        writer = compose(store, run, given=runs)
        with store.engine.begin() as con:
            report.enqueued += writer(con)
    if choice.transport is None:
        report.problems.append(f"{choice.name}: not sent: {choice.problem}")
    else:
        if choice.unresolved:  # a fallback: what waits for Slack keeps waiting for it
            report.kept_for_slack = len(records.stranded(store.engine, choice.name))
            report.unresolved = choice.unresolved
        else:
            report.rerouted = reroute(store.engine, choice.name, MODES[choice.name], time.time())
        report.flushed = flush(store.engine, choice.transport, holder=holder)
    report.notified, problems = _send_notices(
        config, store, os.environ if environ is None else environ, holder
    )
    report.problems += problems
    report.open = {
        status: n for status, n in records.counts(store.engine).items() if status in records.OPEN
    }
    return report
