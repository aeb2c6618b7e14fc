"""CSV or Parquet exports as a source: a path or glob per dataset, read in place by DuckDB.

Only the weeks a pull asks for leave the scan (the week filter is part of the query), so an
export of every week costs the rows of one week in memory, not the whole file. A CSV is
read as RFC 4180 (comma-separated, double quotes around a field holding a comma, a quote
or a line break). An export that cannot be read as the tile (empty, a header naming none of
its columns, a row of the wrong width, a row without its key) is a ``SourceError`` naming
the file and line: bad input, not a breakage.
"""

from __future__ import annotations

import csv
import glob
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import URL

from canary.dashboards import Tile
from canary.dataset import Dataset
from canary.errors import ConfigError, SourceError
from canary.frames import type_frame
from canary.profile import NUMERIC
from canary.sources.base import week_range
from canary.sources.files_config import FileDataset, FilesSourceConfig
from canary.sources.registry import BuildContext
from canary.sources.sql import pushdown
from canary.sources.sql.connection import read_frame
from canary.sources.sql.dialects import DUCKDB
from canary.sources.sql.pushdown import Relation
from canary.sources.sql.source import bind, inline, named
from canary.summary import TileSummary, WarehouseRows, files_state, summary_of

#: DuckDB in memory: it reads the files; nothing is stored.
SCANNER = "duckdb:///:memory:"
#: Where DuckDB spills what does not fit its memory limit (a week's comparison of a million
#: instances: hash tables and the materialised comparison, not the medians).
SPILL = Path(tempfile.gettempdir()) / "canary-duckdb"


def scanner(memory_limit: str) -> str:
    """``SCANNER`` holding at most ``memory_limit`` (DuckDB's own size syntax), spilling
    beyond it: for canary's reads and GE's engine alike, which connect to the same URL."""
    query = {"memory_limit": memory_limit, "temp_directory": str(SPILL)}
    return URL.create("duckdb", database=":memory:", query=query).render_as_string()


#: RFC 4180, set rather than sniffed: a sniffer that meets a quoted line break or a row of
#: the wrong width past its sample refuses a valid file, or reads every row as one column.
CSV_DIALECT = "delim = ',', quote = '\"', escape = '\"'"
#: How much of a file's first line an error shows.
HEAD = 80


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _scan(paths: list[str], fmt: str, types: dict[str, str] | None = None) -> str:
    """The DuckDB table function reading ``paths`` (columns matched by name across files)."""
    files = "[" + ", ".join(map(_literal, paths)) + "]"
    if fmt == "parquet":
        return f"read_parquet({files}, union_by_name = true)"
    typed = ""
    if types:
        pairs = ", ".join(f"{_literal(c)}: {_literal(t)}" for c, t in types.items())
        typed = f", types = {{{pairs}}}"
    return f"read_csv({files}, header = true, {CSV_DIALECT}, union_by_name = true{typed})"


BOM = "\ufeff"


def _unmarked(columns: dict[str, list[str]], fmt: str, types: dict[str, str]) -> str:
    """The files (path -> its column names) read one by one with the byte-order mark some
    writers put before the first column name dropped, then matched by name."""
    selects = []
    for path, names in columns.items():
        renames = ", ".join(
            f"{DUCKDB.quote(c)} AS {DUCKDB.quote(c.removeprefix(BOM))}"
            for c in names
            if c.startswith(BOM)
        )
        rename = f"RENAME ({renames}) " if renames else ""
        selects.append(f"SELECT * {rename}FROM {_scan([path], fmt, types)}")
    return "(" + " UNION ALL BY NAME ".join(selects) + ")"


def _dtype(duckdb_type: str) -> str:
    """The dtype a frame read through DuckDB gives a column of ``duckdb_type``."""
    kind = duckdb_type.upper()
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return "int64"
    if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL"):
        return "float64"
    if kind == "BOOLEAN":
        return "bool"
    if kind.startswith("TIMESTAMP"):
        return "datetime64[ns]"
    return "object"


@dataclass(frozen=True)
class _Scan:
    sql: str
    params: dict[str, Any]
    present: list[str]
    paths: list[str]
    pattern: str
    where: str


@dataclass
class FilesSource:
    base_dir: Path
    datasets: dict[str, FileDataset]
    complete_after: timedelta
    memory_limit: str = FilesSourceConfig.model_fields["memory_limit"].default
    name: str = "files"  # the config's name of the source, for messages
    timeout: timedelta = timedelta(minutes=10)

    @property
    def scanner(self) -> str:
        return scanner(self.memory_limit)

    def pattern(self, dataset: str) -> str:
        """The configured path or glob of ``dataset``, resolved against the config's folder."""
        path = self.datasets[dataset].path
        return path if Path(path).is_absolute() else str(self.base_dir / path)

    def paths(self, dataset: str) -> tuple[str, list[str]]:
        """The configured pattern (resolved) and the files it matches, sorted."""
        pattern = self.pattern(dataset)
        paths = sorted(glob.glob(pattern))
        if not paths:
            raise SourceError(f"dataset {dataset}: no file matches {pattern}")
        return pattern, paths

    def pull(self, tile: Tile, week: date) -> Dataset:
        return self.query(tile, week_range(tile, week))

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        """A snapshot's week summarised by DuckDB over the files; a series (or an export
        without its time column) pulled and summarised from its frame."""
        pushed = None if tile.shape == "series" else self._relation(tile, week_range(tile, week))
        if pushed is None:
            return summary_of(self.pull(tile, week), week)
        rel, scan = pushed
        summary = pushdown.summarize(
            tile.dataset,
            tile,
            week,
            rel,
            self._reader(scan),
            lambda: self.query(tile, (week, week)).frame,
            link=f"file://{scan.paths[0]}",
        )
        summary.warehouse = self._week_rows(tile, week, rel, scan.paths)
        return summary

    def _week_rows(self, tile: Tile, week: date, rel: Relation, paths: list[str]) -> WarehouseRows:
        """The week's rows of ``rel`` for GE's SQL engine, as one DuckDB query that names its
        files (values written in): any connection of ``scanner`` runs it, so GE's engine,
        whose in-memory databases last a connection each, needs no table or view of its own.
        In no order, as the rows of a pull: DuckDB keeps a scan's order. The time column is
        a timestamp, as in a typed frame (Parquet may hold a ``DATE`` or ``TIMESTAMP_NS``)."""
        t = DUCKDB.quote(tile.time_column)
        sql = (
            f"SELECT * REPLACE (CAST({t} AS TIMESTAMP) AS {t}) FROM ({rel.sql}) AS canary_week "
            f"WHERE CAST({t} AS DATE) = :wk"
        )
        text = inline(self.scanner, sql, {**rel.params, "wk": week})
        return WarehouseRows(self.scanner, text, self.timeout, rel.where, text, files_state(paths))

    def weekly_summaries(
        self, tile: Tile, weeks: Sequence[date]
    ) -> list[tuple[date, TileSummary]] | None:
        """A snapshot's ``weeks`` summarised for the store by one DuckDB query over the
        files (``pushdown.weekly_summaries``); None for a series or without a time column."""
        pushed = (
            None
            if tile.shape == "series" or not weeks
            else self._relation(tile, (min(weeks), max(weeks)))
        )
        if pushed is None:
            return None
        rel, scan = pushed
        return pushdown.weekly_summaries(tile.dataset, tile, weeks, rel, self._reader(scan))

    def _reader(self, scan: _Scan) -> pushdown.Read:
        return lambda text, params: self._read(text, scan.where, dict(params))

    def _relation(
        self, tile: Tile, weeks: tuple[date | None, date | None]
    ) -> tuple[Relation, _Scan] | None:
        """The export's rows of ``weeks`` as SQL for push-down (None without a time column)."""
        scan = self._scan(tile, weeks)
        if tile.time_column not in scan.present:
            return None
        types = self._read(f"DESCRIBE {scan.sql}", scan.where, scan.params)
        extra = {
            str(c): _dtype(str(t))
            for c, t in zip(types["column_name"], types["column_type"], strict=True)
            if c not in tile.dtypes
        }
        # Numbers as the tile declares them, cast after the week filter: a CSV column with a
        # bad value in an old week is text to DuckDB, as it is to a pull.
        casts = ", ".join(
            f"CAST({DUCKDB.quote(c)} AS {'BIGINT' if kind == 'integer' else 'DOUBLE'}) "
            f"AS {DUCKDB.quote(c)}"
            for c, kind in tile.dtypes.items()
            if kind in NUMERIC and c in scan.present
        )
        sql = f"SELECT * REPLACE ({casts}) FROM ({scan.sql}) AS s" if casts else scan.sql
        return Relation(sql, scan.params, scan.present, extra, scan.where, DUCKDB), scan

    def _read(self, sql: str, where: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return read_frame(self.scanner, sql, params or {}, self.timeout, where, whole=True)
        except SourceError as exc:
            if "Out of Memory" not in str(exc):
                raise
            said = str(exc).split(" Possible solutions")[0]  # DuckDB's list of SET commands
            raise SourceError(
                f"{said}; raise sources.{self.name}.memory_limit (now {self.memory_limit}) "
                "or give the worker more memory"
            ) from None

    def _scan(self, tile: Tile, weeks: tuple[date | None, date | None]) -> _Scan:
        """The SELECT reading the export's rows of ``weeks`` (inclusive; None: unbounded)."""
        pattern, paths = self.paths(tile.dataset)
        spec = self.datasets[tile.dataset]
        fmt = spec.format or ("parquet" if paths[0].endswith((".parquet", ".pq")) else "csv")
        where = f"dataset {tile.dataset}: {pattern}"
        columns = {path: _columns(tile, path, fmt, self._read) for path in paths}
        # the files' columns in order of first appearance, as union_by_name reads them
        present = list(
            dict.fromkeys(c.removeprefix(BOM) for names in columns.values() for c in names)
        )
        # Strings stay strings: version "5.20" must not become the number 5.2. Weeks are
        # timestamps, so a date with a zone ("2026-11-16T00:00:00Z") is its UTC day.
        types = {
            c: "VARCHAR" for c, kind in tile.dtypes.items() if kind == "string" and c in present
        }
        if tile.time_column in present:
            types[tile.time_column] = "TIMESTAMP"
        marked = any(c.startswith(BOM) for names in columns.values() for c in names)
        table = _unmarked(columns, fmt, types) if marked else _scan(paths, fmt, types)
        sql = f"SELECT * FROM {table}"
        bounds: list[object] = []
        tests = []
        if tile.time_column in present:
            lo, hi = weeks
            day = DUCKDB.to_date(DUCKDB.quote(tile.time_column))
            for op, bound in ((">=", lo), ("<=", hi)):
                if bound is not None:
                    tests.append(f"{day} {op} {named(len(bounds))}")
                    bounds.append(bound)
            if tests:
                sql += " WHERE " + " AND ".join(tests)
        params = bind(bounds)
        key = [c for c in tile.row_key if c in present]
        _keyed(tile, key, paths, fmt, _keyless(tile, key, table, tests), params, self._read)
        return _Scan(sql, params, present, paths, pattern, where)

    def columns(self, tile: Tile) -> list[str]:
        """The columns ``tile``'s export holds (files checked as a pull checks them)."""
        return self._scan(tile, (None, None)).present

    def week_rows(self, tile: Tile, week: date) -> tuple[int, date | None]:
        """The rows of the export in ``week`` and the newest week it holds (None: no rows)."""
        scan = self._scan(tile, (None, None))
        day = DUCKDB.to_date(DUCKDB.quote(tile.time_column))
        sql = (
            f"SELECT count(*) FILTER (WHERE {day} = :wk) AS n, max({day}) AS latest "
            f"FROM ({scan.sql}) AS s"
        )
        row = self._read(sql, scan.where, {**scan.params, "wk": week}).iloc[0]
        latest = None if pd.isna(row["latest"]) else pd.Timestamp(row["latest"]).date()
        return int(row["n"]), latest

    def query(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Dataset:
        """The export's rows of the weeks ``weeks`` bounds (inclusive; None: unbounded)."""
        scan = self._scan(tile, weeks)
        frame = self._read(scan.sql, scan.where, scan.params)
        return Dataset(
            tile.dataset,
            tile,
            type_frame(frame, tile, scan.pattern),
            link=f"file://{scan.paths[0]}",
        )


Reader = Callable[[str, str], Any]


def _columns(tile: Tile, path: str, fmt: str, read: Reader) -> list[str]:
    """The columns of export ``path``; a file that is not an export of ``tile`` (empty, or
    naming none of its columns: an HTML error page, another dataset's export, another
    separator) is refused."""
    if fmt == "csv" and os.path.getsize(path) == 0:
        raise SourceError(
            f"dataset {tile.dataset}: {path} is empty; an export starts with a header line "
            "naming its columns"
        )
    try:
        frame = read(f"SELECT * FROM {_scan([path], fmt)} LIMIT 0", path)
        columns = [str(c) for c in frame.columns]
    except SourceError:
        _even_rows(tile, path, fmt)
        raise
    if {c.removeprefix(BOM) for c in columns} & set(tile.dtypes):
        return columns
    expected = ", ".join(list(tile.dtypes)[:4])
    if fmt == "parquet":
        raise SourceError(
            f"dataset {tile.dataset}: {path} holds none of the tile's columns ({expected}, ...)"
        )
    _even_rows(tile, path, fmt)
    raise SourceError(
        f"dataset {tile.dataset}: {path}, line 1: the header names none of the tile's columns "
        f"({expected}, ...); canary reads a comma-separated export with a header line, and "
        f"this file starts {_head(path)!r}"
    )


def _even_rows(tile: Tile, path: str, fmt: str) -> None:
    """Refuse CSV ``path`` at its first row with more or fewer fields than its header (a
    sniffer meeting one reads the whole file as a single column)."""
    if fmt != "csv":
        return
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        reader = csv.reader(f)
        try:
            header = next(reader, [])
            for row in reader:
                if row and len(row) != len(header):
                    raise SourceError(
                        f"dataset {tile.dataset}: {path}, line {reader.line_num}: {len(row)} "
                        f"fields where the header has {len(header)}; a field holding a comma "
                        'is quoted ("a, b")'
                    )
        except csv.Error as exc:
            raise SourceError(
                f"dataset {tile.dataset}: {path}, line {reader.line_num}: not CSV ({exc})"
            ) from None


def _head(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        line = f.readline().rstrip("\r\n")
    return line if len(line) <= HEAD else line[:HEAD] + "..."


def _keyless(tile: Tile, key: list[str], table: str, weeks: list[str]) -> str | None:
    """The query counting the rows of ``table`` with an empty key: a row without its week
    anywhere, a row without another key column in the weeks read (``weeks``, the scan's
    tests of its week): a weekly run does not re-read the export's history for it."""
    q = DUCKDB.quote
    nulls = [f"{q(c)} IS NULL" for c in key if c != tile.time_column]
    if nulls and weeks:
        nulls = [f"({' OR '.join(nulls)}) AND {' AND '.join(weeks)}"]
    if tile.time_column in key:
        nulls.insert(0, f"{q(tile.time_column)} IS NULL")
    return f"SELECT count(*) FROM {table} WHERE {' OR '.join(nulls)}" if nulls else None


def _keyed(
    tile: Tile,
    key: list[str],
    paths: list[str],
    fmt: str,
    keyless: str | None,
    params: dict[str, Any],
    read: Callable[[str, str, dict[str, Any]], Any],
) -> None:
    """Refuse an export with a row whose key (its week, its instance) is empty (``keyless``
    counts them): such a row belongs to no week or instance, and counted it reads as a
    breakage."""
    if keyless is None:
        return
    where = f"dataset {tile.dataset}"
    [[rows]] = read(keyless, where, params).itertuples(index=False)
    if not rows:
        return
    many = f"{rows} rows" if rows > 1 else "1 row"
    for path in paths:
        if fmt == "csv" and (line := _first_keyless_line(path, key)) is not None:
            raise SourceError(
                f"dataset {tile.dataset}: {path}, line {line}: no value for the key "
                f"({', '.join(key)}), in {many} of the export; a row without its key belongs "
                "to no week or instance"
            )
    raise SourceError(
        f"dataset {tile.dataset}: {many} of {', '.join(paths)} without a value for the key "
        f"({', '.join(key)}); a row without its key belongs to no week or instance"
    )


def _first_keyless_line(path: str, key: list[str]) -> int | None:
    """The line of the first row of CSV ``path`` with an empty key column, if any."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        reader = csv.reader(f)
        try:
            header = next(reader, [])
            at = [header.index(c) for c in key if c in header]
            for row in reader:
                if row and any(i >= len(row) or not row[i] for i in at):
                    return reader.line_num
        except csv.Error:
            return None  # the count of such rows is still told, without a line
    return None


def build(name: str, cfg: FilesSourceConfig, ctx: BuildContext) -> FilesSource:
    """The files source ``name``; a ``path`` at a folder is refused (``ConfigError``)."""
    source = FilesSource(ctx.base_dir, cfg.datasets, cfg.complete_after, cfg.memory_limit, name)
    for dataset, spec in cfg.datasets.items():
        pattern = source.pattern(dataset)
        folders = [p for p in sorted(glob.glob(pattern)) if os.path.isdir(p)]
        if folders:
            raise ConfigError(
                f"sources.{name}.datasets.{dataset}.path: {spec.path!r} "
                f"{'is' if folders[0] == pattern else 'matches'} the folder {folders[0]}; "
                "a dataset is one file or a glob of its files (such as "
                f"{os.path.join(spec.path, dataset + '-*.csv')!r}), never a folder"
            )
    return source
