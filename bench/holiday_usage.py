"""A third usage generator: public holidays of several countries, shutdowns, random shapes.

Neither the sample (``canary.sample.generator``), which the detectors were tuned on, nor
``bench.calendar_usage``: every shape is drawn anew per seed, and the calendar comes from
the public holidays of the countries the fleet runs in. It shares only the output contract
(``bench.pings``): the wide pings frame the breakage catalog injects into and, through
``export``, the per-tile files the files source reads.

- each instance is in one country (the US and two to four others, some in the southern
  hemisphere); its country's public holidays (the ``holidays`` package) each take a random
  share of that day's usage;
- each country has two long breaks a year, the year end and another of its holidays (Easter,
  Thanksgiving, ...: they move between years), a dip of random depth that lasts a few days
  and recovers gradually, 1-3 weeks in all;
- companies shut down for 1-2 weeks at random, each in a random year and week;
- a summer lull of random start, length and depth (in the southern summer for countries
  there), ramping in and out;
- instance sizes lognormal or Pareto with a random spread or tail index, active users'
  views per user and week-to-week noise drawn per instance;
- churn and joins, the speed of rollouts and a growth or decline trend drawn per seed;
- the canary instance runs the newest release and never leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

from bench.pings import Cells, GeneratorSpec, frame, site_ids
from bench.pings import export as export_pings
from canary.sample.generator import (
    CANARY_LABEL,
    CANARY_SITE_ID,
    DEPLOY_TYPES,
    INSIGHT_TYPES,
    release_at,
    week_index,
)
from canary.weeks import weeks_back

#: Countries an instance can be in beside the US; AU and BR have their summer at year end.
COUNTRIES = ("GB", "DE", "FR", "NL", "ES", "IT", "SE", "PL", "CH", "CA", "IN", "JP", "AU", "BR")
SOUTHERN = frozenset({"AU", "BR"})
HOME = "US"  # the canary instance's country, in every fleet
SIZE_LAWS = ("lognormal", "pareto")


@dataclass(frozen=True)
class Shape:
    """One seed's world: where the fleet is, its calendar, sizes, churn, rollouts, trend."""

    countries: tuple[str, ...]  # HOME first
    shares: tuple[float, ...]  # of instances per country
    weekend: float  # a weekend day's usage against a working day's
    summer_start: int  # day of the year the lull starts ramping in
    summer_days: int  # its length, ramps included
    summer_depth: float  # share of usage lost at its deepest
    size_law: str  # one of SIZE_LAWS
    size_spread: float  # lognormal sigma, or the Pareto tail index
    trend: float  # yearly growth (negative: decline) of usage
    churn: float  # weekly chance that an instance of median size leaves
    joins: float  # instances joining a year, as a share of the initial fleet
    upgrade: float  # mean weekly chance that an instance upgrades: the rollout speed
    lag: float  # mean weeks an instance's newest release is behind the newest shipped
    shutdown: float  # yearly chance that a company shuts down for 1-2 weeks

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Shape:
        others = rng.choice(COUNTRIES, int(rng.integers(2, 5)), replace=False)
        home = float(rng.uniform(0.3, 0.6))
        law = str(rng.choice(SIZE_LAWS))
        rest = rng.dirichlet(np.ones(len(others))) * (1 - home)
        return cls(
            countries=(HOME, *(str(c) for c in others)),
            shares=(home, *(float(s) for s in rest)),
            weekend=float(rng.uniform(0.05, 0.3)),
            summer_start=int(rng.integers(150, 200)),
            summer_days=int(rng.integers(21, 71)),
            summer_depth=float(rng.uniform(0.05, 0.35)),
            size_law=law,
            size_spread=float(
                rng.uniform(0.8, 2.0) if law == "lognormal" else rng.uniform(0.7, 1.6)
            ),
            trend=float(rng.uniform(-0.3, 0.6)),
            churn=float(rng.uniform(0.001, 0.006)),
            joins=float(rng.uniform(0.1, 0.5)),
            upgrade=float(rng.uniform(0.05, 0.5)),
            lag=float(rng.uniform(2.0, 12.0)),
            shutdown=float(rng.uniform(0.1, 0.35)),
        )


def ramp(n: int, start: int, ramp_in: int, plateau: int, ramp_out: int) -> np.ndarray:
    """Strength (0-1) of an effect on each of ``n`` days: rising linearly from ``start`` over
    ``ramp_in`` days, full for ``plateau`` days, fading linearly over ``ramp_out`` days."""
    day = np.arange(n) - start
    rise = np.clip((day + 1) / (ramp_in + 1), 0, 1)
    fade = np.clip((ramp_in + plateau + ramp_out - day) / (ramp_out + 1), 0, 1)
    return np.minimum(rise, fade)


def _dip(rng: np.random.Generator, n: int, start: int, depth: float) -> np.ndarray:
    """Day factors of a dip from ``start``: 3-10 days at ``depth``, then recovering gradually
    over 4-11 days (1-3 weeks in all)."""
    full, recovery = int(rng.integers(3, 11)), int(rng.integers(4, 12))
    return 1 - depth * ramp(n, start, 0, full, recovery)


def _long_breaks(calendar: dict[date, str], years: range) -> dict[str, list[date]]:
    """Where a long break can start: the year end (the first holiday from Dec 20 to Jan 1, or
    Dec 25) and each holiday outside it that falls in every one of ``years``, by name."""

    def year_end(day: date) -> bool:
        return (day.month, day.day) >= (12, 20) or (day.month, day.day) == (1, 1)

    by_name: dict[str, list[date]] = {}
    for day, name in sorted(calendar.items()):
        by_name.setdefault(name, []).append(day)
    ends = [
        min(
            (d for d in calendar if date(y, 12, 20) <= d <= date(y + 1, 1, 1)),
            default=date(y, 12, 25),
        )
        for y in years[:-1]
    ]
    named = {
        k: v
        for k, v in by_name.items()
        if {d.year for d in v} >= set(years) and not any(year_end(d) for d in v)
    }
    return {"year end": ends, **named}


def country_days(
    shape: Shape, country: str, first: date, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Usage of each of ``n`` days from ``first`` in ``country``, against a working day."""
    days = [first + timedelta(days=k) for k in range(n)]
    years = range(first.year - 1, days[-1].year + 2)
    calendar = dict(holidays.country_holidays(country, years=years))
    factor = np.where([d.weekday() >= 5 for d in days], shape.weekend, 1.0)
    for day, _ in sorted(calendar.items()):  # a public holiday takes part of its day
        if 0 <= (day - first).days < n:
            factor[(day - first).days] *= 1 - rng.uniform(0.5, 0.95)
    breaks = _long_breaks(calendar, years)
    other = sorted(k for k in breaks if k != "year end")
    for name in ("year end", str(rng.choice(other))):
        for day in breaks[name]:
            start = (day - first).days - int(rng.integers(0, 5))
            factor *= _dip(rng, n, start, float(rng.uniform(0.15, 0.55)))
    offset = 182 if country in SOUTHERN else 0
    for year in years:
        start = (date(year, 1, 1) - first).days + shape.summer_start + offset
        start += int(rng.integers(-10, 11))
        edge = int(rng.integers(7, 15))
        strength = ramp(n, start, edge, max(shape.summer_days - 2 * edge, 0), edge)
        factor *= 1 - shape.summer_depth * strength
    return np.asarray(factor)


def shutdowns(shape: Shape, instances: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Day factors (instances x ``n`` days) of companies shutting down for 1-2 weeks at
    random, about ``shape.shutdown`` times a year each."""
    factor = np.ones((instances, n))
    count = rng.poisson(shape.shutdown * n / 365, instances)
    for i in np.nonzero(count)[0]:
        for _ in range(count[i]):
            start = int(rng.integers(-7, n))
            full, recovery = int(rng.integers(5, 12)), int(rng.integers(1, 5))
            factor[i] *= 1 - rng.uniform(0.6, 1.0) * ramp(n, start, 0, full, recovery)
    return factor


def weekly(days: np.ndarray, weekend: float) -> np.ndarray:
    """Each week's usage (the last axis, 7 days a week) against a week of working days."""
    return days.reshape(*days.shape[:-1], -1, 7).sum(axis=-1) / (5 + 2 * weekend)


def _sizes(shape: Shape, rng: np.random.Generator, n: int) -> np.ndarray:
    """Typical weekly active users per instance, the largest capped at a fifth of all."""
    if shape.size_law == "lognormal":
        sizes = rng.lognormal(np.log(3.0), shape.size_spread, n)
    else:
        sizes = (rng.pareto(shape.size_spread, n) + 1) * 2.0
    return np.minimum(sizes, 0.2 * sizes.sum())


def _releases(shape: Shape, rng: np.random.Generator, spec: GeneratorSpec, n: int) -> np.ndarray:
    """Release each instance runs each week: upgrades at the fleet's speed, some behind."""
    t = week_index(spec.end_week) - spec.weeks + 1 + np.arange(spec.weeks)
    behind = np.minimum(rng.exponential(shape.lag, n), 80).astype(int)
    speed = rng.beta(2.0, 2.0 * (1 - shape.upgrade) / shape.upgrade, n)
    behind[0], speed[0] = 0, 1.0  # the canary instance runs the newest release
    upgrades = rng.random((n, spec.weeks)) < speed[:, None]
    upgrades[:, 0] = True
    held = np.where(upgrades, release_at(t[None, :] - behind[:, None]), -1)
    return np.maximum.accumulate(held, axis=1)


def generate(spec: GeneratorSpec) -> pd.DataFrame:
    """Weekly pings, one row per reporting instance and week, in the sample's pings shape."""
    rng = np.random.default_rng([spec.seed, 2027])
    shape = Shape.draw(rng)
    weeks = weeks_back(spec.end_week, spec.weeks)
    t = np.arange(spec.weeks)
    n_days = 7 * spec.weeks

    # Fleet: the canary instance (index 0), the initial instances and joins; small ones churn
    # more. Each instance is in one country and has Code Insights or not.
    joiners = int(spec.instances * shape.joins * spec.weeks / 52)
    n = 1 + spec.instances + joiners
    join = np.concatenate([np.full(1 + spec.instances, -1), rng.integers(1, spec.weeks, joiners)])
    country = rng.choice(len(shape.countries), n, p=shape.shares)
    country[0] = 0
    users = rng.random(n) < rng.uniform(0.25, 0.55)
    users[0] = True
    size = _sizes(shape, rng, n)
    size[0] = 25.0
    hazard = shape.churn * (size / np.median(size)) ** -rng.uniform(0.0, 0.5)
    leave = join + np.ceil(rng.exponential(1 / hazard)).astype(int)
    leave[0] = spec.weeks
    live = (t[None, :] >= join[:, None]) & (t[None, :] < leave[:, None])
    offline = rng.random((n, spec.weeks)) < rng.beta(1.0, 40.0, n)[:, None]
    offline[0] = False
    inst, wk = np.nonzero(live & ~offline)

    # Usage: active users x views per user; the calendar of the instance's country and its
    # company's shutdowns, the trend and this instance's week.
    days = np.stack([country_days(shape, c, weeks[0], n_days, rng) for c in shape.countries])
    closed = shutdowns(shape, n, n_days, rng)
    closed[0] = 1.0
    calendar = weekly(days[country] * closed, shape.weekend)
    trend = (1 + shape.trend) ** (t / 52)
    noise = rng.uniform(5, 30)  # the gamma shape of an instance's week against its usual
    own = rng.gamma(noise, 1 / noise, (n, spec.weeks))
    active = rng.poisson(size[:, None] * calendar * trend[None, :] * own * users[:, None])
    views = rng.poisson(active * rng.lognormal(rng.uniform(0.5, 1.5), 0.5, n)[:, None])
    creators = rng.binomial(active, rng.uniform(0.03, 0.15))
    first_time = rng.binomial(creators, rng.uniform(0.1, 0.4))
    start = np.where(users, 1 + rng.poisson(np.sqrt(size)), 0)
    dashboards = start[:, None] + np.cumsum(rng.binomial(creators, rng.uniform(0.1, 0.4)), axis=1)

    ids = site_ids(rng, n)
    ids[0] = CANARY_SITE_ID
    labels = np.array([f"org-{i:05d}" for i in range(n)], dtype=object)
    labels[0] = CANARY_LABEL
    kinds = list(DEPLOY_TYPES)[:7]
    deploy = rng.choice(kinds, n, p=rng.dirichlet(np.ones(len(kinds))))
    # instances without Code Insights report zeros; a few an empty or null object
    empty, null = rng.uniform(0, 0.04), rng.uniform(0, 0.02)
    state = np.where(
        users[inst],
        "present",
        rng.choice(["present", "empty", "null"], len(inst), p=[1 - empty - null, empty, null]),
    )
    release = _releases(shape, rng, spec, n)[inst, wk]
    cells = Cells(
        weeks, inst, wk, ids, labels, deploy, release, rng.integers(0, 4, len(inst)), state, "HOL"
    )
    v, a, d = views[inst, wk], active[inst, wk], dashboards[inst, wk]
    counters = {
        "WeeklyInsightsPageViews": v,
        "WeeklyInsightsUniquePageViews": np.minimum(a, v),
        "WeeklyInsightCreators": creators[inst, wk],
        "WeeklyFirstTimeInsightCreators": first_time[inst, wk],
        "WeeklyStandaloneInsightPageViews": rng.binomial(v, rng.uniform(0.15, 0.4)),
        "WeeklyStandaloneDashboardClicks": rng.binomial(v, rng.uniform(0.03, 0.12)),
        "WeeklyInsightConfigureClick": rng.binomial(v, rng.uniform(0.01, 0.06)),
        "WeeklyInsightAddMoreClick": rng.binomial(v, rng.uniform(0.005, 0.03)),
        "WeeklyDataExportClicks": rng.binomial(v, rng.uniform(0.002, 0.02)),
        "TotalOrgsWithDashboard": np.minimum(d, 1 + d // rng.integers(2, 6)),
        "TotalDashboardCount": d,
    }
    rates = (rng.uniform(0.5, 2.5), rng.uniform(0.2, 1.5), rng.uniform(0.05, 0.6))
    by_type = {k: rng.poisson(d * r) for k, r in zip(INSIGHT_TYPES, rates, strict=True)}
    return frame(cells, counters, by_type)


def export(
    spec: GeneratorSpec,
    directory: Path,
    scenario: str | None = None,
    scenario_week: date | None = None,
) -> dict[str, Path]:
    """Write every dashboard's tiles as Parquet files under ``directory/<dashboard>/``
    (``bench.pings.export``), ``scenario`` injected from ``scenario_week`` on."""
    return export_pings(generate(spec), spec.sample_spec(), directory, scenario, scenario_week)
