"""The usage change check: a broad, real change in usage fails it; the calendar does not."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from canary.anomaly.calendar import Calendar
from canary.anomaly.inputs import HistoryInput
from canary.anomaly.usage_change import usage_change
from canary.config import DEFAULT_QUIET_WEEKS, HISTORY_DEFAULTS
from canary.dashboards import catalog
from canary.summary import Rows, TileSummary, changes_of
from canary.weeks import WEEK

TILE = catalog().tiles["instance_usage"]
VIEWS = "weekly_insights_page_views"
UNIQUE = "weekly_insights_unique_page_views"
DEPLOY = {"kubernetes": 0.35, "docker-compose": 0.35, "helm": 0.3}
VERSIONS = {"5.27": 0.5, "5.28": 0.5}
NORMAL = 10_951.0
INSTANCES = 1_100.0
W = date(2026, 11, 16)


def _week(
    week: date,
    views: float,
    instances: float = INSTANCES,
    deploy: dict[str, float] | None = None,
    versions: dict[str, float] | None = None,
    null_rate: float = 0.05,
) -> list[tuple[date, str, str, str, float]]:
    """One week's stored metrics of the instance-level snapshot: sums of page views and
    unique page views, row counts and null rates, overall and per segment (``deploy`` and
    ``versions``: factors on each segment's usual share; the segments add up to ``views``)."""
    rows = [(week, "", "", "row_count", instances)]
    for column, part in ((VIEWS, 1.0), (UNIQUE, 0.6)):
        rows += [
            (week, column, "", "sum", views * part),
            (week, column, "", "null_rate", null_rate),
        ]
        for dim, shares in (("deploy_type", DEPLOY), ("version_minor", VERSIONS)):
            factors = (deploy if dim == "deploy_type" else versions) or {}
            weight = {label: share * factors.get(label, 1.0) for label, share in shares.items()}
            for label, share in shares.items():
                segment = json.dumps({dim: label})
                value = views * weight[label] / sum(weight.values()) * part
                rows += [
                    (week, column, segment, "sum", value),
                    (week, column, segment, "null_rate", null_rate),
                ]
                if column == VIEWS:
                    rows.append((week, "", segment, "row_count", instances * share))
    return rows


def _input(weeks: dict[date, list[tuple[date, str, str, str, float]]], week: date) -> HistoryInput:
    rows = [r for w in sorted(weeks) for r in weeks[w]]
    metrics = pd.DataFrame(rows, columns=["week", "column_name", "segment", "metric", "value"])
    return HistoryInput(
        monitor="code-insights-all-instances",
        dataset="instance_usage",
        tile=TILE,
        week=week,
        summary=None,
        metrics=metrics,
        settings=HISTORY_DEFAULTS,
        calendar=Calendar(list(DEFAULT_QUIET_WEEKS)),
    )


def _history(week: date, n: int = 12, noise: float = 0.05) -> dict[date, list]:
    """``n`` normal weeks before ``week``, page views wobbling by ``noise``."""
    rng = np.random.default_rng(3)
    return {
        week - WEEK * k: _week(week - WEEK * k, NORMAL * (1 + rng.uniform(-noise, noise)))
        for k in range(n, 0, -1)
    }


def _overall(rows: list[dict]) -> dict:
    [row] = [r for r in rows if r["segment"] == ""]
    return row


def _fails(row: dict) -> bool:
    return not row["lower"] <= row["observed"] <= row["upper"]


def test_page_views_cut_to_40_percent_on_every_instance_fail_with_a_readable_reason() -> None:
    weeks = _history(W)
    weeks[W - WEEK] = _week(W - WEEK, NORMAL)
    weeks[W] = _week(W, 4_688.0)  # the week the level check let through (4,390..18,138)
    row = _overall(usage_change(_input(weeks, W)))
    assert _fails(row) and row["check"] == "usage change" and row["column"] == VIEWS
    assert row["detail"] == (
        "page views 4,688, -57% from last week (10,951), on every version and deploy type "
        "alike; instances reporting stable (1,100)"
    )


def test_a_broad_rise_fails_and_normal_weeks_pass() -> None:
    weeks = _history(W)
    weeks[W] = _week(W, NORMAL * 1.8)
    assert _fails(_overall(usage_change(_input(weeks, W))))
    weeks[W] = _week(W, NORMAL * 1.1)
    assert not _fails(_overall(usage_change(_input(weeks, W))))


def test_a_huge_rise_is_told_capped_not_in_endless_digits() -> None:
    weeks = _history(W)
    weeks[W - WEEK] = _week(W - WEEK, NORMAL)
    weeks[W] = _week(W, 1e15)
    detail = _overall(usage_change(_input(weeks, W)))["detail"]
    assert detail.startswith("page views 1,000,000,000,000,000, >+999% from last week (10,951)")


def test_the_year_end_is_not_judged_and_the_week_after_it_passes() -> None:
    christmas = date(2025, 12, 22)  # ISO week 52: a quiet week
    weeks = _history(christmas)
    weeks[christmas] = _week(christmas, NORMAL * 0.45)
    row = _overall(usage_change(_input(weeks, christmas)))
    assert np.isnan(row["lower"]) and "a year end week: its dip is expected" in row["detail"]
    # the dip lingers into ISO week 3, after two quiet weeks: not 30% below last week, and
    # no drift (the weeks before it are quiet, so nothing says it is sustained)
    for k, factor in ((1, 0.45), (2, 0.5)):
        weeks[christmas + WEEK * k] = _week(christmas + WEEK * k, NORMAL * factor)
    after = christmas + WEEK * 3
    weeks[after] = _week(after, NORMAL * 0.5)
    assert not _fails(_overall(usage_change(_input(weeks, after))))


def test_a_decline_over_six_weeks_fails_as_a_drift() -> None:
    start = W - WEEK * 5
    weeks = _history(start)
    for k in range(6):
        week = start + WEEK * k
        weeks[week] = _week(week, NORMAL * (1 - 0.45 * (k + 1) / 6))
    row = _overall(usage_change(_input(weeks, W)))
    assert _fails(row)
    assert "-45% over 6 weeks" in row["detail"] and "on every deploy type alike" in row["detail"]


def test_a_change_that_is_not_broad_or_not_real_passes_and_says_why() -> None:
    cases = {
        "deploy type docker-compose moved": {"deploy": {"kubernetes": 0.1}, "views": NORMAL * 0.68},
        "instances reporting moved too (-40%)": {"instances": INSTANCES * 0.6},
        "page views is null on 55% of instances": {"null_rate": 0.55},
    }
    for why, change in cases.items():
        weeks = _history(W)
        weeks[W] = _week(
            W,
            float(change.pop("views", NORMAL * 0.5)),  # type: ignore[arg-type]
            **change,  # type: ignore[arg-type]
        )
        row = _overall(usage_change(_input(weeks, W)))
        assert not _fails(row), why
        assert why in row["detail"] and row["detail"].endswith("not a broad usage change")


def test_one_watched_instance_is_not_judged() -> None:
    weeks = {w: _week(w, 40.0, instances=1.0) for w in _history(W)}
    weeks[W] = _week(W, 4.0, instances=1.0)
    assert usage_change(_input(weeks, W)) == []


def test_a_version_whose_instances_use_it_far_less_fails_on_its_own_segment() -> None:
    weeks = _history(W)
    weeks[W - WEEK] = _week(W - WEEK, NORMAL)
    weeks[W] = _week(W, NORMAL * 0.6, versions={"5.28": 0.2})
    rows = usage_change(_input(weeks, W))
    [version] = [r for r in rows if r["segment"] and _fails(r)]
    assert json.loads(version["segment"]) == {"version_minor": "5.28"}
    assert "the drop follows release 5.28, every counter alike" in version["detail"]


def _pings(new_factor: float, companion_factor: float, on_new: int = 7) -> pd.DataFrame:
    """Two weeks of 300 active instances: ``on_new`` of them upgrade to 5.29 this week and
    use it ``new_factor`` as much (unique page views ``companion_factor``); a third of the
    others fall under 40% of last week, as a week's noise makes them."""
    rows = []
    for i in range(300):
        new = i < on_new
        keep = 0.3 if i % 3 == 0 and not new else 1.0
        for week, version, factor, companion in (
            (W - WEEK, "5.28", 1.0, 1.0),
            (
                W,
                "5.29" if new else "5.28",
                new_factor if new else keep,
                companion_factor if new else keep,
            ),
        ):
            rows.append(
                {
                    "week": pd.Timestamp(week),
                    "site_id": f"site-{i}",
                    "version_minor": version,
                    "deploy_type": "helm",
                    VIEWS: 20.0 * factor,
                    UNIQUE: 12.0 * companion,
                }
            )
    return pd.DataFrame(rows)


def _with_pings(frame: pd.DataFrame) -> HistoryInput:
    weeks = _history(W)
    weeks[W] = _week(W, NORMAL)
    h = _input(weeks, W)
    h.summary = TileSummary(
        name="instance_usage",
        tile=TILE,
        rows=len(frame),
        schema={str(c): str(t) for c, t in frame.dtypes.items()},
        key_problem=None,
        metrics=pd.DataFrame(),
        batch=Rows.of(frame),
        changes=changes_of(TILE, frame, W),
    )
    return h


def test_a_few_instances_on_a_new_release_that_fell_fail_on_its_segment() -> None:
    rows = usage_change(_with_pings(_pings(0.2, 0.25)))
    [version] = [r for r in rows if r["segment"] and _fails(r)]
    assert json.loads(version["segment"]) == {"version_minor": "5.29"}
    assert version["detail"] == (
        "page views on version 5.29: 7 of 7 active instances fell under 40% of their usage "
        "of last week (33% on the other versions), -74% against the other versions' "
        "instances; the drop follows release 5.29, every counter alike"
    )
    assert version["observed"] == pytest.approx(0.26, abs=0.005)  # 20% against their 77%


def test_a_new_release_that_fell_on_one_counter_or_on_too_few_instances_passes() -> None:
    cases = {
        "one counter: the numbers, not the usage": _pings(0.2, 1.0),
        "as often as the others": _pings(1.0, 1.0),
        "four instances fall together by chance": _pings(0.2, 0.2, on_new=4),
    }
    for why, frame in cases.items():
        rows = usage_change(_with_pings(frame))
        assert not any(r["segment"] and _fails(r) for r in rows), why
