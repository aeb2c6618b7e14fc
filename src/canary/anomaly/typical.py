"""The typical instance behind a sum: a level break of the whole, or of a few large instances.

A sum that a few giant instances carry swings when one of them leaves or has a quiet week.
The snapshot's summary tells, per counter and segment, the median instance's ratio of this
week to last week (``canary.summary.TYPICAL_METRICS``). A sum below its range is a level
break only when the typical instance moved too: when every instance moving like the
typical one would still leave the sum in range, the range widens by what the few large
instances carry, and the check says which moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from canary import readable
from canary.dashboards import Tile
from canary.readable import counted
from canary.summary import TYPICAL_ACTIVE, TYPICAL_KEPT, TYPICAL_METRICS, TYPICAL_RATIO

#: Fewest instances still reporting before the typical one stands for the segment.
MIN_KEPT = 10
#: At most this share of the instances active last week may report nothing this week: more
#: gone is a loss of instances (a pipeline dropping pings), which the total tells.
MAX_GONE = 0.1


@dataclass(frozen=True)
class Typical:
    """A counter's typical instance in a segment: the median ratio of this week to last
    week over the ``kept`` of the ``active`` instances of last week still reporting it."""

    ratio: float
    kept: int
    active: int

    @property
    def gone(self) -> int:
        return self.active - self.kept


def figures(metrics: pd.DataFrame) -> dict[tuple[str, str], Typical]:
    """(counter, segment) -> its typical instance, from a week's snapshot metrics (the first
    snapshot's where several give one)."""
    rows = metrics[metrics["metric"].isin(TYPICAL_METRICS)] if len(metrics) else metrics
    if not len(rows):
        return {}
    wide = rows.drop_duplicates(["column_name", "segment", "metric"]).pivot(
        index=["column_name", "segment"], columns="metric", values="value"
    )
    wide = wide.reindex(columns=list(TYPICAL_METRICS))
    return {
        (str(c), str(s)): Typical(
            float(r[TYPICAL_RATIO]), _int(r[TYPICAL_KEPT]), _int(r[TYPICAL_ACTIVE])
        )
        for (c, s), r in wide.iterrows()
    }


def _int(value: float) -> int:
    return 0 if pd.isna(value) else int(value)


def counter_of(tile: Tile, column: str, metric: str) -> str | None:
    """The instance-level counter a level row sums: a snapshot's ``sum`` of the column, a
    series' sum measure (``sum(x)`` -> ``x``); None for anything else (a count)."""
    if metric == "sum":
        return column
    if metric != "value":
        return None
    field = next((f for f in tile.fields if f.column == column), None)
    return field.summed if field is not None else None


def widened_lower(
    observed: float, lower: float, before: float, typical: Typical | None, counter: str
) -> tuple[float, str]:
    """The lower bound of a sum judged also as its typical instance, and what the check's
    detail adds (empty when the typical instance has nothing to tell).

    Only a sum below its range is weighed: ``before`` (last week's sum) moved as the typical
    instance moved gives the sum the whole segment would show. Still in range: the range
    widens down to ``observed`` and beyond by as much as the few large instances carry.
    Below it, or with too few instances left or too many gone: the bound stays and the
    detail says the typical instance moved too, or how many instances are gone.
    """
    if (
        typical is None
        or math.isnan(observed)
        or not observed < lower
        or math.isnan(typical.ratio)
        or typical.kept < MIN_KEPT
        or not before > 0
    ):
        return lower, ""
    moved = readable.change(typical.ratio - 1)
    over = f"{counted(typical.kept, 'instance')} reporting {counter} both weeks"
    if typical.gone > MAX_GONE * typical.active:
        return lower, (
            f"; {typical.gone:,} of {counted(typical.active, 'instance')} active last week report "
            f"no {counter} (the typical instance moved {moved})"
        )
    projected = before * typical.ratio
    total = readable.change(observed / before - 1)
    if projected < lower:
        return lower, (
            f"; the typical instance moved too: {moved} against its own last week over {over}"
        )
    gone = (
        f", {typical.gone:,} of the {typical.active:,} active last week without it"
        if typical.gone
        else ""
    )
    return lower - (projected - observed), (
        f"; the total moved {total} from last week, the typical instance did not ({moved} over "
        f"{over}{gone}): a few large instances carry the change, not the whole"
    )
