"""A SQL warehouse as a source: each tile is one query of its view's fields over a table."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from canary.dashboards import Dashboard, Field, Tile, View, build_query, catalog
from canary.database_url import database_url_problem
from canary.dataset import Dataset
from canary.errors import ConfigError, SourceError
from canary.fingerprints import fingerprint
from canary.frames import type_frame
from canary.secrets import resolve
from canary.sources.base import week_range
from canary.sources.registry import BuildContext
from canary.sources.sql import pushdown
from canary.sources.sql.config import WAREHOUSE_EXAMPLE, SqlSourceConfig, dialect_settings_problem
from canary.sources.sql.connection import engine_for, link_of, local_file, read_frame
from canary.sources.sql.dialects import Dialect, dialect_of
from canary.sources.sql.pushdown import Relation
from canary.summary import TileSummary, WarehouseRows, files_state, summary_of
from canary.url_secrets import safe_url, scrub


def named(i: int) -> str:
    """SQLAlchemy's placeholder for the ``i``-th parameter of ``build_query``."""
    return f":p{i}"


def bind(values: list[Any]) -> dict[str, Any]:
    return {named(i)[1:]: v for i, v in enumerate(values)}


def inline(url: str, sql: str, params: Mapping[str, Any]) -> str:
    """``sql`` with its bound values written in as literals of ``url``'s dialect (GE's query
    assets take SQL text only)."""
    statement = sa.text(sql).bindparams(**params)
    dialect = engine_for(url).dialect
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def fingerprint_query(
    view: View, filters: dict[str, str], weeks: tuple[date, date], table: str
) -> tuple[str, list[Any]]:
    """Per week of ``weeks``: the view's rows and the sums of its counters (its counter
    dimensions and the columns its sum measures add up), filtered as the tiles are."""
    summed = [f.sql for f in view.fields.values() if f.kind == "dimension" and f.counter]
    summed += [f.summed for f in view.fields.values() if f.summed]
    columns = list(dict.fromkeys(summed))

    def measure(name: str, sql: str) -> Field:
        return Field(view.name, name, "number", "measure", sql, name)

    fields = [
        view.fields["week"],
        measure("fp_rows", "count(*)"),
        *(measure(f"fp_s_{c}", f"sum({c})") for c in columns),
    ]
    return build_query(view, fields, filters, weeks, table=table, placeholder=named, ordered=False)


@dataclass
class SqlSource:
    """Tiles as SQL on a warehouse: the week filter and aggregates run in the database."""

    name: str
    url: str = field(repr=False)
    dashboard: Dashboard
    complete_after: timedelta
    tables: Mapping[str, str] = field(default_factory=dict)
    query_timeout: timedelta = timedelta(seconds=300)
    retries: int = 2
    backoff: float = 1.0  # seconds before the first retry, doubling
    views: Mapping[str, View] = field(default_factory=lambda: catalog().views, repr=False)
    _fingerprints: dict[tuple[str, tuple[date, date]], dict[date, str]] = field(
        default_factory=dict, init=False, repr=False
    )

    def table(self, view: str) -> str:
        """The table a view reads (``tables`` mapping, else the view's own name)."""
        return self.tables.get(view, view)

    @property
    def dialect(self) -> Dialect:
        """The record of the warehouse's dialect: what runs there and how it is written."""
        return dialect_of(self.url)

    def where(self, table: str) -> str:
        return f"source {self.name} ({safe_url(self.url)}), table {table}"

    def read(self, sql: str, params: Mapping[str, Any], where: str) -> pd.DataFrame:
        """One read-only query, retried on transient errors."""
        for attempt in range(self.retries + 1):
            try:
                return read_frame(self.url, sql, params, self.query_timeout, where)
            except SourceError as exc:
                if not exc.transient or attempt == self.retries:
                    raise
                time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` (no rows read); ``SourceError`` when it cannot be read."""
        sql = f"SELECT * FROM {table} WHERE 1 = 0"
        return list(read_frame(self.url, sql, {}, self.query_timeout, self.where(table)).columns)

    def broken_fields(self, table: str, fields: list[Field]) -> list[str]:
        """``column view.field (sql: ...): message`` for each field whose SQL fails on ``table``."""
        out = []
        for f in fields:
            try:
                read_frame(
                    self.url,
                    f"SELECT {f.sql} AS probe FROM {table} WHERE 1 = 0",
                    {},
                    self.query_timeout,
                    f"column {f.ref} (sql: {f.sql})",
                )
            except SourceError as exc:
                out.append(str(exc))
        return out

    def diagnose(self, table: str, fields: list[Field]) -> str | None:
        """Why a query over ``table`` fails: the table itself, else its first broken field."""
        try:
            self.columns(table)
        except SourceError as exc:
            return str(exc)
        broken = self.broken_fields(table, fields)
        return f"{self.where(table)}, {broken[0]}" if broken else None

    def pull(self, tile: Tile, week: date) -> Dataset:
        return self.query(tile, week_range(tile, week))

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        """A snapshot's week summarised by SQL in the database; a series (its rows are
        aggregates already), or a snapshot on a dialect without push-down, pulled and
        summarised from its frame."""
        dialect = self.dialect
        if tile.shape == "series" or not dialect.pushdown:
            return summary_of(self.pull(tile, week), week)
        table = self.table(tile.view)
        summary = pushdown.summarize(
            tile.dataset,
            tile,
            week,
            self._relation(tile, week_range(tile, week)),
            lambda text, params: self._read_checked(text, params, tile),
            lambda: self.query(tile, (week, week)).frame,
            link_of(self.url, table),
        )
        if dialect.ge_sql:
            any_order, values = self._sql(tile, (week, week), ordered=False)
            in_order, _ = self._sql(tile, (week, week))
            summary.warehouse = WarehouseRows(
                self.url,
                inline(self.url, any_order, bind(values)),
                self.query_timeout,
                self.where(table),
                inline(self.url, in_order, bind(values)),
                files_state([str(path)]) if (path := local_file(self.url)) else None,
            )
        return summary

    def weekly_summaries(
        self, tile: Tile, weeks: Sequence[date]
    ) -> list[tuple[date, TileSummary]] | None:
        """A snapshot's ``weeks`` summarised for the store by one aggregate query in the
        database (``pushdown.weekly_summaries``); None where push-down does not apply."""
        if tile.shape == "series" or not self.dialect.pushdown or not weeks:
            return None
        return pushdown.weekly_summaries(
            tile.dataset,
            tile,
            weeks,
            self._relation(tile, (min(weeks), max(weeks))),
            lambda text, params: self._read_checked(text, params, tile),
        )

    def fingerprints(self, tile: Tile, weeks: tuple[date, date]) -> dict[date, str]:
        """Week -> fingerprint of ``tile``'s view over ``weeks``: its rows and the sums of its
        counters (``fingerprint_query``), one light ``GROUP BY`` week in the database, kept
        for the other tiles of the view."""
        key = (tile.view, weeks)
        if key not in self._fingerprints:
            view = self.views[tile.view]
            sql, values = fingerprint_query(
                view, self.dashboard.filter_values(), weeks, self.table(view.name)
            )
            frame = self._read_checked(sql, bind(values), tile)
            self._fingerprints[key] = {
                pd.Timestamp(row["week"]).date(): fingerprint(
                    int(row["fp_rows"]),
                    {
                        c.removeprefix("fp_s_"): row[c]
                        for c in frame.columns
                        if c.startswith("fp_s_")
                    },
                )
                for _, row in frame.iterrows()
            }
        return self._fingerprints[key]

    def _relation(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Relation:
        sql, values = self._sql(tile, weeks, ordered=False)
        where = self.where(self.table(tile.view))
        return Relation(sql, bind(values), tile.columns, {}, where, self.dialect)

    def _sql(
        self, tile: Tile, weeks: tuple[date | None, date | None], ordered: bool = True
    ) -> tuple[str, list[Any]]:
        return build_query(
            self.views[tile.view],
            list(tile.fields),
            self.dashboard.filter_values(),
            weeks,
            table=self.table(tile.view),
            placeholder=named,
            ordered=ordered,
        )

    def _read_checked(self, sql: str, params: Mapping[str, Any], tile: Tile) -> pd.DataFrame:
        """``read``; a failure that is not transient names the table or field at fault."""
        table = self.table(tile.view)
        try:
            return self.read(sql, params, self.where(table))
        except SourceError as exc:
            if exc.transient:
                raise
            why = self.diagnose(table, list(tile.fields))
            if why:
                raise SourceError(scrub(why, self.url)) from None
            raise

    def query(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Dataset:
        """The tile's rows for the weeks ``weeks`` bounds (inclusive; None: unbounded)."""
        table = self.table(tile.view)
        sql, values = self._sql(tile, weeks)
        frame = self._read_checked(sql, bind(values), tile)
        where = self.where(table)
        return Dataset(tile.dataset, tile, type_frame(frame, tile, where), link_of(self.url, table))


def build(name: str, cfg: SqlSourceConfig, ctx: BuildContext) -> SqlSource:
    """The source of config source ``name``; a secret URL and key are resolved here, once."""
    url = (
        cfg.url
        if isinstance(cfg.url, str)
        else resolve(f"sources.{name}.url", cfg.url, ctx.environ).value.get_secret_value()
    )
    return SqlSource(
        name,
        _with_settings(name, url, cfg, ctx),
        ctx.dashboard,
        cfg.complete_after,
        dict(cfg.tables),
        cfg.query_timeout,
        cfg.retries,
        views=ctx.views,
    )


def _with_settings(name: str, url: str, cfg: SqlSourceConfig, ctx: BuildContext) -> str:
    """``url`` with the source's ``credentials`` and ``max_bytes_billed`` written in, as its
    dialect takes them (``ConfigError`` naming the key, never the secret, otherwise)."""
    if not cfg.settings or database_url_problem(url, WAREHOUSE_EXAMPLE):
        return url  # not a URL, or no dialect reads it: said where it is read
    with_settings = dialect_of(url).with_settings
    if with_settings is None:
        raise ConfigError(f"sources.{name}.{dialect_settings_problem(url, cfg.settings)}")
    key = (
        resolve(f"sources.{name}.credentials", cfg.credentials, ctx.environ)
        if cfg.credentials
        else None
    )
    secret = key.value.get_secret_value() if key else None
    try:
        return with_settings(url, secret, cfg.max_bytes_billed)
    except ValueError as exc:  # only a malformed key: the limit is validated with the config
        origin = f" ({key.origin})" if key else ""
        raise ConfigError(f"sources.{name}.credentials{origin}: {exc}") from None
