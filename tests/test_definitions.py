"""Views, tiles and dashboards declared in the config: a new dashboard touches nothing in src/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from canary.cli import main
from tests.conftest import AS_OF, REPO

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
    (tmp_path / "expectations" / "history.json").write_text(
        (REPO / "expectations" / "history.json").read_text()
    )
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
