"""The bundled sample's third witness: browser-tracked page views of the canary instance.

An analytics tool (Amplitude, in the team's setup) counts the insights pages viewed on the
company's own instance from the browser, through a pipeline apart from the pings. Each view
the pings count is tracked with a steady chance (ad blockers and consent keep some out), so
the two agree up to a binomial draw a week; a product change moves both, a broken pipeline
one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from canary.sample.generator import BEFORE, CANARY_LABEL, CANARY_SITE_ID, USAGE, week_index

PAGE_VIEWS = USAGE + "WeeklyInsightsPageViews"
#: Chance that a page view the pings count is tracked in the browser too.
TRACKED_SHARE = 0.82
STREAM = 20  # the generator's seed stream of this series (apart from the pings')


def tracked_views(pings: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row a week the canary instance reported: week, instance_label, page_views."""
    mine = pings[pings["site_id"] == CANARY_SITE_ID]
    views = mine[PAGE_VIEWS].astype("Float64").fillna(0).to_numpy(dtype="int64")
    tracked = [
        np.random.default_rng([seed, STREAM, week_index(w) - BEFORE]).binomial(n, TRACKED_SHARE)
        for w, n in zip(mine["week"], views, strict=True)
    ]
    return pd.DataFrame(
        {
            "week": mine["week"].to_numpy(),
            "instance_label": CANARY_LABEL,
            "page_views": np.array(tracked, dtype="int64"),
        }
    )
