"""Robust expected ranges for many weekly series at once (one vectorised numpy pass).

Training values are the last ``window`` valid weeks before the week under test; weeks
flagged as anomalous, quiet weeks and weeks before an accepted level shift are passed in
as NaN and never train. Centre: median; spread: 1.4826 x MAD, floored so that a flat series
does not turn every wiggle into an alert.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

MAD_TO_SIGMA = 1.4826
DIRECTIONS = {"both": 0, "drop": 1, "rise": 2}
#: For counts, a change up to this many times the largest week-over-week change of the
#: training weeks is within range (set on the project's sample generator).
STEP_MARGIN = 1.25


@dataclass(frozen=True)
class Band:
    """Per-series arrays: expected centre, spread, range, score and training weeks used."""

    centre: np.ndarray
    spread: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    score: np.ndarray
    training_weeks: np.ndarray


def nanmedian(values: np.ndarray, axis: int) -> np.ndarray:
    """Median ignoring NaN; NaN (without a warning) where a row has no value at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanmedian(values, axis=axis))


def last_valid(history: np.ndarray, window: np.ndarray | int) -> np.ndarray:
    """``history`` with all but the last ``window`` non-NaN values of each row set to NaN."""
    valid = ~np.isnan(history)
    rank_from_end = np.cumsum(valid[:, ::-1], axis=1)[:, ::-1]
    keep = valid & (rank_from_end <= np.asarray(window).reshape(-1, 1))
    return np.where(keep, history, np.nan)


def largest_step(train: np.ndarray) -> np.ndarray:
    """Largest week-over-week change of each row between consecutive valid weeks (NaN where
    there is none). Unlike the MAD it keeps the occasional swing of a sum that a few large
    instances carry (one of them offline for a week); a trend barely moves it."""
    used = ~np.isnan(train).all(axis=0)
    train = train[:, int(np.argmax(used)) :] if used.any() else train[:, :0]
    if train.shape[1] < 2:
        return np.full(len(train), np.nan)
    valid = ~np.isnan(train)
    column = np.where(valid, np.arange(train.shape[1]), -1)
    before = np.maximum.accumulate(column, axis=1)[:, :-1]  # last valid week before each
    earlier = np.take_along_axis(train, np.maximum(before, 0), axis=1)
    steps = np.where(valid[:, 1:] & (before >= 0), np.abs(train[:, 1:] - earlier), np.nan)
    return np.asarray(np.fmax.reduce(steps, axis=1, initial=np.nan))


def expected_band(
    history: np.ndarray,
    observed: np.ndarray,
    *,
    window: np.ndarray | int,
    min_weeks: np.ndarray | int,
    sensitivity: np.ndarray | float,
    min_abs_change: np.ndarray | float,
    min_rel_change: np.ndarray | float,
    min_rel_rise: np.ndarray | float | None = None,
    direction: np.ndarray | int = 0,
    seasonal: np.ndarray | None = None,
    counts: bool = False,
) -> Band:
    """Expected range of ``observed`` (one value per row of ``history``, oldest week first).

    Drops smaller than ``min_rel_change`` and rises smaller than ``min_rel_rise`` (relative
    to the expectation) or than ``min_abs_change`` are never outside the range.
    ``seasonal`` scales the expectation for the week under test (1 = normal week), e.g. the
    year-end dip seen a year ago. Rows with fewer than ``min_weeks`` training values get NaN
    bounds (the caller reports them as skipped). For ``counts`` the spread is at least the
    square root of the centre (a count's Poisson noise) and the range allows
    ``STEP_MARGIN`` times the largest week-over-week change of the training weeks, so small
    counts and sums carried by a few instances get the room their own history shows.
    """
    train = last_valid(np.asarray(history, dtype="float64"), window)
    n = np.sum(~np.isnan(train), axis=1)
    enough = n >= np.asarray(min_weeks)
    centre = nanmedian(train, axis=1)
    mad = nanmedian(np.abs(train - centre[:, None]), axis=1) * MAD_TO_SIGMA
    centre = np.where(enough, centre, np.nan)
    factor = np.ones_like(centre) if seasonal is None else np.asarray(seasonal, dtype="float64")
    spread = np.maximum(np.nan_to_num(mad), 0.02 * np.abs(centre))
    if counts:
        spread = np.maximum(spread, np.sqrt(np.abs(np.nan_to_num(centre))))
    spread = spread * factor
    spread = np.maximum(spread, 1e-9)
    expected = centre * factor
    steps = STEP_MARGIN * np.nan_to_num(largest_step(train)) * factor if counts else 0.0
    allowed = np.maximum.reduce(
        [
            np.asarray(sensitivity) * spread,
            np.broadcast_to(np.asarray(min_abs_change, dtype="float64"), centre.shape),
            np.asarray(min_rel_change) * np.abs(expected),
            np.broadcast_to(steps, centre.shape),
        ]
    )
    rise = (
        np.maximum(allowed, np.asarray(min_rel_rise) * np.abs(expected))
        if min_rel_rise is not None
        else allowed
    )
    direction = np.broadcast_to(np.asarray(direction), centre.shape)
    lower = np.where(direction != DIRECTIONS["rise"], expected - allowed, -np.inf)
    upper = np.where(direction != DIRECTIONS["drop"], expected + rise, np.inf)
    lower = np.where(enough, lower, np.nan)
    upper = np.where(enough, upper, np.nan)
    with np.errstate(all="ignore"):
        score = (np.asarray(observed, dtype="float64") - expected) / spread
    return Band(expected, spread, lower, upper, np.where(enough, score, np.nan), n)
