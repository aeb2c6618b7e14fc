"""Values as people read them (pure): counts with separators, shares as percentages, bounds
rounded to the digits that matter, a check's observed dict as the sentence it stands for.

Slack, the console, the Prefect summary and check reasons show values through here; the
JSON result keeps the raw numbers (a machine contract).
"""

from __future__ import annotations

import json
import math
from typing import Any

#: Checks whose observed value and bounds are shares of 0..1 (history-aware detectors).
SHARE_CHECKS = frozenset(
    {"null rate", "copy of last week", "cumulative counter", "versions below others"}
)
NONE = "—"


def is_share(check: str | None) -> bool:
    return check in SHARE_CHECKS


def counted(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless one: "1 reply", "2 replies", "1,200 posts"."""
    if n == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") and noun[-2:-1] not in "aeiou" else noun + "s"
    return f"{n:,} {plural}"


def count(n: float) -> str:
    """``1198`` -> ``1,198``."""
    return f"{round(n):,}"


def number(x: float) -> str:
    """A count with separators; other numbers to three significant digits (``0.299``,
    ``4.25``), whole from 10 on (``55``, ``2,075``: the bounds of counts)."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float) and not math.isfinite(x):
        return NONE if math.isnan(x) else ("∞" if x > 0 else "-∞")
    if isinstance(x, int) or float(x).is_integer() or abs(x) >= 10:
        return count(x)
    text = f"{x:.3g}"
    return text if "e" not in text else f"{x:.2e}"


def percent(share: float) -> str:
    """A share of 0..1 as a percentage: ``100%``, ``29.9%``, ``0.1%``, ``<0.1%``."""
    if isinstance(share, float) and not math.isfinite(share):
        return NONE
    pct = 100 * share
    if pct and abs(pct) < 0.05:
        return "<0.1%" if pct > 0 else ">-0.1%"
    text = f"{pct:.0f}" if abs(pct) >= 99.95 else f"{pct:.1f}".removesuffix(".0")
    return f"{text}%"


def value(x: Any, share: bool = False) -> str:
    """Any observed value on one line: numbers as above (a share as a percentage), a list
    comma-separated, a dict as its meaningful parts, None as a dash."""
    if x is None:
        return NONE
    if isinstance(x, int | float) and not isinstance(x, bool):
        return percent(x) if share else number(x)
    if isinstance(x, str):
        return x
    if isinstance(x, list | tuple):
        return ", ".join(value(v) for v in x) or "none"
    if isinstance(x, dict):
        return _dict(x)
    return str(x)


def rows_failing(unexpected: Any, rows: Any, pct: Any = None) -> str:
    """``1 of 1,198 rows (0.1%)``; ``no rows`` when there were none to check."""
    if not isinstance(unexpected, int | float):
        return "some rows"
    if not isinstance(rows, int | float) or not rows:
        return "no rows" if rows == 0 else f"{count(unexpected)} rows"
    share = pct / 100 if isinstance(pct, int | float) else unexpected / rows
    return f"{count(unexpected)} of {count(rows)} rows ({percent(share)})"


def _dict(x: dict[str, Any]) -> str:
    if "unexpected_count" in x:
        return rows_failing(x["unexpected_count"], x.get("rows"), x.get("unexpected_percent"))
    if set(x) == {"missing_columns"}:
        return f"missing {value(x['missing_columns'])}"
    if x and set(x) <= {"min", "max"}:
        return bounds(x)
    return ", ".join(f"{k} {value(v)}" for k, v in x.items()) or json.dumps(x)


def bounds(expected: dict[str, Any] | None, share: bool = False) -> str:
    """An expected range: ``889 to 2,075``, ``at least 1``, ``at most 29.9%``; a dash when
    open on both ends."""
    if not expected:
        return NONE
    lo, hi = expected.get("min"), expected.get("max")
    if lo is not None and hi is not None:
        low, high = value(lo, share), value(hi, share)
        if low == high and lo != hi:  # rounding made them one: show the digits that differ
            low, high = (f"{100 * v:.4g}%" if share else f"{v:,.6g}" for v in (lo, hi))
        return f"{low} to {high}"
    if lo is not None:
        return f"at least {value(lo, share)}"
    if hi is not None:
        return f"at most {value(hi, share)}"
    return NONE


def observed(x: Any, check: str | None) -> str:
    """A check's observed value (a share for the share checks)."""
    return value(x, is_share(check))


def expected(x: dict[str, Any] | None, check: str | None) -> str:
    """A check's expected range (shares for the share checks)."""
    return bounds(x, is_share(check))


#: the largest change shown as such; a larger rise reads ``>+999%``
MAX_CHANGE = 999


def change(fraction: float | None) -> str:
    """A change as a whole signed percentage: ``-0.5712`` -> ``-57%``, ``0.03`` -> ``+3%``,
    under half a percent ``±0%``, past ``MAX_CHANGE`` ``>+999%``; a dash when unknown."""
    if fraction is None or not math.isfinite(fraction):
        return NONE
    pct = round(100 * fraction)
    if pct > MAX_CHANGE:
        return f">+{MAX_CHANGE}%"
    return f"{pct:+,}%" if pct else "±0%"


def signed(x: float) -> str:
    """A difference of counts with its sign: ``-1,234``, ``+56``, ``±0``; a dash when
    unknown."""
    if not math.isfinite(x):
        return NONE
    n = round(x)
    return f"{n:+,}" if n else "±0"


def _rounded(x: float, place: float, up: bool) -> float:
    """``x`` rounded up or down to a multiple of ``place``."""
    steps = x / place
    steps = round(steps) if math.isclose(steps, round(steps), abs_tol=1e-9) else steps
    return (math.ceil(steps) if up else math.floor(steps)) * place


def span(low: float | None, high: float | None, value: float | None = None) -> str:
    """An expected range rounded to three significant digits of its larger end, as people
    read it: ``4,412..18,123`` -> ``4,400–18,200``; finer where that would merge its ends;
    ``at least``/``at most`` when open on one end.

    Each end is rounded outward, so a value within the range is shown within; with a
    ``value`` outside the range the end it passed is rounded toward it, never past it, so
    the shown range never contradicts where the value stands; an end not finite is open."""
    low, high = (None if end is None or not math.isfinite(end) else end for end in (low, high))
    if high is None:
        return NONE if low is None else f"at least {number(low)}"
    if low is None:
        return f"at most {number(high)}"
    low_up = value is not None and value < low
    high_up = not (value is not None and value > high)
    largest = max(abs(low), abs(high))
    place = 10.0 ** (math.floor(math.log10(largest)) - 2) if largest else 1.0
    finest = 1.0 if largest >= 10 else 1e-9  # ``number`` shows whole numbers from 10 on

    def ends(place: float) -> tuple[float, float]:
        return _rounded(low, place, low_up), _rounded(high, place, high_up)

    while place > finest and low != high and len(set(ends(place))) == 1:
        place /= 10
    lo, hi = (number(end) for end in ends(place))
    return f"{lo} to {hi}" if low < 0 else f"{lo}–{hi}"


def compact(x: float) -> str:
    """A number for a chart's axis: ``950``, ``1.2k``, ``18k``, ``2.5M``, ``900B``, ``4T``,
    ``0.3``."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.2g}{suffix}" if abs(x) < 10 * size else f"{x / size:.0f}{suffix}"
    return f"{x:.0f}" if float(x).is_integer() or abs(x) >= 10 else f"{x:.2g}"
