"""A second, independent usage generator: calendar holidays, summer lull, heavy-tailed instances.

The project's sample generator (``canary.sample.generator``) is what canary's detectors were
tuned on; this one exists to report on. It shares only the output contract: the wide pings
frame the sample warehouse encodes (so the breakage catalog injects into it unchanged) and,
through ``export``, the per-tile files the files source reads. Its shapes differ on purpose:

- a year-end dip of 2-4 weeks and 30-60% depth laid on calendar days (Dec 25 and Jan 1 fall
  on another weekday each year, so the dipped weeks move);
- a summer lull of 10-20% over July and August;
- heavy-tailed instance sizes (a handful of instances carry half of the usage);
- growth of 20-50% a year, joins and churn (big customers churn less);
- small counts: creators are a few per instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench.pings import Cells, GeneratorSpec, frame, site_ids
from bench.pings import export as export_pings
from canary.sample.generator import (
    CANARY_LABEL,
    CANARY_SITE_ID,
    INSIGHT_TYPES,
    release_at,
    week_index,
)
from canary.weeks import weeks_back

#: Weight of a Saturday or Sunday against a working day in a week's usage.
WEEKEND_WEIGHT = 0.15
DEPLOY_TYPES = ("kubernetes", "docker-compose", "helm", "kustomize", "docker-container")


@dataclass(frozen=True)
class Season:
    """One seed's calendar: the year-end holiday window and the summer lull."""

    dip_depth: float  # share of a holiday working day's usage that is lost
    dip_start: tuple[int, int]  # (month, day) in December
    dip_days: int  # calendar days from dip_start
    lull: float  # share of a July or August working day's usage that is lost
    growth: float  # yearly growth of usage

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Season:
        return cls(
            dip_depth=float(rng.uniform(0.3, 0.6)),
            dip_start=(12, int(rng.integers(18, 24))),
            dip_days=int(rng.integers(15, 27)),
            lull=float(rng.uniform(0.1, 0.2)),
            growth=float(rng.uniform(0.2, 0.5)),
        )

    def day_factor(self, day: date) -> float:
        """Usage of one day relative to an ordinary working day."""
        factor = WEEKEND_WEIGHT if day.weekday() >= 5 else 1.0
        year = day.year if day.month == 12 else day.year - 1
        start = date(year, *self.dip_start)
        if start <= day < start + timedelta(days=self.dip_days):
            return factor * (1 - self.dip_depth)
        if day.month in (7, 8):
            return factor * (1 - self.lull)
        return factor

    def week_factor(self, monday: date) -> float:
        """A week's usage relative to an ordinary week (the mean of its days' factors)."""
        normal = 5 + 2 * WEEKEND_WEIGHT
        return sum(self.day_factor(monday + timedelta(days=d)) for d in range(7)) / normal


def _sizes(rng: np.random.Generator, users: np.ndarray) -> np.ndarray:
    """Typical weekly page views per instance: Pareto-tailed, the largest user at most 9% of
    all users' (a handful of instances carry half of the usage)."""
    sizes = (rng.pareto(0.85, len(users)) + 1) * 4.0
    for _ in range(5):
        sizes = np.minimum(sizes, 0.09 * sizes[users].sum())
    return sizes


def _release_index(rng: np.random.Generator, spec: GeneratorSpec, n: int) -> np.ndarray:
    """Release each instance runs each week: upgrades on random weeks, some weeks behind."""
    t = week_index(spec.end_week) - spec.weeks + 1 + np.arange(spec.weeks)
    behind = np.minimum(rng.exponential(6.0, n), 80).astype(int)
    upgrades = rng.random((n, spec.weeks)) < rng.uniform(0.1, 0.5, n)[:, None]
    upgrades[:, 0] = True
    held = np.where(upgrades, release_at(t[None, :] - behind[:, None]), -1)
    return np.maximum.accumulate(held, axis=1)


def generate(spec: GeneratorSpec) -> pd.DataFrame:
    """Weekly pings, one row per reporting instance and week, in the sample's pings shape."""
    rng = np.random.default_rng([spec.seed, 2026])
    season = Season.draw(rng)
    weeks = weeks_back(spec.end_week, spec.weeks)
    t = np.arange(spec.weeks)

    # Fleet: the initial instances and steady joins; small instances churn more than big ones,
    # about as many as join: growth is in the usage of each instance.
    joiners = int(spec.instances * 0.2 * spec.weeks / 52)  # about as many as churn
    n = 1 + spec.instances + joiners  # index 0 is the canary instance
    join = np.concatenate([np.full(1 + spec.instances, -1), rng.integers(1, spec.weeks, joiners)])
    users = rng.random(n) < 0.35
    users[0] = True
    size = _sizes(rng, users)
    size[0] = 40.0
    churn = 0.004 / np.sqrt(size / np.median(size))
    leave = join + np.ceil(rng.exponential(1 / churn)).astype(int)
    leave[0] = spec.weeks
    live = (t[None, :] >= join[:, None]) & (t[None, :] < leave[:, None])
    offline = rng.random((n, spec.weeks)) < 0.04
    offline[0] = False
    reporting = live & ~offline

    # Usage: size x calendar x growth x this instance's week, small counts Poisson-drawn.
    calendar = np.array([season.week_factor(w) for w in weeks])
    growth = (1 + season.growth) ** (t / 52)
    own = rng.lognormal(0.0, 0.3, (n, spec.weeks))
    mean = size[:, None] * calendar[None, :] * growth[None, :] * own * users[:, None]
    views = rng.poisson(mean)
    creators = np.where(views > 0, rng.poisson(0.2 + np.sqrt(mean) / 4), 0)
    first_time = rng.binomial(creators, 0.25)
    dashboards = (
        np.where(users, rng.integers(1, 8, n), 0)[:, None] + (t // 26)[None, :] * users[:, None]
    )

    release = _release_index(rng, spec, n)
    inst, wk = np.nonzero(reporting)
    ids = site_ids(rng, n)
    ids[0] = CANARY_SITE_ID
    labels = np.array([f"org-{i:05d}" for i in range(n)], dtype=object)
    labels[0] = CANARY_LABEL
    patch = rng.integers(0, 5, len(inst))
    deploy = rng.choice(DEPLOY_TYPES, n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    # instances without Code Insights report zeros; a few an empty or null object
    state = np.where(
        users[inst],
        "present",
        rng.choice(["present", "empty", "null"], len(inst), p=[0.96, 0.03, 0.01]),
    )
    cells = Cells(weeks, inst, wk, ids, labels, deploy, release[inst, wk], patch, state, "CAL")
    v, c, d = views[inst, wk], creators[inst, wk], dashboards[inst, wk]
    counters = {
        "WeeklyInsightsPageViews": v,
        "WeeklyInsightsUniquePageViews": rng.binomial(v, 0.5),
        "WeeklyInsightCreators": c,
        "WeeklyFirstTimeInsightCreators": first_time[inst, wk],
        "WeeklyStandaloneInsightPageViews": rng.binomial(v, 0.25),
        "WeeklyStandaloneDashboardClicks": rng.binomial(v, 0.08),
        "WeeklyInsightConfigureClick": rng.binomial(v, 0.04),
        "WeeklyInsightAddMoreClick": rng.binomial(v, 0.02),
        "WeeklyDataExportClicks": rng.binomial(v, 0.01),
        "TotalOrgsWithDashboard": np.minimum(d, 1 + d // 3),
        "TotalDashboardCount": d,
    }
    by_type = {
        kind: rng.poisson(d * per_dashboard)
        for kind, per_dashboard in zip(INSIGHT_TYPES, (1.5, 1.0, 0.3), strict=True)
    }
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
