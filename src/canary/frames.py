"""Typing frames by the dashboard definition, the same way for every source."""

from __future__ import annotations

import pandas as pd

from canary.dashboards import FieldType, Tile
from canary.errors import SourceError
from canary.readable import counted


def _coerce(series: pd.Series, kind: FieldType) -> pd.Series:
    if kind == "date":
        # a date with a zone ("2026-11-16T00:00:00Z") is its UTC date and time
        return pd.to_datetime(series, errors="raise", utc=True).dt.tz_localize(None)
    if kind == "integer":
        numbers = pd.to_numeric(series, errors="raise")
        if not ((numbers.dropna() % 1) == 0).all():
            raise ValueError("has fractional values")
        return numbers.astype("Int64")
    if kind == "number":
        return pd.to_numeric(series, errors="raise").astype("float64")
    return series.map(lambda v: None if pd.isna(v) else str(v)).astype("object")


def type_frame(frame: pd.DataFrame, tile: Tile, where: str) -> pd.DataFrame:
    """Cast each known column to its declared type; unknown and missing columns are left.

    A value that cannot be cast is a ``SourceError`` naming ``where``, the column and a value.
    """
    out = frame.copy()
    for column, kind in tile.dtypes.items():
        if column not in out.columns:
            continue
        try:
            out[column] = _coerce(out[column], kind)
        except (ValueError, TypeError) as exc:
            found = _first_bad(out[column], kind)
            said = ""
            if found is not None:
                at, bad = found
                week = out[tile.time_column].get(at) if tile.time_column in out.columns else None
                row = f" in the row of week {str(week)[:10]}" if week is not None else ""
                said = f" but has {bad!r}{row}"
            raise SourceError(
                f"{where}: column {column!r} should hold {kind} values{said} ({exc})"
            ) from exc
    if tile.time_column in out.columns:
        mondays_only(out[tile.time_column], tile.time_column, where)
    return out


class WeeksNotMondays(SourceError):
    """A time column holding dates that are not Mondays: an error of the whole export, not
    of one week (``canary.sources.ranges`` does not retry it week by week)."""


def mondays_only(weeks: pd.Series, column: str, where: str) -> None:
    """Refuse a time column with a date that is not a Monday: canary names a week by its
    Monday, so a week dated otherwise would be stored as a week of its own."""
    days = pd.to_datetime(weeks).dropna()
    wrong = days[days.dt.weekday != 0].unique()
    if len(wrong):
        first = min(wrong)
        raise WeeksNotMondays(
            f"{where}: column {column!r} holds {first:%Y-%m-%d}, a {first:%A} "
            f"({counted(len(wrong), 'date')} in all that are not Mondays); canary names each week by "
            "the Monday it starts on: export the weeks by their Monday"
        )


def _first_bad(series: pd.Series, kind: FieldType) -> tuple[object, object] | None:
    """The index and value of the first value of ``series`` that is not a ``kind``."""
    for at, value in series.dropna().items():
        try:
            _coerce(pd.Series([value]), kind)
        except (ValueError, TypeError):
            return at, value
    return None
