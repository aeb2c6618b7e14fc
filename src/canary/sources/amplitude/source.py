"""The Amplitude source: each dataset a saved chart or an event segmentation, read weekly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from canary.dashboards import Tile
from canary.dataset import Dataset
from canary.errors import ConfigError
from canary.frames import type_frame
from canary.secrets import resolve
from canary.sources.amplitude.client import AmplitudeClient
from canary.sources.amplitude.config import AmplitudeConfig, AmplitudeDataset, Segmentation
from canary.sources.amplitude.series import columns_of, rows_of
from canary.sources.base import week_range
from canary.sources.registry import BuildContext
from canary.summary import TileSummary, summary_of
from canary.weeks import WEEK, week_start

WEEKLY = "7"  # the segmentation API's interval ``i`` for weeks


def segmentation_params(seg: Segmentation, first: date, week: date) -> dict[str, str]:
    """The query of an event segmentation: weekly, from week ``first`` through ``week``."""
    event: dict[str, Any] = {"event_type": seg.event}
    if seg.group_by:
        event["group_by"] = [{"type": seg.group_by_type, "value": seg.group_by}]
    return {
        "e": json.dumps(event, separators=(",", ":")),
        "m": seg.metric,
        "i": WEEKLY,
        "start": f"{first:%Y%m%d}",
        "end": f"{week + WEEK - timedelta(days=1):%Y%m%d}",
    }


@dataclass
class AmplitudeSource:
    """Series tiles from Amplitude: up to the week under test, for as many weeks as the
    chart's saved range holds or ``weeks`` for a segmentation."""

    name: str
    cfg: AmplitudeConfig
    client: AmplitudeClient
    this_week: date  # the newest week a read without an end asks for

    @property
    def complete_after(self) -> timedelta:
        return self.cfg.complete_after

    def entry(self, dataset: str) -> AmplitudeDataset:
        entry = self.cfg.datasets.get(dataset)
        if entry is None:
            raise ConfigError(
                f"sources.{self.name}.datasets: no entry for dataset {dataset!r}; "
                f"has {', '.join(self.cfg.datasets)}"
            )
        return entry

    def answer(self, dataset: str, first: date | None, last: date) -> tuple[str, Any]:
        """What Amplitude answers for ``dataset``, and what was asked: a chart over its saved
        range, a segmentation from week ``first`` (default ``weeks`` weeks) through ``last``."""
        entry = self.entry(dataset)
        if entry.chart is not None:
            what = f"chart {entry.chart} ({dataset})"
            return what, self.client.get(f"/api/3/chart/{entry.chart}/query", {}, what)
        assert entry.segmentation is not None  # the config holds one of the two
        start = first or last - WEEK * (self.cfg.weeks - 1)
        params = segmentation_params(entry.segmentation, start, last)
        what = f"segmentation of {entry.segmentation.event!r} ({dataset})"
        return what, self.client.get("/api/2/events/segmentation", params, what)

    def query(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Dataset:
        """The tile's rows of the weeks ``weeks`` bounds, in one call (backfill reads a
        dataset once instead of once a week: Amplitude limits queries per hour)."""
        first, last = weeks[0], weeks[1] or self.this_week
        columns = columns_of(tile, f"sources.{self.name}: {tile.dataset}")
        what, answer = self.answer(tile.dataset, first, last)
        rows = rows_of(answer, columns, f"sources.{self.name}: {what}")
        frame = type_frame(rows[tile.columns], tile, f"source {self.name}")
        keep = frame[tile.time_column] <= pd.Timestamp(last)
        if first is not None:
            keep &= frame[tile.time_column] >= pd.Timestamp(first)
        return Dataset(tile.dataset, tile, frame[keep].reset_index(drop=True))

    def pull(self, tile: Tile, week: date) -> Dataset:
        return self.query(tile, week_range(tile, week))

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        return summary_of(self.pull(tile, week), week)


def client_of(name: str, cfg: AmplitudeConfig, environ: Mapping[str, str]) -> AmplitudeClient:
    """The connection of config source ``name``, its keys resolved (``SecretError`` if not)."""
    return AmplitudeClient(
        source=name,
        base_url=cfg.url,
        api_key=resolve(f"sources.{name}.api_key", cfg.api_key, environ).value,
        secret_key=resolve(f"sources.{name}.secret_key", cfg.secret_key, environ).value,
        timeout=cfg.timeout.total_seconds(),
        retries=cfg.retries,
    )


def build(name: str, cfg: AmplitudeConfig, ctx: BuildContext) -> AmplitudeSource:
    """The source of config source ``name``: its keys resolved, no call until a pull."""
    this_week = week_start(ctx.now.date())
    return AmplitudeSource(name, cfg, client_of(name, cfg, ctx.environ), this_week)
