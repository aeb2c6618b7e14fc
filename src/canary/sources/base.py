"""The protocol a source implements, and the weeks a pull asks for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Protocol

import pandas as pd

from canary.dashboards import Tile
from canary.dataset import Dataset
from canary.summary import TileSummary
from canary.weeks import WEEK


class Source(Protocol):
    """Pulls one tile for a week, the weeks ``week_range`` gives: series up to and including
    it (from the tile's ``reads_from``), snapshots the week and the one before; and
    summarises it (``canary.summary``) for a run.

    Both raise ``SourceError`` (marked transient where a retry may help)."""

    complete_after: timedelta

    def pull(self, tile: Tile, week: date) -> Dataset:
        """The tile's rows as a typed frame."""
        ...

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        """What a run reads of the tile's week: computed where the rows live if it can."""
        ...


def week_range(tile: Tile, week: date) -> tuple[date | None, date]:
    """Weeks a pull asks for, the one place every source kind takes them from: for series
    from the tile's ``reads_from`` (a run's read plan, ``canary.anomaly.reads``; None: every
    week) through ``week``; for snapshots ``week`` and the week before (to compare instances
    week over week)."""
    return (tile.reads_from, week) if tile.shape == "series" else (week - WEEK, week)


def within_weeks(frame: pd.DataFrame, tile: Tile, week: date) -> pd.DataFrame:
    """The rows of the weeks a pull asks for (Looker may answer with more)."""
    if tile.time_column not in frame.columns:
        return frame
    lo, hi = week_range(tile, week)
    weeks = frame[tile.time_column]
    keep = weeks <= pd.Timestamp(hi)
    if lo is not None:
        keep &= weeks >= pd.Timestamp(lo)
    return frame[keep].reset_index(drop=True)
