"""Which segments carry an aggregate's change, and what those segments report.

A segment is named only when it carries clearly more of the change than its share of the
usual level; a change every segment carries alike is said to be even, so that a total
breakage does not point at the largest segments.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from canary import readable
from canary.anomaly.inputs import HistoryInput
from canary.display import shown_segment
from canary.weeks import WEEK

TOP = 3
#: A segment carries "clearly more than its share" of a change when its share of the change
#: exceeds its share of the usual level by this many points and by this factor.
EXCESS_POINTS = 0.15
EXCESS_FACTOR = 1.5
#: A segment's null rate is its own finding only this far above the column's overall rate.
NULL_EXCESS = 0.25
MIN_NULL_ROWS = 3
MIN_POPULATION = 10  # fewer instances (a single-instance monitor): no segment story to tell


def underlying(h: HistoryInput, column: str) -> str:
    """The instance-level counter a measure sums (``sum(x)`` -> ``x``), else the column."""
    try:
        return h.tile.field_for(column).summed or column
    except StopIteration:
        return column


def _label(segment: str) -> str:
    return ", ".join(f"{k} {v}" for k, v in json.loads(segment).items())


def _before_and_now(other: HistoryInput, column: str, dim: str, week: object) -> pd.DataFrame:
    """Per segment of ``dim``: the median of the four weeks before (``base``) and this week
    (``now``)."""
    metric = "value" if other.tile.shape == "series" else "sum"
    m = other.metrics
    m = m[(m["metric"] == metric) & (m["column_name"] == column) & (m["segment"] != "")]
    m = m[[list(json.loads(s)) == [dim] for s in m["segment"]]]
    if m.empty:
        return pd.DataFrame(columns=["base", "now"], dtype="float64")
    recent = [week - WEEK * i for i in range(1, 5)]  # type: ignore[operator]
    base = m[m["week"].isin(recent)].groupby("segment")["value"].median()
    now = m[m["week"] == week].groupby("segment")["value"].sum()
    segments = base.index.union(now.index)
    return pd.DataFrame(
        {"base": base.reindex(segments).fillna(0.0), "now": now.reindex(segments).fillna(0.0)}
    )


def carriers(levels: pd.DataFrame, sign: float) -> tuple[list[tuple[str, float, float]], float]:
    """Segments carrying clearly more than their share of a change of ``sign``.

    Returns ``(segment, share of the change, share of the usual level)`` per such segment,
    largest first, and the relative change of the whole (what an even change looks like).
    """
    delta = levels["now"] - levels["base"]
    total_base = float(levels["base"].sum())
    moved = delta[np.sign(delta) == sign]
    if moved.empty or moved.sum() == 0 or total_base <= 0:
        return [], float("nan")
    share = moved / moved.sum()
    usual = levels["base"].reindex(share.index) / total_base
    clear = share[(share >= usual + EXCESS_POINTS) & (share >= usual * EXCESS_FACTOR)]
    named = [
        (str(s), float(share[s]), float(usual[s]))
        for s in clear.sort_values(ascending=False).index[:TOP]
    ]
    return named, float(delta.sum()) / total_base


def _null_lines(inputs: list[HistoryInput], counter: str, week: object) -> list[str]:
    """Segments whose null rate for ``counter`` is high and clearly above its overall rate."""
    lines: list[str] = []
    for other in inputs:
        m = other.metrics
        rates = m[
            (m["metric"] == "null_rate") & (m["column_name"] == counter) & (m["week"] == week)
        ]
        if rates.empty:
            continue
        overall = rates.loc[rates["segment"] == "", "value"]
        everywhere = float(overall.iloc[0]) if len(overall) else 0.0
        size = m[(m["metric"] == "row_count") & (m["week"] == week)].set_index("segment")["value"]
        if size.get("", 0) < MIN_NULL_ROWS:
            continue
        if everywhere >= 0.5:
            lines.append(
                f"{counter} is null on {everywhere:.0%} of all {int(size.get('', 0)):,} "
                "instances, every segment alike"
            )
            continue
        for segment, value in zip(rates["segment"], rates["value"], strict=True):
            if (
                segment
                and value >= 0.5
                and value >= everywhere + NULL_EXCESS
                and size.get(segment, 0) >= MIN_NULL_ROWS
            ):
                lines.append(
                    f"{_label(segment)} reports null for {counter} on {value:.0%} of its "
                    f"{int(size[segment]):,} instances"
                )
    return lines


def _population(inputs: list[HistoryInput], week: object) -> float:
    """Instances behind the monitor this week (rows of its snapshots); inf when unknown."""
    counts = [
        float(v)
        for h in inputs
        if h.tile.shape == "snapshot"
        for v in h.metrics.loc[
            (h.metrics["metric"] == "row_count")
            & (h.metrics["segment"] == "")
            & (h.metrics["week"] == week),
            "value",
        ]
    ]
    return max(counts) if counts else float("inf")


def attribute(row: pd.Series, inputs: list[HistoryInput]) -> tuple[str, list[dict[str, object]]]:
    """A sentence and structured shares explaining an aggregate row's change.

    The shares list only segments that carry clearly more than their share; it is empty
    when every segment carries the change alike (the sentence then says so).
    """
    by_name = {h.dataset: h for h in inputs}
    h = by_name[row["dataset"]]
    column = str(row["column"])
    counter = underlying(h, column)
    change = float(row["observed"]) - float(row["expected"])
    if not np.isfinite(change) or change == 0:
        return "", []
    if _population(inputs, h.week) < MIN_POPULATION:
        return "", []
    word = "drop" if change < 0 else "rise"
    found: list[dict[str, object]] = []
    parts: list[str] = []
    even: list[tuple[str, float]] = []
    carried: set[str] = set()
    for other in inputs:
        if other is h:
            continue
        for dim in other.tile.segments:
            for name in dict.fromkeys((column, counter)):
                levels = _before_and_now(other, name, dim, h.week)
                if (levels["base"] > 0).sum() < 2:
                    continue  # one segment (a single instance) cannot carry more than its share
                named, whole = carriers(levels, float(np.sign(change)))
                if np.isnan(whole):
                    continue
                if not named:
                    even.append((dim, whole))
                for segment, share, usual in named:
                    found.append(
                        {
                            "dataset": other.dataset,
                            "segment": shown_segment(json.loads(segment)),
                            "share": round(share, 3),
                            "usual_share": round(usual, 3),
                        }
                    )
                if named and dim not in carried:
                    carried.add(dim)
                    segment, share, usual = named[0]
                    parts.append(
                        f"{share:.0%} of the {word} is on {_label(segment)} "
                        f"(usually {usual:.0%} of {name})"
                    )
                break
    if even and not found:
        dims = " and ".join(sorted({d for d, _ in even}))
        parts.insert(0, f"every {dims} carries the {word} alike ({readable.change(even[0][1])})")
    text = "; ".join(parts + _null_lines(inputs, counter, h.week)[:TOP])
    return text, found
