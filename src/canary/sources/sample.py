"""The bundled sample warehouse as a source (DuckDB, generated on first use)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from canary.dashboards import Dashboard, Tile
from canary.errors import SourceError
from canary.frames import type_frame
from canary.sample.warehouse import WarehouseSpec, ensure, query_tile
from canary.sources.base import Dataset, week_range


@dataclass
class SampleWarehouseSource:
    data_dir: Path
    spec: WarehouseSpec
    dashboard: Dashboard
    complete_after: timedelta

    def path(self) -> Path:
        return ensure(self.data_dir, self.spec)

    def pull(self, tile: Tile, week: date) -> Dataset:
        where = f"sample warehouse {self.path()}, tile {tile.title!r}"
        try:
            frame = query_tile(
                self.path(), tile, self.dashboard.filter_values(), week_range(tile, week)
            )
        except duckdb.Error as exc:
            raise SourceError(f"{where}: {exc}") from None
        link = f"file://{self.path()}#{self.dashboard.name}/{tile.dataset}"
        return Dataset(tile.dataset, tile, type_frame(frame, tile, where), link)
