"""Detectors: each turns a dataset's history into derived rows (observed vs expected range).

A row's verdict is not decided here: the ``history`` GE suite judges every row at once
(observed within [lower, upper]; NaN bounds mean the row is skipped for lack of history).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from canary import readable
from canary.anomaly.baseline import DIRECTIONS, Band, expected_band, nanmedian
from canary.anomaly.calendar import Calendar
from canary.anomaly.cross_source import CHECK as CROSS_CHECK
from canary.anomaly.inputs import HistoryInput, matrix, rows
from canary.anomaly.typical import counter_of, widened_lower
from canary.anomaly.usage_change import CHECK as USAGE_CHANGE
from canary.anomaly.usage_change import usage_change
from canary.checks.families import Family
from canary.config import HistorySettings
from canary.dashboards import Field
from canary.readable import counted
from canary.results import fingerprint
from canary.summary import WeekOverWeek
from canary.weeks import WEEK

Row = dict[str, Any]

LEVEL_CHECKS = ("level", "volume", "dead metric")
SEGMENT_LEVEL_FACTOR = 10  # segments are judged only when ten times min_level
MIN_ROWS = 10  # fewest rows in a segment before its null rate is judged
MIN_MOVERS = 20  # fewest upgraded instances before a version is compared with the others
MOVERS_FLOOR = 0.4  # a version reporting under 40% of what its instances did before
MIN_EXCESS_NULLS = 5  # fewest nulls above the usual before a null rate is flagged
#: Share of instances whose weekly counter did not fall above which it looks cumulative: a
#: running total falls only where an instance resets, while after a holiday a weekly
#: counter rises on most (over 90% of) instances.
NEVER_FALLS = 0.98


def _min_level(settings: HistorySettings, segment: str) -> float:
    """Smallest typical value judged: a segment's noise needs a larger series to average out."""
    return (settings.min_level or 0.0) * (SEGMENT_LEVEL_FACTOR if segment else 1.0)


def _segment(segment: str) -> str:
    if not segment:
        return ""
    return " for " + ", ".join(f"{k} {v}" for k, v in json.loads(segment).items())


def _masked(
    h: HistoryInput,
    keys: pd.DataFrame,
    grid: list,
    history: np.ndarray,
    checks: tuple[str, ...],
    training: bool = True,
) -> np.ndarray:
    """History with pre-acceptance weeks blanked out and, for ``training``, flagged and
    quiet weeks too (they never train; last year's dips are what seasonality compares with)."""
    out = history.copy()
    if training:
        out[:, np.array([h.is_quiet(w) is not None for w in grid], dtype=bool)] = np.nan
    position = {w: i for i, w in enumerate(grid)}
    rows_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, key in enumerate(zip(keys["column_name"], keys["segment"], strict=True)):
        rows_of[key].append(i)
    for column, segment, week in h.flagged if training else ():
        if week in position:
            out[rows_of.get((column, segment), []), position[week]] = np.nan
    if not h.accepted:
        return out
    for (column, segment), where in rows_of.items():
        seg = json.loads(segment) if segment else None
        for check in checks:
            since = h.accepted.get(fingerprint(h.monitor, h.dataset, check, column or None, seg))
            if since is not None:
                out[np.ix_(where, [position[w] for w in grid if w < since])] = np.nan
    return out


@dataclass(frozen=True)
class Seasonal:
    """Calendar factors for the week under test, per series (NaN: the earlier week unknown).

    ``factor`` is the earlier year's week of the same holiday or season relative to the
    weeks before it; ``low`` and ``high`` reach ``EDGE_SHIFT`` of the way to its neighbours',
    since a holiday falls on another weekday each year and moves a dip's edge into the week
    before or after. ``floor`` and ``ceiling``: the calendar's bounds where the earlier
    week is unknown.
    """

    factor: np.ndarray
    low: np.ndarray
    high: np.ndarray
    floor: float | None
    ceiling: float | None = None
    name: str | None = None  # the calendar's name for the week


BASE_WEEKS = 10  # normal weeks before last year's calendar week that set its base
#: How far a dip's edge moves towards a neighbour week in a year: a holiday falls a day or
#: two later in the week (two of five working days), and bridge days follow it.
EDGE_SHIFT = 0.5
#: A holiday or summer week whose learned effect is within this share of normal is a
#: normal week: a single earlier week's noise must not move the range.
MIN_EFFECT = 0.1


def _seasonal(h: HistoryInput, grid: list, history: np.ndarray) -> Seasonal:
    """The earlier year's effect of the calendar on the week under test (a holiday, the
    summer, a quiet week), learned per series from the week that held the same holiday.

    ``history`` must still hold the earlier year's calendar weeks, flagged or not: a dip
    with no year to go by is often flagged, and blanking it would leave every later year
    without one.
    """
    effect = h.calendar.effect(h.week)
    ones = np.ones(len(history))
    if effect is None:
        return Seasonal(ones, ones, ones, None)
    unknown = np.full(len(history), np.nan)
    position = {w: i for i, w in enumerate(grid)}
    missing = Seasonal(unknown, unknown, unknown, effect.floor, effect.ceiling, effect.name)
    if effect.earlier not in position:
        return missing
    i = position[effect.earlier]
    before = [j for j in range(max(0, i - 1 - BASE_WEEKS), i - 1) if h.is_quiet(grid[j]) is None]
    if not before:
        return missing
    near = [j for j in (i - 1, i, i + 1) if j < len(grid)]
    seen = np.where(history > 0, history, np.nan)  # zero: weeks before the data began
    with np.errstate(all="ignore"):
        base = nanmedian(seen[:, before], axis=1)
        ratios = np.clip(seen[:, near] / base[:, None], 0.2, 1.5)
    factor = ratios[:, near.index(i)]
    low = factor + EDGE_SHIFT * np.minimum(np.fmin.reduce(ratios, axis=1) - factor, 0)
    high = factor + EDGE_SHIFT * np.maximum(np.fmax.reduce(ratios, axis=1) - factor, 0)
    if effect.trains:  # a holiday or the summer: only a clear effect moves the range
        normal = np.abs(factor - 1) < MIN_EFFECT
        factor, low, high = (np.where(normal, 1.0, x) for x in (factor, low, high))
    return Seasonal(factor, low, high, effect.floor, effect.ceiling, effect.name)


def year_ago_weeks(calendar: Calendar, start: date, end: date) -> list[date]:
    """Weeks of earlier years that calendar weeks from ``start`` to ``end`` compare with
    (with the normal weeks before them that set their base), oldest first: what a scratch
    store needs."""
    needed: set[date] = set()
    for earlier in calendar.earlier_weeks(start, end):
        needed.update(earlier + WEEK * k for k in range(-2 - BASE_WEEKS, 2))
    return sorted(needed)


def _levels(h: HistoryInput) -> tuple[pd.DataFrame, list[date], np.ndarray, np.ndarray]:
    """The series level checks track: a series' values, a snapshot's sums and row count."""
    key = "levels"
    if key not in h.cache:
        names = ("value",) if h.tile.shape == "series" else ("sum", "row_count")
        h.cache[key] = matrix(h.metrics, names, h.week)
    return h.cache[key]  # type: ignore[return-value]


def _seasonal_levels(h: HistoryInput) -> np.ndarray:
    """``_levels`` history with only the weeks before an accepted level shift blanked out."""
    keys, grid, history, _ = _levels(h)
    return _masked(h, keys, grid, history, LEVEL_CHECKS, training=False)


def _trained_levels(h: HistoryInput) -> np.ndarray:
    """``_levels`` history with the weeks that must not train blanked out (computed once)."""
    if "trained" not in h.cache:
        keys, grid, history, _ = _levels(h)
        h.cache["trained"] = _masked(h, keys, grid, history, LEVEL_CHECKS)
    return h.cache["trained"]  # type: ignore[return-value]


def level(h: HistoryInput) -> list[Row]:
    """Weekly level of every tracked series against its robust baseline (seasonality aware)."""
    s = h.settings
    keys, grid, history, observed = _levels(h)
    if not len(keys):
        return []
    keep = np.array(
        [
            (m == "row_count" or not s.columns or c in s.columns)
            and not h.churning(seg)
            and (h.tile.shape == "series" or seg == "")
            for c, seg, m in zip(keys["column_name"], keys["segment"], keys["metric"], strict=True)
        ],
        dtype=bool,
    )
    keys, observed = keys[keep].reset_index(drop=True), observed[keep]
    last_week = history[keep, -1]
    trained = _trained_levels(h)[keep]
    season = _seasonal(h, grid, _seasonal_levels(h)[keep])
    known = ~np.isnan(season.factor)

    def band_for(factor: np.ndarray) -> Band:
        return expected_band(
            trained,
            np.nan_to_num(observed, nan=0.0),
            window=s.window_weeks or 12,
            min_weeks=s.min_weeks or 6,
            sensitivity=s.sensitivity or 5.0,
            min_abs_change=s.min_abs_change or 0.0,
            min_rel_change=s.min_rel_change or 0.0,
            min_rel_rise=s.min_rel_rise,
            direction=DIRECTIONS[s.direction or "both"],
            seasonal=np.where(known, factor, 1.0),
            counts=True,
        )

    band = band_for(season.factor)
    lower, upper = band.lower, band.upper
    if season.name is not None:
        # the earlier year's dip and its neighbours widen this year's range (a holiday
        # without its dip is no breakage); without them, the calendar's floor and ceiling
        normal = band_for(np.ones(len(observed))) if known.any() else band
        floor = band.centre * season.floor if season.floor is not None else lower
        ceiling = band.centre * season.ceiling if season.ceiling is not None else upper
        lower = np.where(
            known, np.minimum(normal.lower, band_for(season.low).lower), np.minimum(lower, floor)
        )
        upper = np.where(
            known,
            np.maximum(normal.upper, band_for(season.high).upper),
            np.maximum(upper, ceiling),
        )
    records = []
    for i, (column, segment, metric) in enumerate(keys.itertuples(index=False)):
        if band.centre[i] < _min_level(s, segment):
            continue  # too small to judge: its noise is most of it
        obs = observed[i]
        counter = counter_of(h.tile, column, metric)
        low, typical = lower[i], ""
        if counter is not None:  # a sum: judged as its typical instance too
            low, typical = widened_lower(
                obs, lower[i], last_week[i], h.typical.get((counter, segment)), counter
            )
        what = (
            "rows" if metric == "row_count" else (f"sum of {column}" if metric == "sum" else column)
        )
        if np.isnan(band.centre[i]):
            detail = (
                f"{what}{_segment(segment)}: {band.training_weeks[i]} of {s.min_weeks} weeks of "
                f"history; judged once {s.min_weeks} valid weeks are stored "
                "(canary backfill stores past weeks)"
            )
        else:
            change = (
                (np.nan_to_num(obs) - band.centre[i]) / abs(band.centre[i])
                if band.centre[i]
                else np.nan
            )
            shown = "null" if np.isnan(obs) else f"{obs:,.0f}"
            detail = (
                f"{what}{_segment(segment)} is {shown}, expected "
                f"{readable.span(max(lower[i], 0), upper[i], None if np.isnan(obs) else obs)} "
                f"({readable.change(change)} vs the median of {band.training_weeks[i]} weeks"
                f"{', seasonal week' if season.floor is not None else ''}){typical}"
            )
        records.append(
            {
                "check": "volume" if metric == "row_count" else "level",
                "dataset": h.dataset,
                "column": None if metric == "row_count" else column,
                "segment": segment,
                "observed": np.nan_to_num(obs, nan=0.0),
                "lower": low,
                # a segment's spike is one big instance; rises are judged on totals
                "upper": upper[i] if not segment else np.inf,
                "expected": band.centre[i],
                "training_weeks": int(band.training_weeks[i]),
                "detail": detail,
                "severity": "critical",
            }
        )
    return records


def dead_metric(h: HistoryInput) -> list[Row]:
    """A series non-zero week after week that is now zero or null."""
    keys, _grid, _history, observed = _levels(h)
    if not len(keys):
        return []
    trained = _trained_levels(h)
    recent = trained[:, -(h.settings.window_weeks or 12) :]
    seen = np.sum(~np.isnan(recent), axis=1)
    typical = nanmedian(recent, axis=1)
    alive = (
        (seen >= (h.settings.min_weeks or 6))
        & (np.nansum(recent > 0, axis=1) >= 0.9 * seen)
        & (np.nan_to_num(typical) >= np.array([_min_level(h.settings, g) for g in keys["segment"]]))
    )
    records = []
    for i, (column, segment, metric) in enumerate(keys.itertuples(index=False)):
        if not alive[i] or segment or metric == "row_count":  # segments: judged by null rate
            continue
        obs = observed[i]
        state = "null" if np.isnan(obs) else f"{obs:,.0f}"
        records.append(
            {
                "check": "dead metric",
                "dataset": h.dataset,
                "column": column,
                "segment": segment,
                "observed": np.nan_to_num(obs, nan=0.0),
                "lower": 0.5,
                "upper": np.inf,
                "expected": typical[i],
                "training_weeks": int(seen[i]),
                "detail": f"{column}{_segment(segment)} is {state} after {int(seen[i])} weeks above zero",
                "severity": "critical",
                "null": bool(np.isnan(obs)),
            }
        )
    return records


def null_rate(h: HistoryInput) -> list[Row]:
    """Null rate of each counter, overall and per segment, against its history."""
    if h.tile.shape != "snapshot":
        return []
    counters = {f.column for f in h.tile.fields if f.counter} - h.null_by_design
    keys, grid, history, observed = matrix(h.metrics, ("null_rate",), h.week)
    counts = h.metrics[(h.metrics["metric"] == "row_count") & (h.metrics["week"] == h.week)]
    size = dict(zip(counts["segment"], counts["value"], strict=True))
    trained = _masked(h, keys, grid, history, ("null rate",))
    band = expected_band(
        trained,
        observed,
        window=h.settings.window_weeks or 12,
        min_weeks=h.settings.min_weeks or 6,
        sensitivity=h.settings.sensitivity or 5.0,
        min_abs_change=0.25,
        min_rel_change=0.0,
        direction=DIRECTIONS["rise"],
    )
    overall = {c: i for i, (c, seg, _m) in enumerate(keys.itertuples(index=False)) if seg == ""}
    records = []
    for i, (column, segment, _metric) in enumerate(keys.itertuples(index=False)):
        if column not in counters or np.isnan(observed[i]) or size.get(segment, 0) < MIN_ROWS:
            continue
        upper, centre, weeks = band.upper[i], band.centre[i], band.training_weeks[i]
        if np.isnan(upper) and column in overall and not np.isnan(band.upper[overall[column]]):
            j = overall[column]  # a new segment (a release): judged against the column overall
            upper, centre, weeks = band.upper[j], band.centre[j], band.training_weeks[j]
        n = int(size.get(segment, 0))
        if not np.isnan(upper):  # a handful of extra nulls in a small segment is noise
            upper = max(upper, centre + MIN_EXCESS_NULLS / n)
        records.append(
            {
                "check": "null rate",
                "dataset": h.dataset,
                "column": column,
                "segment": segment,
                "observed": observed[i],
                "lower": -np.inf if not np.isnan(upper) else np.nan,
                "upper": min(upper, 1.0) if not np.isnan(upper) else np.nan,
                "expected": centre,
                "training_weeks": int(weeks),
                "detail": f"{column}{_segment(segment)} is null on {observed[i]:.0%} of {n:,} instances "
                f"(usually {0 if np.isnan(centre) else centre:.0%})",
                "severity": "critical",
            }
        )
    return records


def _share_row(
    h: HistoryInput,
    check: str,
    column: str | None,
    share: float,
    ceiling: float,
    usual: float,
    detail: str,
    enough: bool,
) -> Row:
    """A row judging a share against a ceiling (skipped when there is not ``enough`` data)."""
    return {
        "check": check,
        "dataset": h.dataset,
        "column": column,
        "segment": "",
        "observed": share if enough else np.nan,
        "lower": -np.inf if enough else np.nan,
        "upper": ceiling if enough else np.nan,
        "expected": usual,
        "training_weeks": 1,
        "detail": detail,
        "severity": "critical",
    }


def copy_of_last_week(h: HistoryInput) -> list[Row]:
    """The week under test repeating the week before value for value (a stale copy)."""
    changes = h.summary.changes if h.summary else None
    if changes is None:
        return []
    eligible, same = changes.copied
    share = same / eligible if eligible else np.nan
    enough = eligible >= 4
    detail = (
        f"{same:,} of {eligible:,} values equal the week before ({share:.0%})"
        if enough
        else f"only {eligible} values of 10 or more to compare with the week before; judged "
        "when at least 4 are"
    )
    return [_share_row(h, "copy of last week", None, share, 0.95, 0.0, detail, enough)]


def _weekly_counters(h: HistoryInput) -> list[Field]:
    """Weekly counters of the pull that are not null by design."""
    present = h.summary.schema if h.summary else {}
    return [
        f
        for f in h.tile.fields
        if f.counter
        and f.column.startswith("weekly_")
        and f.column not in h.null_by_design
        and f.column in present
    ]


def _instances(h: HistoryInput) -> WeekOverWeek | None:
    """A snapshot's comparisons over instances present both weeks (None without them)."""
    changes = h.summary.changes if h.summary and h.tile.shape == "snapshot" else None
    return changes if changes is not None and changes.counters is not None else None


def cumulative_counter(h: HistoryInput) -> list[Row]:
    """A weekly counter that only grows, instance by instance: summed instead of weekly."""
    changes = _instances(h)
    if changes is None or changes.counters is None:
        return []
    stats = changes.counters.set_index("column")
    records = []
    for field in _weekly_counters(h):
        if field.column not in stats.index:
            continue
        n = int(stats.at[field.column, "rising_n"])
        share = float(stats.at[field.column, "rises"]) / n if n else np.nan
        enough = n >= 20
        detail = (
            f"{field.column} did not fall on {share:.0%} of {n:,} active instances "
            "(a weekly counter goes up and down)"
            if enough
            else f"{field.column}: {counted(n, 'active instance')}, too few to judge; judged once 20 "
            "instances report it two weeks in a row"
        )
        records.append(
            _share_row(
                h, "cumulative counter", field.column, share, NEVER_FALLS, 0.6, detail, enough
            )
        )
    return records


def _norm(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


def new_label(h: HistoryInput) -> list[Row]:
    """Labels of a stable segment (insight type, deploy type) never seen before, or renamed."""
    if h.tile.shape != "series" or h.summary is None:
        return []
    records = []
    for column in h.tile.segments:
        if h.tile.field_for(column).churns or column not in h.summary.labels:
            continue
        old, new = h.summary.labels[column]
        if not old:
            continue
        unseen = sorted(new - old)
        gone = old - new
        for label in unseen:
            twin = next((g for g in gone if _norm(g) == _norm(label)), None)
            how = f"looks like {twin!r} renamed" if twin else "never seen in the weeks before"
            records.append(
                {
                    "check": "new label",
                    "dataset": h.dataset,
                    "column": column,
                    "segment": json.dumps({column: label}),
                    "observed": 1.0,
                    "lower": -np.inf,
                    "upper": 0.0,
                    "expected": 0.0,
                    "training_weeks": h.summary.label_weeks,
                    "detail": f"{column} {label!r} {how}",
                    "severity": "critical",
                }
            )
        records.append(
            {
                "check": "new label",
                "dataset": h.dataset,
                "column": column,
                "segment": "",
                "observed": float(len(unseen)),
                "lower": -np.inf,
                "upper": np.inf,
                "expected": 0.0,
                "training_weeks": h.summary.label_weeks,
                "detail": f"{len(unseen)} new {column} labels",
                "severity": "critical",
            }
        )
    return records


def _first_time(check: str, h: HistoryInput, detail: str) -> list[Row]:
    """A skipped row: the check exists but has nothing to compare with yet."""
    return [
        {
            "check": check,
            "dataset": h.dataset,
            "column": None,
            "segment": "",
            "observed": np.nan,
            "lower": np.nan,
            "upper": np.nan,
            "expected": np.nan,
            "training_weeks": 0,
            "detail": detail,
            "severity": "critical",
        }
    ]


def schema_change(h: HistoryInput) -> list[Row]:
    """Columns added, removed or retyped since the last pull."""
    current = dict(h.summary.schema) if h.summary else {}
    if h.last_schema is None:
        return _first_time(
            "schema change", h, "first pull of this dataset; judged from the next week's pull on"
        )
    removed = sorted(set(h.last_schema) - set(current))
    added = sorted(set(current) - set(h.last_schema))
    retyped = sorted(c for c in set(current) & set(h.last_schema) if current[c] != h.last_schema[c])
    parts = [
        f"removed {', '.join(removed)}" if removed else "",
        f"added {', '.join(added)}" if added else "",
        "retyped " + ", ".join(f"{c} {h.last_schema[c]}->{current[c]}" for c in retyped)
        if retyped
        else "",
    ]
    changes = len(removed) + len(retyped)
    return [
        {
            "check": "schema change",
            "dataset": h.dataset,
            "column": None,
            "segment": "",
            "observed": float(changes),
            "lower": -np.inf,
            "upper": 0.0,
            "expected": 0.0,
            "training_weeks": 1,
            "detail": "since the last pull: " + ("; ".join(p for p in parts if p) or "no change"),
            "severity": "critical",
        }
    ]


def history_rewritten(h: HistoryInput) -> list[Row]:
    """Past weeks of a series whose values changed since the last pull."""
    stored = h.stored_values
    if h.tile.shape != "series":
        return []
    if stored is None or stored.empty:
        return _first_time(
            "history rewritten", h, "no earlier pull stored; judged from the next week's pull on"
        )
    current = h.metrics[(h.metrics["metric"] == "value") & (h.metrics["week"] < h.week)]
    merged = current.merge(stored, on=["week", "column_name", "segment"], suffixes=("", "_stored"))
    a, b = merged["value"].astype("float64"), merged["value_stored"].astype("float64")
    changed = merged[((a - b).abs() > np.maximum(0.5, 0.01 * b.abs())) | (a.isna() != b.isna())]
    weeks = sorted({w.isoformat() for w in changed["week"]})
    shown = ", ".join(weeks[:4]) + (f" and {len(weeks) - 4} more" if len(weeks) > 4 else "")
    return [
        {
            "check": "history rewritten",
            "dataset": h.dataset,
            "column": None,
            "segment": "",
            "observed": float(len(changed)),
            "lower": -np.inf,
            "upper": 0.0,
            "expected": 0.0,
            "training_weeks": int(merged["week"].nunique()),
            "detail": (
                f"{len(changed)} past values changed since the last pull (weeks {shown})"
                if len(changed)
                else "past weeks unchanged since the last pull"
            ),
            "severity": "critical",
        }
    ]


def versions_below_others(h: HistoryInput) -> list[Row]:
    """Instances that moved to a version report far less than before, unlike those that stayed.

    Judged on the main usage counter only: the others move with it and would repeat its alert.
    """
    changes = _instances(h)
    counters = _weekly_counters(h)
    if changes is None or changes.movers is None or changes.counters is None or not counters:
        return []
    version = changes.version
    usual = changes.counters.set_index("column")["prev_median"]
    field = max(
        counters,
        key=lambda f: -1.0 if pd.isna(usual.get(f.column, np.nan)) else usual[f.column],
    )
    rows = changes.movers[changes.movers["column"] == field.column]
    stayed = rows[~rows["moved"].astype(bool)]
    if stayed.empty or stayed["n"].iloc[0] < 20 or stayed["prev_median"].iloc[0] < 5:
        return []
    reference = float(stayed["ratio_median"].iloc[0])
    records = []
    moved = rows[rows["moved"].astype(bool)].sort_values("label")
    for label, n, median in zip(moved["label"], moved["n"], moved["ratio_median"], strict=True):
        enough = n >= MIN_MOVERS and reference > 0
        ratio = float(median) / reference if enough else np.nan
        records.append(
            {
                "check": "versions below others",
                "dataset": h.dataset,
                "column": field.column,
                "segment": json.dumps({version: str(label)}),
                "observed": ratio,
                "lower": MOVERS_FLOOR if enough else np.nan,
                "upper": np.inf if enough else np.nan,
                "expected": 1.0,
                "training_weeks": 1,
                "detail": (
                    f"{n} instances that moved to {version} {label} report {ratio:.0%} of their "
                    f"{field.column} of the week before, relative to instances that stayed"
                    if enough
                    else f"{counted(n, 'instance')} moved to {version} {label}: too few to judge; judged "
                    f"once {MIN_MOVERS} have moved"
                ),
                "severity": "critical",
            }
        )
    return records


DETECTORS: tuple[Callable[[HistoryInput], list[Row]], ...] = (
    level,
    dead_metric,
    null_rate,
    copy_of_last_week,
    cumulative_counter,
    new_label,
    schema_change,
    history_rewritten,
    versions_below_others,
    usage_change,
)


def derive(h: HistoryInput) -> pd.DataFrame:
    """Every detector's rows for one dataset (an empty frame when history is off)."""
    if not h.settings.enabled:
        return rows([])
    return rows([row for detector in DETECTORS for row in detector(h)])


#: The family of every history-aware check, by name (``canary.checks.families``).
FAMILIES: dict[str, Family] = {
    "level": "level",
    "volume": "row_count",
    "dead metric": "dead_metric",
    "null rate": "null_rate",
    "copy of last week": "copy",
    "cumulative counter": "cumulative",
    "new label": "category_set",
    "schema change": "schema_change",
    "history rewritten": "history_rewritten",
    "versions below others": "version_gap",
    USAGE_CHANGE: "usage_change",
    CROSS_CHECK: "cross_source",
}
#: Names of every history-aware check (what is not from a static suite).
HISTORY_CHECKS = frozenset(FAMILIES)
