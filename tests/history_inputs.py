"""A history-aware check's input for one series of page views: the tests' shared builder."""

from __future__ import annotations

from datetime import date

import pandas as pd

from canary.anomaly.calendar import Calendar
from canary.anomaly.inputs import HistoryInput
from canary.config import HISTORY_DEFAULTS
from canary.dashboards import catalog

TILE = catalog().dashboards["all-instances"].tile("page_views")
COLUMN = "total_insights_page_views"


def page_views(values: dict[date, float], week: date, calendar: Calendar) -> HistoryInput:
    """The page-views series ``values`` (week -> value) judged in ``week``."""
    metrics = pd.DataFrame(
        {
            "week": list(values),
            "column_name": COLUMN,
            "segment": "",
            "metric": "value",
            "value": list(values.values()),
        }
    )
    return HistoryInput(
        monitor="m",
        dataset="page_views",
        tile=TILE,
        week=week,
        summary=None,
        metrics=metrics,
        settings=HISTORY_DEFAULTS,
        calendar=calendar,
    )
