"""Cross-source checks: a series of the pings against a witness that sees the same usage
through another pipeline (a browser analytics tool), as their ratio.

People using the product less move both series and leave the ratio where it was; a broken
pipeline moves one. The ratio is judged against its own history (robust band, as levels
are); when it breaks, each side's own change against its history names the side that
moved, or, where one instance's swings cannot tell, the side that lost views.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np

from canary import readable
from canary.anomaly.baseline import MAD_TO_SIGMA, expected_band, last_valid, nanmedian
from canary.anomaly.inputs import HistoryInput, matrix
from canary.config import CrossCheck

CHECK = "cross-source ratio"
WINDOW = 26  # training weeks of the ratio: half a year of a slowly drifting share
MIN_WEEKS = 6
#: Fewest views on the larger side this week before the ratio is judged: below it, one
#: tracked view more or less moves the ratio by several percent.
MIN_COUNT = 20
MIN_LOG_SIGMA = 0.05  # a flat series' floor (5%), so that a wiggle is not a move
OUT, IN = 2.5, 1.5  # robust sigmas: a side out of its usual range, a side within it

Row = dict[str, object]


def _series(h: HistoryInput, column: str, blank: set[date]) -> tuple[np.ndarray, float]:
    """One unsegmented column's history (oldest first) with ``blank`` weeks as NaN (they
    never train), and its value this week (NaN: none). Quiet weeks train: a holiday moves
    both sides alike, so the ratio has no season."""
    keys, grid, history, observed = matrix(h.metrics, ("value",), h.week)
    pairs = zip(keys["column_name"], keys["segment"], strict=True)
    at = [i for i, (c, s) in enumerate(pairs) if c == column and s == ""]
    if not at:
        return np.full(len(grid), np.nan), float("nan")
    skip = [w in blank for w in grid]
    return np.where(skip, np.nan, history[at[0]]), float(observed[at[0]])


def _move(train: np.ndarray, now: float) -> tuple[float, float]:
    """``now`` against the last ``WINDOW`` valid weeks of ``train``: its change from their
    median, and how many robust sigmas of their logarithms it lies off (a count's own
    noise: one instance's weekly views swing far more than a fleet's)."""
    recent = last_valid(np.where(train > 0, train, np.nan)[None, :], WINDOW)[0]
    logs = np.log(recent[~np.isnan(recent)])
    if len(logs) < MIN_WEEKS or not now > 0:
        centre = float(nanmedian(recent[None, :], axis=1)[0])
        change = now / centre - 1 if centre and np.isfinite(centre) else float("nan")
        return change, float("-inf") if now == 0 and np.isfinite(change) else float("nan")
    middle = float(np.median(logs))
    sigma = max(float(np.median(np.abs(logs - middle))) * MAD_TO_SIGMA, MIN_LOG_SIGMA)
    return float(np.exp(np.log(now) - middle) - 1), (np.log(now) - middle) / sigma


def side_of(measure: tuple[float, float], witness: tuple[float, float], fell: bool) -> str:
    """Which side moved, from each side's (change, sigmas) against its own history: the one
    out of its usual range (``OUT`` sigmas) while the other stays in it (``IN``). When
    their own swings cannot tell (one instance's weekly views swing by half), the side that
    lost views against the other (the measure when the ratio ``fell``): a broken pipeline
    loses events far more often than it adds them."""
    m, w = (abs(float(np.nan_to_num(side[1]))) for side in (measure, witness))
    if m >= OUT and w < IN:
        return "measure"
    if w >= OUT and m < IN:
        return "witness"
    return "measure" if fell else "witness"


def cross_source(inputs: list[HistoryInput], checks: Mapping[str, CrossCheck]) -> list[Row]:
    """One derived row per cross check whose two datasets were pulled this run."""
    by_name = {h.dataset: h for h in inputs}
    out: list[Row] = []
    for name, check in checks.items():
        (m_set, m_col), (w_set, w_col) = (s.split(".", 1) for s in (check.measure, check.witness))
        if m_set not in by_name or w_set not in by_name:
            continue
        hm, hw = by_name[m_set], by_name[w_set]
        # a week flagged on either side trains neither
        blank = {w for c, _, w in hm.flagged if c == m_col}
        blank |= {w for c, _, w in hw.flagged if c == w_col}
        m_hist, m_now = _series(hm, m_col, blank)
        w_hist, w_now = _series(hw, w_col, blank)
        with np.errstate(all="ignore"):
            ratios = np.where(w_hist > 0, m_hist / w_hist, np.nan)
            # the witness at zero while the pings count: the tracking died (an infinite ratio)
            ratio = m_now / w_now if w_now > 0 else float("inf") if m_now > 0 else float("nan")
        band = expected_band(
            ratios[None, :],
            np.array([ratio]),
            window=WINDOW,
            min_weeks=MIN_WEEKS,
            sensitivity=check.sensitivity,
            min_abs_change=0.0,
            min_rel_change=check.min_rel_change,
        )
        m_move, w_move = _move(m_hist, m_now), _move(w_hist, w_now)
        (m_change, _), (w_change, _) = m_move, w_move
        side = side_of(m_move, w_move, fell=bool(ratio < band.centre[0]))
        what = f"{m_col} per {check.witness}"
        centre = float(band.centre[0])
        small = not np.nanmax([m_now, w_now, 0.0]) >= MIN_COUNT
        if np.isnan(ratio) or np.isnan(centre) or small:
            missing = check.measure if np.isnan(m_now) else check.witness
            detail = (
                f"{what}: no value of {missing} this week"
                if np.isnan(m_now) or np.isnan(w_now)
                else f"{what}: under {MIN_COUNT} on both sides this week, too few to compare"
                if small
                else f"{what}: {int(band.training_weeks[0])} of {MIN_WEEKS} weeks of history"
            )
            lower = upper = float("nan")
        else:
            lower, upper = float(band.lower[0]), float(band.upper[0])
            detail = (
                f"{what} is {readable.number(round(ratio, 3))}, expected "
                f"{readable.span(max(lower, 0), upper, ratio)} "
                f"({readable.change(ratio / centre - 1 if centre else None)} vs the median of "
                f"{int(band.training_weeks[0])} weeks); against their medians {check.measure} "
                f"{readable.change(m_change)}, {check.witness} {readable.change(w_change)}"
            )
            if not lower <= ratio <= upper:
                detail += f": {m_set if side == 'measure' else w_set} moved beyond the other"
        out.append(
            {
                "check": CHECK,
                "dataset": m_set,
                "column": m_col,
                "segment": "",
                "observed": np.nan_to_num(ratio, nan=0.0),
                "lower": lower,
                "upper": upper,
                "expected": centre,
                "training_weeks": int(band.training_weeks[0]),
                "detail": detail,
                "severity": "critical",
                "details": {
                    "cross_check": name,
                    "witness": check.witness,
                    "side": side,
                    "measure_change": None if np.isnan(m_change) else round(m_change, 4),
                    "witness_change": None if np.isnan(w_change) else round(w_change, 4),
                },
            }
        )
    return out
