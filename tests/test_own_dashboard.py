"""A team's own dashboard, declared only in config with field names unlike the bundled ones,
gets its suites from ``canary suite init`` and the right causes for catalog breakages: the
incident rules read check families and field roles, not names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from canary.checks.validate import GreatExpectations
from canary.cli import main
from canary.config import load_config
from canary.incidents import incidents_of
from canary.pipeline import RunOptions, plan
from canary.replay import backtest
from canary.results import RunResult
from canary.store.db import Store
from canary.weeks import WEEK
from tests.conftest import LATEST_WEEK, NOW, write_config

MONITOR = "team-usage"
#: The team's counters, read from the raw pings' usage object under their own names.
COUNTERS = {
    "pv_week": "WeeklyInsightsPageViews",
    "uniq_pv_wk": "WeeklyInsightsUniquePageViews",
    "creators_wk": "WeeklyInsightCreators",
    "new_creators_wk": "WeeklyFirstTimeInsightCreators",
    "board_clicks_wk": "WeeklyStandaloneDashboardClicks",
}
BUILD = r"coalesce(nullif(regexp_extract(version, '^v?(\d{1,2}\.\d+)\.', 1), ''), 'other')"


def _definitions() -> dict[str, Any]:
    usage = {
        name: {
            "type": "integer",
            "sql": f"TRY_CAST(json_extract_string(code_insights_usage, '$.{key}') AS BIGINT)",
            "counter": True,
        }
        for name, key in COUNTERS.items()
    }
    return {
        "views": {
            "pings": {
                "dimensions": {
                    "week": {"type": "date", "sql": "week"},
                    "site_id": {"type": "string", "sql": "site_id"},
                    "build": {"type": "string", "sql": BUILD, "role": "version", "churns": True},
                    **usage,
                },
                "measures": {
                    "sites": {"type": "integer", "sql": "count(DISTINCT site_id)"},
                    "pings_n": {"type": "integer", "sql": "count(*)"},
                },
            }
        },
        "tiles": {
            "site_usage": {
                "title": "Usage per site",
                "shape": "snapshot",
                "key": ["site_id", "week"],
                "segments": ["build"],
                "fields": ["pings.week", "pings.site_id", "pings.build"]
                + [f"pings.{n}" for n in COUNTERS],
            },
            "sites_weekly": {
                "title": "Sites reporting",
                "shape": "series",
                "fields": ["pings.week", "pings.sites", "pings.pings_n"],
            },
        },
        "dashboards": {"team": {"title": "Team usage", "tiles": ["site_usage", "sites_weekly"]}},
    }


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The team's config: its dashboard in a definitions file, its suites from suite init."""
    root = tmp_path_factory.mktemp("team")
    (root / "defs.yaml").write_text(yaml.safe_dump(_definitions(), sort_keys=False))
    (root / "expectations").mkdir()
    config = write_config(
        root,
        expectations_dir=str(root / "expectations"),
        definitions="defs.yaml",
        monitors={
            MONITOR: {
                "source": "sample",
                "dashboard": "team",
                "suite_prefix": "team",
                "alerts": {"channel": "#team-data"},
                "datasets": {"site_usage": {}, "sites_weekly": {}},
            }
        },
    )
    assert main(["suite", "init", MONITOR, "--config", str(config)]) == 0
    for path in (root / "expectations").glob("team.*.json"):  # the team's own check names
        suite = json.loads(path.read_text())
        for expectation in suite["expectations"]:
            expectation["meta"]["check"] = "team: " + expectation["meta"]["check"]
        path.write_text(json.dumps(suite, indent=2))
    return config


def test_suite_init_tags_each_check_with_its_family_and_field_role(team: Path) -> None:
    suite = json.loads((team.parent / "expectations" / "team.site_usage.json").read_text())
    tags = {
        (e["meta"]["check"].removeprefix("team: "), e["kwargs"].get("column")): (
            e["meta"]["family"],
            e["meta"].get("field_role"),
        )
        for e in suite["expectations"]
    }
    assert tags[("usage reported", "pv_week")] == ("not_null", "counter")
    assert tags[("type", "build")] == ("type", "version")
    assert tags[("not null", "site_id")] == ("not_null", "key")
    assert tags[("one row per key", None)] == ("rows_per_key", "key")


@pytest.mark.integration
@pytest.mark.parametrize("slug", ["object-null", "double-count", "version-field-drop"])
def test_breakages_on_the_teams_dashboard_get_their_causes(team: Path, slug: str) -> None:
    config = load_config(team, environ={})
    week = LATEST_WEEK - WEEK * 3
    store = Store(f"sqlite:///{config.data_dir / f'{slug}.db'}", home=config.data_dir)
    options = RunOptions(week=week, now=NOW, scenario=slug)
    runs: list[RunResult] = backtest(
        plan(config, MONITOR, options, config.data_dir), week, store, GreatExpectations()
    )
    store.close()
    incidents = incidents_of(runs)
    assert [(i.cause, i.class_) for i in incidents] == [(slug, "pipeline")], [
        (i.cause, i.headline) for i in incidents
    ]
