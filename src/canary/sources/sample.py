"""The bundled sample warehouse: a DuckDB file, generated on first use, behind the sql source."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from canary.config import SampleSource
from canary.dashboards import Dashboard, Tile, View, catalog
from canary.sample.generator import SampleSpec
from canary.sample.warehouse import WarehouseSpec, ensure, url_of
from canary.sources.base import Dataset
from canary.sources.registry import BuildContext
from canary.sources.sql import SqlSource
from canary.weeks import latest_complete_week


def sample_spec(source: SampleSource, now: datetime) -> SampleSpec:
    """What the sample holds as of ``now``: weeks up to the latest complete one."""
    end = latest_complete_week(now, source.complete_after)
    return SampleSpec(end_week=end, weeks=source.weeks, seed=source.seed)


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
        if self._sql is None or self._key != key:
            path = ensure(self.data_dir, self.spec)
            self._sql = SqlSource(
                "sample", url_of(path), self.dashboard, self.complete_after, views=self.views
            )
            self._key = key
        return self._sql

    def pull(self, tile: Tile, week: date) -> Dataset:
        return self.sql().pull(tile, week)

    def query(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Dataset:
        """The tile's rows of the weeks ``weeks`` bounds (backfill reads many at once)."""
        return self.sql().query(tile, weeks)


def build(name: str, cfg: SampleSource, ctx: BuildContext) -> SampleWarehouseSource:
    spec = WarehouseSpec(sample_spec(cfg, ctx.now), ctx.scenario, ctx.scenario_week)
    return SampleWarehouseSource(
        ctx.data_dir, spec, ctx.dashboard, cfg.complete_after, views=ctx.views
    )
