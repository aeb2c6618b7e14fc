"""``canary suite init``: a starter suite from a tile's fields that runs as written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from canary.checks.starter import starter_suite
from canary.cli import main
from canary.dashboards import catalog
from tests.conftest import AS_OF, REPO, write_config


def _by_check(suite: dict[str, Any], check: str) -> list[tuple[str, str]]:
    return sorted(
        (e["type"], json.dumps(e["kwargs"], sort_keys=True))
        for e in suite["expectations"]
        if e["meta"]["check"] == check
    )


@pytest.mark.parametrize("dataset", ["instance_usage", "usage_by_version", "page_views"])
def test_starter_types_keys_and_counters_match_the_hand_written_suite(dataset: str) -> None:
    bundled = json.loads((REPO / "expectations" / f"all_instances.{dataset}.json").read_text())
    starter = starter_suite(f"all_instances.{dataset}", catalog().tiles[dataset])
    for check in ("columns present", "latest week present", "type", "one row per key"):
        assert _by_check(starter, check) == _by_check(bundled, check), check
    assert _by_check(starter, "non-negative") == _by_check(bundled, "non-negative")


def _config(tmp_path: Path) -> Path:
    config = write_config(tmp_path)
    raw = yaml.safe_load(config.read_text())
    raw["expectations_dir"] = str(tmp_path / "expectations")
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    return config


def test_written_suites_run_and_catch_a_duplicate_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    monitor = "code-insights-canary"
    (tmp_path / "expectations").mkdir()  # canary's own history suite is not needed here
    for dataset in ("instances_reporting", "page_views", "creators", "instance_usage"):
        assert main(["suite", "init", monitor, dataset, "--config", str(config)]) == 0
    assert "wrote" in capsys.readouterr().out
    out = tmp_path / "out.json"
    args = ["run", "--config", str(config), "--monitor", monitor, "--quiet", "--json", str(out)]
    code = main([*args, "--as-of", AS_OF.isoformat(), "--scenario", "double-count"])
    failed = {
        (c["dataset"], c["check"])
        for c in json.loads(out.read_text())["runs"][0]["checks"]
        if c["status"] == "failed"
    }
    assert code == 1 and ("instance_usage", "one row per key") in failed


def test_an_existing_suite_is_kept_and_unknown_names_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    argv = ["suite", "init", "code-insights-canary", "creators", "--config", str(config)]
    assert main(argv) == 0
    assert main(argv) == 2 and "--force" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
    assert main(["suite", "init", "code-insights-canary", "nope", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "dataset 'nope'" in err and "instance_usage" in err


def test_a_missing_suite_names_the_command_and_init_without_dataset_writes_every_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    monitor = "code-insights-canary"
    suites = tmp_path / "expectations"
    suites.mkdir()
    out = tmp_path / "out.json"
    args = ["run", "--config", str(config), "--monitor", monitor, "--quiet", "--json", str(out)]
    assert main([*args, "--as-of", AS_OF.isoformat(), "--scenario", "object-null"]) == 3
    reasons = {
        c["dataset"]: c["reason"]
        for c in json.loads(out.read_text())["runs"][0]["checks"]
        if c["check"] == "suite"
    }
    assert (
        "`canary suite init code-insights-canary creators` writes a starter suite"
        in (reasons["creators"])
    )

    edited = suites / "canary.creators.json"
    edited.write_text('{"expectations": []}\n')
    capsys.readouterr()
    assert main(["suite", "init", monitor, "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    datasets = (
        "instances_reporting",
        "page_views",
        "creators",
        "instance_usage",
        "tracked_page_views",
    )
    assert sorted(p.name for p in suites.glob("canary.*.json")) == sorted(
        f"canary.{d}.json" for d in datasets
    )
    assert edited.read_text() == '{"expectations": []}\n' and "kept" in printed
    assert main(["suite", "init", monitor, "--force", "--config", str(config)]) == 0
    assert json.loads(edited.read_text())["expectations"]
