"""CSV or Parquet exports as a source: a path or glob per dataset."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from canary.config import FileDataset
from canary.config import FilesSource as FilesConfig
from canary.dashboards import Tile
from canary.errors import SourceError
from canary.frames import type_frame
from canary.sources.base import Dataset, within_weeks
from canary.sources.registry import BuildContext


def _read(path: str, fmt: str | None, tile: Tile) -> pd.DataFrame:
    kind = fmt or ("parquet" if path.endswith((".parquet", ".pq")) else "csv")
    if kind == "parquet":
        return pd.read_parquet(path)
    # Strings stay strings: version "5.20" must not become the number 5.2.
    text = {column: str for column, kind in tile.dtypes.items() if kind == "string"}
    return pd.read_csv(path, dtype=text)


@dataclass
class FilesSource:
    base_dir: Path
    datasets: dict[str, FileDataset]
    complete_after: timedelta

    def pull(self, tile: Tile, week: date) -> Dataset:
        spec = self.datasets[tile.dataset]
        pattern = spec.path if Path(spec.path).is_absolute() else str(self.base_dir / spec.path)
        paths = sorted(glob.glob(pattern))
        if not paths:
            raise SourceError(f"dataset {tile.dataset}: no file matches {pattern}")
        frames = []
        for path in paths:
            try:
                frames.append(_read(path, spec.format, tile))
            except (OSError, ValueError) as exc:
                raise SourceError(f"dataset {tile.dataset}: cannot read {path} ({exc})") from None
        frame = type_frame(pd.concat(frames, ignore_index=True), tile, f"{pattern}")
        frame = within_weeks(frame, tile, week)
        return Dataset(tile.dataset, tile, frame, link=f"file://{paths[0]}")


def build(name: str, cfg: FilesConfig, ctx: BuildContext) -> FilesSource:
    return FilesSource(ctx.base_dir, cfg.datasets, cfg.complete_after)
