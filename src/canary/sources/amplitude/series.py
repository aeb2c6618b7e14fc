"""Amplitude's weekly answers (``{"data": {"series", "seriesLabels", "xValues"}}``) as a
series tile's rows: one row per week, or per week and segment when the tile has one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from canary.dashboards import Tile
from canary.errors import SourceError


@dataclass(frozen=True)
class Columns:
    """Where a tile puts Amplitude's numbers: the week, the metric, the segment if any."""

    week: str
    metric: str
    segment: str | None


def columns_of(tile: Tile, where: str) -> Columns:
    """The tile's week, metric and segment columns; a tile of another shape is an error."""
    segments = list(tile.segments)
    metrics = [c for c in tile.columns if c != tile.time_column and c not in segments]
    if tile.shape != "series" or len(metrics) != 1 or len(segments) > 1:
        raise SourceError(
            f"{where}: tile {tile.dataset!r} should be a series tile of the week, one metric "
            f"and at most one segment (has {', '.join(tile.columns)})"
        )
    return Columns(tile.time_column, metrics[0], segments[0] if segments else None)


def week_of(x_value: Any, where: str) -> date:
    """The Monday an ``xValues`` entry names; Amplitude's weeks start on the project's day."""
    try:
        day = date.fromisoformat(str(x_value)[:10])
    except ValueError:
        raise SourceError(f"{where}: xValues entry {x_value!r} is not a date") from None
    if day.weekday() != 0:
        raise SourceError(
            f"{where}: the week of {day} starts on a {day:%A}; canary's weeks start on "
            "Monday: set the Amplitude project's week to start on Monday"
        )
    return day


def _label(label: Any) -> str:
    """A series label: ``[event index, "value"]`` with a group-by, else the value itself."""
    return str(label[-1]) if isinstance(label, list) and label else str(label)


def _value(cell: Any) -> Any:
    """A cell: a number, or ``{"value": n, ...}`` as chart results write them."""
    return cell.get("value") if isinstance(cell, dict) else cell


def rows_of(answer: Any, columns: Columns, where: str) -> pd.DataFrame:
    """The rows of an Amplitude answer, untyped; ``SourceError`` says what does not fit."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or not all(
        isinstance(data.get(k), list) for k in ("series", "xValues")
    ):
        raise SourceError(f"{where}: the answer has no data.series and data.xValues")
    series, weeks = data["series"], [week_of(x, where) for x in data["xValues"]]
    labels = data.get("seriesLabels") or [0] * len(series)
    if len(labels) != len(series) or any(len(s) != len(weeks) for s in series):
        raise SourceError(
            f"{where}: {len(series)} series, {len(labels)} labels and {len(weeks)} weeks "
            "do not line up"
        )
    if columns.segment is None and len(series) != 1:
        raise SourceError(
            f"{where}: {len(series)} series but the tile has no segment column; "
            "declare one or save the chart without a breakdown"
        )
    rows = [
        {columns.week: pd.Timestamp(week), columns.metric: _value(cell)}
        | ({columns.segment: _label(label)} if columns.segment else {})
        for label, values in zip(labels, series, strict=True)
        for week, cell in zip(weeks, values, strict=True)
    ]
    order = [columns.week, *([columns.segment] if columns.segment else []), columns.metric]
    frame = pd.DataFrame(rows, columns=order)
    return frame.sort_values(order[:-1], kind="stable").reset_index(drop=True)
