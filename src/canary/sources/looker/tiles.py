"""Dashboard tiles as canary sees them: which are datasets, their queries and filters (pure).

A dashboard filter reaches a tile through the tile's listen mapping (``result_maker.
filterables[].listen[]``: filter name -> field); a filter with a value replaces the tile's
own filter on that field, as Looker does. Empty values leave the tile's filter alone.
Config names a filter by its ``name`` or by the ``title`` users see (they differ on LookML
dashboards). SDK objects become plain dataclasses here, so sources pickle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Literal

from canary.sources.looker.json_bi import column_name
from canary.weeks import WEEK

if TYPE_CHECKING:  # the SDK's models name types only: a run without Looker never loads it
    from looker_sdk.sdk.api40 import models as mdls

TileKind = Literal["query", "text", "merge", "other"]


@dataclass(frozen=True)
class TileQuery:
    """The query behind a tile, look or config entry, as Looker runs it."""

    model: str
    view: str
    fields: tuple[str, ...]
    filters: Mapping[str, str] = field(default_factory=dict)
    sorts: tuple[str, ...] = ()
    limit: int | None = None
    pivots: tuple[str, ...] = ()
    query_id: str | None = None  # a saved query: runnable by id while unchanged
    dynamic_fields: str | None = None  # custom fields and table calculations (JSON)
    filter_expression: str | None = None
    query_timezone: str | None = None

    def with_filters(self, extra: Mapping[str, str]) -> TileQuery:
        """This query with ``extra`` filters set; a changed query loses its saved id."""
        merged = {**self.filters, **extra}
        if merged == dict(self.filters):
            return self
        return replace(self, filters=merged, query_id=None)

    def newest_first(self, week: str | None, limit: int) -> TileQuery:
        """This query sorted by ``week`` descending (its other sorts after) with ``limit``
        rows: a row limit then drops the oldest weeks, never the latest. A changed sort
        loses the saved id; a limit alone does not (runs by id take one)."""
        sorts = self.sorts
        if week is not None:
            sorts = (f"{week} desc", *(s for s in self.sorts if s.split()[0] != week))
        if sorts == self.sorts and limit == self.limit:
            return self
        query_id = self.query_id if sorts == self.sorts else None
        return replace(self, sorts=sorts, limit=limit, query_id=query_id)


@dataclass(frozen=True)
class DashboardTile:
    """One dashboard element: its dataset name, kind, query and filter listeners."""

    element_id: str
    title: str
    kind: TileKind
    dataset: str
    query: TileQuery | None = None
    listens: Mapping[str, str] = field(default_factory=dict)  # filter name -> field


@dataclass(frozen=True)
class BoardFilter:
    """A dashboard filter: ``name`` is what tiles listen to, ``title`` what users see."""

    name: str
    title: str
    default_value: str = ""
    dimension: str | None = None

    def describe(self) -> str:
        """``'instance' (title 'Instance')``, or the name alone when both are the same."""
        return (
            repr(self.name) if self.title == self.name else f"{self.name!r} (title {self.title!r})"
        )


@dataclass(frozen=True)
class Board:
    """What canary keeps of a dashboard definition."""

    title: str
    filters: tuple[BoardFilter, ...]
    tiles: tuple[DashboardTile, ...]


@dataclass(frozen=True)
class Look:
    """What canary keeps of a saved look."""

    title: str
    query: TileQuery | None


def board_of(
    dashboard: mdls.Dashboard, overrides: Mapping[str, str], known: Mapping[str, str]
) -> Board:
    """The ``Board`` of an SDK dashboard (tiles named as ``discover`` names them)."""
    filters = tuple(
        BoardFilter(f.name, f.title or f.name, f.default_value or "", f.dimension)
        for f in dashboard.dashboard_filters or ()
        if f.name
    )
    return Board(dashboard.title or "", filters, tuple(discover(dashboard, overrides, known)))


def look_of(look: mdls.LookWithQuery) -> Look:
    return Look(look.title or "", query_of(look.query, look.query_id))


def slug(text: str) -> str:
    """A stable snake_case name: ``"Insights by type (S2)"`` -> ``insights_by_type_s2``."""
    return re.sub(r"[^0-9a-z]+", "_", text.lower()).strip("_")


def _limit(raw: str | None) -> int | None:
    try:
        value = int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return value if value is None or value > 0 else None


def week_field(query: TileQuery, time_column: str, renames: Mapping[str, str]) -> str | None:
    """The field of ``query`` that becomes the tile's time column."""
    return next(
        (f for f in query.fields if (renames.get(f) or column_name(f)) == time_column), None
    )


def query_of(query: mdls.Query | None, query_id: str | None = None) -> TileQuery | None:
    """The SDK ``Query`` as a ``TileQuery`` (None when there is none)."""
    if query is None:
        return None
    return TileQuery(
        model=query.model,
        view=query.view,
        fields=tuple(query.fields or ()),
        filters={k: "" if v is None else str(v) for k, v in (query.filters or {}).items()},
        sorts=tuple(query.sorts or ()),
        limit=_limit(query.limit),
        pivots=tuple(query.pivots or ()),
        query_id=query.id or query_id,
        dynamic_fields=query.dynamic_fields,
        filter_expression=query.filter_expression,
        query_timezone=query.query_timezone,
    )


def _query(element: mdls.DashboardElement) -> TileQuery | None:
    maker = element.result_maker
    if element.query is not None:
        return query_of(element.query, element.query_id)
    if maker is not None and maker.query is not None:
        return query_of(maker.query, maker.query_id)
    if element.look is not None and element.look.query is not None:
        return query_of(element.look.query, element.look.query_id)
    return None


def _kind(element: mdls.DashboardElement, query: TileQuery | None) -> TileKind:
    maker = element.result_maker
    if element.type == "text":
        return "text"
    if element.merge_result_id or (maker is not None and maker.merge_result_id):
        return "merge"
    return "query" if query is not None else "other"


def listens_of(element: mdls.DashboardElement) -> dict[str, str]:
    """Dashboard filter name -> the tile field it filters."""
    maker = element.result_maker
    out: dict[str, str] = {}
    for filterable in (maker.filterables if maker else None) or ():
        for listen in filterable.listen or ():
            if listen.dashboard_filter_name and listen.field:
                out[listen.dashboard_filter_name] = listen.field
    return out


def discover(
    dashboard: mdls.Dashboard,
    overrides: Mapping[str, str],
    known: Mapping[str, str],
) -> list[DashboardTile]:
    """Every element of ``dashboard`` with its dataset name.

    The name is the override for the element id or title, else the dataset whose catalog
    title has the same slug (``known``: slug -> dataset), else the slug of the title.
    Names are unique: a repeated one gets the element id appended.
    """
    tiles: list[DashboardTile] = []
    seen: set[str] = set()
    for element in dashboard.dashboard_elements or ():
        element_id = str(element.id or "")
        query = _query(element)
        title = element.title or element.title_text or (element.look.title if element.look else "")
        title = title or f"element {element_id}"
        base = slug(title)
        name = (
            overrides.get(element_id) or overrides.get(title) or known.get(base) or base or "tile"
        )
        if name in seen:
            name = f"{name}_{slug(element_id)}"
        seen.add(name)
        tiles.append(
            DashboardTile(
                element_id, title, _kind(element, query), name, query, listens_of(element)
            )
        )
    return tiles


def find_filter(filters: Sequence[BoardFilter], key: str) -> BoardFilter | None:
    """The filter named ``key``, else the one titled ``key``; ``ValueError`` when two
    filters share that title."""
    named = next((f for f in filters if f.name == key), None)
    if named is not None:
        return named
    titled = [f for f in filters if f.title == key]
    if len(titled) > 1:
        raise ValueError(
            f"has several filters titled {key!r}: {', '.join(f.describe() for f in titled)}; "
            f"name one by its name"
        )
    return titled[0] if titled else None


def filter_values(
    filters: Sequence[BoardFilter],
    chosen: Mapping[str, str],
    date_filter: str | None,
    weeks: str | None,
) -> dict[str, str]:
    """Filter name -> value: ``chosen`` (by name or title) over the dashboard's defaults,
    weeks on ``date_filter``.

    Raises ``ValueError`` naming the filters the dashboard has when one is unknown.
    """
    asked = [*chosen, *([date_filter] if date_filter else [])]
    found = {key: f for key in asked if (f := find_filter(filters, key)) is not None}
    unknown = [key for key in asked if key not in found]
    if unknown:
        raise ValueError(
            f"has no filter {', '.join(map(repr, unknown))}; its filters: "
            f"{', '.join(f.describe() for f in filters) or '(none)'}"
        )
    values = {f.name: f.default_value for f in filters}
    values.update({found[key].name: value for key, value in chosen.items()})
    if date_filter and weeks:
        values[found[date_filter].name] = weeks
    return values


def tile_filters(tile: DashboardTile, values: Mapping[str, str]) -> dict[str, str]:
    """The filters the dashboard puts on ``tile``'s fields through its listen mapping."""
    return {fld: values[name] for name, fld in tile.listens.items() if values.get(name)}


def weeks_expression(lo: date | None, hi: date) -> str:
    """A Looker date filter for the weeks ``lo..hi`` (inclusive; ``lo`` None: all before)."""
    end = hi + WEEK
    return f"before {end.isoformat()}" if lo is None else f"{lo.isoformat()} to {end.isoformat()}"
