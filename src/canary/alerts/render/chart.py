"""A small PNG of a metric's recent weeks with the expected band (matplotlib, Agg, no pyplot).

Which metric: the one a history-aware check names (``details["metric"]``), else the
column's null rate when it has nulls this week, else its value (series) or sum; a check
without a column charts the row count.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from canary.alerts.render.model import extras_of
from canary.results import CheckResult

#: Metrics that are the level of a column itself, so that a check's bounds apply to them.
LEVELS = ("value", "sum", "row_count")


@dataclass(frozen=True)
class Series:
    """The points to draw: (week, value) oldest first, and the expected band if known."""

    title: str
    metric: str
    points: list[tuple[date, float | None]]
    band: tuple[float | None, float | None] | None


def _segment_key(segment: dict[str, str] | None) -> str:
    return json.dumps(segment) if segment else ""


def _rows(history: pd.DataFrame, check: CheckResult) -> pd.DataFrame:
    column = (check.column or "").split(",")[0]
    keep = (history["column_name"] == column) & (
        history["segment"] == _segment_key(check.series_segment)
    )
    return history[keep]


def pick_metric(check: CheckResult, rows: pd.DataFrame) -> str | None:
    """The stored metric that shows this check's trouble best (see the module docstring)."""
    present = set(rows["metric"])
    named = extras_of(check).get("metric")
    nulls = rows[rows["metric"] == "null_rate"].sort_values("week")
    has_nulls = bool(len(nulls)) and (nulls["value"].iloc[-1] or 0) > 0
    wanted = [named, "null_rate" if has_nulls else None, *LEVELS] if check.column else ["row_count"]
    return next((m for m in wanted if m in present), None)


def series(check: CheckResult, history: pd.DataFrame, week: date, weeks: int) -> Series | None:
    """The recent history of ``check``'s metric up to ``week``, or None with under 2 points."""
    if history.empty:
        return None
    rows = _rows(history, check)
    if rows.empty:
        return None
    metric = pick_metric(check, rows)
    if metric is None:
        return None
    picked = rows[(rows["metric"] == metric) & (pd.to_datetime(rows["week"]) <= pd.Timestamp(week))]
    picked = picked.sort_values("week").tail(weeks)
    if len(picked) < 2:
        return None
    points = [
        (pd.Timestamp(w).date(), None if v is None or math.isnan(v) else float(v))
        for w, v in zip(picked["week"], picked["value"], strict=True)
    ]
    band = _band(check, metric)
    what = " · ".join(x for x in (check.dataset, check.column, metric.replace("_", " ")) if x)
    return Series(what, metric, points, band)


def _band(check: CheckResult, metric: str) -> tuple[float | None, float | None] | None:
    """The expected range when it bounds the charted metric itself."""
    extras = extras_of(check)
    expected = None
    if extras.get("metric") == metric:
        expected = extras.get("expected_range") or check.expected
    elif metric in LEVELS:
        expected = check.expected
    if not isinstance(expected, dict):
        return None
    lo, hi = expected.get("min"), expected.get("max")
    return None if lo is None and hi is None else (lo, hi)


def change_pct(points: list[tuple[date, float | None]], week: date) -> float | None:
    """Change of ``week``'s value against the week before, in percent (None if unknown)."""
    values = dict(points)
    before, last = values.get(week - timedelta(days=7)), values.get(week)
    if before is None or last is None or before == 0:
        return None
    return 100.0 * (last - before) / abs(before)


def png(data: Series) -> bytes:
    """The chart as PNG bytes (about 600x240 pixels)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import DateFormatter, date2num
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 2.4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = date2num([w for w, _ in data.points])
    ys = [math.nan if v is None else v for _, v in data.points]
    ax.plot(xs, ys, marker="o", markersize=3, color="tab:blue", linewidth=1.2)
    if data.band is not None:
        y0, y1 = ax.get_ylim()
        lo = y0 if data.band[0] is None else float(data.band[0])
        hi = y1 if data.band[1] is None else float(data.band[1])
        ax.axhspan(lo, hi, color="tab:green", alpha=0.15)
    if not math.isnan(ys[-1]):
        ax.plot([xs[-1]], [ys[-1]], marker="o", color="tab:red", markersize=6)
    else:
        ax.axvline(float(xs[-1]), color="tab:red", linestyle="--", linewidth=1)
    ax.set_xticks(xs[:: max(1, len(xs) // 6)])
    ax.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
    ax.set_title(data.title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
