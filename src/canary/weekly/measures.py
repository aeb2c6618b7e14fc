"""Which numbers a weekly report headlines: the measures of a dashboard's series tiles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from canary.dashboards import Tile


@dataclass(frozen=True)
class Measure:
    """One weekly number of a series tile (``column`` of ``dataset``), as its tile labels it."""

    dataset: str
    column: str
    label: str

    @property
    def name(self) -> str:
        """How ``report.metrics`` names it: ``dataset.column``."""
        return f"{self.dataset}.{self.column}"


def series_measures(tiles: Iterable[Tile]) -> list[Measure]:
    """Every measure of the unsegmented series tiles, in the tiles' order (a segmented
    tile's numbers are its segments': they explain the totals, see the report's movers)."""
    return [
        Measure(tile.dataset, f.column, f.label)
        for tile in tiles
        if tile.shape == "series" and not tile.segments
        for f in tile.fields
        if f.kind == "measure"
    ]


def chosen_measures(tiles: Iterable[Tile], chosen: Sequence[str] = ()) -> list[Measure]:
    """The measures ``chosen`` names (a dataset: all of its measures; ``dataset.column``:
    that one), in their order; every one when none is named.

    Raises ``ValueError`` naming the allowed names when one names no measure."""
    every = series_measures(tiles)
    if not chosen:
        return every
    found: list[Measure] = []
    for name in chosen:
        named = [m for m in every if name in (m.dataset, m.name)]
        if not named:
            allowed = ", ".join(dict.fromkeys(n for m in every for n in (m.dataset, m.name)))
            raise ValueError(
                f"{name!r} is no measure of the monitor's series tiles; allowed: {allowed}"
            )
        found += [m for m in named if m not in found]
    return found
