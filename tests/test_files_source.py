"""The files source: exports of the dashboards' tiles as CSV or Parquet."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from canary.cli import main
from canary.config import load_config
from canary.dashboards import catalog
from canary.errors import ConfigError
from canary.report.json_result import validate
from canary.sample.warehouse import WarehouseSpec
from canary.sources.sample import SampleWarehouseSource, sample_spec
from canary.sources.sample_config import SampleSourceConfig
from tests.conftest import AS_OF, LATEST_WEEK, NOW, write_files_config

CANARY_DATASETS = ("instances_reporting", "page_views", "creators", "instance_usage")


def export_tiles(
    directory: Path, monitor: str, fmt: str = "csv", scenario: str | None = None
) -> Path:
    """Write the tiles of ``monitor``'s dashboard, as pulled from the sample (broken by
    ``scenario`` from the latest week on, if given), as files."""
    dashboard = catalog().dashboards["canary" if monitor.endswith("canary") else "all-instances"]
    sample = SampleWarehouseSource(
        directory / "warehouse",
        WarehouseSpec(sample_spec(SampleSourceConfig(kind="sample"), NOW), scenario, LATEST_WEEK),
        dashboard,
        timedelta(days=1),
    )
    directory.mkdir(parents=True, exist_ok=True)
    for tile in dashboard.tiles:
        frame = sample.sql().query(tile, (None, LATEST_WEEK)).frame  # every week, like an export
        if fmt == "csv":
            frame.to_csv(directory / f"{tile.dataset}.csv", index=False)
        else:
            frame.to_parquet(directory / f"{tile.dataset}.parquet", index=False)
    return directory


def files_config(tmp_path: Path, pattern: str) -> Path:
    return write_files_config(tmp_path, "code-insights-canary", CANARY_DATASETS, pattern)


def _run(config: Path, out: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(
        [
            "run",
            "--config",
            str(config),
            "--json",
            str(out),
            "--quiet",
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    doc = json.loads(out.read_text())
    validate(doc)
    return code, doc


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_exports_pass_like_the_sample(tmp_path: Path, fmt: str) -> None:
    export_tiles(tmp_path / "exports", "code-insights-canary", fmt)
    code, doc = _run(files_config(tmp_path, f"exports/{{name}}.{fmt}"), tmp_path / "out.json")
    assert code == 0, [c["reason"] for c in doc["runs"][0]["checks"] if c["status"] != "passed"]
    assert len(doc["runs"][0]["checks"]) > 50


def test_glob_collects_several_files(tmp_path: Path) -> None:
    exports = export_tiles(tmp_path / "exports", "code-insights-canary")
    frame = pd.read_csv(exports / "page_views.csv")
    (exports / "page_views.csv").unlink()
    frame.iloc[:50].to_csv(exports / "page_views-part1.csv", index=False)
    frame.iloc[50:].to_csv(exports / "page_views-part2.csv", index=False)
    pattern = "exports/{name}*.csv"
    code, doc = _run(files_config(tmp_path, pattern), tmp_path / "out.json")
    assert code == 0
    latest = next(
        c
        for c in doc["runs"][0]["checks"]
        if c["dataset"] == "page_views" and c["check"] == "latest week present"
    )
    assert latest["observed"] == 1  # the latest week lives in the second file only


def test_bad_value_is_an_error_naming_file_and_column(tmp_path: Path) -> None:
    exports = export_tiles(tmp_path / "exports", "code-insights-canary")
    frame = pd.read_csv(exports / "page_views.csv")
    frame.loc[3, "total_insights_page_views"] = "twelve"
    frame.to_csv(exports / "page_views.csv", index=False)
    code, doc = _run(files_config(tmp_path, "exports/{name}.csv"), tmp_path / "out.json")
    assert code == 3
    error = next(c for c in doc["runs"][0]["checks"] if c["status"] == "error")
    assert error["dataset"] == "page_views"
    assert "page_views.csv" in error["reason"] and "total_insights_page_views" in error["reason"]
    assert "'twelve'" in error["reason"]


def test_missing_column_fails_presence_and_its_checks(tmp_path: Path) -> None:
    exports = export_tiles(tmp_path / "exports", "code-insights-canary")
    frame = pd.read_csv(exports / "instance_usage.csv")
    frame.drop(columns="weekly_insights_page_views").to_csv(
        exports / "instance_usage.csv", index=False
    )
    code, doc = _run(files_config(tmp_path, "exports/{name}.csv"), tmp_path / "out.json")
    assert code == 1
    checks = [c for c in doc["runs"][0]["checks"] if c["dataset"] == "instance_usage"]
    present = next(c for c in checks if c["check"] == "columns present")
    assert present["status"] == "failed" and "weekly_insights_page_views" in present["reason"]
    named = [c for c in checks if "weekly_insights_page_views" in (c["column"] or "")]
    assert named and {c["status"] for c in named} == {"failed"}
    assert all(
        "column weekly_insights_page_views is missing from instance_usage" in c["reason"]
        for c in named
    )
    assert not [c for c in checks if c["status"] == "error"]


def test_only_the_weeks_a_pull_asks_for_leave_the_scan(tmp_path: Path) -> None:
    """A bad value in an old week of a snapshot export never reaches canary."""
    exports = export_tiles(tmp_path / "exports", "code-insights-canary")
    frame = pd.read_csv(exports / "instance_usage.csv", dtype=str)
    old = frame["week"] < (LATEST_WEEK - timedelta(weeks=4)).isoformat()
    frame.loc[old, "weekly_insights_page_views"] = "twelve"
    frame.to_csv(exports / "instance_usage.csv", index=False)
    code, doc = _run(files_config(tmp_path, "exports/{name}.csv"), tmp_path / "out.json")
    assert code == 0, [c["reason"] for c in doc["runs"][0]["checks"] if c["status"] != "passed"]


@pytest.mark.parametrize("dataset", ["instance_usage", "page_views"])
def test_an_export_of_only_its_header_fails_the_week_without_crashing(
    tmp_path: Path, dataset: str
) -> None:
    """A header and no rows (an export of an empty query) is a missing week: exit 1."""
    exports = export_tiles(tmp_path / "exports", "code-insights-canary")
    header = (exports / f"{dataset}.csv").read_text().splitlines()[0]
    (exports / f"{dataset}.csv").write_text(header + "\n")
    code, doc = _run(files_config(tmp_path, "exports/{name}.csv"), tmp_path / "out.json")
    assert code == 1
    latest = next(
        c
        for c in doc["runs"][0]["checks"]
        if c["dataset"] == dataset and c["check"] == "latest week present"
    )
    assert latest["status"] == "failed" and latest["observed"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--week", "1900-01-01"],
        ["run", "--as-of", "2020-01-01"],
        ["run", "--as-of", "2199-12-31"],
        [
            "backfill",
            "--monitor",
            "code-insights-canary",
            "--from",
            "2020-01-06",
            "--to",
            "2020-12-28",
        ],
    ],
)
def test_weeks_the_exports_do_not_hold_are_missing_weeks_not_crashes(
    tmp_path: Path, args: list[str]
) -> None:
    """No row of instance_usage (nor any tile) in the week under test or the one before: a
    run fails its week (exit 1), a backfill writes those weeks as they are (exit 0)."""
    export_tiles(tmp_path / "exports", "code-insights-canary")
    config = files_config(tmp_path, "exports/{name}.csv")
    extra = [] if "--as-of" in args else ["--as-of", AS_OF.isoformat()]
    code = main([args[0], "--config", str(config), *args[1:], *extra])
    assert code == (0 if args[0] == "backfill" else 1)


def test_duckdb_out_of_its_memory_limit_names_the_key_to_raise(tmp_path: Path) -> None:
    export_tiles(tmp_path / "exports", "code-insights-canary")
    config = write_files_config(
        tmp_path, "code-insights-canary", CANARY_DATASETS, "exports/{name}.csv"
    )
    raw = yaml.safe_load(config.read_text())
    raw["sources"]["exports"]["memory_limit"] = "1MB"
    config.write_text(yaml.safe_dump(raw))
    code, doc = _run(config, tmp_path / "out.json")
    assert code == 3
    errors = [c for c in doc["runs"][0]["checks"] if c["status"] == "error"]
    assert errors
    reason = errors[0]["reason"]
    assert "Out of Memory" in reason
    assert "raise sources.exports.memory_limit (now 1MB)" in reason
    assert "Possible solutions" not in reason


@pytest.mark.parametrize("size", ["lots", "200", "-1MB", "2 parsecs"])
def test_a_memory_limit_that_is_not_a_size_is_refused(tmp_path: Path, size: str) -> None:
    config = files_config(tmp_path, "exports/{name}.csv")
    raw = yaml.safe_load(config.read_text())
    raw["sources"]["exports"]["memory_limit"] = size
    config.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"memory_limit.*not a size such as 200MB"):
        load_config(config)
