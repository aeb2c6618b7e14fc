"""The calendar on its own: holidays aligned by holiday, not by week number."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from canary.anomaly.calendar import Calendar
from canary.anomaly.detectors import level
from canary.config import DEFAULT_QUIET_WEEKS, CalendarSettings, QuietWeek
from canary.weeks import WEEK, weeks_back
from tests.history_inputs import COLUMN, page_views

GERMANY = CalendarSettings(countries=["DE"], summer_weeks=[])
US = CalendarSettings(countries=["US"], summer_weeks=[])
EASTER_2025, EASTER_2026 = date(2025, 4, 21), date(2026, 4, 6)  # weeks of Easter Monday


def _row(values: dict[date, float], week: date, calendar: Calendar) -> dict[str, object]:
    (row,) = [r for r in level(page_views(values, week, calendar)) if r["column"] == COLUMN]
    return row


def _steady(week: date, weeks: int = 104) -> dict[date, float]:
    """1,000 a week, up to and including ``week``, wiggling by a percent."""
    return {w: 1000.0 + (7 * i % 11) for i, w in enumerate([*weeks_back(week, weeks), week])}


def test_easter_aligns_with_last_years_easter_not_its_week_number() -> None:
    calendar = Calendar([], GERMANY)
    effect = calendar.effect(EASTER_2026)
    assert effect is not None and "Easter Monday" in (effect.name or "")
    assert effect.earlier == EASTER_2025  # ISO week 17 of 2025; 2026's Easter is in week 15
    values = _steady(date(2026, 4, 20))
    values[EASTER_2025] = 500.0  # last Easter took half the week's usage
    values[EASTER_2026] = 520.0  # and this one about as much
    row = _row(values, EASTER_2026, calendar)
    assert row["lower"] <= 520 <= row["upper"]


def test_the_learned_effect_moves_with_the_holiday() -> None:
    calendar = Calendar([], GERMANY)
    values = _steady(date(2026, 4, 20))
    values[EASTER_2025] = 500.0
    # 2026's ISO week 17 (last year's Easter week by number) is a normal week: half of it
    # gone is a breakage, not Easter
    week_17 = date(2026, 4, 20)
    assert calendar.effect(week_17) is None
    values[week_17] = 500.0
    row = _row(values, week_17, calendar)
    assert row["observed"] < row["lower"]
    # and without last year's Easter, this Easter's dip would not be known
    values = _steady(date(2026, 4, 20))
    values[EASTER_2026] = 500.0
    assert _row(values, EASTER_2026, calendar)["lower"] > 500


def test_thanksgiving_moving_a_week_is_still_last_years_thanksgiving() -> None:
    calendar = Calendar([], US)
    this, last = date(2024, 11, 25), date(2023, 11, 20)  # Nov 28, 2024 and Nov 23, 2023
    effect = calendar.effect(this)
    assert effect is not None and effect.earlier == last
    assert this - WEEK * 52 != last  # the week number moved: 47 in 2023, 48 in 2024
    values = _steady(this)
    values[last] = 600.0
    values[this] = 580.0
    row = _row(values, this, calendar)
    assert row["lower"] <= 580 <= row["upper"]
    values[this] = 150.0  # a breakage on Thanksgiving is still one
    assert _row(values, this, calendar)["observed"] < _row(values, this, calendar)["lower"]


def test_a_holiday_without_an_earlier_year_widens_to_its_floor() -> None:
    calendar = Calendar([], GERMANY)
    values = _steady(EASTER_2026, weeks=20)  # no year before
    values[EASTER_2026] = 650.0
    row = _row(values, EASTER_2026, calendar)
    floor = float(row["expected"]) * GERMANY.holiday_floor  # widened, not alerting
    assert row["lower"] <= floor <= 650
    normal = date(2026, 2, 9)  # no holiday in Germany that week or the week before
    assert calendar.effect(normal) is None
    values = _steady(normal, weeks=20)
    values[normal] = 650.0
    row = _row(values, normal, calendar)
    assert row["observed"] < row["lower"]


def test_a_summer_week_learns_last_summers_lull() -> None:
    calendar = Calendar([], CalendarSettings(countries=[], summer_weeks=[31, 32]))
    week = date(2026, 7, 27)  # ISO week 31
    values = _steady(week)
    values[week - WEEK * 52] = 640.0
    values[week] = 650.0
    row = _row(values, week, calendar)
    assert row["lower"] <= 650 <= row["upper"]
    values[week - WEEK * 52] = 990.0  # no lull last summer: this one is a drop
    row = _row(values, week, calendar)
    assert row["observed"] < row["lower"]


def test_a_company_week_with_its_reason_is_applied() -> None:
    launch = date(2026, 3, 9)
    week = QuietWeek(name="launch", weeks=[launch], reason="v6 launch", floor=0.5, ceiling=3.0)
    calendar = Calendar([*DEFAULT_QUIET_WEEKS, week], GERMANY)
    effect = calendar.effect(launch)
    assert effect is not None and effect.name == "launch (v6 launch)" and not effect.trains
    assert calendar.effect(launch + WEEK * 52) is None  # a one-off week, not every year
    values = _steady(launch + WEEK)
    values[launch] = 2600.0
    row = _row(values, launch, calendar)
    assert row["lower"] <= 0.5 * float(row["expected"])  # the launch week is expected
    assert row["upper"] >= 2600
    assert (
        _row(values, launch, Calendar([], GERMANY))["observed"]
        > _row(values, launch, Calendar([], GERMANY))["upper"]
    )  # without it, an alert
    # and it never trains: the week after is judged against the weeks before it
    assert abs(float(_row(values, launch + WEEK, calendar)["expected"]) - 1005) < 10


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"name": "outage", "weeks": [date(2026, 3, 9)]}, "one-off weeks need a reason"),
        (
            {"name": "outage", "weeks": [date(2026, 3, 10)], "reason": "x"},
            "named by their Monday, not 2026-03-10",
        ),
        ({"name": "nothing"}, "give iso_weeks or weeks"),
    ],
)
def test_a_company_week_needs_its_monday_and_reason(given: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        QuietWeek.model_validate(given)


def test_countries_without_known_holidays_are_refused() -> None:
    with pytest.raises(ValidationError, match="no public holidays known for XX"):
        CalendarSettings(countries=["US", "XX"])


def test_weekend_holidays_move_nothing() -> None:
    calendar = Calendar([], CalendarSettings(countries=["DE"], summer_weeks=[]))
    # German Unity Day 2027 is a Sunday (October 3): neither its week nor the next moves
    sunday = date(2027, 10, 3)
    assert sunday.weekday() == 6
    monday = sunday - timedelta(days=6)
    assert calendar.effect(monday) is None and calendar.effect(monday + WEEK) is None
