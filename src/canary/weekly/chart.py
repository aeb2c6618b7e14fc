"""The report's chart (matplotlib, Agg, no pyplot): small multiples, one panel per
``ChartSeries`` in a grid, each with its line, the expected band where known, this week
marked with its value; sized to read at Slack's preview width (about 1200 px)."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING

from canary import readable
from canary.alerts.render.text import clip
from canary.weekly.body import ChartSeries, ReportBody

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

MAX_PANELS = 6
COLUMNS = 3
WIDTH_IN = 12.0  # 1200 px at DPI
PANEL_HEIGHT_IN = 3.4
DPI = 100
FONT = 12  # points at DPI 100 on a 1200 px image: 17 px, readable when Slack scales it down
TITLE_LIMIT = 36  # characters of a panel's title that fit its width
LINE = "#1f6fb2"
BAND = "#2ca02c"
OUTSIDE = "#d62728"
HALF_WEEK = 3.5  # days, in matplotlib's date units


def _nan(values: list[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _outside(s: ChartSeries) -> bool:
    """Whether this week's value lies outside its expected band."""
    value, low, high = s.values[-1], s.low[-1], s.high[-1]
    if value is None:
        return True
    return (low is not None and value < low) or (high is not None and value > high)


def _runs(lows: list[float], highs: list[float]) -> list[list[int]]:
    """Indices of the weeks with a known band, in runs of consecutive weeks."""
    runs: list[list[int]] = []
    for i, (low, high) in enumerate(zip(lows, highs, strict=True)):
        if math.isnan(low) or math.isnan(high):
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _band(ax: Axes, xs: list[float], lows: list[float], highs: list[float]) -> None:
    """A run of weekly expected ranges, each week's half a week either side of it (a week
    alone shows too)."""
    half = HALF_WEEK
    edges = [xs[0] - half, *xs, xs[-1] + half]
    ax.fill_between(
        edges,
        [lows[0], *lows, lows[-1]],
        [highs[0], *highs, highs[-1]],
        step="mid",
        color=BAND,
        alpha=0.18,
        linewidth=0,
    )


def _panel(ax: Axes, s: ChartSeries) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    xs = date2num(s.weeks)
    ys, lows, highs = _nan(s.values), _nan(s.low), _nan(s.high)
    for run in _runs(lows, highs):
        _band(ax, [xs[i] for i in run], [lows[i] for i in run], [highs[i] for i in run])
    ax.plot(xs, ys, color=LINE, linewidth=2, marker="o", markersize=3)
    finite = [v for v in ys + lows + highs if not math.isnan(v)]
    if finite and min(finite) >= 0:
        ax.set_ylim(bottom=0, top=max(finite) * 1.18 or 1)
    color = OUTSIDE if _outside(s) else LINE
    last = s.values[-1]
    if last is None:
        ax.axvline(float(xs[-1]), color=OUTSIDE, linestyle="--", linewidth=1.5)
        ax.annotate(
            "no data",
            (float(xs[-1]), 0.08),
            xycoords=("data", "axes fraction"),
            xytext=(-6, 0),
            textcoords="offset points",
            ha="right",
            color=OUTSIDE,
            fontsize=FONT,
        )
    else:
        ax.plot([xs[-1]], [last], marker="o", markersize=9, color=color, zorder=3, clip_on=False)
        ax.annotate(
            readable.number(last),
            (float(xs[-1]), last),
            xytext=(-8, 8),
            textcoords="offset points",
            ha="right",
            va="bottom",
            color=color,
            fontsize=FONT,
            fontweight="bold",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
    # the window's weeks, whatever of them has data (a first week alone would span years)
    ax.set_xlim(float(xs[0]) - HALF_WEEK, float(xs[-1]) + HALF_WEEK)
    locator = AutoDateLocator(minticks=3, maxticks=5)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, show_offset=False))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: readable.compact(y)))
    ax.set_title(clip(s.label, TITLE_LIMIT), fontsize=FONT + 1, loc="left")
    ax.tick_params(labelsize=FONT - 1)
    ax.grid(alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _caption(body: ReportBody, shown: int) -> str:
    """What the panels show: their weeks, the band (when one is known), the dot; how many
    series, if cut."""
    weeks = max(len(s.weeks) for s in body.series)
    parts = [f"last {weeks} weeks"]
    if any(_runs(_nan(s.low), _nan(s.high)) for s in body.series[:shown]):
        parts.append("shaded: expected range")
    parts.append(f"dot: week of {body.week.day} {body.week:%b}")
    if shown < len(body.series):
        parts.append(f"{shown} of {len(body.series)} series")
    return " · ".join(parts)


def report_figure(body: ReportBody) -> Figure | None:
    """The chart's figure (at most ``MAX_PANELS`` panels), or None without series."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = body.series[:MAX_PANELS]
    if not shown:
        return None
    columns = 2 if len(shown) == 4 else min(COLUMNS, len(shown))
    rows = math.ceil(len(shown) / columns)
    fig = Figure(figsize=(WIDTH_IN, PANEL_HEIGHT_IN * rows), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(_caption(body, len(shown)), fontsize=FONT - 1, color="dimgray", x=0.01, ha="left")
    axes = fig.subplots(rows, columns, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(shown):
            _panel(ax, shown[i])
        else:
            ax.remove()
    return fig


def report_png(body: ReportBody) -> bytes | None:
    """The chart as PNG bytes (1200 px wide; the same bytes for the same body), or None
    when the body has no series."""
    fig = report_figure(body)
    if fig is None:
        return None
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
