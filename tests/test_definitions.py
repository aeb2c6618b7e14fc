"""Views, tiles and dashboards declared in the config: a new dashboard touches nothing in src/."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from canary.cli import main
from canary.config import load_config
from canary.dashboards import catalog
from canary.incidents import incidents_of
from canary.pipeline import RunOptions, plan
from canary.results import CheckResult, RunResult
from canary.sources.sql.source import SqlSource
from tests.conftest import AS_OF, LATEST_WEEK, NOW, REPO

DEFINITIONS: dict[str, Any] = {
    "views": {
        "deployments": {
            "label": "Deployments",
            "dimensions": {
                "week": {"type": "date", "sql": "week"},
                "deploy_family": {
                    "type": "string",
                    "sql": "CASE WHEN deploy_type LIKE '%docker%' THEN 'docker' ELSE 'other' END",
                },
            },
            "measures": {
                "instances": {"type": "integer", "sql": "count(DISTINCT site_id)"},
                "creators": {"type": "integer", "sql": "sum(weekly_insight_creators)"},
            },
        }
    },
    "tiles": {
        "deploy_families": {
            "title": "Instances by deploy family",
            "shape": "series",
            "segments": ["deploy_family"],
            "fields": [
                "deployments.week",
                "deployments.deploy_family",
                "deployments.instances",
                "deployments.creators",
            ],
        }
    },
    "dashboards": {"ops": {"title": "Ops", "tiles": ["deploy_families", "creators"]}},
}


def _config(tmp_path: Path, sample_data_dir: Path, definitions: dict[str, Any]) -> Path:
    (tmp_path / "ops.yaml").write_text(yaml.safe_dump(definitions))
    (tmp_path / "expectations").mkdir(exist_ok=True)
    raw = {
        "version": 1,
        "data_dir": str(sample_data_dir),
        "expectations_dir": "expectations",
        "definitions": "ops.yaml",
        "sources": {
            "warehouse": {
                "kind": "sql",
                "url": f"duckdb:///{sample_data_dir / 'sample.duckdb'}",
                "tables": {"deployments": "weekly_pings"},
            }
        },
        "monitors": {
            "ops": {
                "source": "warehouse",
                "dashboard": "ops",
                "suite_prefix": "ops",
                "alerts": {"channel": "#ops"},
                "datasets": {"deploy_families": {}, "creators": {}},
            }
        },
    }
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_a_dashboard_declared_in_a_file_runs_with_starter_suites(
    tmp_path: Path, sample_data_dir: Path
) -> None:
    config = _config(tmp_path, sample_data_dir, DEFINITIONS)
    for dataset in ("deploy_families", "creators"):
        assert main(["suite", "init", "ops", dataset, "--config", str(config)]) == 0
    out = tmp_path / "out.json"
    code = main(
        [
            "run",
            "--config",
            str(config),
            "--quiet",
            "--json",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    doc = json.loads(out.read_text())
    checks = doc["runs"][0]["checks"]
    assert code == 0, [c["reason"] for c in checks if c["status"] not in ("passed", "skipped")]
    verdicts = {(c["dataset"], c["check"], c["column"], c["status"]) for c in checks}
    assert ("deploy_families", "one row per key", "week,deploy_family", "passed") in verdicts
    assert ("deploy_families", "non-negative", "instances", "passed") in verdicts


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["tiles"]["deploy_families"]["fields"].append("deployments.nope"),
            "tiles.deploy_families.fields: unknown field 'deployments.nope'",
        ),
        (
            lambda d: d["dashboards"]["ops"]["tiles"].append("nope"),
            "dashboards.ops.tiles: unknown tile nope",
        ),
        (
            lambda d: d["views"]["deployments"]["measures"]["instances"].update(type="count"),
            "views.deployments.measures.instances.type",
        ),
    ],
)
def test_bad_definitions_are_config_errors_naming_the_key(
    tmp_path: Path,
    sample_data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    change: Any,
    message: str,
) -> None:
    definitions = json.loads(json.dumps(DEFINITIONS))
    change(definitions)
    config = _config(tmp_path, sample_data_dir, definitions)
    assert main(["run", "--config", str(config), "--as-of", AS_OF.isoformat()]) == 2
    err = capsys.readouterr().err
    assert "ops.yaml" in err and message in err


def test_each_dataset_may_come_from_its_own_source(
    tmp_path: Path, sample_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Series tiles from CSV exports, the instance-level tile from the warehouse."""
    config = _config(tmp_path, sample_data_dir, DEFINITIONS)
    raw = yaml.safe_load(config.read_text())
    raw["definitions"] = None
    raw["expectations_dir"] = str(REPO / "expectations")
    exports = tmp_path / "exports"
    exports.mkdir()
    warehouse = f"duckdb:///{sample_data_dir / 'sample.duckdb'}"
    raw["sources"] = {
        "warehouse": {"kind": "sql", "url": warehouse},
        "exports": {"kind": "files", "datasets": {"creators": {"path": "exports/creators.csv"}}},
    }
    raw["monitors"] = {
        "code-insights-canary": {
            "source": "exports",
            "dashboard": "canary",
            "suite_prefix": "canary",
            "alerts": {"channel": "#code-insights-internal"},
            "datasets": {"creators": {}, "instance_usage": {"source": "warehouse"}},
        }
    }
    config.write_text(yaml.safe_dump(raw, sort_keys=False))

    board = catalog().dashboards["canary"]
    sql = SqlSource("w", warehouse, board, timedelta(days=1))
    sql.query(board.tile("creators"), (None, LATEST_WEEK)).frame.to_csv(
        exports / "creators.csv", index=False
    )
    out = tmp_path / "out.json"
    code = main(
        [
            "run",
            "--config",
            str(config),
            "--quiet",
            "--json",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    checks = json.loads(out.read_text())["runs"][0]["checks"]
    assert code == 0, [c["reason"] for c in checks if c["status"] not in ("passed", "skipped")]
    assert {c["dataset"] for c in checks} >= {"creators", "instance_usage"}
    p = plan(load_config(config), "code-insights-canary", RunOptions(now=NOW), tmp_path)
    assert type(p.source_of("creators")).__name__ == "FilesSource"
    assert type(p.source_of("instance_usage")).__name__ == "SqlSource"
    raw["monitors"]["code-insights-canary"]["datasets"]["instance_usage"]["source"] = "nowhere"
    config.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert main(["run", "--config", str(config), "--as-of", AS_OF.isoformat()]) == 2
    err = capsys.readouterr().err
    assert "monitors.code-insights-canary.datasets.instance_usage.source: 'nowhere'" in err


def test_incidents_read_the_tiles_a_config_declares(tmp_path: Path, sample_data_dir: Path) -> None:
    """A custom tile's measure over a pings field joins that field's family in incidents."""
    config = load_config(_config(tmp_path, sample_data_dir, DEFINITIONS))
    tile = config.catalog.tiles["deploy_families"]

    def drop(dataset: str, column: str) -> CheckResult:
        return CheckResult(
            "ops",
            dataset,
            "within usual range",
            "failed",
            "dropped",
            column=column,
            observed=0.0,
            expected={"min": 10.0, "max": 20.0},
            first_failed_week=LATEST_WEEK,
        )

    checks = [drop("deploy_families", "creators"), drop("creators", "total_insight_creators")]
    bare = RunResult("ops", LATEST_WEEK, checks)
    declared = RunResult("ops", LATEST_WEEK, checks, tiles={"deploy_families": tile})
    assert len(incidents_of([bare])) == 2  # "creators" means nothing to the bundled tiles
    (incident,) = incidents_of([declared])
    assert sorted(incident.check_ids) == sorted(c.id for c in checks)
