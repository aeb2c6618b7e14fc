"""The Looker sources: dashboard tiles, saved looks and inline queries, one dataset each.

Each pull runs one query in ``json_bi``, types the frame by Looker's metadata and then by
the canary tile (``dashboards.yaml``), so the same suites check it as on any source.
Sources keep plain data only (no SDK objects), so a backtest can send them to its workers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from looker_sdk.sdk.api40 import models as mdls

from canary.dashboards import Dashboard, Tile
from canary.dataset import Dataset
from canary.errors import SourceError
from canary.frames import type_frame
from canary.sources.base import week_range, within_weeks
from canary.sources.looker import json_bi
from canary.sources.looker.client import LookerClient, Sdk, client_for
from canary.sources.looker.config import (
    LookerConnection,
    LookerDashboardConfig,
    LookerLookConfig,
    LookerQueryConfig,
)
from canary.sources.looker.links import dashboard_link, explore_link, look_link
from canary.sources.looker.settings import Connection
from canary.sources.looker.tiles import (
    Board,
    DashboardTile,
    Look,
    TileQuery,
    board_of,
    filter_values,
    look_of,
    slug,
    tile_filters,
    week_field,
    weeks_expression,
)
from canary.summary import TileSummary, summary_of

log = logging.getLogger(__name__)
DEFAULT_ROW_LIMIT = 5000
RESULT_FORMAT = "json_bi"


@dataclass
class LookerDataset(Dataset):
    """A dataset pulled from Looker; ``fields`` names the Looker fields it came from."""

    looker_fields: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> dict[str, str]:
        return {**super().fields, **self.looker_fields}


@dataclass(frozen=True)
class QueryRun:
    """One query to run for one tile, and how to describe and link it."""

    what: str  # "Looker dashboard 1, tile 'Instances reporting' (element 3)"
    query: TileQuery
    link: str
    look_id: str | None = None  # an unchanged saved look runs as the look


@dataclass
class LookerSource:
    """What the three Looker sources share: the connection, limits and running a query."""

    name: str
    cfg: LookerConnection
    conn: Connection
    complete_after: timedelta = field(init=False)

    def __post_init__(self) -> None:
        self.complete_after = self.cfg.complete_after

    def client(self) -> LookerClient:
        return client_for(self.conn)

    def pull(self, tile: Tile, week: date) -> Dataset:  # pragma: no cover - per kind
        raise NotImplementedError

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        """Looker tiles are small: summarised from the pulled frame."""
        return summary_of(self.pull(tile, week), week)

    def ordered(self, query: TileQuery, tile: Tile) -> TileQuery:
        """``query`` as canary runs it: newest week first, with ``row_limit`` rows (default
        the larger of the tile's limit and 5000). Tiles are often sorted oldest first or
        saved with 500 rows, which would cut off the latest weeks."""
        limit = self.cfg.row_limit or max(query.limit or 0, DEFAULT_ROW_LIMIT)
        return query.newest_first(week_field(query, tile.time_column, self.cfg.columns), limit)

    def fetch(self, run: QueryRun, limit: int) -> str | bytes:
        """The raw json_bi answer to ``run`` (by look, saved query id, or inline)."""
        q = run.query

        def go(sdk: Sdk) -> str | bytes:
            if run.look_id and q.query_id:
                return sdk.run_look(run.look_id, RESULT_FORMAT, limit=limit)
            if q.query_id:
                return sdk.run_query(q.query_id, RESULT_FORMAT, limit=limit)
            body = mdls.WriteQuery(
                model=q.model,
                view=q.view,
                fields=list(q.fields),
                filters=dict(q.filters),
                sorts=list(q.sorts) or None,
                limit=str(limit),
                pivots=list(q.pivots) or None,
                dynamic_fields=q.dynamic_fields,
                filter_expression=q.filter_expression,
                query_timezone=q.query_timezone,
            )
            return sdk.run_inline_query(RESULT_FORMAT, body)

        return self.client().call(f"{run.what}: running its query", go)

    def run(self, tile: Tile, week: date, run: QueryRun, notes: list[str]) -> LookerDataset:
        """Run ``run`` and shape the answer as ``tile``'s dataset for ``week`` (rows in the
        order of its dimensions, whatever order Looker sent them in)."""
        limit = run.query.limit or DEFAULT_ROW_LIMIT
        body = self.fetch(run, limit)
        try:
            result = json_bi.parse(body, run.query.fields, self.cfg.columns)
        except json_bi.BodyError as exc:
            raise SourceError(f"{run.what}: {exc}") from None
        notes = list(notes)
        if len(result.frame) >= limit:
            notes.insert(
                0,
                f"row limit hit: {run.what} returned {len(result.frame)} rows, its limit, so "
                f"the data may be truncated (raise sources.{self.name}.row_limit)",
            )
        frame = within_weeks(type_frame(result.frame, tile, run.what), tile, week)
        dims = [f.column for f in tile.fields if f.kind == "dimension" and f.column in frame]
        frame = frame.sort_values(dims, kind="stable").reset_index(drop=True) if dims else frame
        log.info("%s: %d rows", run.what, len(frame))
        # One warning per dataset: the pipeline keys warning checks by dataset alone.
        warnings = ["; ".join(notes)] if notes else []
        return LookerDataset(tile.dataset, tile, frame, run.link, warnings, result.fields)

    def week_filter(self, week_field: str | None, tile: Tile, week: date) -> dict[str, str]:
        return {week_field: weeks_expression(*week_range(tile, week))} if week_field else {}


@dataclass
class DashboardSource(LookerSource):
    """Every query tile of a Looker dashboard, filtered the way the dashboard filters it."""

    cfg: LookerDashboardConfig
    dashboard: Dashboard  # the canary dashboard whose tiles these are
    _board: Board | None = field(default=None, repr=False)
    _noted: bool = False

    @property
    def what(self) -> str:
        return f"Looker dashboard {self.cfg.dashboard_id}"

    def board(self) -> Board:
        """The dashboard definition, read once per source."""
        if self._board is None:
            dashboard = self.client().call(
                f"{self.what}: reading it", lambda sdk: sdk.dashboard(self.cfg.dashboard_id)
            )
            known = {slug(t.title): t.dataset for t in self.dashboard.tiles}
            known.update({t.dataset: t.dataset for t in self.dashboard.tiles})
            self._board = board_of(dashboard, self.cfg.datasets, known)
        return self._board

    def tiles(self) -> list[DashboardTile]:
        return list(self.board().tiles)

    def filters(self, tile: Tile | None, week: date | None) -> dict[str, str]:
        """Dashboard filter values (with the weeks of ``tile`` when a date filter is set)."""
        weeks = (
            weeks_expression(*week_range(tile, week))
            if tile is not None and week is not None and self.cfg.date_filter
            else None
        )
        try:
            return filter_values(
                self.board().filters,
                self.cfg.filters,
                self.cfg.date_filter,
                weeks,
            )
        except ValueError as exc:
            raise SourceError(
                f"{self.what} {exc} (sources.{self.name}.filters / date_filter)"
            ) from None

    def pull(self, tile: Tile, week: date) -> Dataset:
        tiles = self.tiles()
        match = next((t for t in tiles if t.dataset == tile.dataset), None)
        if match is None:
            shown = ", ".join(f"{t.title!r} -> {t.dataset}" for t in tiles if t.kind == "query")
            raise SourceError(
                f"{self.what}: no tile is dataset {tile.dataset!r} (tiles: {shown or 'none'}); "
                f"name one in sources.{self.name}.datasets"
            )
        what = f"{self.what}, tile {match.title!r} (element {match.element_id})"
        if match.kind == "merge":
            raise SourceError(f"{what}: merges several queries; canary cannot pull merged results")
        if match.kind != "query" or match.query is None:
            raise SourceError(f"{what}: is a {match.kind} tile without a query")
        values = self.filters(tile, week)
        query = self.ordered(match.query.with_filters(tile_filters(match, values)), tile)
        by_title = {f.title: values[f.name] for f in self.board().filters}
        link = dashboard_link(self.conn.web_url, self.cfg.dashboard_id, by_title)
        notes = [] if self._noted else unsupported_notes(self.what, tiles)
        data = self.run(tile, week, QueryRun(what, query, link), notes)
        self._noted = True
        return data


def unsupported_notes(what: str, tiles: list[DashboardTile]) -> list[str]:
    """Warnings for tiles canary skips for lack of support (merged results)."""
    merged = [t for t in tiles if t.kind == "merge"]
    if not merged:
        return []
    names = ", ".join(f"{t.title!r} (element {t.element_id})" for t in merged)
    return [f"{what}: merged-result tiles are not supported and were skipped: {names}"]


@dataclass
class LookSource(LookerSource):
    """Saved looks, one per dataset (``week_field`` narrows them to the pulled weeks)."""

    cfg: LookerLookConfig
    _looks: dict[str, Look] = field(default_factory=dict, repr=False)

    def look(self, look_id: str) -> Look:
        if look_id not in self._looks:
            look = self.client().call(
                f"Looker look {look_id}: reading it", lambda sdk: sdk.look(look_id)
            )
            self._looks[look_id] = look_of(look)
        return self._looks[look_id]

    def pull(self, tile: Tile, week: date) -> Dataset:
        entry = self.cfg.looks[tile.dataset]
        look = self.look(entry.id)
        what = f"Looker look {entry.id} {look.title!r}"
        query = look.query
        if query is None:
            raise SourceError(f"{what}: has no query")
        query = self.ordered(
            query.with_filters(self.week_filter(entry.week_field, tile, week)), tile
        )
        link = look_link(self.conn.web_url, entry.id)
        return self.run(tile, week, QueryRun(what, query, link, look_id=entry.id), [])


@dataclass
class QuerySource(LookerSource):
    """Inline queries from the config, one per dataset."""

    cfg: LookerQueryConfig

    def pull(self, tile: Tile, week: date) -> Dataset:
        spec = self.cfg.queries[tile.dataset]
        query = TileQuery(
            model=spec.model,
            view=spec.view,
            fields=tuple(spec.fields),
            filters=dict(spec.filters),
            sorts=tuple(spec.sorts),
            limit=spec.limit,
        ).with_filters(self.week_filter(spec.week_field, tile, week))
        query = self.ordered(query, tile)
        what = f"Looker query {tile.dataset} ({spec.model}/{spec.view})"
        link = explore_link(self.conn.web_url, query)
        return self.run(tile, week, QueryRun(what, query, link), [])
