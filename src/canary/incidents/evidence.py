"""What a failed check says about a breakage: its field family, direction and segment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from canary.dashboards import Tile
from canary.results import CheckResult

_COUNTER = re.compile(r"\b(weekly_\w+|total_\w+)\b")
ROWS = "rows"  # the family of row and instance counts


def family_of(tile: Tile | None, column: str | None) -> str | None:
    """The instance-level field a column reports on (``sum(x)`` and counts over ``x`` -> ``x``).

    Counts of rows or instances are the ``rows`` family; a table-level check has none.
    """
    if column is None:
        return None
    if tile is None:
        return column
    try:
        field = tile.field_for(column)
    except StopIteration:
        return column
    if field.kind == "dimension":
        return column
    if field.summed:
        return field.summed
    counter = _COUNTER.search(field.sql)
    return counter.group(1) if counter else ROWS


@dataclass(frozen=True)
class Evidence:
    """One failed (or errored) check, with the facts grouping and causes read."""

    monitor: str
    check: CheckResult
    family: str | None
    direction: str | None  # "drop" / "rise" against the expected range, None if not numeric
    single_instance: bool  # the monitor watches one instance (the canary)
    compared: frozenset[str] = frozenset()  # families a check over several columns compares

    @property
    def name(self) -> str:
        return self.check.check

    @property
    def dataset(self) -> str:
        return self.check.dataset

    @property
    def segment(self) -> dict[str, str] | None:
        return self.check.segment

    @property
    def since(self) -> date | None:
        return self.check.first_failed_week

    @property
    def observed(self) -> float | None:
        value = self.check.observed
        return float(value) if isinstance(value, int | float) else None


def direction_of(check: CheckResult) -> str | None:
    """``drop`` below the expected minimum, ``rise`` above the maximum, else None."""
    value = check.observed
    bounds = check.expected or {}
    if not isinstance(value, int | float):
        return None
    low, high = bounds.get("min"), bounds.get("max")
    if isinstance(low, int | float) and value < low:
        return "drop"
    if isinstance(high, int | float) and value > high:
        return "rise"
    return None


def evidence_of(
    monitor: str,
    checks: list[CheckResult],
    tiles: Mapping[str, Tile],
    single_instance: bool = False,
) -> list[Evidence]:
    """Evidence of every failed or errored check of one monitor's run."""
    return [
        Evidence(
            monitor,
            c,
            family_of(tiles.get(c.dataset), c.column),
            direction_of(c),
            single_instance,
            compared_families(tiles.get(c.dataset), c.column),
        )
        for c in checks
        if c.status in ("failed", "error")
    ]


def compared_families(tile: Tile | None, column: str | None) -> frozenset[str]:
    """The families of each column a check over several columns (``a,b``) compares."""
    if column is None or "," not in column:
        return frozenset()
    return frozenset(f for c in column.split(",") if (f := family_of(tile, c.strip())))
