"""CSV or Parquet exports as a source: a path or glob per dataset, read in place by DuckDB.

Only the weeks a pull asks for leave the scan (the week filter is part of the query), so an
export of every week costs the rows of one week in memory, not the whole file.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from canary.config import FileDataset
from canary.config import FilesSource as FilesConfig
from canary.dashboards import Tile
from canary.errors import SourceError
from canary.frames import type_frame
from canary.profile import NUMERIC
from canary.sources import pushdown
from canary.sources.base import Dataset, week_range
from canary.sources.pushdown import Relation
from canary.sources.registry import BuildContext
from canary.sources.sql import bind, named
from canary.sources.sql_connection import read_frame
from canary.summary import TileSummary, summary_of

#: DuckDB in memory: it reads the files; nothing is stored.
SCANNER = "duckdb:///:memory:"


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
    return f"read_csv({files}, header = true, union_by_name = true{typed})"


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
    timeout: timedelta = timedelta(minutes=10)

    def paths(self, dataset: str) -> tuple[str, list[str]]:
        """The configured pattern (resolved) and the files it matches, sorted."""
        spec = self.datasets[dataset]
        pattern = spec.path if Path(spec.path).is_absolute() else str(self.base_dir / spec.path)
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
        return pushdown.summarize(
            tile.dataset,
            tile,
            week,
            rel,
            self._reader(scan),
            lambda: self.query(tile, (week, week)).frame,
            link=f"file://{scan.paths[0]}",
        )

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
        return lambda text, params: read_frame(SCANNER, text, params, self.timeout, scan.where)

    def _relation(
        self, tile: Tile, weeks: tuple[date | None, date | None]
    ) -> tuple[Relation, _Scan] | None:
        """The export's rows of ``weeks`` as SQL for push-down (None without a time column)."""
        scan = self._scan(tile, weeks)
        if tile.time_column not in scan.present:
            return None
        types = read_frame(SCANNER, f"DESCRIBE {scan.sql}", scan.params, self.timeout, scan.where)
        extra = {
            str(c): _dtype(str(t))
            for c, t in zip(types["column_name"], types["column_type"], strict=True)
            if c not in tile.dtypes
        }
        # Numbers as the tile declares them, cast after the week filter: a CSV column with a
        # bad value in an old week is text to DuckDB, as it is to a pull.
        casts = ", ".join(
            f"CAST({pushdown.q(c)} AS {'BIGINT' if kind == 'integer' else 'DOUBLE'}) AS "
            f"{pushdown.q(c)}"
            for c, kind in tile.dtypes.items()
            if kind in NUMERIC and c in scan.present
        )
        sql = f"SELECT * REPLACE ({casts}) FROM ({scan.sql}) AS s" if casts else scan.sql
        return Relation(sql, scan.params, scan.present, extra, scan.where), scan

    def _scan(self, tile: Tile, weeks: tuple[date | None, date | None]) -> _Scan:
        """The SELECT reading the export's rows of ``weeks`` (inclusive; None: unbounded)."""
        pattern, paths = self.paths(tile.dataset)
        spec = self.datasets[tile.dataset]
        fmt = spec.format or ("parquet" if paths[0].endswith((".parquet", ".pq")) else "csv")
        where = f"dataset {tile.dataset}: {pattern}"
        present = list(
            read_frame(
                SCANNER, f"SELECT * FROM {_scan(paths, fmt)} LIMIT 0", {}, self.timeout, where
            ).columns
        )
        # Strings stay strings: version "5.20" must not become the number 5.2.
        text = {
            c: "VARCHAR" for c, kind in tile.dtypes.items() if kind == "string" and c in present
        }
        sql = f"SELECT * FROM {_scan(paths, fmt, text)}"
        bounds: list[object] = []
        if tile.time_column in present:
            lo, hi = weeks
            tests = []
            for op, bound in ((">=", lo), ("<=", hi)):
                if bound is not None:
                    tests.append(f'CAST("{tile.time_column}" AS DATE) {op} {named(len(bounds))}')
                    bounds.append(bound)
            if tests:
                sql += " WHERE " + " AND ".join(tests)
        return _Scan(sql, bind(bounds), present, paths, pattern, where)

    def query(self, tile: Tile, weeks: tuple[date | None, date | None]) -> Dataset:
        """The export's rows of the weeks ``weeks`` bounds (inclusive; None: unbounded)."""
        scan = self._scan(tile, weeks)
        frame = read_frame(SCANNER, scan.sql, scan.params, self.timeout, scan.where)
        return Dataset(
            tile.dataset,
            tile,
            type_frame(frame, tile, scan.pattern),
            link=f"file://{scan.paths[0]}",
        )


def build(name: str, cfg: FilesConfig, ctx: BuildContext) -> FilesSource:
    return FilesSource(ctx.base_dir, cfg.datasets, cfg.complete_after)
