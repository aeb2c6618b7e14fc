"""The week's key numbers (pure): each measure of the dashboard's weekly tiles this week,
with the week before and the change, as a run's summary shows them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from canary import readable
from canary.dashboards import Tile
from canary.weeks import WEEK


@dataclass(frozen=True)
class KeyNumber:
    label: str
    value: float
    before: float | None  # the week before, when stored

    @property
    def change(self) -> str:
        if self.before is None:
            return "—"
        if self.before == 0:
            return "new" if self.value else "±0%"
        share = self.value / self.before - 1
        return ("+" if share > 0 else "") + readable.percent(share) if share else "±0%"


def key_numbers(metrics: pd.DataFrame, tiles: Mapping[str, Tile], week: date) -> list[KeyNumber]:
    """Every measure of the series tiles in ``metrics`` (the store's rows: dataset, week,
    column_name, segment, metric, value) for ``week``, in the tiles' order."""
    if metrics.empty:
        return []
    whole = metrics[(metrics["metric"] == "value") & (metrics["segment"] == "")]
    values = {
        (d, w, c): float(v)
        for d, w, c, v in zip(
            whole["dataset"], whole["week"], whole["column_name"], whole["value"], strict=True
        )
        if pd.notna(v)
    }
    found = []
    for name, tile in tiles.items():
        if tile.shape != "series":
            continue
        for f in tile.fields:
            value = values.get((name, week, f.column))
            if f.kind == "measure" and value is not None:
                found.append(KeyNumber(f.label, value, values.get((name, week - WEEK, f.column))))
    return found


def key_numbers_markdown(numbers: list[KeyNumber]) -> list[str]:
    """A "Key numbers" section (no lines when there is none)."""
    if not numbers:
        return []
    lines = ["## Key numbers", "", "| | this week | week before | change |", "|---|--:|--:|--:|"]
    for n in numbers:
        before = readable.number(n.before) if n.before is not None else "—"
        lines.append(f"| {n.label} | {readable.number(n.value)} | {before} | {n.change} |")
    return lines
