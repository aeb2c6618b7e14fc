"""Sums judged as totals and as their typical instance: a giant instance leaving a segment is
no level break, the whole segment falling is."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd

from canary.anomaly.calendar import Calendar
from canary.anomaly.detectors import level
from canary.anomaly.inputs import HistoryInput
from canary.anomaly.typical import Typical, figures
from canary.config import HISTORY_DEFAULTS
from canary.dashboards import catalog
from canary.dataset import Dataset
from canary.summary import TYPICAL_ACTIVE, TYPICAL_KEPT, TYPICAL_RATIO, summary_of

BOARD = catalog().dashboards["all-instances"]
WEEK = date(2026, 3, 2)
KUSTOMIZE = json.dumps({"deploy_type": "kustomize"})
DOCKER = json.dumps({"deploy_type": "docker"})
PAGE_VIEWS = "weekly_insights_page_views"


def _instances(week: date, giant: bool, scale: float = 1.0) -> pd.DataFrame:
    """40 kustomize instances of 100 page views (and a giant of 2,000 if ``giant``), and 20
    docker instances of 50."""
    sites = [(f"k{i}", "kustomize", 100.0 * scale) for i in range(40)]
    sites += [(f"d{i}", "docker", 50.0) for i in range(20)]
    if giant:
        sites.append(("giant", "kustomize", 2000.0))
    tile = BOARD.tile("instance_usage")
    rows = []
    for site, deploy, views in sites:
        row: dict[str, object] = {f.column: None for f in tile.fields}
        row.update(week=pd.Timestamp(week), site_id=site, instance_label=site, version="5.3.0")
        row.update(version_minor="5.3", deploy_type=deploy, weekly_insights_page_views=views)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for f in tile.fields:
        if tile.dtypes[f.column] == "integer":
            frame[f.column] = frame[f.column].astype("Int64")
    return frame


def _typical_of(frame: pd.DataFrame) -> dict[tuple[str, str], Typical]:
    summary = summary_of(Dataset("instance_usage", BOARD.tile("instance_usage"), frame), WEEK)
    return figures(summary.metrics)


def test_the_snapshot_tells_its_typical_instance_per_segment() -> None:
    """The giant leaving moves the kustomize sum by two thirds; its typical instance, and how
    many active instances of last week still report, are stored with the week's metrics."""
    before = _instances(WEEK - timedelta(weeks=1), giant=True)
    got = _typical_of(pd.concat([before, _instances(WEEK, giant=False, scale=0.9)]))
    assert got[(PAGE_VIEWS, KUSTOMIZE)] == Typical(0.9, 40, 41)
    assert got[(PAGE_VIEWS, DOCKER)] == Typical(1.0, 20, 20)
    assert got[(PAGE_VIEWS, "")] == Typical(0.9, 60, 61)
    # version_minor churns (a release adds one): the level never judges it per segment
    assert not [s for _, s in got if "version_minor" in s]
    summary = summary_of(Dataset("instance_usage", BOARD.tile("instance_usage"), before), WEEK)
    assert not set(summary.metrics["metric"]) & {TYPICAL_RATIO, TYPICAL_KEPT, TYPICAL_ACTIVE}


def _deploy_types(now: float, typical: dict[tuple[str, str], Typical]) -> HistoryInput:
    """usage_by_deploy_type: kustomize's page views 6,000 a week (a little noise) for 20
    weeks, ``now`` this week."""
    rng = np.random.default_rng(3)
    weeks = [WEEK - timedelta(weeks=k) for k in range(20, 0, -1)]
    values = [6000.0 + float(x) for x in rng.normal(0, 60, len(weeks))]
    metrics = pd.DataFrame(
        {
            "week": [*weeks, WEEK],
            "column_name": "total_insights_page_views",
            "segment": KUSTOMIZE,
            "metric": "value",
            "value": [*values, now],
        }
    )
    return HistoryInput(
        monitor="m",
        dataset="usage_by_deploy_type",
        tile=BOARD.tile("usage_by_deploy_type"),
        week=WEEK,
        summary=None,
        metrics=metrics,
        settings=HISTORY_DEFAULTS,
        calendar=Calendar([]),
        typical=typical,
    )


def _kustomize(h: HistoryInput) -> dict[str, object]:
    (row,) = [r for r in level(h) if r["segment"] == KUSTOMIZE]
    return row


def _fails(row: dict[str, object]) -> bool:
    return not float(row["lower"]) <= float(row["observed"]) <= float(row["upper"])  # type: ignore[arg-type]


def test_a_giant_instance_leaving_a_segment_is_no_level_break() -> None:
    """Kustomize falls 40% because one instance carrying a third of it left: judged as a
    total alone it fails; its typical instance did not move, so it passes and says why."""
    alone = _kustomize(_deploy_types(3600.0, {}))
    assert _fails(alone)
    assert "typical instance" not in str(alone["detail"])
    left = {(PAGE_VIEWS, KUSTOMIZE): Typical(0.98, 40, 41)}
    row = _kustomize(_deploy_types(3600.0, left))
    assert not _fails(row)
    assert "the typical instance did not (-2% over 40 instances reporting" in str(row["detail"])
    assert "1 of the 41 active last week without it" in str(row["detail"])
    assert "a few large instances carry the change" in str(row["detail"])


def test_the_whole_segment_falling_is_a_level_break() -> None:
    """Every kustomize instance falling 40% fails, and the check says the typical moved too."""
    row = _kustomize(_deploy_types(3600.0, {(PAGE_VIEWS, KUSTOMIZE): Typical(0.6, 41, 41)}))
    assert _fails(row)
    assert "the typical instance moved too: -40% against its own last week" in str(row["detail"])


def test_instances_gone_or_too_few_leave_the_total_to_judge() -> None:
    """A tenth of the instances gone is a loss of instances, not a giant leaving; under ten
    instances the typical one tells nothing."""
    gone = _kustomize(_deploy_types(3600.0, {(PAGE_VIEWS, KUSTOMIZE): Typical(1.0, 30, 41)}))
    assert _fails(gone)
    assert "11 of 41 instances active last week report no" in str(gone["detail"])
    few = _kustomize(_deploy_types(3600.0, {(PAGE_VIEWS, KUSTOMIZE): Typical(1.0, 8, 9)}))
    assert _fails(few)
