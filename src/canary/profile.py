"""Metrics of a batch per dataset, column and segment, computed in one vectorised pass."""

from __future__ import annotations

import json

import pandas as pd

from canary.dashboards import Tile

NUMERIC = ("integer", "number")
METRIC_COLUMNS = ["dataset", "column_name", "segment", "metric", "value"]


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


def profile(dataset: str, tile: Tile, batch: pd.DataFrame) -> pd.DataFrame:
    """Metrics of ``batch`` (the week under test): table, numeric columns, and per segment.

    Returns rows of ``dataset, column_name ('' for the table), segment ('' or JSON), metric,
    value``.
    """
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
    out["value"] = out["value"].astype("float64")
    return out[METRIC_COLUMNS]
