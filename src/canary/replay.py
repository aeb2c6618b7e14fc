"""Backfill (fill the store for past weeks) and backtest (replay checks week by week)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from canary.anomaly.calendar import Calendar
from canary.anomaly.detectors import year_ago_weeks
from canary.anomaly.reads import spans_of
from canary.anomaly.stage import schemas_of
from canary.checks.validate import GreatExpectations
from canary.errors import CanaryError, SourceError
from canary.pipeline import (
    Collected,
    Plan,
    collect,
    fingerprints_since,
    judge_and_finish,
    window_fingerprints,
)
from canary.readable import counted
from canary.results import RunResult
from canary.sources.ranges import Outcome, Preread, RangeSource, read_weeks, summarize_weeks
from canary.store.db import Store
from canary.summary import TileSummary, summary_of
from canary.weeks import WEEK, weeks_between

Tick = Callable[[str], None]


def backfill(
    p: Plan, store: Store, start: date, end: date, force: bool = False, tick: Tick | None = None
) -> dict[str, int]:
    """Record metrics of weeks ``start..end``; weeks already stored are skipped unless ``force``.

    Series carry their own history: one pull as of ``end`` fills every week. Snapshots are
    read a run of weeks at a time and profiled week by week (``canary.sources.ranges``).
    Each week is read and checked before it is written, and written whole (its metrics and
    column types in one transaction), so a backfill stopped at any point resumes where it
    stopped. A week the source has no rows of is left out, as a series leaves it out.
    Returns the number of weeks written per dataset; raises the first week's pull error
    (the weeks before it stay written).
    """
    written: dict[str, int] = {}
    weeks = weeks_between(start, end)
    for name in p.config.datasets:
        tile = p.dashboard.tile(name)
        done = set() if force else store.metric_weeks(p.monitor, name)
        todo = [w for w in weeks if w not in done]
        written[name] = 0
        if tile.shape == "series" and todo:
            source = p.source_of(name)
            pulled = source.pull(tile, end)
            data = _checked(summary_of(pulled, end), end)
            rows = data.metrics[data.metrics["week"].isin(todo)]
            # the written weeks' fingerprints, so the next run re-reads none of them
            window = (fingerprints_since(p, name, end), end)
            found = window_fingerprints(source, tile, window, pulled)
            stored = set(rows["week"])
            prints = {w: text for w, text in found.items() if w in stored}
            if len(rows):  # the schema is what "schema change" compares with
                store.record_history(p.monitor, rows, end, schemas_of([data]), {name: prints})
            written[name] = rows["week"].nunique()
        elif todo:
            for week, summary in summarize_weeks(p.source_of(name), tile, todo):
                if isinstance(summary, CanaryError):
                    raise summary
                if _has_rows(_checked(summary, week)):
                    store.record_history(p.monitor, summary.metrics, week, schemas_of([summary]))
                    written[name] += 1
                if tick:
                    tick(f"{name} {week}")
        if tick:
            tick(f"{name}: {written[name]} weeks")
    return written


def _checked(summary: TileSummary, week: date) -> TileSummary:
    """``summary`` if its rows can be told apart by week; a ``SourceError`` saying why not
    (an empty or unreadable export: nothing of it may be stored as history)."""
    time = summary.tile.time_column
    if time not in summary.schema:
        where = f" ({summary.link})" if summary.link else ""
        raise SourceError(
            f"dataset {summary.name}, week {week}: the rows read{where} have no column "
            f"{time!r} (columns: {', '.join(summary.columns) or 'none'}); an empty or "
            "unreadable export is not stored"
        )
    return summary


def _has_rows(summary: TileSummary) -> bool:
    """Whether a snapshot's week has rows (its table-level row count above 0)."""
    m = summary.metrics
    total = m[(m["metric"] == "row_count") & (m["column_name"] == "") & (m["segment"] == "")]
    return bool(len(total)) and bool((total["value"] > 0).all())


def preread(p: Plan, weeks: list[date]) -> dict[str, dict[date, Outcome]]:
    """The datasets of ``p`` whose source reads ranges, for each of ``weeks``, read a run of
    weeks at a time. Others (Looker) are left to pull week by week where each week runs."""
    return {
        name: dict(read_weeks(p.source_of(name), p.dashboard.tile(name), weeks))
        for name in p.config.datasets
        if isinstance(p.source_of(name), RangeSource)
    }


def served(p: Plan, read: dict[str, dict[date, Outcome]], weeks: list[date]) -> Plan:
    """``p`` pulling ``weeks`` from what ``preread`` read (other weeks from its sources)."""
    return replace(
        p,
        dataset_sources={
            **p.dataset_sources,
            **{
                name: Preread(p.source_of(name), name, {w: got[w] for w in weeks if w in got})
                for name, got in read.items()
            },
        },
    )


def _warm_ranges(p: Plan, end: date | None = None) -> list[tuple[date, date]]:
    """The weeks history-aware checks need to judge ``p.week`` (to ``end``): the training
    window before it, and the weeks of last year that calendar weeks compare with."""
    settings = [p.config.history_for(d) for d in p.config.datasets]
    warm = max((s.window_weeks or 0) + (s.min_weeks or 0) for s in settings)
    ranges = [(p.week - WEEK * warm, p.week - WEEK)]
    last_year = [
        w
        for w in year_ago_weeks(
            Calendar(list(p.config.quiet_weeks), p.config.calendar), p.week, end or p.week
        )
        if w < ranges[0][0]
    ]
    if last_year:
        ranges.insert(0, (last_year[0], last_year[-1]))
    return ranges


def warm_up(p: Plan, store: Store, tick: Tick | None = None, end: date | None = None) -> list[str]:
    """Backfill the weeks a scratch store needs for history to judge ``p.week`` (to ``end``);
    returns why a range could not be backfilled (a source that cannot be read), if any."""
    # A source without those weeks leaves the first weeks skipped for lack of history.
    failed: list[str] = []
    for start, stop in _warm_ranges(p, end):
        try:
            backfill(p, store, start, stop, tick=tick)
        except CanaryError as exc:
            failed.append(str(exc))
    return list(dict.fromkeys(failed))


@dataclass(frozen=True)
class FirstRun:
    """What a run on a store without history backfilled before judging its week."""

    monitor: str
    asked: tuple[tuple[date, date], ...]  # the weeks asked for: last year's, then recent
    datasets: int
    held: tuple[tuple[date, date], ...]  # the weeks stored after it, in runs of weeks
    failed: tuple[str, ...] = ()  # why the source could not be read, if it could not

    @property
    def weeks(self) -> int:
        return sum((end - start).days // 7 + 1 for start, end in self.held)

    def summary(self) -> str:
        span = " and ".join(f"{start}..{end}" for start, end in self.held or self.asked)
        why = f": {self.failed[0]}" if self.failed else ""
        if self.weeks == 0:
            cause = (
                "the source could not be reached"
                if self.failed
                else "the source has none of those weeks"
            )
            return (
                f"{self.monitor}: no history in the store yet and none backfilled ({span}): "
                f"{cause}{why}; this run judges without history"
            )
        told = (
            f"{self.monitor}: no history in the store yet: backfilled "
            f"{counted(self.weeks, 'week')} ({span}) of {counted(self.datasets, 'dataset')}, so this run judges with history"
        )
        return f"{told} (some weeks could not be backfilled{why})" if self.failed else told


def backfill_steps(p: Plan) -> int:
    """How many times ``backfill`` ticks when ``warm_up`` fills an empty store."""
    weeks = sum(len(weeks_between(start, stop)) for start, stop in _warm_ranges(p))
    return sum(
        len(_warm_ranges(p)) if p.dashboard.tile(d).shape == "series" else weeks + 1
        for d in p.config.datasets
    )


def first_run(p: Plan, store: Store, tick: Tick | None = None) -> FirstRun | None:
    """On a store with no run of ``p``'s monitor recorded, backfill the weeks its
    history-aware checks need (``tick`` once per step of ``backfill_steps``); None when a
    run is recorded. A first run stopped during its backfill leaves no run recorded, so
    the next one resumes the backfill (weeks stored already are skipped)."""
    if store.has_runs(p.monitor):
        return None
    asked = tuple(_warm_ranges(p))
    failed = warm_up(p, store, tick)
    stored = set().union(*(store.metric_weeks(p.monitor, d) for d in p.config.datasets))
    held = tuple(spans_of(stored))
    return FirstRun(p.monitor, asked, len(p.config.datasets), held, tuple(failed))


def backtest(
    first: Plan,
    end: date,
    store: Store,
    ge: GreatExpectations,
    tick: Tick | None = None,
    workers: int = 0,
) -> list[RunResult]:
    """Replay ``first``'s monitor for each week from its week to ``end``, as it ran then.

    Each week sees only data known by that week (its pull is cut from one read of every
    week); the store given should be a scratch store: it is warmed with the snapshot
    history before the first week.
    ``workers`` processes pull and statically check the weeks ahead of the history stage,
    which goes week by week in this process (0: everything in this process).
    """
    weeks = weeks_between(first.week, end)
    warm = sorted(
        {w for start, stop in _warm_ranges(first, end) for w in weeks_between(start, stop)}
    )
    read = preread(first, warm + weeks)  # each tile read once (a run of weeks at a time)
    plans = [served(replace(first, week=w, sample_rows=False), read, [w]) for w in weeks]
    runs = []
    with _static_checks(plans, ge, workers) as collected:
        warm_up(served(first, read, warm), store, tick, end)  # while the workers start
        for p, got in zip(plans, collected, strict=True):
            started = datetime.now(UTC)
            runs.append(judge_and_finish(p, store, ge, got, started))
            if tick:
                tick(f"{first.monitor} {p.week}: {runs[-1].status}")
    return runs


def default_workers() -> int:
    """Static-check workers that leave a core to the history stage (at most two: more
    would outrun it)."""
    return max(0, min(2, (os.cpu_count() or 1) - 1))


_worker_ge: GreatExpectations | None = None


def _collect_in_worker(p: Plan) -> Collected:
    global _worker_ge
    if _worker_ge is None:
        _worker_ge = GreatExpectations()
    return collect(p, _worker_ge)


@contextmanager
def _static_checks(
    plans: list[Plan], ge: GreatExpectations, workers: int
) -> Iterator[Iterator[Collected]]:
    """Pull and statically check every week, in ``workers`` processes if any: those stages
    need no store, so they run ahead while the history stage goes week by week."""
    if workers < 1 or len(plans) < 3:
        yield (collect(p, ge) for p in plans)
        return
    # forkserver: children start clean (forking a process with threads is unsafe)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver")) as pool:
        futures = [pool.submit(_collect_in_worker, p) for p in plans]
        try:
            yield _in_order(plans, futures, ge)
        finally:
            for future in futures:
                future.cancel()


def _in_order(
    plans: list[Plan], futures: list[Future[Collected]], ge: GreatExpectations
) -> Iterator[Collected]:
    """The workers' results in week order. While the next one is not ready, this process
    does the latest week no worker has started (so no core idles at either end)."""
    taken: dict[int, Collected] = {}
    for i, future in enumerate(futures):
        while i not in taken and not future.done():
            unstarted = (j for j in range(len(futures) - 1, i - 1, -1) if j not in taken)
            j = next((j for j in unstarted if futures[j].cancel()), None)
            if j is None:
                break
            taken[j] = collect(plans[j], ge)
        yield taken.pop(i) if i in taken else future.result()
