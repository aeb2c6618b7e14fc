"""The dashboards as data: views, fields, tiles and dashboards from ``dashboards.yaml``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

FieldType = Literal["date", "integer", "number", "string"]
#: A sum measure's SQL: ``sum(x)``, or ``coalesce(sum(x), 0)`` as Looker writes sums.
_SUM_OF = re.compile(r"^\s*(?:coalesce\(\s*)?sum\((\w+)\)(?:\s*,\s*0\s*\))?\s*$", re.IGNORECASE)
Shape = Literal["series", "snapshot"]
#: What a field is to the data: a counter, a key, a segment, the version, or the label naming
#: an instance (the incident rules read roles, not field names).
FieldRole = Literal["counter", "key", "segment", "version", "label"]


@dataclass(frozen=True)
class Field:
    """A Looker-style field ``view.name``; ``column`` is its snake_case column in frames."""

    view: str
    name: str
    type: FieldType
    kind: Literal["dimension", "measure"]
    sql: str
    label: str
    counter: bool = False
    personal: bool = False
    churns: bool = False  # new values are normal (a release adds a version)
    role: FieldRole | None = None  # declared; else read from the tile (``families.role_of``)

    @property
    def ref(self) -> str:
        return f"{self.view}.{self.name}"

    @property
    def column(self) -> str:
        return self.name

    @property
    def summed(self) -> str | None:
        """The column a sum measure adds up (``coalesce(sum(x), 0)`` -> ``x``), else None."""
        match = _SUM_OF.match(self.sql) if self.kind == "measure" else None
        return match.group(1) if match else None


@dataclass(frozen=True)
class View:
    name: str
    label: str
    fields: dict[str, Field]


@dataclass(frozen=True)
class Tile:
    """One dashboard tile, pulled as one dataset."""

    dataset: str
    title: str
    shape: Shape
    view: str
    fields: tuple[Field, ...]
    segments: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    time_column: str = "week"
    reads_from: date | None = None  # a series pull's first week (None: every week it has)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.fields]

    @property
    def dtypes(self) -> dict[str, FieldType]:
        return {f.column: f.type for f in self.fields}

    @property
    def row_key(self) -> list[str]:
        """Columns that identify a row: the declared key, else time column plus segments."""
        return list(self.key) or [self.time_column, *self.segments]

    def field_for(self, column: str) -> Field:
        return next(f for f in self.fields if f.column == column)


@dataclass(frozen=True)
class DashboardFilter:
    name: str
    dimension: str
    value: str | None


@dataclass(frozen=True)
class Dashboard:
    name: str
    title: str
    tiles: tuple[Tile, ...]
    filters: tuple[DashboardFilter, ...] = field(default=())

    def tile(self, dataset: str) -> Tile:
        for tile in self.tiles:
            if tile.dataset == dataset:
                return tile
        raise KeyError(dataset)

    def filter_values(self) -> dict[str, str]:
        """Dimension -> value of every dashboard filter that is set."""
        return {f.dimension: f.value for f in self.filters if f.value is not None}


@dataclass(frozen=True)
class Catalog:
    views: dict[str, View]
    tiles: dict[str, Tile]
    dashboards: dict[str, Dashboard]

    def field(self, ref: str) -> Field:
        view, _, name = ref.partition(".")
        return self.views[view].fields[name]


def parse_catalog(raw: dict[str, Any]) -> Catalog:
    """Definitions (``dashboards.yaml``'s shape) as a catalog; ``ValueError`` names what
    does not resolve (a tile's field, a dashboard's tile, a filter's dimension)."""
    views: dict[str, View] = {}
    for vname, vraw in raw["views"].items():
        fields: dict[str, Field] = {}
        for kind in ("dimension", "measure"):
            for fname, fraw in (vraw.get(kind + "s") or {}).items():
                fields[fname] = Field(
                    view=vname,
                    name=fname,
                    type=fraw["type"],
                    kind=kind,
                    sql=fraw["sql"],
                    label=fraw.get("label") or fname.replace("_", " ").capitalize(),
                    counter=bool(fraw.get("counter", False)),
                    personal=bool(fraw.get("personal", False)),
                    churns=bool(fraw.get("churns", False)),
                    role=fraw.get("role"),
                )
        views[vname] = View(vname, vraw.get("label") or vname, fields)
    catalog = Catalog(views, {}, {})
    for dataset, traw in raw["tiles"].items():
        tile_fields = tuple(
            _field(catalog, f"tiles.{dataset}.fields", ref) for ref in traw["fields"]
        )
        view_names = {f.view for f in tile_fields}
        if len(view_names) != 1:
            raise ValueError(
                f"tiles.{dataset}: fields come from several views {sorted(view_names)}"
            )
        columns = {f.column for f in tile_fields}
        for part in ("segments", "key"):
            missing = [c for c in traw.get(part) or () if c not in columns]
            if missing:
                raise ValueError(
                    f"tiles.{dataset}.{part}: {', '.join(missing)} not among the tile's fields"
                )
        catalog.tiles[dataset] = Tile(
            dataset=dataset,
            title=traw["title"],
            shape=traw["shape"],
            view=view_names.pop(),
            fields=tile_fields,
            segments=tuple(traw.get("segments") or ()),
            key=tuple(traw.get("key") or ()),
        )
    for dname, draw in raw["dashboards"].items():
        unknown = [t for t in draw["tiles"] if t not in catalog.tiles]
        if unknown:
            raise ValueError(
                f"dashboards.{dname}.tiles: unknown tile {', '.join(unknown)}; "
                f"allowed: {', '.join(sorted(catalog.tiles))}"
            )
        tiles = tuple(catalog.tiles[t] for t in draw["tiles"])
        filters = []
        for name, f in (draw.get("filters") or {}).items():
            if not all(f["dimension"] in catalog.views[t.view].fields for t in tiles):
                raise ValueError(
                    f"dashboards.{dname}.filters.{name}: dimension {f['dimension']!r} is not "
                    "in the view of every tile"
                )
            filters.append(DashboardFilter(name, f["dimension"], f.get("value")))
        catalog.dashboards[dname] = Dashboard(dname, draw["title"], tiles, tuple(filters))
    return catalog


def _field(catalog: Catalog, where: str, ref: str) -> Field:
    view, _, name = ref.partition(".")
    if view not in catalog.views or name not in catalog.views[view].fields:
        raise ValueError(f"{where}: unknown field {ref!r} (view.field of a defined view)")
    return catalog.views[view].fields[name]


def bundled_raw() -> dict[str, Any]:
    """The bundled definitions as parsed YAML (a fresh copy)."""
    text = resources.files("canary").joinpath("dashboards.yaml").read_text()
    raw: dict[str, Any] = yaml.safe_load(text)
    return raw


@cache
def catalog() -> Catalog:
    """The bundled dashboard definitions (parsed once)."""
    return parse_catalog(bundled_raw())


def build_query(
    view: View,
    fields: list[Field],
    filters: dict[str, str],
    week_range: tuple[date | None, date | None] = (None, None),
    limit: int | None = None,
    table: str | None = None,
    placeholder: Callable[[int], str] = lambda i: "?",
    ordered: bool = True,
) -> tuple[str, list[Any]]:
    """SQL answering a Looker-style query over ``view`` (its ``table``, default its name).

    Dimensions group when any measure is asked for; ``filters`` are equalities on
    dimensions; ``week_range`` bounds the week dimension (inclusive). Parameter ``i`` is
    written ``placeholder(i)`` (``?`` by default, ``:p0`` for SQLAlchemy). Rows come in
    dimension order unless not ``ordered`` (rows only aggregated: sorting them is waste).
    """
    select = [f"{f.sql} AS {f.column}" for f in fields]
    where: list[str] = []
    params: list[Any] = []

    def bound(sql: str, op: str, value: Any) -> None:
        where.append(f"{sql} {op} {placeholder(len(params))}")
        params.append(value)

    for dim, value in filters.items():
        bound(view.fields[dim].sql, "=", value)
    lo, hi = week_range
    if lo is not None:
        bound(view.fields["week"].sql, ">=", lo)
    if hi is not None:
        bound(view.fields["week"].sql, "<=", hi)
    dims = [f for f in fields if f.kind == "dimension"]
    sql = f"SELECT {', '.join(select)} FROM {table or view.name}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if dims and len(dims) < len(fields):
        sql += " GROUP BY " + ", ".join(f.sql for f in dims)
    if dims and ordered:
        sql += " ORDER BY " + ", ".join(f.sql for f in dims)
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params
