"""Metrics of a batch per dataset, column and segment, computed in one vectorised pass."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from canary.dashboards import Tile

NUMERIC = ("integer", "number")
METRIC_COLUMNS = ["dataset", "week", "column_name", "segment", "metric", "value"]


def _numeric_metrics(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Long frame of sum / null_rate / zero_rate per column for the rows of ``frame``."""
    if not columns:
        return pd.DataFrame(columns=["column_name", "metric", "value"])
    values = frame[columns].astype("float64")
    rows = len(values)
    stats = pd.DataFrame(
        {
            "sum": values.sum(min_count=1),
            "null_rate": values.isna().mean() if rows else float("nan"),
            "zero_rate": (values == 0).mean() if rows else float("nan"),
        }
    )
    stats.index.name = "column_name"
    return stats.reset_index().melt(id_vars="column_name", var_name="metric", value_name="value")


def segment_keys(frame: pd.DataFrame, segments: list[str]) -> pd.Series:
    """The JSON segment key of each row ('' when the tile has no segments)."""
    if not segments:
        return pd.Series("", index=frame.index)
    values = frame[segments].astype(object).where(frame[segments].notna(), "(null)")
    return pd.Series(
        [
            json.dumps(dict(zip(segments, map(str, row), strict=True)))
            for row in values.itertuples(index=False)
        ],
        index=frame.index,
    )


def series_values(dataset: str, tile: Tile, frame: pd.DataFrame) -> pd.DataFrame:
    """A series tile as metrics: one ``value`` per week, numeric column and segment."""
    numeric = [c for c, kind in tile.dtypes.items() if kind in NUMERIC and c in frame.columns]
    if tile.time_column not in frame.columns or not numeric:
        return pd.DataFrame(columns=METRIC_COLUMNS)
    segments = [s for s in tile.segments if s in frame.columns]
    wide = frame[[tile.time_column, *numeric]].copy()
    wide["segment"] = segment_keys(frame, segments)
    long = wide.melt(
        id_vars=[tile.time_column, "segment"], var_name="column_name", value_name="value"
    )
    long = long.rename(columns={tile.time_column: "week"})
    long["week"] = pd.to_datetime(long["week"]).dt.date
    long["metric"] = "value"
    long["dataset"] = dataset
    long["value"] = long["value"].astype("float64")
    return long[METRIC_COLUMNS]


def profile(dataset: str, tile: Tile, frame: pd.DataFrame, week: date) -> pd.DataFrame:
    """Metrics of a pull: a series' value every week, or a snapshot's week under test.

    Snapshots give row_count, and sum / null_rate / zero_rate per numeric column, for the
    table and per segment. Rows: ``dataset, week, column_name ('' for the table), segment
    ('' or JSON), metric, value``.
    """
    if tile.shape == "series":
        return series_values(dataset, tile, frame)
    batch = frame
    if tile.time_column in frame.columns:
        batch = frame[frame[tile.time_column] == pd.Timestamp(week)]
    numeric = [c for c, kind in tile.dtypes.items() if kind in NUMERIC and c in batch.columns]
    parts = [
        pd.DataFrame(
            [{"column_name": "", "segment": "", "metric": "row_count", "value": len(batch)}]
        ),
        _numeric_metrics(batch, numeric).assign(segment=""),
    ]
    for segment in (s for s in tile.segments if s in batch.columns):
        groups = batch.groupby(batch[segment].fillna("(null)"), sort=True)
        counts = groups.size()
        parts.append(
            pd.DataFrame(
                {
                    "column_name": "",
                    "segment": [json.dumps({segment: str(v)}) for v in counts.index],
                    "metric": "row_count",
                    "value": counts.to_numpy(dtype="float64"),
                }
            )
        )
        if numeric:
            key = batch[segment].fillna("(null)")
            values = batch[numeric].astype("float64")
            for metric, table in (
                ("sum", values.groupby(key).sum(min_count=1)),
                ("null_rate", values.isna().groupby(key).mean()),
            ):
                long = table.stack(future_stack=True).rename("value").reset_index()
                long.columns = ["segment", "column_name", "value"]
                long["segment"] = [json.dumps({segment: str(v)}) for v in long["segment"]]
                parts.append(long.assign(metric=metric))
    out = pd.concat(parts, ignore_index=True)
    out["dataset"] = dataset
    out["week"] = week
    out["value"] = out["value"].astype("float64")
    return out[METRIC_COLUMNS]
