"""Deterministic generator of weekly pings (DESIGN.md section 2), vectorised with numpy.

The result is a wide frame, one row per reporting instance and week (the last ping of
the week). Usage counters live in ``usage.<JsonKey>`` columns and insight counts in
``usage.InsightsByType.<type>`` columns; ``usage_state`` says whether the usage object is
``present``, ``empty`` (``{}``) or ``null``. ``warehouse.py`` encodes this as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from canary.weeks import WEEK, weeks_back

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

#: Minor releases in order; one every RELEASE_EVERY weeks, the last near the sample's end.
RELEASES: tuple[str, ...] = (
    *(f"3.{m}" for m in range(20, 44)),
    *(f"4.{m}" for m in range(0, 6)),
    *(f"5.{m}" for m in range(0, 30)),
)
RELEASE_EVERY = 4
#: The release that added WeeklyDataExportClicks: older versions report it as null.
EXPORT_CLICKS_SINCE = "5.1"


@dataclass(frozen=True)
class SampleSpec:
    """What to generate: ``weeks`` weeks ending at ``end_week``, from ``seed``."""

    end_week: date
    weeks: int = 104
    seed: int = 7
    instances: int = 1150
    joins_per_week: float = 4.5
    churn_per_week: float = 0.0025
    offline_share: float = 0.10
    user_share: float = 0.13


def season_factor(weeks: pd.DatetimeIndex) -> np.ndarray:
    """Usage multiplier per week: year-end weeks down by ~40%, summer down by ~15%."""
    iso = weeks.isocalendar().week.to_numpy()
    factor = np.ones(len(weeks))
    factor[np.isin(iso, [52, 53, 1])] = 0.58
    factor[np.isin(iso, [51, 2])] = 0.8
    factor[(iso >= 28) & (iso <= 34)] = 0.86
    return factor


def release_weeks(spec: SampleSpec) -> np.ndarray:
    """Week index (0 = first sample week) at which each release in RELEASES ships."""
    last = spec.weeks - 2
    return last - RELEASE_EVERY * np.arange(len(RELEASES) - 1, -1, -1)


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


def generate(spec: SampleSpec) -> pd.DataFrame:
    """The weekly pings of every reporting instance, oldest week first."""
    rng = np.random.default_rng(spec.seed)
    n_weeks = spec.weeks
    week_dates = pd.DatetimeIndex(weeks_back(spec.end_week, n_weeks))
    t = np.arange(n_weeks)

    # Instances: an initial fleet plus steady joins; churn ends some for good.
    n_new = int(spec.joins_per_week * n_weeks)
    n = 1 + spec.instances + n_new  # index 0 is the canary instance
    join = np.concatenate([[-1], np.full(spec.instances, -1), rng.integers(0, n_weeks, n_new)])
    life = rng.geometric(spec.churn_per_week, n).astype(float)
    life[0] = np.inf
    active = (t[None, :] >= join[:, None]) & (t[None, :] < (np.maximum(join, 0) + life)[:, None])
    online = rng.random((n, n_weeks)) >= spec.offline_share
    online[0] = True
    reporting = active & online

    # Versions: each instance upgrades every `cadence` weeks to what was out `lag` weeks ago.
    rel_weeks = release_weeks(spec)
    rollout_weeks = rng.uniform(3.0, 8.0)  # median upgrade lag: how fast releases roll out
    lag = np.minimum(rng.lognormal(np.log(rollout_weeks), 1.3, n), 150)
    cadence = rng.integers(1, 14, n)
    phase = rng.integers(0, 13, n)
    lag[0], cadence[0], phase[0] = 0, 1, 0
    seen = ((t[None, :] - phase[:, None]) // cadence[:, None]) * cadence[:, None] + phase[:, None]
    rel_idx = np.searchsorted(rel_weeks, seen - lag[:, None], side="right") - 1
    rel_idx = np.clip(rel_idx, 0, len(RELEASES) - 1)
    patch = (np.arange(n)[:, None] * 7 + rel_idx * 3) % 4

    deploy = rng.choice(list(DEPLOY_TYPES), n, p=np.array(list(DEPLOY_TYPES.values())) / 1.0)
    deploy[0] = "kubernetes"
    odd = rng.random(n) < 0.015
    odd[0] = False

    # Feature usage: a share of instances uses Code Insights, adoption grows over time.
    adopt_week = np.where(rng.random(n) < spec.user_share, -1, n_weeks * 10)
    late = rng.random(n) < 0.06
    adopt_week = np.where(late, rng.integers(0, n_weeks, n), adopt_week)
    adopt_week[0] = -1
    user = t[None, :] >= adopt_week[:, None]
    level = rng.lognormal(np.log(25), 1.0, n)
    level[0] = 60.0
    growth = 1.0 + 0.003 * t
    mean_views = level[:, None] * season_factor(week_dates)[None, :] * growth[None, :]
    noise = rng.gamma(4.0, 0.25, (n, n_weeks))
    idle = rng.random((n, n_weeks)) < 0.15
    idle[0] = False
    views = np.where(user & ~idle, rng.poisson(mean_views * noise), 0)
    views = np.where(
        ~user & (rng.random((n, n_weeks)) < 0.02), rng.integers(1, 3, (n, n_weeks)), views
    )
    views[0] = np.maximum(views[0], 1)

    def part(total: np.ndarray, p: float) -> np.ndarray:
        return rng.binomial(total, p)

    creators = np.where(views > 0, rng.poisson(0.3 + views / 40.0), 0)
    dashboards_base = np.where(adopt_week < n_weeks, rng.poisson(3, n) + 1, 0)
    dash_growth = rng.random(n) * 0.05
    dashboards = np.where(
        user, dashboards_base[:, None] + (t[None, :] * dash_growth[:, None]).astype(int), 0
    )
    exports_known = rel_idx >= RELEASES.index(EXPORT_CLICKS_SINCE)

    cells = np.nonzero(reporting)
    inst, wk = cells
    usage_state = np.full(len(inst), "present", dtype=object)
    r = rng.random(len(inst))
    nonuser = ~user[cells]
    usage_state[nonuser & (r < 0.04)] = "null"
    usage_state[nonuser & (r >= 0.04) & (r < 0.06)] = "empty"
    usage_state[inst == 0] = "present"

    site_ids = _site_ids(rng, n)
    site_ids[0] = CANARY_SITE_ID
    labels = np.array([f"customer-{i:04d}" for i in range(n)], dtype=object)
    labels[0] = CANARY_LABEL
    emails = np.array([f"admin{i}@customer-{i:04d}.example.com" for i in range(n)], dtype=object)
    emails[0] = "sre@sourcegraph.example.com"
    licenses = np.array(
        [
            f"LK-{k:04X}-{(k * 7919) % 65536:04X}-{(k * 104729) % 65536:04X}"
            for k in rng.integers(0, 65536, n)
        ],
        dtype=object,
    )
    versions = np.array(
        [f"{RELEASES[ri]}.{p}" for ri, p in zip(rel_idx[cells], patch[cells], strict=True)],
        dtype=object,
    )
    for row in np.nonzero(odd[inst])[0]:
        versions[row] = _odd_version(rng, versions[row])

    v = views[cells]
    frame = pd.DataFrame(
        {
            "site_id": site_ids[inst],
            "week": week_dates[wk].date,
            "instance_label": labels[inst],
            "admin_email": emails[inst],
            "license_key": licenses[inst],
            "version": versions,
            "deploy_type": deploy[inst],
            "release_index": rel_idx[cells],
            "usage_state": usage_state,
        }
    )
    c = creators[cells]
    d = dashboards[cells]
    counters = {
        "WeeklyInsightsPageViews": v,
        "WeeklyInsightsUniquePageViews": part(v, 0.6),
        "WeeklyInsightCreators": c,
        "WeeklyFirstTimeInsightCreators": part(c, 0.3),
        "WeeklyStandaloneInsightPageViews": part(v, 0.2),
        "WeeklyStandaloneDashboardClicks": part(v, 0.1),
        "WeeklyInsightConfigureClick": part(v, 0.05),
        "WeeklyInsightAddMoreClick": part(v, 0.03),
        "WeeklyDataExportClicks": np.where(exports_known[cells], part(v, 0.02), -1),
        "TotalOrgsWithDashboard": np.minimum(d, 1 + d // 4),
        "TotalDashboardCount": d,
    }
    for key, values in counters.items():
        col = pd.array(values, dtype="Int64")
        col[values < 0] = pd.NA
        frame[USAGE + key] = col
    for kind, per_dashboard in zip(INSIGHT_TYPES, (2.0, 0.8, 0.5), strict=True):
        frame[TYPES_PREFIX + kind] = pd.array(rng.poisson(d * per_dashboard), dtype="Int64")
    return frame.sort_values(["week", "site_id"], kind="stable").reset_index(drop=True)


def release_of(spec: SampleSpec, day: date) -> int:
    """Index of the newest release shipped on or before the week ``day``."""
    start = spec.end_week - WEEK * (spec.weeks - 1)
    index = (day - start).days // 7
    return int(np.searchsorted(release_weeks(spec), index, side="right") - 1)
