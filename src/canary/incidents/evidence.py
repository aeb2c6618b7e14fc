"""What a failed check says about a breakage: its field family, direction and segment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from canary.anomaly.detectors import FAMILIES
from canary.checks.families import NAMED
from canary.dashboards import Tile
from canary.results import CheckResult

#: A count of what meets a condition on a field (``count(CASE WHEN x > 0 THEN ...)``): ``x``.
_CONDITION = re.compile(r"\bWHEN\s+(\w+)", re.IGNORECASE)
ROWS = "rows"  # the family of row and instance counts


def family_of(tile: Tile | None, column: str | None) -> str | None:
    """The instance-level field a column reports on (``sum(x)`` and counts of rows where ``x``
    meets a condition -> ``x``).

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
    condition = _CONDITION.search(field.sql)
    return condition.group(1) if condition else ROWS


@dataclass(frozen=True)
class Evidence:
    """One failed (or errored) check, with the facts grouping and causes read."""

    monitor: str
    check: CheckResult
    family: str | None
    direction: str | None  # "drop" / "rise" against the expected range, None if not numeric
    single_instance: bool  # the monitor watches one instance (the canary)
    compared: frozenset[str] = frozenset()  # families a check over several columns compares
    #: the family of the first column of a pair (the one that must be at least the other)
    left: str | None = None
    versions: frozenset[str] = frozenset()  # the dataset's dimensions that hold the version

    @property
    def kind(self) -> str | None:
        """The check's family (``canary.checks.families``)."""
        return tags_of(self.check)[0]

    @property
    def role(self) -> str | None:
        """The field role of the check's column."""
        return tags_of(self.check)[1]

    @property
    def watches_label(self) -> bool:
        """The check is about the watched instance itself (its label's rows or usage)."""
        return self.role == "label"

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


def tags_of(check: CheckResult) -> tuple[str | None, str | None]:
    """A check's family and field role: as declared, else (a result stored before checks
    carried them, or made by hand) those its detector or the bundled suites give its name."""
    if check.family is not None:
        return check.family, check.field_role
    if check.check in FAMILIES:
        return FAMILIES[check.check], check.field_role
    return NAMED.get(check.check, (None, None))


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
            family_of(tiles.get(c.dataset), c.column.split(",")[0].strip())
            if c.column and "," in c.column
            else None,
            version_dimensions(tiles.get(c.dataset), c.segment),
        )
        for c in checks
        if c.status in ("failed", "error")
    ]


def version_dimensions(tile: Tile | None, segment: Mapping[str, str] | None) -> frozenset[str]:
    """The dimensions of ``segment`` that hold the version: fields with the version role."""
    if not segment or tile is None:
        return frozenset()
    return frozenset(f.column for f in tile.fields if f.column in segment and f.role == "version")


def compared_families(tile: Tile | None, column: str | None) -> frozenset[str]:
    """The families of each column a check over several columns (``a,b``) compares."""
    if column is None or "," not in column:
        return frozenset()
    return frozenset(f for c in column.split(",") if (f := family_of(tile, c.strip())))
