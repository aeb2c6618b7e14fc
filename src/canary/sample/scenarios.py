"""The breakage catalog (DESIGN.md section 3) and product changes as pure functions on pings.

Each scenario takes the wide pings frame, the week the breakage starts and a seeded
generator, and returns the changed frame. The slug is the scenario's name everywhere.
Breakages break the numbers; product changes (``kind="product"``) change how people use
the product, every counter alike, and leave the data whole. A gradual product change
(``lead_weeks``) begins that many weeks before its week and is complete in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from canary.sample.generator import (
    CANARY_SITE_ID,
    COUNTERS,
    TYPES_PREFIX,
    USAGE,
    SampleSpec,
    release_of,
)
from canary.weeks import WEEK

PAGE_VIEWS = USAGE + "WeeklyInsightsPageViews"
#: Counters of a week's usage (totals such as dashboards count move slowly, not with it)
WEEKLY = [USAGE + key for key in COUNTERS if key.startswith("Weekly")]
Breaker = Callable[[pd.DataFrame, date, SampleSpec, np.random.Generator], pd.DataFrame]
Kind = Literal["breakage", "product"]


@dataclass(frozen=True)
class Scenario:
    slug: str
    summary: str
    apply: Breaker
    kind: Kind = "breakage"
    lead_weeks: int = 0  # a gradual change begins this many weeks before its week
    tracking: bool = False  # breaks the tracked page views (``tracking.py``), not the pings


def _object_null(f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator) -> pd.DataFrame:
    f.loc[f["week"] >= w, "usage_state"] = "null"
    return f


def _version_field_drop(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    hit = (f["week"] >= w) & (f["release_index"] == release_of(w))
    f.loc[hit, PAGE_VIEWS] = pd.NA
    return f


def _canary_silent(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    return f[~((f["site_id"] == CANARY_SITE_ID) & (f["week"] >= w))].copy()


def _ingestion_loss(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    lost = (f["week"] >= w) & (rng.random(len(f)) < rng.uniform(0.3, 0.6))
    return f[~lost].copy()


def _double_count(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    broken = f[f["week"] >= w]
    copies = [broken] * int(rng.integers(1, 5))
    return pd.concat([f, *copies]).sort_values(["week", "site_id"], kind="stable")


def _cumulative_counter(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    running = f.groupby("site_id")[PAGE_VIEWS].cumsum()
    after = f["week"] >= w
    f.loc[after, PAGE_VIEWS] = running[after]
    return f


def _category_drift(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    odd = TYPES_PREFIX + "insight_view_2Wq8xZpL"
    capture = TYPES_PREFIX + "captureGroupInsights"
    moved = (f["week"] >= w) & (rng.random(len(f)) < rng.uniform(0.2, 0.6))
    f[odd] = pd.array(np.where(moved, f[capture].fillna(0), 0), dtype="Int64")
    f.loc[~moved, odd] = pd.NA  # the odd label exists only where it was reported
    f.loc[moved, capture] = 0
    return f


def _stale_missing(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    return f[f["week"] < w].copy()


def _stale_copy(f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator) -> pd.DataFrame:
    copy = f[f["week"] == w - WEEK].copy()
    copy["week"] = w
    return pd.concat([f[f["week"] != w], copy]).sort_values(["week", "site_id"], kind="stable")


def _schema_rename(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    after = f["week"] >= w
    renamed = USAGE + "WeeklyInsightPageViewCount"
    f[renamed] = f[PAGE_VIEWS].where(after)
    f.loc[after, PAGE_VIEWS] = pd.NA
    return f


def _version_undercount(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    hit = (f["week"] >= w) & (f["release_index"] >= release_of(w))
    factor = rng.uniform(0.3, 0.6)
    f.loc[hit, PAGE_VIEWS] = (f.loc[hit, PAGE_VIEWS] * factor).round().astype("Int64")
    return f


def _scaled(
    f: pd.DataFrame, rows: pd.Series, factor: float | pd.Series, rng: np.random.Generator
) -> pd.DataFrame:
    """Every weekly counter of ``rows`` times ``factor``: people use it more or less, so each
    counter moves alike. Rounded at random but alike per row (small counts keep their mean,
    and ``unique <= total`` still holds)."""
    jitter = rng.random(int(rows.sum()))
    for column in WEEKLY:
        values = f.loc[rows, column].astype("Float64") * factor + jitter
        f.loc[rows, column] = np.floor(values).astype("Int64")
    return f


def _pings_outage(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """The canary instance's pings lose 60-80% of its events; the browser still sees them."""
    hit = (f["site_id"] == CANARY_SITE_ID) & (f["week"] >= w)
    return _scaled(f, hit, rng.uniform(0.2, 0.4), rng)


def _tracking_outage(
    t: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """The browser tracking loses 60-80% of the page views; the pings still count them."""
    hit = t["week"] >= w
    t.loc[hit, "page_views"] = np.round(t.loc[hit, "page_views"] * rng.uniform(0.2, 0.4))
    return t


def _usage_drop(f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator) -> pd.DataFrame:
    return _scaled(f, f["week"] >= w, rng.uniform(0.35, 0.6), rng)


def _adoption_surge(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    return _scaled(f, f["week"] >= w, rng.uniform(1.6, 2.5), rng)


DECLINE_WEEKS = 6


def _usage_decline(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """Usage falls step by step over the six weeks to ``w``, by 45-60% in all."""
    total = rng.uniform(0.45, 0.6)
    start = w - WEEK * (DECLINE_WEEKS - 1)
    after = f["week"] >= start
    steps = ((f.loc[after, "week"] - start).map(lambda d: d.days // 7) + 1).clip(
        upper=DECLINE_WEEKS
    )
    return _scaled(f, after, 1 - total * steps.astype("float64") / DECLINE_WEEKS, rng)


def _release_regression(
    f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator
) -> pd.DataFrame:
    """Instances on the release out at ``w`` (and later) use the product far less."""
    hit = (f["week"] >= w) & (f["release_index"] >= release_of(w))
    return _scaled(f, hit, rng.uniform(0.15, 0.35), rng)


SCENARIOS: dict[str, Scenario] = {
    s.slug: s
    for s in (
        Scenario("object-null", "the usage object is null for every instance", _object_null),
        Scenario(
            "version-field-drop",
            "page views turn null on the newest version only, growing as it rolls out",
            _version_field_drop,
        ),
        Scenario("canary-silent", "the canary instance sends no ping", _canary_silent),
        Scenario("ingestion-loss", "30-60% of instances' pings are lost", _ingestion_loss),
        Scenario(
            "double-count",
            "every ping of the week is kept: rows duplicated 2- to 5-fold",
            _double_count,
        ),
        Scenario(
            "cumulative-counter",
            "weekly page views become cumulative and never reset",
            _cumulative_counter,
        ),
        Scenario(
            "category-drift", "an insight ID is reported as its insight type", _category_drift
        ),
        Scenario("stale-missing", "the latest week is missing", _stale_missing),
        Scenario("stale-copy", "the latest week is a copy of the week before", _stale_copy),
        Scenario(
            "schema-rename",
            "WeeklyInsightsPageViews is renamed in the usage object",
            _schema_rename,
        ),
        Scenario(
            "version-undercount",
            "page views undercounted by 40-70% from the newest release on",
            _version_undercount,
        ),
        Scenario(
            "pings-outage",
            "the canary instance's pings lose 60-80% of its events, browser tracking steady",
            _pings_outage,
        ),
        Scenario(
            "tracking-outage",
            "the browser tracking loses 60-80% of the page views, the pings steady",
            _tracking_outage,
            tracking=True,
        ),
        Scenario(
            "usage-drop",
            "every instance uses Code Insights 40-65% less, instances reporting unchanged",
            _usage_drop,
            kind="product",
        ),
        Scenario(
            "release-regression",
            "instances on the newest release use Code Insights 65-85% less as it rolls out",
            _release_regression,
            kind="product",
        ),
        Scenario(
            "adoption-surge",
            "every instance uses Code Insights 1.6-2.5 times as much",
            _adoption_surge,
            kind="product",
        ),
        Scenario(
            "usage-decline",
            "usage declines by 45-60% over six weeks on every instance",
            _usage_decline,
            kind="product",
            lead_weeks=DECLINE_WEEKS - 1,
        ),
    )
}
#: What breaks the numbers, and what changes how people use the product.
BREAKAGES = {slug: s for slug, s in SCENARIOS.items() if s.kind == "breakage"}
PRODUCT_CHANGES = {slug: s for slug, s in SCENARIOS.items() if s.kind == "product"}
#: One side of a cross-source check breaking (``canary.anomaly.cross_source``). Added after
#: the others, their seed streams come last, so that they move no other scenario's draws.
CROSS_SOURCE = ("pings-outage", "tracking-outage")
#: Each scenario's seed stream: breakages first, so adding a product change moves no draw.
_STREAMS = [
    *sorted(set(BREAKAGES) - set(CROSS_SOURCE)),
    *sorted(set(PRODUCT_CHANGES) - set(CROSS_SOURCE)),
    *CROSS_SOURCE,
]


def inject(frame: pd.DataFrame, slug: str, week: date, spec: SampleSpec) -> pd.DataFrame:
    """Change ``frame`` with scenario ``slug`` from ``week`` on (a copy; the input is kept):
    the pings, or the tracked page views for a scenario that breaks the ``tracking``."""
    scenario = SCENARIOS[slug]
    rng = np.random.default_rng([spec.seed, _STREAMS.index(slug)])
    return scenario.apply(frame.copy(), week, spec, rng).reset_index(drop=True)
