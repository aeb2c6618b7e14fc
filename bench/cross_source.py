"""Cross-source checks: false alarms and outages caught by the ratio of the pings to a witness.

For each seed of the sample generator, the canary instance's weekly page views (the pings)
and the page views a browser tracks of them (``canary.sample.tracking``) are judged week by
week with the cross-source check (``canary.anomaly.cross_source``) against the weeks before:
each week as it is (any failure is a false alarm), then with the pings and then the tracking
losing 60-80% of that week's views (each failure caught, and whether it names the side that
lost them). Weeks before the 31st train only.

    .venv/bin/python -m bench.cross_source [--seeds 4,5,6,7,8]
"""

from __future__ import annotations

import argparse
from datetime import date

import numpy as np
import pandas as pd

from canary.anomaly.cross_source import cross_source
from canary.anomaly.inputs import HistoryInput
from canary.config import HISTORY_DEFAULTS, CrossCheck
from canary.dashboards import catalog
from canary.sample.generator import CANARY_SITE_ID, SampleSpec, generate
from canary.sample.tracking import PAGE_VIEWS, tracked_views

END = date(2026, 11, 30)
FIRST = 30  # weeks that only train
CHECK = CrossCheck(
    measure="page_views.total_insights_page_views", witness="tracked_page_views.page_views"
)


def _input(dataset: str, column: str, weeks: list[date], values: np.ndarray) -> HistoryInput:
    metrics = pd.DataFrame(
        {"week": weeks, "column_name": column, "segment": "", "metric": "value", "value": values}
    )
    tile = catalog().dashboards["canary"].tile(dataset)
    return HistoryInput("bench", dataset, tile, weeks[-1], None, metrics, HISTORY_DEFAULTS)


def _fails(weeks: list[date], pings: np.ndarray, tracked: np.ndarray) -> tuple[bool, str] | None:
    """Whether the check fails on the last week, and the side it names (None: skipped)."""
    inputs = [
        _input("page_views", "total_insights_page_views", weeks, pings),
        _input("tracked_page_views", "page_views", weeks, tracked),
    ]
    [row] = cross_source(inputs, {"bench": CHECK})
    if np.isnan(row["lower"]):
        return None
    return not row["lower"] <= row["observed"] <= row["upper"], str(row["details"]["side"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="4,5,6,7,8", help="comma-separated seeds")
    args = parser.parse_args()
    alarms = judged = caught = tried = named = 0
    for seed in (int(s) for s in args.seeds.split(",")):
        frame = generate(SampleSpec(end_week=END, weeks=104, seed=seed))
        mine = frame[frame["site_id"] == CANARY_SITE_ID]
        weeks = list(mine["week"])
        pings = mine[PAGE_VIEWS].astype("Float64").fillna(0).to_numpy(dtype="float64")
        tracked = tracked_views(frame, seed)["page_views"].to_numpy(dtype="float64")
        rng = np.random.default_rng(seed)
        for i in range(FIRST, len(weeks)):
            p, t = pings[: i + 1].copy(), tracked[: i + 1].copy()
            clean = _fails(weeks[: i + 1], p, t)
            judged += clean is not None
            alarms += bool(clean and clean[0])
            for side, name in ((p, "measure"), (t, "witness")):
                broken = side[-1]
                side[-1] = np.floor(broken * rng.uniform(0.2, 0.4))
                found = _fails(weeks[: i + 1], p, t)
                side[-1] = broken
                tried += found is not None
                caught += bool(found and found[0])
                named += bool(found and found[0] and found[1] == name)
    print(f"seeds {args.seeds}: {alarms} false alarms in {judged} judged weeks")
    print(
        f"outages of either side caught: {caught} of {tried} judged, the right side named in {named}"
    )


if __name__ == "__main__":
    main()
