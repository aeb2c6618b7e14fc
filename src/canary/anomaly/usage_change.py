"""Usage change: a broad, real change in how much people use the product.

Judged on a snapshot of instances (one row per instance and week) from its stored sums,
row counts and null rates per segment. The main usage counter (the largest weekly counter)
fails when, with instances reporting stable and no more nulls than usual, it moved by
``ONE_WEEK`` or more against both last week and the usual level, or declined by ``DRIFT``
or more over six weeks, week after week (a rise over weeks is growth, or the end of a lull); alike on every segment (deploy types carrying
``EVERY`` of the usual usage each moved by ``ALIKE`` of the change or more, and so did the
instances that kept their version) and on its largest companion counter. A version rolling
out whose instances' usage fell far more than the others' from last week (a release)
fails on its own segment. Quiet weeks (the year end) are not judged: their dip is expected.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from canary import readable
from canary.anomaly.inputs import HistoryInput, matrix
from canary.summary import FELL

CHECK = "usage change"
ONE_WEEK = 0.3  # a change this large in one week, against last week and the usual level
#: a drift this large against six weeks before fails: a 40% decline is caught even when a
#: week's noise (about 5-10% of a sum that a few large instances carry) hides some of it
DRIFT = 0.35
DRIFT_WEEKS = 6
BASE_WEEKS = 4  # normal weeks before this one that set the usual level
STABLE = 0.1  # instances reporting within this share of usual
MIN_INSTANCES = 50  # a snapshot of fewer instances (one watched instance) is not judged
MORE_NULLS = 0.05  # a real change: the counter null on at most this many more instances
ALIKE = 1 / 3  # a segment alike carries at least a third of the overall change
EVERY = 0.8  # "every segment": those alike usually carry at least this share of the usage
MIN_SEGMENT = 200.0  # segments usually this small are too noisy to say how broad
#: a version's usage per instance under a quarter of what moving like the others gives:
#: instances moving between versions shift a few large users' usage by half or more
VERSION_FLOOR = 0.25
MIN_VERSION_ROWS = 100  # instances on a version, both weeks, before it is judged
#: A version rolling out fails when more than this share of its active instances fell (under
#: ``FELL`` of their usage of last week; a release used far less: most of them, though a
#: week's noise lifts a third of them back over the line) ...
FALLEN_SHARE = 0.6
#: ... and that many falling as often as the other versions' instances do is this unlikely
#: (a week's noise makes a third of instances fall; a clean year's least likely is ~1%)
FALLEN_CHANCE = 0.002
MIN_FALLEN = 5  # active instances on a version before their falls are judged
#: ... and their usage, each against last week, is under half the other versions' (a
#: version's row says how much less its instances use it)
FALLEN_USAGE = 0.5
#: How a drift is told in a check's reason (a change in one week is told "from last week")
DRIFT_TOLD = f"over {DRIFT_WEEKS} weeks"
NAMES = {
    "weekly_insights_page_views": "page views",
    "version_minor": "version",
    "deploy_type": "deploy type",
}


def _name(column: str) -> str:
    return NAMES.get(column, column.replace("_", " "))


@dataclass(frozen=True)
class _Series:
    """One dataset's stored metrics as a lookup: (column, segment, metric) -> row."""

    keys: dict[tuple[str, str, str], int]
    history: np.ndarray  # the weeks before this one, oldest first
    trained: np.ndarray  # the same with quiet weeks blanked out (NaN): they set no usual
    observed: np.ndarray  # this week

    def get(self, column: str, segment: str, metric: str) -> int | None:
        return self.keys.get((column, segment, metric))


def _series(h: HistoryInput) -> _Series:
    keys, grid, history, observed = matrix(h.metrics, ("sum", "row_count", "null_rate"), h.week)
    trained = history.copy()
    trained[:, np.array([h.is_quiet(w) is not None for w in grid], dtype=bool)] = np.nan
    index = {
        (c, s, m): i
        for i, (c, s, m) in enumerate(keys[["column_name", "segment", "metric"]].values)
    }
    return _Series(index, history, trained, observed)


def _usual(values: np.ndarray, weeks: int = BASE_WEEKS) -> float:
    """Median of the last ``weeks`` known values (NaN with fewer than ``weeks - 1``, or 2)."""
    known = values[~np.isnan(values)][-weeks:]
    return float(np.median(known)) if len(known) >= max(weeks - 1, 2) else float("nan")


def _change(s: _Series, i: int) -> float:
    """This week's value against its usual level, as a share (NaN when unknown)."""
    base = _usual(s.trained[i])
    return s.observed[i] / base - 1 if base > 0 else float("nan")


def _counters(h: HistoryInput, s: _Series) -> list[str]:
    """Weekly counters by their usual sum, largest (the product's main usage number) first."""
    counters = [f.column for f in h.tile.fields if f.counter and f.column.startswith("weekly_")]
    sizes = {
        c: _usual(s.trained[i])
        for c in counters
        if c not in h.null_by_design and (i := s.get(c, "", "sum")) is not None
    }
    return sorted((c for c, v in sizes.items() if v > 0), key=lambda c: -sizes[c])


def _segments(h: HistoryInput, s: _Series, column: str, dim: str) -> dict[str, int]:
    """Segments of ``dim`` usually large enough to judge, by label."""
    out = {}
    for (c, segment, metric), i in s.keys.items():
        if c != column or metric != "sum" or not segment:
            continue
        labels = json.loads(segment)
        if list(labels) == [dim] and _usual(s.trained[i]) >= MIN_SEGMENT:
            out[str(labels[dim])] = i
    return out


def _alike(own: float, change: float) -> bool:
    """Whether ``own`` moved the way of ``change`` by at least ``ALIKE`` of it."""
    return bool(own * change > 0 and abs(own) >= ALIKE * abs(change))


def _not_broad(
    h: HistoryInput, s: _Series, counters: list[str], change: float, drift: bool
) -> str | None:
    """Why a change of ``change`` is not a broad, real usage change (None: it is)."""
    column = counters[0]
    rows = s.get("", "", "row_count")
    if rows is not None:
        moved = _change(s, rows)
        if abs(moved) > STABLE:
            return f"instances reporting moved too ({readable.change(moved)})"
    nulls = s.get(column, "", "null_rate")
    if nulls is not None and s.observed[nulls] > _usual(s.trained[nulls]) + MORE_NULLS:
        return f"{_name(column)} is null on {s.observed[nulls]:.0%} of instances"
    for dim in h.tile.segments:
        if h.tile.field_for(dim).churns:
            continue
        segments = _segments(h, s, column, dim)
        usual = {label: _usual(s.trained[i]) for label, i in segments.items()}
        changes = {label: _segment_change(s, i, drift) for label, i in segments.items()}
        apart = [label for label in segments if not _alike(changes[label], change)]
        if sum(usual[a] for a in apart) > (1 - EVERY) * sum(usual.values()):
            label = max(apart, key=usual.__getitem__)
            return f"{_name(dim)} {label} moved {readable.change(changes[label])}, not alike"
    for other in counters[1:2]:  # the counters of one usage move together
        j = s.get(other, "", "sum")
        own = _segment_change(s, j, drift) if j is not None else change
        if not _alike(own, change):
            return f"{_name(other)} moved {readable.change(own)}, not alike"
    stayed = _stayed_ratio(h, column)
    if not drift and stayed is not None and not _alike(stayed - 1, change):
        return f"instances that kept their version moved {readable.change(stayed - 1)}, not alike"
    return None


def _segment_change(s: _Series, i: int, drift: bool) -> float:
    if drift:
        base = _usual(s.trained[i, : -(DRIFT_WEEKS - 1)], weeks=BASE_WEEKS)
        return s.observed[i] / base - 1 if base > 0 else float("nan")
    return _change(s, i)


def _stayed_ratio(h: HistoryInput, column: str) -> float | None:
    """Median of this week's over last week's value, over instances that kept their version."""
    changes = h.summary.changes if h.summary else None
    movers = changes.movers if changes is not None else None
    if movers is None or movers.empty:
        return None
    stayed = movers[(movers["column"] == column) & ~movers["moved"].astype(bool)]
    if stayed.empty or stayed["n"].iloc[0] < MIN_INSTANCES:
        return None
    return float(stayed["ratio_median"].iloc[0])


def _where(h: HistoryInput, drift: bool) -> str:
    dims = [_name(d) for d in h.tile.segments if not (drift and h.tile.field_for(d).churns)]
    return "on every " + " and ".join(dims) + " alike" if dims else "overall"


def usage_change(h: HistoryInput) -> list[dict[str, Any]]:
    """The main usage counter's broad change, and each version's fall against the others."""
    if h.tile.shape != "snapshot":
        return []
    s = _series(h)
    rows = s.get("", "", "row_count")
    if rows is None or not _usual(s.history[rows]) >= MIN_INSTANCES:
        return []
    counters = _counters(h, s)
    if not counters:
        return []
    by_version = {r["segment"]: r for r in _versions(h, s, counters)}
    for row in _fallen(h, s, counters):  # a version's sums not (yet) failing
        if not _fails(by_version.get(row["segment"])):
            by_version[row["segment"]] = row
    return [_overall(h, s, counters), *by_version.values()]


def _fails(row: dict[str, Any] | None) -> bool:
    return row is not None and not row["lower"] <= row["observed"] <= row["upper"]


def _row(
    h: HistoryInput,
    column: str,
    segment: str,
    observed: float,
    bounds: tuple[float, float],
    expected: float,
    detail: str,
) -> dict[str, Any]:
    return {
        "check": CHECK,
        "dataset": h.dataset,
        "column": column,
        "segment": segment,
        "observed": observed,
        "lower": bounds[0],
        "upper": bounds[1],
        "expected": expected,
        "training_weeks": BASE_WEEKS,
        "detail": detail,
        "severity": "critical",
    }


def _overall(h: HistoryInput, s: _Series, counters: list[str]) -> dict[str, Any]:
    column = counters[0]
    i = s.keys[(column, "", "sum")]
    name = _name(column)
    nan = float("nan")
    quiet = h.is_quiet(h.week)
    base = _usual(s.trained[i])
    if quiet is not None or not base > 0:
        why = (
            f"a {quiet.name} week: its dip is expected; judged again after it"
            if quiet is not None
            else f"fewer than {BASE_WEEKS - 1} normal weeks of history; judged once they are stored"
        )
        return _row(h, column, "", nan, (nan, nan), nan, f"{name}: {why}")
    obs = float(s.observed[i])
    last = float(s.history[i, -1]) if not np.isnan(s.history[i, -1]) else base
    lower, upper = (1 - ONE_WEEK) * min(last, base), (1 + ONE_WEEK) * max(last, base)
    change = obs / last - 1 if last > 0 else nan
    told = f"{readable.change(change)} from last week ({last:,.0f})"
    drift = False
    start = _usual(s.trained[i, : -(DRIFT_WEEKS - 1)])
    recent = s.trained[i, -2:]
    recent = recent[~np.isnan(recent)]
    if lower <= obs <= upper and start > 0 and len(recent):
        # a decline: this week and the weeks before it fell the same way from six weeks ago
        drift_change = obs / start - 1
        sustained = all(_alike(r / start - 1, drift_change) for r in recent)
        if sustained and drift_change <= -DRIFT:
            drift, change = True, drift_change
            lower = max(lower, (1 - DRIFT) * start)
            told = f"{readable.change(change)} {DRIFT_TOLD} (from {start:,.0f})"
    rows = s.get("", "", "row_count")
    instances = f"instances reporting stable ({s.observed[rows]:,.0f})" if rows is not None else ""
    detail = f"{name} {obs:,.0f}, {told}"
    if not lower <= obs <= upper:
        detail += f", {_where(h, drift)}; {instances}"
        not_broad = _not_broad(h, s, counters, change, drift)
        if not_broad is not None:
            detail = f"{name} {obs:,.0f}, {told}, but {not_broad}: not a broad usage change"
            lower, upper = -np.inf, np.inf
    return _row(h, column, "", obs, (lower, upper), base, detail)


def _versions(h: HistoryInput, s: _Series, counters: list[str]) -> list[dict[str, Any]]:
    """Versions whose usage per instance fell far below what moving like the others gives,
    every counter alike and with no more nulls than last week (a release people use less)."""
    column = counters[0]
    version = next((d for d in h.tile.segments if h.tile.field_for(d).churns), None)
    total, rows = s.get(column, "", "sum"), s.get("", "", "row_count")
    if version is None or total is None or rows is None or h.is_quiet(h.week) is not None:
        return []
    out = []
    for (c, segment, metric), i in s.keys.items():
        if c != column or metric != "sum" or list(json.loads(segment or "{}")) != [version]:
            continue
        n, nulls = s.get("", segment, "row_count"), s.get(column, segment, "null_rate")
        if n is None or (
            nulls is not None and s.observed[nulls] > s.history[nulls, -1] + MORE_NULLS
        ):
            continue
        n_now, n_before = s.observed[n], s.history[n, -1]
        if not (n_before >= MIN_VERSION_ROWS and n_now >= n_before):
            continue  # judged while it rolls out, on enough instances
        others = _others(s, total, i, rows, n)
        expected = s.history[i, -1] / n_before * n_now * others
        if not expected >= MIN_SEGMENT or not np.isfinite(others):
            continue
        label = json.loads(segment)[version]
        obs = float(s.observed[i])
        per = obs / expected - 1
        if not all(_alike(_per_instance(s, c, segment, n) - 1, per) for c in counters[1:2]):
            continue  # one counter low, its companions not: the numbers, not the usage
        detail = (
            f"{_name(column)} on {_name(version)} {label} {obs:,.0f} from {n_now:,.0f} instances, "
            f"{readable.change(per)} per instance against the other versions from last week"
        )
        if obs < VERSION_FLOOR * expected:
            detail += f"; the drop follows release {label}, every counter alike"
        out.append(
            _row(h, column, segment, obs, (VERSION_FLOOR * expected, np.inf), expected, detail)
        )
    return out


def _others(s: _Series, total: int, i: int, rows: int, n: int) -> float:
    """Usage per instance of every other version, this week against last."""
    with np.errstate(all="ignore"):
        now = (s.observed[total] - s.observed[i]) / (s.observed[rows] - s.observed[n])
        before = (s.history[total, -1] - s.history[i, -1]) / (
            s.history[rows, -1] - s.history[n, -1]
        )
        return float(now / before)


def _per_instance(s: _Series, column: str, segment: str, n: int) -> float:
    """``column``'s usage per instance on ``segment`` against the other versions' (this week
    against last), 1 when unknown."""
    i, total, rows = (
        s.get(column, segment, "sum"),
        s.get(column, "", "sum"),
        s.get("", "", "row_count"),
    )
    if i is None or total is None or rows is None:
        return 1.0
    with np.errstate(all="ignore"):
        mine = (s.observed[i] / s.observed[n]) / (s.history[i, -1] / s.history[n, -1])
        ratio = float(mine / _others(s, total, i, rows, n))
    return ratio if np.isfinite(ratio) else 1.0


def _tail(n: int, k: int, p: float) -> float:
    """Chance of at least ``k`` of ``n`` when each is ``p`` (binomial)."""
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def _fell(h: HistoryInput, column: str) -> dict[str, tuple[int, int, float, float]]:
    """Per version of the week, for ``column``: its active instances, how many fell, and
    their sums this week and the week before."""
    changes = h.summary.changes if h.summary else None
    table = changes.versions if changes is not None else None
    if table is None or table.empty:
        return {}
    rows = table[table["column"] == column]
    return {
        str(label): (int(n), int(fell), float(now), float(before))
        for label, n, fell, now, before in zip(
            rows["label"], rows["n"], rows["fell"], rows["now"], rows["before"], strict=True
        )
    }


def _fallen(h: HistoryInput, s: _Series, counters: list[str]) -> list[dict[str, Any]]:
    """Failing rows of versions rolling out whose instances, each against its own usage of
    the week before, fell far more often than the other versions' did, every counter alike."""
    column = counters[0]
    version = next((d for d in h.tile.segments if h.tile.field_for(d).churns), None)
    if version is None or h.is_quiet(h.week) is not None:
        return []
    fell = _fell(h, column)
    companion = _fell(h, counters[1]) if len(counters) > 1 else {}
    out = []
    for label, (n, k, now, before) in fell.items():
        others = [v for other, v in fell.items() if other != label]
        others_n, others_fell = sum(v[0] for v in others), sum(v[1] for v in others)
        with np.errstate(all="ignore"):
            usage = float(
                np.float64(now) / before / (sum(v[2] for v in others) / sum(v[3] for v in others))
            )
        if n < MIN_FALLEN or others_n < MIN_INSTANCES or not k > FALLEN_SHARE * n:
            continue
        segment = json.dumps({version: label})
        rows = s.get("", segment, "row_count")
        if rows is not None and s.observed[rows] < s.history[rows, -1]:
            continue  # judged while it rolls out
        usual = others_fell / others_n
        if _tail(n, k, usual) > FALLEN_CHANCE or not usage < FALLEN_USAGE:
            continue
        mates = companion.get(label)
        if mates is not None and not mates[1] > mates[0] / 2:
            continue  # one counter fell, its companion not: the numbers, not the usage
        detail = (
            f"{_name(column)} on {_name(version)} {label}: {k:,} of {n:,} active instances "
            f"fell under {FELL:.0%} of their usage of last week ({usual:.0%} on the other "
            f"versions), {usage - 1:+.0%} against the other versions' instances; the drop "
            f"follows release {label}, every counter alike"
        )
        out.append(_row(h, column, segment, usage, (FALLEN_USAGE, np.inf), 1.0, detail))
    return out
