"""Week arithmetic: a week starts Monday 00:00 UTC and is named by that date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from canary.errors import ConfigError

WEEK = timedelta(days=7)


def week_start(day: date) -> date:
    """The Monday of the week that contains ``day``."""
    return day - timedelta(days=day.weekday())


def parse_week(text: str) -> date:
    """Parse ``YYYY-MM-DD`` into the Monday that names its week; a non-Monday is an error."""
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"week {text!r} is not a date of the form YYYY-MM-DD") from exc
    if day.weekday() != 0:
        raise ValueError(f"week {text!r} is a {day:%A}; weeks are named by their Monday")
    return day


def latest_complete_week(now: datetime, complete_after: timedelta = timedelta(days=1)) -> date:
    """The newest week whose end plus ``complete_after`` lies at or before ``now``."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    cutoff = (now.astimezone(UTC) - complete_after).date()
    # The week ending at cutoff's Monday 00:00 is complete; its start is a week earlier.
    return week_start(cutoff) - WEEK


def weeks_back(end: date, count: int) -> list[date]:
    """``count`` consecutive weeks ending at (and including) ``end``, oldest first."""
    return [end - WEEK * i for i in range(count - 1, -1, -1)]


def weeks_between(start: date, end: date) -> list[date]:
    """Every week from ``start`` to ``end`` inclusive; ``--from`` after ``--to`` is an error."""
    if end < start:
        raise ConfigError(f"--from {start} is after --to {end}")
    return [start + WEEK * i for i in range((end - start).days // 7 + 1)]


def as_of_datetime(day: date | None) -> datetime:
    """``--as-of`` pins "now": midnight UTC at the end of that day, else the real clock."""
    if day is None:
        return datetime.now(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
