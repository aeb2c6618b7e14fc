"""Which weeks the calendar moves, and which week of an earlier year each one compares with.

Public holidays come from the ``holidays`` package for the countries a monitor names. A
holiday moves between years (Easter, Thanksgiving) and falls on another weekday, so a
holiday week is aligned with the week that held the same holiday a year before, not with
the week of the same number; the week after a holiday (its recovery) with the week after
it. Summer weeks and the monitor's quiet weeks (the year end, every year) compare with the
same week a year before (52 weeks: the same dates); one-off quiet weeks (a launch, an
outage) compare with nothing and only widen the range by their floor and ceiling.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from canary.config import CalendarSettings, QuietWeek
from canary.weeks import WEEK

YEAR = WEEK * 52
#: How far a holiday moves between years: Easter falls from March 22 to April 25.
DRIFT = timedelta(days=42)
WORKING_DAYS = 5


@dataclass(frozen=True)
class Effect:
    """What the calendar knows of one week.

    ``earlier``: the week of the year before with the same holiday or season (None where
    none is known, or for a one-off week); ``floor`` and ``ceiling``: the lowest and highest
    share of normal expected while no earlier week is known (None: no bound of its own);
    ``trains``: whether the week sets a baseline (quiet weeks do not).
    """

    name: str
    earlier: date | None
    floor: float | None
    ceiling: float | None = None
    trains: bool = True


@lru_cache(maxsize=64)
def holidays_of(countries: tuple[str, ...], year: int) -> dict[date, frozenset[str]]:
    """Working-day public holidays of ``countries`` in ``year``: date -> holiday names."""
    from holidays import country_holidays  # 0.15 s to import: only when a week is judged

    days: dict[date, set[str]] = {}
    for country in countries:
        for day, names in country_holidays(country, years=year).items():
            if day.weekday() < WORKING_DAYS:
                days.setdefault(day, set()).update(n.strip() for n in names.split(";"))
    return {day: frozenset(names) for day, names in days.items()}


def _days(countries: tuple[str, ...], first: date, last: date) -> dict[date, frozenset[str]]:
    """Working-day holidays from ``first`` to ``last`` (inclusive)."""
    out: dict[date, frozenset[str]] = {}
    for year in range(first.year, last.year + 1):
        out.update({d: n for d, n in holidays_of(countries, year).items() if first <= d <= last})
    return out


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Calendar:
    """A monitor's calendar: its quiet weeks and its public holidays and summer."""

    quiet: list[QuietWeek]
    settings: CalendarSettings = field(default_factory=CalendarSettings)
    _effects: dict[date, Effect | None] = field(default_factory=dict, repr=False)

    def quiet_week(self, week: date) -> QuietWeek | None:
        """The quiet period ``week`` falls in (a one-off week, or by ISO week number)."""
        iso = week.isocalendar().week
        return next((q for q in self.quiet if week in q.weeks or iso in q.iso_weeks), None)

    def effect(self, week: date) -> Effect | None:
        """The calendar's effect on ``week`` (None: a normal week)."""
        if week not in self._effects:
            self._effects[week] = self._effect(week)
        return self._effects[week]

    def _effect(self, week: date) -> Effect | None:
        quiet = self.quiet_week(week)
        if quiet is not None:
            one_off = week in quiet.weeks
            name = f"{quiet.name} ({quiet.reason})" if one_off and quiet.reason else quiet.name
            return Effect(name, None if one_off else week - YEAR, quiet.floor, quiet.ceiling, False)
        countries = tuple(self.settings.countries)
        this = _days(countries, week, week + timedelta(days=WORKING_DAYS - 1))
        after = _days(countries, week - WEEK, week - WEEK + timedelta(days=WORKING_DAYS - 1))
        summer = week.isocalendar().week in self.settings.summer_weeks
        if not this and not after:
            return Effect("summer", week - YEAR, self.settings.summer_floor) if summer else None
        names = sorted({n for ns in this.values() for n in ns})
        named = (
            ", ".join(names)
            if names
            else "after " + ", ".join(sorted({n for ns in after.values() for n in ns}))
        )
        earlier = self._aligned(countries, week, this, after)
        if earlier is None and summer:
            earlier = week - YEAR
        floors = [self.settings.holiday_floor] if this else []
        floors += [self.settings.summer_floor] if summer else []
        return Effect(named, earlier, min(floors) if floors else None)

    def _aligned(
        self,
        countries: tuple[str, ...],
        week: date,
        this: dict[date, frozenset[str]],
        after: dict[date, frozenset[str]],
    ) -> date | None:
        """The week of the year before that held most of this week's holidays (and of the
        week before's, for its recovery), the nearest to 52 weeks back on a tie."""
        votes: Counter[date] = Counter()
        for offset, days in ((0, this), (1, after)):
            for day, names in days.items():
                around = day - YEAR
                before = _days(countries, around - DRIFT, around + DRIFT)
                for name in names:
                    seen = [d for d, ns in before.items() if name in ns]
                    if seen:
                        nearest = min(seen, key=lambda d: abs((d - around).days))
                        votes[_monday(nearest) + WEEK * offset] += 1
        if not votes:
            return None
        return max(votes, key=lambda w: (votes[w], -abs((w - (week - YEAR)).days)))

    def earlier_weeks(self, start: date, end: date) -> list[date]:
        """The earlier weeks that weeks from ``start`` to ``end`` compare with."""
        weeks = []
        week = start
        while week <= end:
            effect = self.effect(week)
            if effect is not None and effect.earlier is not None:
                weeks.append(effect.earlier)
            week += WEEK
        return sorted(set(weeks))
