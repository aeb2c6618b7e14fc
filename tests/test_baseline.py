"""Robust expected ranges: pure numpy, many series at once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from canary.anomaly.attribution import carriers
from canary.anomaly.baseline import DIRECTIONS, expected_band, largest_step, last_valid


def _band(history: list[list[float]], observed: list[float], **kw: object):  # type: ignore[no-untyped-def]
    args = {
        "window": 12,
        "min_weeks": 6,
        "sensitivity": 5.0,
        "min_abs_change": 5.0,
        "min_rel_change": 0.3,
    } | kw
    return expected_band(np.array(history, dtype=float), np.array(observed, dtype=float), **args)  # type: ignore[arg-type]


def test_one_incident_does_not_poison_the_baseline() -> None:
    steady = [100, 102, 98, 101, 99, 100, 103, 97, 100, 5000]  # one spike in training
    band = _band([steady], [60.0])
    assert 95 <= band.centre[0] <= 105
    assert band.lower[0] > 60  # a 40% drop is still caught
    assert band.upper[0] < 200


def test_too_little_history_gives_no_range() -> None:
    band = _band([[np.nan] * 7 + [100, 101, 99]], [10.0])
    assert np.isnan(band.lower[0]) and np.isnan(band.upper[0])
    assert band.training_weeks[0] == 3


def test_minimum_changes_and_direction() -> None:
    flat = [[10.0] * 12]
    band = _band(flat, [12.0])
    assert band.lower[0] == 5.0 and band.upper[0] == 15.0  # min_abs_change beats a zero spread
    drop_only = _band(flat, [1000.0], direction=DIRECTIONS["drop"])
    assert drop_only.upper[0] == np.inf
    rise = _band([[1000.0] * 12], [1000.0], min_rel_rise=0.75)
    assert rise.lower[0] == 700 and rise.upper[0] == 1750


def test_seasonal_factor_moves_the_expectation() -> None:
    band = _band([[100.0] * 12], [55.0], seasonal=np.array([0.6]))
    assert band.centre[0] == 60
    assert band.lower[0] < 55 < band.upper[0]


def test_window_keeps_the_last_valid_weeks() -> None:
    history = np.array([[1, 2, np.nan, 3, 4, np.nan]], dtype=float)
    kept = last_valid(history, 3)
    assert np.array_equal(np.isnan(kept), [[True, False, True, False, False, True]])


def test_many_series_in_one_pass() -> None:
    rng = np.random.default_rng(3)
    history = rng.normal(100, 5, (5000, 52))
    observed = rng.normal(100, 5, 5000)
    observed[:7] = 0
    band = expected_band(
        history,
        observed,
        window=12,
        min_weeks=6,
        sensitivity=5.0,
        min_abs_change=5.0,
        min_rel_change=0.3,
    )
    flagged = (observed < band.lower) | (observed > band.upper)
    assert flagged[:7].all() and flagged[7:].sum() == 0


def test_a_sum_carried_by_a_few_instances_gets_room_for_their_swings() -> None:
    rng = np.random.default_rng(8)
    weeks = 12
    giants = rng.normal(1.0, 0.03, (3, weeks)) * np.array([[300.0], [250.0], [200.0]])
    giants[0, [2, 7]] = 0.0  # the largest instance offline two weeks of twelve
    history = giants.sum(axis=0) + rng.normal(250.0, 5.0, weeks)
    offline_again = 750.0  # 25% below usual, as in those two weeks
    plain = _band([history.tolist()], [offline_again], min_rel_change=0.2)
    assert offline_again < plain.lower[0]  # the MAD ignores the two swings it has seen
    wide = _band([history.tolist()], [offline_again], min_rel_change=0.2, counts=True)
    assert wide.lower[0] < offline_again
    lost = _band([history.tolist()], [500.0], min_rel_change=0.2, counts=True)
    assert lost.lower[0] > 500.0  # half of the usage gone is still outside


def test_a_small_count_is_floored_at_its_poisson_noise() -> None:
    flat = [[30.0] * 12]  # a small count that happened not to move for twelve weeks
    assert _band(flat, [17.0], min_rel_change=0.25).lower[0] > 17
    band = _band(flat, [17.0], min_rel_change=0.25, counts=True)
    assert band.lower[0] < 17 and band.spread[0] >= np.sqrt(30)
    assert _band(flat, [0.0], min_rel_change=0.25, counts=True).lower[0] > 0


def test_largest_step_follows_changes_not_trends() -> None:
    trend = np.arange(12, dtype=float)[None, :] * 10  # +10 a week, no noise
    swings = np.array([[100.0, 100, 60, 100, 100, 100, 100, 70, 100, 100, 100, 100]])
    gaps = np.array([[100.0, np.nan, 100, np.nan, 100, 100, np.nan, np.nan, 100, 100, 100, 90]])
    assert largest_step(np.vstack([trend, swings, gaps])).tolist() == [10, 40, 10]


def test_attribution_names_only_segments_carrying_more_than_their_share() -> None:
    usual = pd.Series({"a": 600.0, "b": 300.0, "c": 100.0})
    even = pd.DataFrame({"base": usual, "now": usual * 0.4})
    named, whole = carriers(even, -1.0)
    assert named == [] and round(whole, 2) == -0.6  # the largest segment is not "the cause"
    confined = pd.DataFrame({"base": usual, "now": usual.where(usual.index != "c", 0.0)})
    named, whole = carriers(confined, -1.0)
    assert [(s, round(share, 2), round(u, 2)) for s, share, u in named] == [("c", 1.0, 0.1)]
    assert round(whole, 2) == -0.1
