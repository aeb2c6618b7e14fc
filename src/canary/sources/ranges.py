"""Many weeks of a tile in few reads: what backfill and backtest use instead of a pull a week.

A source that can ``query`` a range of weeks (sql, files, the sample) is read once per run of
consecutive weeks (at most ``BLOCK_WEEKS`` weeks a read, which bounds memory), and each
week's dataset is cut from that read in memory: exactly what ``pull(tile, week)`` returns.
Other sources (Looker: a range of the instance-level tile would exceed its row limits) are
pulled week by week.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Protocol, runtime_checkable

from canary.dashboards import Tile
from canary.dataset import Dataset
from canary.errors import CanaryError
from canary.frames import WeeksNotMondays
from canary.sources.base import Source, within_weeks
from canary.summary import TileSummary, summary_of
from canary.weeks import WEEK

#: The most weeks one read covers (plus the week before, that snapshots compare with).
BLOCK_WEEKS = 52

#: A week's dataset, or why it could not be pulled.
Outcome = Dataset | CanaryError


@runtime_checkable
class RangeSource(Protocol):
    """A source that reads the rows of many weeks of a tile in one query."""

    complete_after: timedelta

    def pull(self, tile: Tile, week: date) -> Dataset: ...

    def query(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Dataset:
        """The tile's rows of the weeks ``weeks`` bounds (inclusive; None: unbounded)."""
        ...


def runs(weeks: Sequence[date], most: int = BLOCK_WEEKS) -> list[list[date]]:
    """``weeks`` in order, cut into runs of consecutive weeks at most ``most`` long."""
    out: list[list[date]] = []
    for week in sorted(set(weeks)):
        if out and out[-1][-1] + WEEK == week and len(out[-1]) < most:
            out[-1].append(week)
        else:
            out.append([week])
    return out


def cut(data: Dataset, week: date) -> Dataset:
    """What a pull of ``week`` returns, cut from a read of more weeks."""
    return replace(data, frame=within_weeks(data.frame, data.tile, week), warnings=[*data.warnings])


def _one_by_one(source: Source, tile: Tile, weeks: list[date]) -> Iterator[tuple[date, Outcome]]:
    for week in weeks:
        try:
            yield week, source.pull(tile, week)
        except CanaryError as exc:
            yield week, exc


def read_weeks(
    source: Source, tile: Tile, weeks: Sequence[date], most: int = BLOCK_WEEKS
) -> Iterator[tuple[date, Outcome]]:
    """``(week, what source.pull(tile, week) gives)`` for each of ``weeks``, in order.

    A series is read once, up to the last week; a snapshot once per run of consecutive
    weeks. A read that fails is retried week by week, so that one bad week (a value that
    does not type, say) is that week's error and not every week's.
    """
    wanted = sorted(set(weeks))
    if not isinstance(source, RangeSource):
        yield from _one_by_one(source, tile, wanted)
        return
    blocks = ([wanted] if wanted else []) if tile.shape == "series" else runs(wanted, most)
    for block in blocks:
        if len(block) == 1:
            yield from _one_by_one(source, tile, block)
            continue
        first = None if tile.shape == "series" else block[0] - WEEK
        try:
            data = source.query(tile, (first, block[-1]))
        except CanaryError:
            yield from _one_by_one(source, tile, block)
            continue
        if tile.time_column not in data.frame.columns:  # no week to cut by
            yield from _one_by_one(source, tile, block)
            continue
        for week in block:
            yield week, cut(data, week)


#: What a source that summarises many weeks of a snapshot in one aggregate query has (sql
#: and files: ``canary.sources.sql.pushdown.weekly_summaries``); it returns None where it cannot.
WeeklySummaries = Callable[[Tile, Sequence[date]], list[tuple[date, TileSummary]] | None]


def summarize_weeks(
    source: Source, tile: Tile, weeks: Sequence[date]
) -> Iterator[tuple[date, TileSummary | CanaryError]]:
    """``(week, its summary for the store)`` for each of ``weeks``: from one aggregate
    query where the source computes them (when it fails, one query a week, so that a bad
    week is that week's error; weeks not dated Monday are every week's error), else from
    the weeks ``read_weeks`` reads."""
    wanted = sorted(set(weeks))
    weekly: WeeklySummaries | None = getattr(source, "weekly_summaries", None)
    pushed = None if weekly is None else _attempt(weekly, tile, wanted)
    if isinstance(pushed, list):
        yield from pushed
        return
    if isinstance(pushed, WeeksNotMondays):  # every week's: a week alone would hide it
        yield from ((week, pushed) for week in wanted)
        return
    if isinstance(pushed, CanaryError) and weekly is not None:
        for week in wanted:
            alone = _attempt(weekly, tile, [week])
            if isinstance(alone, CanaryError):
                yield week, alone
            elif alone is not None:
                yield from alone
        return
    for week, got in read_weeks(source, tile, wanted):
        yield week, got if isinstance(got, CanaryError) else summary_of(got, week)


def _attempt(
    weekly: WeeklySummaries, tile: Tile, weeks: list[date]
) -> list[tuple[date, TileSummary]] | CanaryError | None:
    try:
        return weekly(tile, weeks)
    except CanaryError as exc:
        return exc


@dataclass
class Preread:
    """A source whose pulls of some weeks of one dataset were read already (``read_weeks``).

    Other datasets and weeks are pulled from ``source``. A backtest sends one per week to
    its workers, so each carries the rows of its own week only.
    """

    source: Source
    dataset: str
    weeks: Mapping[date, Outcome]
    complete_after: timedelta = field(init=False)

    def __post_init__(self) -> None:
        self.complete_after = self.source.complete_after

    def pull(self, tile: Tile, week: date) -> Dataset:
        got = self.weeks.get(week) if tile.dataset == self.dataset else None
        if got is None:
            return self.source.pull(tile, week)
        if isinstance(got, CanaryError):
            raise got
        return got

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        """A week read already, summarised from its rows; others by the source."""
        if tile.dataset != self.dataset or week not in self.weeks:
            return self.source.summarize(tile, week)
        return summary_of(self.pull(tile, week), week)
