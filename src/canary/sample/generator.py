"""Deterministic generator of weekly pings (DESIGN.md section 2), vectorised with numpy.

The result is a wide frame, one row per reporting instance and week (the last ping of
the week). Usage counters live in ``usage.<JsonKey>`` columns and insight counts in
``usage.InsightsByType.<type>`` columns; ``usage_state`` says whether the usage object is
``present``, ``empty`` (``{}``) or ``null``. ``warehouse.py`` encodes this as JSON.

Like a warehouse, the sample has one past: every draw is keyed by the seed, the instance and
the calendar week (counted from ``EPOCH``), never by the window asked for, so a later
``end_week`` appends weeks and leaves every earlier week's rows as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from canary.weeks import weeks_back

CANARY_LABEL = "Sourcegraph (S2)"
CANARY_SITE_ID = "5b1f2a8e-7c3d-4e6f-9a0b-1c2d3e4f5a6b"
USAGE = "usage."
INSIGHT_TYPES = ("searchInsights", "codeStatsInsights", "captureGroupInsights")
TYPES_PREFIX = USAGE + "InsightsByType."

# JSON key of each counter in the usage object -> its column in the dashboards.
COUNTERS: dict[str, str] = {
    "WeeklyInsightsPageViews": "weekly_insights_page_views",
    "WeeklyInsightsUniquePageViews": "weekly_insights_unique_page_views",
    "WeeklyInsightCreators": "weekly_insight_creators",
    "WeeklyFirstTimeInsightCreators": "weekly_first_time_insight_creators",
    "WeeklyStandaloneInsightPageViews": "weekly_standalone_insight_page_views",
    "WeeklyStandaloneDashboardClicks": "weekly_standalone_dashboard_clicks",
    "WeeklyInsightConfigureClick": "weekly_insight_configure_click",
    "WeeklyInsightAddMoreClick": "weekly_insight_add_more_click",
    "WeeklyDataExportClicks": "weekly_data_export_clicks",
    "TotalOrgsWithDashboard": "total_orgs_with_dashboard",
    "TotalDashboardCount": "total_dashboard_count",
}

DEPLOY_TYPES: dict[str, float] = {
    "kubernetes": 0.30,
    "helm": 0.15,
    "kustomize": 0.10,
    "docker-compose": 0.30,
    "docker-container": 0.10,
    "pure-docker": 0.02,
    "k3s": 0.015,
    "app": 0.005,
    "k8s": 0.004,
    "cluster": 0.003,
    "server": 0.003,
}

#: Week 0 of the sample's calendar: the initial fleet reports from before it, joins and
#: churn start at it. Weeks are counted from here, whatever window is generated.
EPOCH = date(2024, 1, 1)
#: The first minor releases, in order; later ones continue as 6.0 ... 6.29, 7.0 ...
RELEASES: tuple[str, ...] = (
    *(f"3.{m}" for m in range(20, 44)),
    *(f"4.{m}" for m in range(0, 6)),
    *(f"5.{m}" for m in range(0, 30)),
)
MINORS_PER_MAJOR = 30
#: One release every RELEASE_EVERY weeks; release 0 (3.20) shipped FIRST_RELEASE weeks
#: before EPOCH, so that 5.29 shipped on 2026-11-02.
RELEASE_EVERY = 4
FIRST_RELEASE = -88
#: The release that added WeeklyDataExportClicks: older versions report it as null.
EXPORT_CLICKS_SINCE = RELEASES.index("5.1")
#: Usage grows by this factor a week (about 14% a year).
GROWTH_PER_WEEK = 1.0025
#: Weekly chance that an instance which did not use Code Insights starts to.
LATE_ADOPTION = 0.0006
#: Join week of the initial fleet: before any calendar week.
BEFORE = -(10**6)


@dataclass(frozen=True)
class SampleSpec:
    """What to generate: ``weeks`` weeks ending at ``end_week``, from ``seed``."""

    end_week: date
    weeks: int = 104
    seed: int = 7
    instances: int = 1100  # the fleet at EPOCH; joins and churn move it from there
    joins_per_week: float = 4.5
    churn_per_week: float = 0.0025
    offline_share: float = 0.10
    user_share: float = 0.13


def week_index(day: date) -> int:
    """Calendar week of ``day``'s week: 0 for the week of EPOCH, negative before it."""
    return (day - EPOCH).days // 7


def release_at(weeks: np.ndarray) -> np.ndarray:
    """Index of the newest release shipped on or before each calendar week (0 at most)."""
    return np.maximum((np.asarray(weeks) - FIRST_RELEASE) // RELEASE_EVERY, 0)


def release_name(index: int) -> str:
    """The minor version (``5.3``) of release ``index``."""
    if index < len(RELEASES):
        return RELEASES[index]
    major, minor = divmod(index - len(RELEASES), MINORS_PER_MAJOR)
    return f"{6 + major}.{minor}"


def release_of(day: date) -> int:
    """Index of the newest release shipped on or before the week ``day``."""
    return int(release_at(np.array(week_index(day))))


def season_factor(weeks: pd.DatetimeIndex) -> np.ndarray:
    """Usage multiplier per week: year-end weeks down by ~40%, summer down by ~15%."""
    iso = weeks.isocalendar().week.to_numpy()
    factor = np.ones(len(weeks))
    factor[np.isin(iso, [52, 53, 1])] = 0.58
    factor[np.isin(iso, [51, 2])] = 0.8
    factor[(iso >= 28) & (iso <= 34)] = 0.86
    return factor


class _Draws:
    """Random draws keyed by what they describe, never by how many are drawn together.

    Each stream is its own generator seeded by (seed, stream[, week]); numpy draws element
    by element, so the first n values of a stream are the same whatever length is asked
    for: instance i's draw does not depend on how many instances the window holds.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self, stream: int, week: int | None = None) -> np.random.Generator:
        # seed sequences take non-negative integers: weeks before EPOCH are shifted up
        key = [self.seed, stream] if week is None else [self.seed, stream, week - BEFORE]
        return np.random.default_rng(key)


def _site_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 16, size=(n, 32))
    hexes = np.array(list("0123456789abcdef"))[raw]
    return np.array(
        [
            f"{''.join(h[:8])}-{''.join(h[8:12])}-4{''.join(h[13:16])}-a{''.join(h[17:20])}-"
            f"{''.join(h[20:])}"
            for h in hexes
        ]
    )


def _odd_version(rng: np.random.Generator, semver: str) -> str:
    kind = rng.integers(0, 3)
    if kind == 0:
        return "v" + semver
    if kind == 1:
        return f"{rng.integers(10000, 99999)}_2018-08-{rng.integers(1, 29):02d}_{rng.integers(0, 16**7):07x}"
    return f"2023.03.{rng.integers(1, 29):02d}+{rng.integers(100000, 999999)}.{rng.integers(0, 16**6):06x}"


@dataclass(frozen=True)
class _Fleet:
    """Every instance that has existed by the window's last week (index 0 is the canary)."""

    join: np.ndarray  # calendar week it first reports (BEFORE for the initial fleet)
    leave: np.ndarray  # calendar week it stops for good (inf: never)
    lag: np.ndarray  # weeks it runs behind the newest release
    cadence: np.ndarray  # weeks between its upgrades
    phase: np.ndarray
    deploy: np.ndarray
    odd: np.ndarray  # reports odd version strings
    adopt: np.ndarray  # calendar week it starts to use Code Insights
    level: np.ndarray  # its typical weekly page views
    dashboards: np.ndarray  # dashboards when it adopts
    dash_growth: np.ndarray  # dashboards added a week

    @property
    def size(self) -> int:
        return len(self.join)


def _fleet(spec: SampleSpec, last: int, draw: _Draws) -> _Fleet:
    joiners = max(int(np.ceil(spec.joins_per_week * (last + 1))), 0)
    n = 1 + spec.instances + joiners
    join = np.concatenate(
        [np.full(1 + spec.instances, BEFORE), (np.arange(joiners) / spec.joins_per_week)]
    ).astype(np.int64)
    start = np.maximum(join, 0)
    leave = start + draw(1).geometric(spec.churn_per_week, n).astype(float)
    rollout_weeks = draw(2).uniform(3.0, 8.0)  # median upgrade lag: how fast releases roll out
    lag = np.minimum(draw(3).lognormal(np.log(rollout_weeks), 1.3, n), 150)
    cadence = draw(4).integers(1, 14, n)
    phase = draw(5).integers(0, 13, n)
    weights = np.array(list(DEPLOY_TYPES.values()))
    deploy = draw(6).choice(list(DEPLOY_TYPES), n, p=weights / weights.sum())
    odd = draw(7).random(n) < 0.015
    late = start + draw(8).geometric(LATE_ADOPTION, n)
    adopt = np.where(draw(9).random(n) < spec.user_share, BEFORE, late)
    level = draw(10).lognormal(np.log(25), 1.0, n)
    dashboards = draw(11).poisson(3, n) + 1
    dash_growth = draw(12).random(n) * 0.05
    leave[0], lag[0], cadence[0], phase[0] = np.inf, 0, 1, 0
    deploy[0], odd[0], adopt[0], level[0] = "kubernetes", False, BEFORE, 60.0
    return _Fleet(
        join, leave, lag, cadence, phase, deploy, odd, adopt, level, dashboards, dash_growth
    )


#: Share of page views each counter counts (binomial parts of the week's views).
PARTS: dict[str, float] = {
    "WeeklyInsightsUniquePageViews": 0.6,
    "WeeklyStandaloneInsightPageViews": 0.2,
    "WeeklyStandaloneDashboardClicks": 0.1,
    "WeeklyInsightConfigureClick": 0.05,
    "WeeklyInsightAddMoreClick": 0.03,
    "WeeklyDataExportClicks": 0.02,
}
INSIGHTS_PER_DASHBOARD = dict(zip(INSIGHT_TYPES, (2.0, 0.8, 0.5), strict=True))


def _week(
    spec: SampleSpec, fleet: _Fleet, k: int, season: float, draw: _Draws
) -> dict[str, np.ndarray]:
    """Columns of calendar week ``k``'s rows, one per reporting instance."""
    n = fleet.size
    streams = iter(range(20, 60))

    def rng() -> np.random.Generator:
        return draw(next(streams), k)

    online = rng().random(n) >= spec.offline_share
    online[0] = True
    rows = np.nonzero((k >= fleet.join) & (k < fleet.leave) & online)[0]

    # Versions: each instance upgrades every `cadence` weeks to what was out `lag` weeks ago.
    seen = ((k - fleet.phase) // fleet.cadence) * fleet.cadence + fleet.phase
    release = release_at(np.floor(seen - fleet.lag)).astype(np.int64)
    patch = (np.arange(n) * 7 + release * 3) % 4

    user = k >= fleet.adopt
    mean = fleet.level * season * GROWTH_PER_WEEK**k * rng().gamma(4.0, 0.25, n)
    idle = rng().random(n) < 0.15
    idle[0] = False
    views = np.where(user & ~idle, rng().poisson(mean), 0)
    stray = ~user & (rng().random(n) < 0.02)
    views = np.where(stray, rng().integers(1, 3, n), views)
    views[0] = max(views[0], 1)
    creators = np.where(views > 0, rng().poisson(0.3 + views / 40.0), 0)
    since = np.maximum(k - np.maximum(fleet.adopt, -52), 0)
    dashboards = np.where(user, fleet.dashboards + (since * fleet.dash_growth).astype(int), 0)

    r = rng().random(n)
    state = np.full(n, "present", dtype=object)
    state[~user & (r < 0.04)] = "null"
    state[~user & (r >= 0.04) & (r < 0.06)] = "empty"
    state[0] = "present"

    counters = {
        "WeeklyInsightsPageViews": views,
        "WeeklyInsightCreators": creators,
        "WeeklyFirstTimeInsightCreators": rng().binomial(creators, 0.3),
        **{key: rng().binomial(views, share) for key, share in PARTS.items()},
        "TotalOrgsWithDashboard": np.minimum(dashboards, 1 + dashboards // 4),
        "TotalDashboardCount": dashboards,
    }
    counters["WeeklyDataExportClicks"] = np.where(
        release >= EXPORT_CLICKS_SINCE, counters["WeeklyDataExportClicks"], -1
    )
    counters = {key: counters[key] for key in COUNTERS}
    types = {kind: rng().poisson(dashboards * per) for kind, per in INSIGHTS_PER_DASHBOARD.items()}
    return {
        "instance": rows,
        "release_index": release[rows],
        "patch": patch[rows],
        "usage_state": state[rows],
        **{USAGE + key: values[rows] for key, values in counters.items()},
        **{TYPES_PREFIX + kind: values[rows] for kind, values in types.items()},
    }


def generate(spec: SampleSpec) -> pd.DataFrame:
    """The weekly pings of every reporting instance, oldest week first."""
    draw = _Draws(spec.seed)
    days = weeks_back(spec.end_week, spec.weeks)
    fleet = _fleet(spec, week_index(spec.end_week), draw)
    seasons = season_factor(pd.DatetimeIndex(days))
    weeks = [_week(spec, fleet, week_index(d), s, draw) for d, s in zip(days, seasons, strict=True)]
    columns = {name: np.concatenate([w[name] for w in weeks]) for name in weeks[0]}
    inst = columns.pop("instance")
    release, patch = columns.pop("release_index"), columns.pop("patch")
    names = np.array([release_name(r) for r in range(release.max() + 1)], dtype=object)
    versions = names[release] + "." + patch.astype(str).astype(object)
    for row in np.nonzero(fleet.odd[inst])[0]:
        versions[row] = _odd_version(draw(1000 + int(inst[row]), int(release[row])), versions[row])
    n = fleet.size
    site_ids = _site_ids(draw(13), n)
    site_ids[0] = CANARY_SITE_ID
    labels = np.array([f"customer-{i:04d}" for i in range(n)], dtype=object)
    labels[0] = CANARY_LABEL
    emails = np.array([f"admin{i}@customer-{i:04d}.example.com" for i in range(n)], dtype=object)
    emails[0] = "sre@sourcegraph.example.com"
    licenses = np.array(
        [
            f"LK-{k:04X}-{(k * 7919) % 65536:04X}-{(k * 104729) % 65536:04X}"
            for k in draw(14).integers(0, 65536, n)
        ],
        dtype=object,
    )
    frame = pd.DataFrame(
        {
            "site_id": site_ids[inst],
            "week": np.repeat(np.array(days, dtype=object), [len(w["instance"]) for w in weeks]),
            "instance_label": labels[inst],
            "admin_email": emails[inst],
            "license_key": licenses[inst],
            "version": versions,
            "deploy_type": fleet.deploy[inst],
            "release_index": release,
            "usage_state": columns.pop("usage_state"),
        }
    )
    for name, values in columns.items():
        col = pd.array(values, dtype="Int64")
        col[values < 0] = pd.NA
        frame[name] = col
    return frame.sort_values(["week", "site_id"], kind="stable").reset_index(drop=True)
