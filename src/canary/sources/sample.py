"""The bundled sample warehouse: a DuckDB file, generated on first use, behind the sql source."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from canary.dashboards import Dashboard, Tile, View, catalog
from canary.dataset import Dataset
from canary.sample.generator import SampleSpec
from canary.sample.warehouse import FILE_NAME, WarehouseSpec, ensure, url_of
from canary.sources.registry import BuildContext
from canary.sources.sample_config import SampleSourceConfig
from canary.sources.sql.source import SqlSource
from canary.summary import TileSummary
from canary.weeks import latest_complete_week

#: What ``canary sample`` says of a warehouse: its pings, weeks and instances.
CONTENTS_SQL = (
    "SELECT count(*) AS pings, count(DISTINCT week) AS weeks, min(week) AS first_week, "
    "max(week) AS last_week, count(DISTINCT site_id) AS instances FROM pings"
)


@dataclass(frozen=True)
class Contents:
    """A built sample warehouse, as ``canary sample`` reports it."""

    path: Path
    pings: int
    weeks: int
    first_week: date
    last_week: date
    instances: int

    def summary(self) -> str:
        return (
            f"sample warehouse {self.path}: {self.pings:,} pings, {self.weeks} weeks "
            f"{self.first_week}..{self.last_week}, {self.instances:,} instances"
        )


def sample_spec(source: SampleSourceConfig, now: datetime) -> SampleSpec:
    """What the sample holds as of ``now``: weeks up to the latest complete one."""
    end = latest_complete_week(now, source.complete_after)
    return SampleSpec(end_week=end, weeks=source.weeks, seed=source.seed)


#: Held while the sample source checks (and if need be generates) its warehouse file.
_BUILDING = threading.Lock()


@dataclass
class SampleWarehouseSource:
    """Generates the warehouse file when its spec changes, then queries it as SQL."""

    data_dir: Path
    spec: WarehouseSpec
    dashboard: Dashboard
    complete_after: timedelta
    views: Mapping[str, View] = field(default_factory=lambda: catalog().views, repr=False)
    _sql: SqlSource | None = field(default=None, init=False, repr=False)
    _key: str | None = field(default=None, init=False, repr=False)

    def sql(self) -> SqlSource:
        """The sql source over the warehouse file of the current spec (generated if need be)."""
        key = self.spec.fingerprint()
        with _BUILDING:  # datasets are pulled in threads: one of them generates the file
            if self._sql is None or self._key != key:
                path = ensure(self.data_dir, self.spec)
                self._sql = SqlSource(
                    "sample", url_of(path), self.dashboard, self.complete_after, views=self.views
                )
                self._key = key
            return self._sql

    def pull(self, tile: Tile, week: date) -> Dataset:
        return self.sql().pull(tile, week)

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        return self.sql().summarize(tile, week)

    def weekly_summaries(
        self, tile: Tile, weeks: Sequence[date]
    ) -> list[tuple[date, TileSummary]] | None:
        return self.sql().weekly_summaries(tile, weeks)

    def fingerprints(self, tile: Tile, weeks: tuple[date, date]) -> dict[date, str]:
        return self.sql().fingerprints(tile, weeks)

    def contents(self) -> Contents:
        """What the warehouse holds (built first if need be), read through the sql source."""
        sql = self.sql()
        row = sql.read(CONTENTS_SQL, {}, sql.where("pings")).iloc[0]
        return Contents(
            self.data_dir / FILE_NAME,
            int(row["pings"]),
            int(row["weeks"]),
            pd.Timestamp(row["first_week"]).date(),
            pd.Timestamp(row["last_week"]).date(),
            int(row["instances"]),
        )

    def query(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Dataset:
        """The tile's rows of the weeks ``weeks`` bounds (backfill reads many at once)."""
        return self.sql().query(tile, weeks)


def build(name: str, cfg: SampleSourceConfig, ctx: BuildContext) -> SampleWarehouseSource:
    spec = WarehouseSpec(sample_spec(cfg, ctx.now), ctx.scenario, ctx.scenario_week)
    return SampleWarehouseSource(
        ctx.data_dir, spec, ctx.dashboard, cfg.complete_after, views=ctx.views
    )
