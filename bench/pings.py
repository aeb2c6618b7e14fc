"""The output contract the bench's usage generators share: the sample's wide pings frame and
the per-tile files the files source reads.

A generator draws its own fleet and usage; ``frame`` lays the drawn arrays out as the
sample's pings (so the breakage catalog injects into them unchanged) and ``export`` writes
every dashboard's tiles from them, as a warehouse export would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from canary.dashboards import catalog
from canary.sample.generator import TYPES_PREFIX, USAGE, SampleSpec, release_name
from canary.sample.warehouse import WarehouseSpec, url_of, with_scenario, write
from canary.sources.sql.source import SqlSource


@dataclass(frozen=True)
class GeneratorSpec:
    """What a bench generator makes: ``weeks`` weeks ending at ``end_week``, from ``seed``."""

    end_week: date
    weeks: int = 130
    seed: int = 1
    instances: int = 800

    def sample_spec(self) -> SampleSpec:
        """The release calendar and week range the breakage catalog reads."""
        return SampleSpec(end_week=self.end_week, weeks=self.weeks, seed=self.seed)


def site_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random version-4 UUIDs."""
    hexes = [rng.bytes(16).hex() for _ in range(n)]
    return np.array([f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:]}" for h in hexes])


@dataclass(frozen=True)
class Cells:
    """The reporting (instance, week) cells of a fleet and what identifies each instance.

    ``inst`` and ``wk`` index the cells; ``ids``, ``labels`` and ``deploy`` are per instance;
    ``release``, ``patch`` and ``state`` per cell; ``key`` prefixes the license keys.
    """

    weeks: list[date]
    inst: np.ndarray
    wk: np.ndarray
    ids: np.ndarray
    labels: np.ndarray
    deploy: np.ndarray
    release: np.ndarray
    patch: np.ndarray
    state: np.ndarray
    key: str


def frame(
    cells: Cells, counters: dict[str, np.ndarray], by_type: dict[str, np.ndarray]
) -> pd.DataFrame:
    """Pings in the sample's shape, one row per cell, sorted by week and site.

    ``counters`` maps a usage JSON key and ``by_type`` an insight type to a value per cell.
    """
    inst = cells.inst
    out = pd.DataFrame(
        {
            "site_id": cells.ids[inst],
            "week": np.array(cells.weeks, dtype=object)[cells.wk],
            "instance_label": cells.labels[inst],
            "admin_email": [f"it@org-{i:05d}.example.org" for i in inst],
            "license_key": [f"{cells.key}-{i:05d}-{(i * 2654435761) % 99991:05d}" for i in inst],
            "version": [
                f"{release_name(r)}.{p}" for r, p in zip(cells.release, cells.patch, strict=True)
            ],
            "deploy_type": cells.deploy[inst],
            "release_index": cells.release,
            "usage_state": cells.state,
        }
    )
    for key, column in counters.items():
        out[USAGE + key] = pd.array(column, dtype="Int64")
    for kind, column in by_type.items():
        out[TYPES_PREFIX + kind] = pd.array(column, dtype="Int64")
    return out.sort_values(["week", "site_id"], kind="stable").reset_index(drop=True)


def export(
    pings: pd.DataFrame,
    spec: SampleSpec,
    directory: Path,
    scenario: str | None = None,
    scenario_week: date | None = None,
) -> dict[str, Path]:
    """Write every dashboard's tiles of ``pings`` as Parquet files under
    ``directory/<dashboard>/``; ``spec`` gives the release calendar and weeks.

    Returns the glob of each dashboard's files (``{dataset}`` stands for the dataset name).
    A ``scenario`` from the breakage catalog is injected from ``scenario_week`` on.
    """
    warehouse = directory / "pings.duckdb"
    chosen = WarehouseSpec(spec, scenario, scenario_week)
    write(*with_scenario(pings, chosen), path=warehouse, spec=chosen)
    out = {}
    for name, dashboard in catalog().dashboards.items():
        folder = directory / name
        folder.mkdir(parents=True, exist_ok=True)
        sql = SqlSource("export", url_of(warehouse), dashboard, timedelta(days=1))
        for tile in dashboard.tiles:
            data = sql.query(tile, (None, spec.end_week)).frame  # every week, like an export
            data.to_parquet(folder / f"{tile.dataset}.parquet", index=False)
        out[name] = folder / "{dataset}.parquet"
    return out
