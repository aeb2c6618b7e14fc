"""A tile's week as a run needs it: metrics, schema, row key, week-over-week comparisons.

Every source returns a ``TileSummary``. SQL sources compute a snapshot's summary in the
database (``canary.sources.sql.pushdown``); frame sources (Looker, a series' aggregates) get the
same summary from the frame by ``summary_of``. Detectors and the store read summaries only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from canary.checks import row_key
from canary.dashboards import Tile
from canary.dataset import Dataset
from canary.profile import METRIC_COLUMNS, NUMERIC, profile
from canary.weeks import WEEK

#: Columns of ``WeekOverWeek.counters``: per counter of the instances present both weeks.
COUNTER_COLUMNS = ["column", "prev_median", "rising_n", "rises"]
#: Columns of ``WeekOverWeek.movers``: per counter, instances that kept their version
#: (``moved`` False, ``label`` None) and those that moved, per version they moved to.
MOVER_COLUMNS = ["column", "moved", "label", "n", "prev_median", "ratio_median"]
#: Columns of ``WeekOverWeek.versions``: per counter and version of this week, its active
#: instances, how many of them fell (under ``FELL`` of their value of the week before) and
#: their sums this week and the week before.
VERSION_COLUMNS = ["column", "label", "n", "fell", "now", "before"]
#: Active instances: at least this much of a counter last week (and a value this week).
ACTIVE = 3.0
#: Values compared by "copy of last week": at least this much last week.
COPY_FLOOR = 10.0
#: An active instance fell: this week under this share of its value of last week.
FELL = 0.4
#: The typical instance of a snapshot, per counter, for the table ('' segment) and per
#: segment that does not churn (an instance's segment of last week), stored as metrics of
#: the week: the instances active last week (``ACTIVE`` or more), how many of them still
#: report the counter, and the median of their ratio of this week to last week. A sum a few
#: large instances carry moves when one of them leaves; the typical instance does not.
TYPICAL_RATIO = "instance_ratio"
TYPICAL_KEPT = "instances_kept"
TYPICAL_ACTIVE = "instances_active"
TYPICAL_METRICS = (TYPICAL_RATIO, TYPICAL_KEPT, TYPICAL_ACTIVE)


@dataclass(frozen=True)
class WeekOverWeek:
    """The week under test against the week before, row by row (matched by key).

    ``copied``: values of at least ``COPY_FLOOR`` last week, and how many of them this week
    repeats exactly. Snapshots also give, over instances present both weeks (first row per
    key), ``counters`` and, when a segment churns (a version), ``movers`` and ``versions``.
    """

    copied: tuple[int, int]
    counters: pd.DataFrame | None = None
    movers: pd.DataFrame | None = None
    version: str | None = None
    versions: pd.DataFrame | None = None


class Rows:
    """The week's rows, fetched on the first call and kept; pickled as fetched (a fetch
    does not cross processes: a summary sent back by a worker carries its rows or none)."""

    def __init__(self, fetch: Callable[[], pd.DataFrame] | None = None) -> None:
        self._fetch = fetch
        self._frame: pd.DataFrame | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Rows:
        rows = cls()
        rows._frame = frame
        return rows

    def __call__(self) -> pd.DataFrame:
        if self._frame is None:
            if self._fetch is None:
                raise RuntimeError("the rows were not fetched before the summary was sent")
            self._frame = self._fetch()
        return self._frame

    def __getstate__(self) -> dict[str, object]:
        return {"_fetch": None, "_frame": self._frame}


@dataclass
class WarehouseRows:
    """The week's rows as one SELECT on a warehouse (values inlined), for GE's SQL engine:
    ``sql`` in no order (what GE counts over), ``ordered`` as the dashboard orders them
    (what failing rows are sampled from: the same rows come back every run).

    Pickled without its URL (which may hold a password): GE validates them in the process
    that pulled them."""

    url: str = field(repr=False)
    sql: str
    timeout: timedelta
    where: str  # "source NAME (URL without password), table TABLE", for messages
    ordered: str
    #: what the rows' content depends on, when a look at local files tells (their paths,
    #: sizes and change times): verdicts of unchanged files are reused; None: validated
    fingerprint: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "url": ""}


def files_state(paths: list[str]) -> str | None:
    """The paths, sizes and change times of local files, as ``WarehouseRows.fingerprint``
    (None when one cannot be read)."""
    try:
        stats = [(p, os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in paths]
    except OSError:
        return None
    return json.dumps(stats)


@dataclass
class TileSummary:
    """One tile's week: what profiling, the row-key check, GE and the detectors read."""

    name: str
    tile: Tile
    rows: int  # rows of the weeks pulled (a snapshot: the week and the one before)
    schema: dict[str, str]  # column -> dtype name, as a typed frame of the pull has it
    key_problem: str | None
    metrics: pd.DataFrame  # METRIC_COLUMNS; empty while the key has a problem
    batch: Rows = field(repr=False)  # the week's rows, typed (for GE)
    warehouse: WarehouseRows | None = None  # set: GE validates the week where it lives
    changes: WeekOverWeek | None = None
    labels: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    label_weeks: int = 0  # weeks the labels were seen over
    link: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        return list(self.schema)


def counter_columns(tile: Tile, present: set[str] | list[str]) -> list[str]:
    """Counter fields of ``tile`` present in a pull, in field order."""
    return [f.column for f in tile.fields if f.counter and f.column in present]


def version_column(tile: Tile, present: set[str] | list[str]) -> str | None:
    """The first segment whose new values are normal (a version), if pulled."""
    return next(
        (c for c in tile.segments if tile.field_for(c).churns and c in present),
        None,
    )


def typical_segments(tile: Tile, present: set[str] | list[str]) -> list[str]:
    """Segments the typical instance is told per (pulled, and not churning like a version)."""
    return [s for s in tile.segments if s in present and not tile.field_for(s).churns]


def typical_metrics(name: str, week: date, rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """Rows ``(column, segment key, metric, value)`` of the typical instance as metrics."""
    out = pd.DataFrame(rows, columns=["column_name", "segment", "metric", "value"])
    out["dataset"] = name
    out["week"] = week
    out["value"] = out["value"].astype("float64")
    return out[METRIC_COLUMNS]


def _median(values: pd.Series) -> float:
    values = values.dropna()
    return float(values.median()) if len(values) else float("nan")


def _two_weeks(tile: Tile, frame: pd.DataFrame, week: date) -> tuple[pd.DataFrame, ...] | None:
    t = tile.time_column
    if t not in frame.columns:
        return None
    weeks = pd.to_datetime(frame[t])
    now = frame[weeks == pd.Timestamp(week)]
    before = frame[weeks == pd.Timestamp(week - WEEK)]
    return (now, before) if len(now) and len(before) else None


def _copied(tile: Tile, now: pd.DataFrame, before: pd.DataFrame) -> tuple[int, int]:
    key = [c for c in tile.row_key if c != tile.time_column]
    values = [c for c, k in tile.dtypes.items() if k in NUMERIC and c in now.columns]
    merged = (
        now.merge(before, on=key, suffixes=("", "_before"))
        if key
        else pd.concat(
            [now.reset_index(drop=True), before.add_suffix("_before").reset_index(drop=True)],
            axis=1,
        )
    )
    counts = [copies(merged[f"{column}_before"], merged[column]) for column in values]
    return sum(e for e, _ in counts), sum(s for _, s in counts)


def copies(before: pd.Series, now: pd.Series) -> tuple[int, int]:
    """Of values matched across the weeks, those of at least ``COPY_FLOOR`` last week
    (``before``), and how many of them this week (``now``) repeats exactly."""
    before, now = before.astype("float64"), now.astype("float64")
    eligible = before >= COPY_FLOOR
    return int(eligible.sum()), int((now[eligible] == before[eligible]).sum())


def _first_per_key(frame: pd.DataFrame, key: list[str], columns: list[str]) -> pd.DataFrame:
    """Each key's first row in column order, as SQL's ``row_number() OVER (... ORDER BY``
    the columns) picks it: the same row whatever order an export holds them in."""
    if not frame.duplicated(key).any():
        return frame
    return frame.sort_values(columns, kind="stable", na_position="last").drop_duplicates(key)


def _instances(tile: Tile, now: pd.DataFrame, before: pd.DataFrame) -> WeekOverWeek:
    """Counters and movers over instances present both weeks (first row per key)."""
    key = [c for c in tile.row_key if c != tile.time_column]
    columns = [c for c in tile.columns if c in now.columns]
    m = _first_per_key(now, key, columns).merge(
        _first_per_key(before, key, columns), on=key, suffixes=("", "_before")
    )
    version = version_column(tile, list(now.columns))
    moved = m[version] != m[f"{version}_before"] if version else None
    counters: list[tuple[str, float, int, int]] = []
    movers: list[tuple[str, bool, str | None, int, float, float]] = []
    versions: list[tuple[str, str, int, int, float, float]] = []
    for column in counter_columns(tile, list(now.columns)):
        prev = m[f"{column}_before"].astype("float64")
        cur = m[column].astype("float64")
        rising = (prev >= 1) & cur.notna()
        counters.append(
            (column, _median(prev), int(rising.sum()), int((cur[rising] >= prev[rising]).sum()))
        )
        if moved is None:
            continue
        active = (prev >= ACTIVE) & cur.notna()
        ratio = cur / prev
        stayed = active & ~moved
        if stayed.any():  # as a GROUP BY gives it: no row for an empty group
            movers.append(
                (
                    column,
                    False,
                    None,
                    int(stayed.sum()),
                    _median(prev[stayed]),
                    _median(ratio[stayed]),
                )
            )
        for label, group in m[active & moved].groupby(version):
            movers.append(
                (column, True, str(label), len(group), float("nan"), _median(ratio[group.index]))
            )
        fell = cur < FELL * prev
        for label, group in m[active].groupby(version):
            i = group.index
            versions.append(
                (column, str(label), len(i), int(fell[i].sum()), cur[i].sum(), prev[i].sum())
            )
    return WeekOverWeek(
        _copied(tile, now, before),
        pd.DataFrame(counters, columns=COUNTER_COLUMNS),
        pd.DataFrame(movers, columns=MOVER_COLUMNS) if version else None,
        version,
        pd.DataFrame(versions, columns=VERSION_COLUMNS) if version else None,
    )


def _typical(tile: Tile, now: pd.DataFrame, before: pd.DataFrame) -> list[tuple]:
    """``TYPICAL_METRICS`` rows over the instances of last week (first row per key), each
    matched with its row of this week if it has one."""
    key = [c for c in tile.row_key if c != tile.time_column]
    if not key:
        return []
    columns = [c for c in tile.columns if c in now.columns]
    counters = counter_columns(tile, list(now.columns))
    m = _first_per_key(before, key, columns).merge(
        _first_per_key(now, key, columns)[[*key, *counters]],
        on=key,
        how="left",
        suffixes=("_before", ""),
    )
    out: list[tuple] = []
    for column in counters:
        prev = m[f"{column}_before"].astype("float64")
        cur = m[column].astype("float64")
        active = prev >= ACTIVE
        kept = active & cur.notna()
        figures = pd.DataFrame({"active": active, "kept": kept, "ratio": (cur / prev).where(kept)})
        groups = [("", figures.assign(label=""))]
        for segment in typical_segments(tile, list(before.columns)):
            label = m[segment].astype(object).where(m[segment].notna(), "(null)").astype(str)
            groups.append((segment, figures.assign(label=label)))
        for segment, frame in groups:
            for label, g in frame.groupby("label", sort=True):
                where = json.dumps({segment: label}) if segment else ""
                out += [
                    (column, where, TYPICAL_RATIO, _median(g["ratio"])),
                    (column, where, TYPICAL_KEPT, float(g["kept"].sum())),
                    (column, where, TYPICAL_ACTIVE, float(g["active"].sum())),
                ]
    return out


def _labels(tile: Tile, frame: pd.DataFrame, week: date) -> tuple[dict, int]:
    t = tile.time_column
    if tile.shape != "series" or t not in frame.columns:
        return {}, 0
    weeks = pd.to_datetime(frame[t])
    labels = {}
    for column in (c for c in tile.segments if c in frame.columns):
        old = set(frame.loc[weeks < pd.Timestamp(week), column].dropna().astype(str))
        new = set(frame.loc[weeks == pd.Timestamp(week), column].dropna().astype(str))
        labels[column] = (old, new)
    return labels, int(weeks.nunique())


def with_typical(metrics: pd.DataFrame, typical: pd.DataFrame) -> pd.DataFrame:
    """A week's metrics with its typical instance's (if any)."""
    return pd.concat([metrics, typical], ignore_index=True) if len(typical) else metrics


def typical_of(name: str, tile: Tile, frame: pd.DataFrame, week: date) -> pd.DataFrame:
    """A snapshot's ``TYPICAL_METRICS`` of the week (none without both weeks)."""
    pair = _two_weeks(tile, frame, week) if tile.shape == "snapshot" else None
    return typical_metrics(name, week, _typical(tile, *pair) if pair else [])


def changes_of(tile: Tile, frame: pd.DataFrame, week: date) -> WeekOverWeek | None:
    """The week-over-week comparisons of a pulled frame (None without both weeks)."""
    pair = _two_weeks(tile, frame, week)
    if pair is None:
        return None
    now, before = pair
    if tile.shape == "snapshot":
        return _instances(tile, now, before)
    return WeekOverWeek(_copied(tile, now, before))


def summary_of(data: Dataset, week: date) -> TileSummary:
    """The summary of a pulled frame, by the pure code every frame source shares."""
    tile, frame = data.tile, data.frame
    problem = row_key.problem(tile, frame)
    metrics = pd.DataFrame(columns=METRIC_COLUMNS)
    if problem is None:
        metrics = with_typical(
            profile(data.name, tile, frame, week), typical_of(data.name, tile, frame, week)
        )
    batch = frame
    if tile.time_column in frame.columns:
        batch = frame[frame[tile.time_column] == pd.Timestamp(week)].reset_index(drop=True)
    labels, label_weeks = _labels(tile, frame, week)
    return TileSummary(
        name=data.name,
        tile=tile,
        rows=len(frame),
        schema={str(c): str(t) for c, t in frame.dtypes.items()},
        key_problem=problem,
        metrics=metrics,
        batch=Rows.of(batch),
        changes=changes_of(tile, frame, week) if problem is None else None,
        labels=labels,
        label_weeks=label_weeks,
        link=data.link,
        warnings=list(data.warnings),
    )
