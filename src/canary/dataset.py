"""One pulled dataset: what every source returns and every later stage reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from canary.dashboards import Tile


@dataclass
class Dataset:
    """One pulled dataset: a typed frame plus what messages need to point back to it."""

    name: str
    tile: Tile
    frame: pd.DataFrame
    link: str | None = None
    warnings: list[str] = field(default_factory=list)  # e.g. "row limit hit: data truncated"

    @property
    def fields(self) -> dict[str, str]:
        """Column -> the source's original ``view.field`` name."""
        return {f.column: f.ref for f in self.tile.fields}
