"""Everything the detectors need about one dataset, gathered by the pipeline (I/O) beforehand."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from canary.anomaly.calendar import Calendar
from canary.anomaly.typical import Typical
from canary.config import HistorySettings, QuietWeek
from canary.dashboards import Tile
from canary.summary import TileSummary
from canary.weeks import WEEK

DERIVED_COLUMNS = [
    "check",
    "dataset",
    "column",
    "segment",
    "observed",
    "lower",
    "upper",
    "expected",
    "training_weeks",
    "detail",
    "severity",
    "null",  # observed is null, judged as 0 (a dead metric)
    "details",  # what a check adds to its result's details (a dict), if anything
]


@dataclass
class HistoryInput:
    """One dataset's pull, its metric history and the store's memory of it."""

    monitor: str
    dataset: str
    tile: Tile
    week: date
    summary: TileSummary | None  # the pull's schema, week-over-week comparisons and labels
    metrics: pd.DataFrame  # week, column_name, segment, metric, value: stored history + this pull
    settings: HistorySettings
    calendar: Calendar = field(default_factory=lambda: Calendar([]))
    flagged: set[tuple[str, str, date]] = field(default_factory=set)  # (column, segment, week)
    accepted: dict[str, date] = field(default_factory=dict)  # check id -> new level from
    stored_values: pd.DataFrame | None = None  # series values stored by earlier pulls
    last_schema: dict[str, str] | None = None
    null_by_design: set[str] = field(default_factory=set)
    #: (counter, segment) -> the typical instance of the week, from the monitor's snapshot
    typical: dict[tuple[str, str], Typical] = field(default_factory=dict)
    cache: dict[str, object] = field(default_factory=dict, repr=False)  # shared by detectors

    def churning(self, segment: str) -> bool:
        """Whether a segment key is over a dimension whose new values are normal."""
        if not segment:
            return False
        return any(self.tile.field_for(col).churns for col in json.loads(segment))

    def is_quiet(self, week: date) -> QuietWeek | None:
        return self.calendar.quiet_week(week)


def rows(records: list[dict[str, object]]) -> pd.DataFrame:
    """Derived rows as a frame with every column present."""
    frame = pd.DataFrame(records, columns=DERIVED_COLUMNS)
    for column in ("observed", "lower", "upper", "expected"):
        frame[column] = frame[column].astype("float64")
    frame["null"] = frame["null"].astype("boolean").fillna(False).astype(bool)
    return frame


def matrix(
    metrics: pd.DataFrame, metric_names: tuple[str, ...], week: date, weeks: int = 104
) -> tuple[pd.DataFrame, list[date], np.ndarray, np.ndarray]:
    """Series keys, training weeks (oldest first), the history matrix and this week's values."""
    chosen = metrics[metrics["metric"].isin(metric_names) & (metrics["week"] <= week)]
    grid = [week - WEEK * i for i in range(weeks, 0, -1)]
    if chosen.empty:
        empty = pd.DataFrame(columns=["column_name", "segment", "metric"])
        return empty, grid, np.empty((0, weeks)), np.empty(0)
    names = ["column_name", "segment", "metric"]
    chosen = chosen.drop_duplicates([*names, "week"], keep="last")
    key = chosen["column_name"] + "\x1f" + chosen["segment"] + "\x1f" + chosen["metric"]
    wide = chosen.assign(key=key).pivot(index="key", columns="week", values="value")
    history = wide.reindex(columns=grid).to_numpy(dtype="float64")
    observed = (
        wide[week].to_numpy(dtype="float64") if week in wide.columns else np.full(len(wide), np.nan)
    )
    keys = pd.DataFrame([k.split("\x1f") for k in wide.index], columns=names)
    return keys, grid, history, observed
