"""Which weeks a run reads of a series tile, and what the store fills in for the rest.

A weekly run reads the week under test, from the first week the store lacks when it missed
some; every other week comes from the store, the week before included (``copy of last
week`` compares the week with its stored values). A past week, the week before too, is
re-read alone when its fingerprint (rows and the sums of the counters, from one light query
over a lookback window) differs from the one stored by an earlier pull: the ``history
rewritten`` check then names it. A first run, and ``--deep``, read every week.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

from canary.dashboards import Tile
from canary.dataset import Dataset
from canary.errors import SourceError
from canary.profile import METRIC_COLUMNS
from canary.summary import TileSummary, WeekOverWeek, copies
from canary.weeks import WEEK

#: The value a segment key holds for a null label (``canary.profile.segment_keys``).
NULL_LABEL = "(null)"


@dataclass(frozen=True)
class SeriesRead:
    """How a run reads one series tile."""

    first: date | None  # the first week of the one pass (None: every week)
    changed: tuple[date, ...] = ()  # earlier weeks re-read alone: their fingerprint changed
    fingerprints: dict[date, str] = field(default_factory=dict)  # the lookback window's, now
    pulled: Dataset | None = None  # rows the read plan pulled already (a source without SQL)
    fault: SourceError | None = None  # why the read plan's pull failed (the dataset's cause)

    @property
    def narrow(self) -> bool:
        return self.first is not None

    def rows_read(self, tile: Tile) -> Dataset | None:
        """The ``pulled`` rows of the weeks this read takes (None: nothing pulled): all of
        them on a full read; else from ``first`` on and the ``changed`` weeks (the rest of
        the window is fingerprinted, not judged)."""
        if self.pulled is None:
            return None
        frame = self.pulled.frame
        if self.first is not None and tile.time_column in frame.columns:
            weeks = pd.to_datetime(frame[tile.time_column]).dt.date
            keep = (weeks >= self.first) | weeks.isin(set(self.changed))
            frame = frame[keep.to_numpy()].reset_index(drop=True)
        return Dataset(tile.dataset, tile, frame, self.pulled.link, list(self.pulled.warnings))


def first_read(stored_weeks: Iterable[date], week: date) -> date | None:
    """The first week a run of ``week`` reads: ``week`` itself, or the first week after the
    newest stored one when the store missed weeks; None (every week) with nothing stored.
    Earlier weeks are read when their fingerprint changed (``changed_weeks``)."""
    last = max((w for w in stored_weeks if w < week), default=None)
    return None if last is None else min(week, last + WEEK)


def spans_of(weeks: Iterable[date]) -> list[tuple[date, date]]:
    """``weeks`` as runs of consecutive weeks (first, last): one read each."""
    out: list[tuple[date, date]] = []
    for week in sorted(weeks):
        if out and out[-1][1] + WEEK == week:
            out[-1] = (out[-1][0], week)
        else:
            out.append((week, week))
    return out


def changed_weeks(
    now: Mapping[date, str], stored: Mapping[date, str], first: date
) -> tuple[date, ...]:
    """Weeks before ``first`` whose fingerprint now differs from the stored one (or that
    either side lacks: a week the store never fingerprinted is read to be sure)."""
    weeks = {w for w in (*now, *stored) if w < first}
    return tuple(sorted(w for w in weeks if now.get(w) != stored.get(w)))


def with_stored(mine: pd.DataFrame, stored: pd.DataFrame | None, dataset: str) -> pd.DataFrame:
    """A narrow pull's series values (``mine``, METRIC_COLUMNS) with the stored values of
    every week it did not read, for the columns it has: what a full read would hold."""
    if stored is None or stored.empty or mine.empty:
        return mine
    old = stored[
        ~stored["week"].isin(set(mine["week"]))
        & stored["column_name"].isin(set(mine["column_name"]))
    ]
    if old.empty:
        return mine
    old = old.assign(dataset=dataset, metric="value")[METRIC_COLUMNS]
    return pd.concat([old, mine], ignore_index=True).sort_values(
        "week", kind="stable", ignore_index=True
    )


def copies_with_stored(
    summary: TileSummary, mine: pd.DataFrame, stored: pd.DataFrame | None, week: date
) -> TileSummary:
    """``summary`` of a narrow pull without the week before, with ``copy of last week``'s
    comparison (``WeekOverWeek.copied``) made against that week's stored values, as a full
    read compares the rows: a series' row is its values per segment (its key). ``mine``:
    the pull's metrics."""
    if summary.changes is not None or stored is None or stored.empty or mine.empty:
        return summary
    before = stored[stored["week"] == week - WEEK]
    now = mine[(mine["week"] == week) & (mine["metric"] == "value")]
    if before.empty or now.empty:
        return summary
    both = now.merge(before, on=["column_name", "segment"], suffixes=("", "_before"))
    return replace(summary, changes=WeekOverWeek(copies(both["value_before"], both["value"])))


def labels_with_stored(
    summary: TileSummary, stored: pd.DataFrame | None, week: date
) -> TileSummary:
    """``summary`` of a narrow pull with the labels of the stored weeks it did not read
    among those seen before ``week`` (as a full read would see them)."""
    if stored is None or stored.empty or not summary.labels:
        return summary
    pulled = set(summary.metrics["week"]) if len(summary.metrics) else set()
    old = stored[(stored["week"] < week) & ~stored["week"].isin(pulled)]
    labels = {}
    for column, (before, now) in summary.labels.items():
        seen = set(before)
        for segment in set(old["segment"]):
            value = json.loads(segment).get(column) if segment else None
            if value is not None and value != NULL_LABEL:
                seen.add(value)
        labels[column] = (seen, now)
    weeks = pulled | set(old["week"])
    return replace(summary, labels=labels, label_weeks=len(weeks))
