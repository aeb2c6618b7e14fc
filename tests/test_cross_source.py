"""Cross-source checks: the pings against a witness seen through another pipeline.

The ratio holds when people use the product differently (both move), and breaks when one
pipeline does: the incident names the side that moved and classes it pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from canary.anomaly.cross_source import MIN_COUNT, cross_source
from canary.anomaly.inputs import HistoryInput
from canary.config import HISTORY_DEFAULTS, CrossCheck, load_config
from canary.dashboards import catalog
from canary.errors import ConfigError
from canary.results import RunResult
from canary.weeks import WEEK
from tests.conftest import write_config
from tests.test_incident_class import _drop, _reporting, _week
from tests.test_incidents import ALL, CANARY, W, _check
from tests.test_sample_run import _run

CHECK = CrossCheck(
    measure="page_views.total_insights_page_views", witness="tracked_page_views.page_views"
)
BOARD = catalog().dashboards["canary"]
#: the week the drills run in: the canary instance's page views at their usual level
DRILL_WEEK = "2026-11-16"


def _input(dataset: str, column: str, values: list[float]) -> HistoryInput:
    weeks = [W - WEEK * i for i in range(len(values) - 1, -1, -1)]
    metrics = pd.DataFrame(
        {"week": weeks, "column_name": column, "segment": "", "metric": "value", "value": values}
    )
    return HistoryInput("m", dataset, BOARD.tile(dataset), W, None, metrics, HISTORY_DEFAULTS)


def _row(pings: list[float], tracked: list[float]) -> dict[str, Any]:
    inputs = [
        _input("page_views", "total_insights_page_views", pings),
        _input("tracked_page_views", "page_views", tracked),
    ]
    [row] = cross_source(inputs, {"pings-vs-browser": CHECK})
    return row


def _history(seed: int = 1, weeks: int = 30) -> tuple[list[float], list[float]]:
    """Noisy weekly page views of one instance and the 82% of them a browser tracks."""
    rng = np.random.default_rng(seed)
    pings = rng.integers(40, 200, weeks).astype(float)
    return list(pings), [float(rng.binomial(int(p), 0.82)) for p in pings]


def _inside(row: dict[str, Any]) -> bool:
    return bool(row["lower"] <= row["observed"] <= row["upper"])


def test_a_ratio_within_its_history_passes_even_when_both_sides_fall() -> None:
    pings, tracked = _history()
    row = _row([*pings, 40.0], [*tracked, 33.0])  # people used it less: both fell alike
    assert _inside(row) and row["training_weeks"] == 26
    assert "total_insights_page_views per tracked_page_views.page_views is" in row["detail"]


def test_the_pings_falling_alone_breaks_the_ratio_and_names_the_pings() -> None:
    pings, tracked = _history()
    row = _row([*pings, 30.0], [*tracked, 110.0])
    assert not _inside(row) and row["details"]["side"] == "measure"
    assert row["detail"].endswith("page_views moved beyond the other")


def test_the_witness_falling_alone_names_the_witness() -> None:
    pings, tracked = _history()
    row = _row([*pings, 120.0], [*tracked, 25.0])
    assert not _inside(row) and row["details"]["side"] == "witness"
    assert row["detail"].endswith("tracked_page_views moved beyond the other")


def test_a_witness_gone_to_zero_is_an_infinite_ratio_out_of_range() -> None:
    pings, tracked = _history()
    row = _row([*pings, 120.0], [*tracked, 0.0])
    assert row["observed"] > 1e300 and not _inside(row) and "is ∞" in row["detail"]
    assert row["details"]["side"] == "witness"


def test_too_few_views_or_a_missing_side_is_skipped_with_the_reason() -> None:
    pings, tracked = _history()
    small = _row([*pings, MIN_COUNT - 5.0], [*tracked, 3.0])
    assert np.isnan(small["lower"]) and "too few to compare" in small["detail"]
    missing = _row([*pings, np.nan], [*tracked, 80.0])
    assert np.isnan(missing["lower"])
    assert "no value of page_views.total_insights_page_views" in missing["detail"]
    young = _row([*pings[-3:], 120.0], [*tracked[-3:], 100.0])
    assert np.isnan(young["lower"]) and "3 of 6 weeks of history" in young["detail"]


def _config(tmp_path: Path, checks: dict[str, Any]) -> Path:
    raw = yaml.safe_load(write_config(tmp_path).read_text())
    raw["monitors"]["code-insights-canary"]["cross_checks"] = checks
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        (
            {"x": {"measure": "page_views", "witness": "tracked_page_views.page_views"}},
            "cross_checks.x.measure: 'page_views' is a dataset of 4 measures",
        ),
        (
            {"x": {"measure": "usage_by_version.page_views", "witness": "tracked_page_views"}},
            "cross_checks.x.measure",
        ),
        (
            {
                "x": {
                    "measure": "page_views.total_insights_page_views",
                    "witness": "page_views.total_insights_unique_page_views",
                }
            },
            "cross_checks.x: measure and witness are series of one dataset",
        ),
        (
            {"x": {"measure": "page_views.total_insights_page_views"}},
            "witness",
        ),
    ],
)
def test_a_cross_check_that_names_no_single_series_is_a_config_error(
    tmp_path: Path, checks: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_config(_config(tmp_path, checks))


def _drill(config: Path, out: Path, slug: str) -> tuple[int, dict[str, Any]]:
    return _run(config, out, "--week", DRILL_WEEK, "--scenario", slug)


def _cross(doc: dict[str, Any]) -> dict[str, Any]:
    [check] = [c for r in doc["runs"] for c in r["checks"] if c["check"] == "cross-source ratio"]
    return check


@pytest.mark.integration
@pytest.mark.parametrize(
    ("slug", "moved", "steady"),
    [
        ("pings-outage", "page_views", "tracked_page_views"),
        ("tracking-outage", "tracked_page_views", "page_views"),
    ],
)
def test_one_pipeline_breaking_is_one_pipeline_incident_naming_its_side(
    config_path: Path, tmp_path: Path, slug: str, moved: str, steady: str
) -> None:
    code, doc = _drill(config_path, tmp_path / "out.json", slug)
    assert code == 1 and _cross(doc)["status"] == "failed"
    [incident] = doc["incidents"]
    assert (incident["cause"], incident["class"]) == (slug, "pipeline")
    assert incident["headline"].startswith(f"{moved} -")
    assert f"while {steady} moved" in incident["headline"]
    assert _cross(doc)["id"] in incident["check_ids"]


@pytest.mark.integration
def test_people_using_it_less_move_both_and_the_witness_agreeing_says_product(
    config_path: Path, tmp_path: Path
) -> None:
    code, doc = _drill(config_path, tmp_path / "out.json", "usage-drop")
    assert code == 1 and _cross(doc)["status"] == "passed"
    [incident] = doc["incidents"]
    assert (incident["cause"], incident["class"]) == ("usage-drop", "product")
    assert "tracked_page_views.page_views agreed with the pings" in incident["class_evidence"]


def _ratio(status: str, side: str = "measure") -> RunResult:
    """The canary instance's monitor with its cross check only: ``status``, ``side`` moved."""
    check = _check(
        "cross-source ratio",
        status,
        "total_insights_page_views",
        None,
        0.3 if status == "failed" else 1.2,
        {"min": 0.9, "max": 1.5},
        dataset="page_views",
        monitor=CANARY,
    )
    check.family = "cross_source"
    check.details = {"witness": "tracked_page_views.page_views", "side": side}
    return RunResult(CANARY, W, [check], scope="Sourcegraph (S2)")


def test_a_product_looking_drop_the_witness_agrees_with_stays_product_and_says_so() -> None:
    [incident] = _week(RunResult(ALL, W, [*_drop(), _reporting()]), _ratio("passed"))
    assert incident.class_ == "product"
    assert incident.class_evidence.endswith(
        "the canary instance (code-insights-canary) normal, and "
        "tracked_page_views.page_views agreed with the pings."
    )


def test_a_week_whose_witness_disagrees_makes_a_product_looking_drop_pipeline() -> None:
    incidents = _week(RunResult(ALL, W, [*_drop(), _reporting()]), _ratio("failed"))
    by_cause = {i.cause: i for i in incidents}
    assert set(by_cause) == {None, "pings-outage"}
    assert by_cause["pings-outage"].class_ == "pipeline"
    drop = by_cause[None]
    assert drop.class_ == "pipeline"
    assert "tracked_page_views.page_views against the pings" in drop.class_evidence
