"""The bundled sample warehouse as a source (DuckDB, generated on first use)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    _path: Path | None = field(default=None, init=False, repr=False)
    _key: str | None = field(default=None, init=False, repr=False)

    def path(self) -> Path:
        """The warehouse file, generated on first use and looked up once per source."""
        key = self.spec.fingerprint()
        if self._path is None or self._key != key:
            self._path, self._key = ensure(self.data_dir, self.spec), key
        return self._path

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
