"""The Soda Core comparison's SodaCL: the bundled suites mirrored, what it cannot say listed."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from bench.peers import bundled_suites, counted, sodacl

from canary.dashboards import catalog
from canary.sources.sql.types import TYPE_EXPECTATIONS

WEEK = date(2026, 11, 16)


def _written() -> tuple[dict[str, Any], list[str]]:
    """The checks file as written and read back, and the expectations it leaves out."""
    checks, unmapped = sodacl(bundled_suites(), WEEK)
    return yaml.safe_load(yaml.safe_dump(checks, sort_keys=False)), unmapped


def test_every_dataset_is_checked_on_the_week_under_test_only() -> None:
    checks, _ = _written()
    datasets = {t.dataset for t in catalog().dashboards["all-instances"].tiles}
    assert set(bundled_suites()) == datasets
    for dataset in datasets:
        assert checks[f"filter {dataset} [week]"] == {"where": "week = DATE '2026-11-16'"}
        assert checks[f"checks for {dataset} [week]"]
        schema = checks[f"checks for {dataset}"][0]["schema"]["fail"]
        assert schema["when required column missing"][0] == "week"


def test_each_expectation_is_a_check_or_listed_as_not_said() -> None:
    checks, unmapped = _written()
    per_dataset = counted(checks)
    for dataset, suite in bundled_suites().items():
        kinds = [e["type"] for e in suite["expectations"]]
        not_said = [u for u in unmapped if u.startswith(f"{dataset}: ")]
        assert per_dataset[dataset] + len(not_said) == len(kinds)
        # the type checks, whose warehouse names SodaCL's schema check would need exactly
        assert len(not_said) == sum(k in TYPE_EXPECTATIONS for k in kinds)
    assert "instance_usage: expect_column_values_to_be_of_type (total_dashboard_count)" in unmapped


def test_the_checks_say_what_the_suites_say() -> None:
    checks, _ = _written()
    usage = {next(iter(c)): c[next(iter(c))] for c in checks["checks for instance_usage [week]"]}
    assert usage["duplicate_count(site_id, week) = 0"]["name"] == "one row per key"
    assert "missing_count(site_id) = 0" in usage
    # mostly 0.8: a fifth of the rows may be null
    assert "missing_percent(weekly_insight_creators) <= 20%" in usage
    assert usage["invalid_count(total_dashboard_count) = 0"]["valid min"] == 0
    label = usage["instance_label_contains_set = 1"]["instance_label_contains_set expression"]
    assert "IN ('Sourcegraph (S2)')" in label
    block = checks["checks for instance_usage [week]"]
    pairs = [c["failed rows"]["fail condition"] for c in block if "failed rows" in c]
    assert pairs == [
        "weekly_insights_page_views < weekly_insights_unique_page_views",
        "weekly_insight_creators < weekly_first_time_insight_creators",
        "total_dashboard_count < total_orgs_with_dashboard",
    ]
    deploy = checks["checks for usage_by_deploy_type [week]"]
    known = next(
        c["invalid_count(deploy_type)"] for c in deploy if "invalid_count(deploy_type)" in c
    )
    assert known["warn"] == "when != 0"  # a warning in the suite warns in Soda too
    assert "kubernetes" in known["valid values"]
    reporting = checks["checks for instances_reporting [week]"]
    minimums = [c[k]["valid min"] for c in reporting for k in c if k.startswith("invalid_count")]
    assert minimums == [0, 0, 0, 1]
    one_ping = next(c["failed rows"] for c in reporting if "failed rows" in c)
    assert one_ping["name"] == "one ping per instance"
    assert one_ping["fail condition"].startswith("pings_received <> instances_reporting OR")


def test_an_expectation_sodacl_cannot_say_is_listed() -> None:
    suites = {
        "t": {
            "expectations": [
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "n", "min_value": 0, "mostly": 0.9},
                },
                {
                    "type": "expect_column_median_to_be_between",
                    "kwargs": {"column": "n", "min_value": 1},
                },
                {
                    "type": "expect_table_columns_to_match_set",
                    "kwargs": {"column_set": ["n"], "exact_match": True},
                },
                {
                    "type": "expect_table_row_count_to_be_between",
                    "kwargs": {"min_value": 1, "max_value": 9},
                },
            ]
        }
    }
    checks, unmapped = sodacl(suites, WEEK)
    assert unmapped == [
        "t: expect_column_values_to_be_between (n)",
        "t: expect_column_median_to_be_between (n)",
        "t: expect_table_columns_to_match_set",
    ]
    assert checks["checks for t [week]"] == [
        {"row_count between 1 and 9": {"name": "expect_table_row_count_to_be_between"}}
    ]
    assert "checks for t" not in checks
