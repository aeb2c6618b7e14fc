from datetime import UTC, date, datetime, timedelta

import pytest

from canary.weeks import as_of_datetime, latest_complete_week, parse_week, week_start, weeks_back


def test_week_starts_monday() -> None:
    assert week_start(date(2026, 11, 28)) == date(2026, 11, 23)
    assert week_start(date(2026, 11, 23)) == date(2026, 11, 23)


def test_parse_week_rejects_non_mondays_and_garbage() -> None:
    assert parse_week("2026-11-16") == date(2026, 11, 16)
    with pytest.raises(ValueError, match="Tuesday"):
        parse_week("2026-11-17")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_week("16/11/2026")


@pytest.mark.parametrize(
    ("now", "lag", "expected"),
    [
        (datetime(2026, 11, 24, 0, 0, tzinfo=UTC), timedelta(days=1), date(2026, 11, 16)),
        (datetime(2026, 11, 23, 23, 59, tzinfo=UTC), timedelta(days=1), date(2026, 11, 9)),
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), timedelta(0), date(2026, 11, 16)),
        (datetime(2026, 11, 23, 11, 0, tzinfo=UTC), timedelta(hours=12), date(2026, 11, 9)),
    ],
)
def test_latest_complete_week_honours_the_lag(
    now: datetime, lag: timedelta, expected: date
) -> None:
    assert latest_complete_week(now, lag) == expected


def test_as_of_pins_now_to_the_end_of_that_day() -> None:
    assert as_of_datetime(date(2026, 11, 28)) == datetime(2026, 11, 29, tzinfo=UTC)
    assert latest_complete_week(as_of_datetime(date(2026, 11, 28))) == date(2026, 11, 16)


def test_weeks_back_is_oldest_first() -> None:
    assert weeks_back(date(2026, 11, 16), 3) == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    ]


def test_weeks_between_is_inclusive_and_names_a_reversed_range() -> None:
    from canary.errors import ConfigError
    from canary.weeks import weeks_between

    assert weeks_between(date(2026, 11, 2), date(2026, 11, 16)) == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    ]
    with pytest.raises(ConfigError, match="--from 2026-11-16 is after --to 2026-11-02"):
        weeks_between(date(2026, 11, 16), date(2026, 11, 2))
