"""Which segments carry an aggregate's change, and what those segments report."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from canary.anomaly.inputs import HistoryInput
from canary.masking import mask_labels
from canary.weeks import WEEK

_SUM_OF = re.compile(r"^sum\((\w+)\)$", re.IGNORECASE)
TOP = 3


def underlying(h: HistoryInput, column: str) -> str:
    """The instance-level counter a measure sums (``sum(x)`` -> ``x``), else the column."""
    try:
        match = _SUM_OF.match(h.tile.field_for(column).sql.strip())
    except StopIteration:
        return column
    return match.group(1) if match else column


def _label(segment: str) -> str:
    return ", ".join(f"{k} {v}" for k, v in json.loads(segment).items())


def _deltas(other: HistoryInput, column: str, week: object) -> pd.Series:
    """Per segment: this week's value minus the median of the four weeks before."""
    metric = "value" if other.tile.shape == "series" else "sum"
    m = other.metrics
    m = m[(m["metric"] == metric) & (m["column_name"] == column) & (m["segment"] != "")]
    if m.empty:
        return pd.Series(dtype="float64")
    recent = [week - WEEK * i for i in range(1, 5)]  # type: ignore[operator]
    base = m[m["week"].isin(recent)].groupby("segment")["value"].median()
    now = m[m["week"] == week].groupby("segment")["value"].sum()
    segments = base.index.union(now.index)
    return now.reindex(segments).fillna(0.0) - base.reindex(segments).fillna(0.0)


def attribute(row: pd.Series, inputs: list[HistoryInput]) -> tuple[str, list[dict[str, object]]]:
    """A sentence and structured shares explaining an aggregate row's change."""
    by_name = {h.dataset: h for h in inputs}
    h = by_name[row["dataset"]]
    column = str(row["column"])
    counter = underlying(h, column)
    change = float(row["observed"]) - float(row["expected"])
    if not np.isfinite(change) or change == 0:
        return "", []
    word = "drop" if change < 0 else "rise"
    found: list[dict[str, object]] = []
    for other in inputs:
        if other is h or not other.tile.segments:
            continue
        for name in {column, counter}:
            deltas = _deltas(other, name, h.week)
            same = deltas[np.sign(deltas) == np.sign(change)]
            if same.empty or same.sum() == 0:
                continue
            shares = (same / same.sum()).sort_values(ascending=False)
            for segment, share in shares.head(TOP).items():
                if share >= 0.1:
                    found.append(
                        {
                            "dataset": other.dataset,
                            "segment": mask_labels(json.loads(str(segment))),
                            "share": round(float(share), 3),
                        }
                    )
            break
    nulls: list[str] = []
    for other in inputs:
        m = other.metrics
        rate = m[
            (m["metric"] == "null_rate")
            & (m["column_name"] == counter)
            & (m["week"] == h.week)
            & (m["segment"] != "")
        ]
        size = m[(m["metric"] == "row_count") & (m["week"] == h.week)].set_index("segment")["value"]
        for segment, value in zip(rate["segment"], rate["value"], strict=True):
            if value >= 0.5 and size.get(segment, 0) >= 3:
                nulls.append(
                    f"{_label(segment)} reports null for {counter} on {value:.0%} of its "
                    f"{int(size[segment]):,} instances"
                )
    best: dict[str, dict[str, object]] = {}
    for item in found:  # one line per segment dimension: its biggest shares
        dim = next(iter(item["segment"]))  # type: ignore[call-overload]
        best.setdefault(dim, item)
    parts = [
        f"{float(i['share']):.0%} of the {word} is on "  # type: ignore[arg-type]
        f"{_label(json.dumps(i['segment']))}"
        for i in best.values()
    ]
    text = "; ".join(parts + nulls[:TOP])
    return text, found
