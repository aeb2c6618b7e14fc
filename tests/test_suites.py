"""The GE suites in expectations/: complete, named, loaded from files at run time."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from canary.checks.suites import load_suite, parameters_of
from canary.config import load_config
from canary.dashboards import catalog
from canary.errors import SuiteError
from tests.conftest import REPO

SUITES = sorted(p for p in (REPO / "expectations").glob("*.json") if p.stem != "history")


def test_every_monitor_dataset_has_a_suite() -> None:
    config = load_config(REPO / "canary.yaml", environ={})
    for monitor in config.monitors.values():
        for dataset in monitor.datasets:
            load_suite(config.expectations_dir, monitor.suite_for(dataset))


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.stem)
def test_suite_is_native_ge_with_named_checks(path: Path) -> None:
    import great_expectations as gx

    doc = load_suite(path.parent, path.stem)
    assert all(e["meta"]["check"] for e in doc["expectations"])
    gx.ExpectationSuite(name=doc["name"], expectations=doc["expectations"])
    dataset = path.stem.split(".", 1)[1]
    tile = catalog().tiles[dataset]
    present = next(e for e in doc["expectations"] if e["meta"]["check"] == "columns present")
    assert present["kwargs"]["column_set"] == tile.columns
    checks = {e["meta"]["check"] for e in doc["expectations"]}
    assert {"latest week present", "one row per key", "type", "non-negative"} <= checks


@pytest.mark.parametrize("prefix", ["all_instances", "canary"])
def test_snapshot_counters_are_checked_or_null_by_design(prefix: str) -> None:
    doc = load_suite(REPO / "expectations", f"{prefix}.instance_usage")
    allow = doc["meta"]["null_by_design"]
    assert all(reason.strip() for reason in allow.values())  # a reason beside every entry
    not_null = {
        e["kwargs"]["column"]
        for e in doc["expectations"]
        if e["type"] == "expect_column_values_to_not_be_null"
    }
    for field in catalog().tiles["instance_usage"].fields:
        if field.counter:
            assert (field.column in not_null) != (field.column in allow), field.column


def test_load_errors_name_the_file_and_place(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"expectations": [\n  {"type": }')
    with pytest.raises(SuiteError, match=r"broken.json: not valid JSON \(line 2"):
        load_suite(tmp_path, "broken")
    with pytest.raises(SuiteError, match="suite file not found"):
        load_suite(tmp_path, "absent")
    twin = {
        "expectations": [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "a"},
                "meta": {"check": "x"},
            },
            {
                "type": "expect_column_values_to_be_unique",
                "kwargs": {"column": "a"},
                "meta": {"check": "x"},
            },
        ]
    }
    (tmp_path / "twin.json").write_text(json.dumps(twin))
    with pytest.raises(
        SuiteError, match=r"expectations\[1\]: check 'x' on a repeats expectations\[0\]"
    ):
        load_suite(tmp_path, "twin")
    bad_param = {
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "a", "min_value": {"$PARAMETER": "a.b"}},
            }
        ]
    }
    (tmp_path / "param.json").write_text(json.dumps(bad_param))
    with pytest.raises(SuiteError, match="ASCII letters, digits and underscores"):
        load_suite(tmp_path, "param")


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"column_set": ["week", None]}, "kwargs.column_set must be a list of column names"),
        ({"column_set": ["week", -1.5]}, "kwargs.column_set must be a list of column names"),
        ({"column_list": "week"}, "kwargs.column_list must be a list of column names"),
        ({"column": 3}, "kwargs.column must be a column name"),
        ({"column_A": None, "column_B": "b"}, "kwargs.column_A must be a column name"),
    ],
)
def test_a_column_named_by_a_number_or_null_is_a_suite_error(
    tmp_path: Path, kwargs: dict[str, object], says: str
) -> None:
    """A suite listing a column as a number or null made the run crash (exit 4) writing
    the reason; it is a suite error naming the expectation and the kwarg (exit 3)."""
    doc = {"expectations": [{"type": "expect_table_columns_to_match_set", "kwargs": kwargs}]}
    (tmp_path / "cols.json").write_text(json.dumps(doc))
    with pytest.raises(SuiteError, match=rf"cols.json: expectations\[0\]: {says}"):
        load_suite(tmp_path, "cols")


def test_parameters_are_found_anywhere_in_kwargs() -> None:
    doc = {
        "expectations": [
            {
                "type": "t",
                "kwargs": {"min_value": {"$PARAMETER": "lo"}, "max_value": {"$PARAMETER": "hi"}},
            }
        ]
    }
    assert parameters_of(doc) == {"lo", "hi"}


def test_edited_suite_is_used_by_the_next_run_and_missing_parameters_skip(tmp_path: Path) -> None:
    from canary.cli import main
    from tests.conftest import write_config

    suites = tmp_path / "expectations"
    suites.mkdir()
    for path in (REPO / "expectations").glob("*.json"):
        (suites / path.name).write_text(path.read_text())
    config = write_config(tmp_path, expectations_dir=str(suites))
    args = [
        "run",
        "--config",
        str(config),
        "--as-of",
        "2026-11-28",
        "--quiet",
        "--monitor",
        "code-insights-canary",
        "--json",
        str(tmp_path / "out.json"),
    ]
    assert main(args) == 0
    target = suites / "canary.instances_reporting.json"
    doc = json.loads(target.read_text())
    doc["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "pings_received", "max_value": 0},
            "meta": {"check": "edited"},
        }
    )
    doc["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "pings_received", "min_value": {"$PARAMETER": "pings_low"}},
            "meta": {"check": "history bound"},
        }
    )
    target.write_text(json.dumps(doc))
    assert main(args) == 1
    out = json.loads((tmp_path / "out.json").read_text())
    by_check = {
        c["check"]: c for c in out["runs"][0]["checks"] if c["dataset"] == "instances_reporting"
    }
    assert by_check["edited"]["status"] == "failed"
    assert by_check["history bound"]["status"] == "skipped"
    assert "pings_low" in by_check["history bound"]["reason"]


def test_history_suite_judges_observed_against_its_range() -> None:
    doc = load_suite(REPO / "src" / "canary" / "anomaly", "history")
    pairs = {(e["kwargs"]["column_A"], e["kwargs"]["column_B"]) for e in doc["expectations"]}
    assert pairs == {("observed", "lower"), ("upper", "observed")}


@pytest.mark.integration
def test_unknown_expectation_type_is_an_error_check_and_a_run_error_alert(
    tmp_path: Path, sample_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GE would log a traceback, drop the expectation and let the run pass (exit 0)."""
    from canary.cli import main
    from canary.report.json_result import validate
    from tests.conftest import AS_OF, repo_monitor, write_config

    suites = tmp_path / "expectations"
    shutil.copytree(REPO / "expectations", suites)
    path = suites / "canary.page_views.json"
    doc = json.loads(path.read_text())
    doc["expectations"].append(
        {
            "type": "expect_column_values_to_be_nul",
            "kwargs": {"column": "total_insights_page_views"},
            "meta": {"check": "page views null"},
        }
    )
    path.write_text(json.dumps(doc))
    history = load_suite(REPO / "src" / "canary" / "anomaly", "history")  # a team's own copy
    history["expectations"].append(
        {"type": "expect_column_max_to_be_betwen", "kwargs": {"column": "observed"}}
    )
    (suites / "history.json").write_text(json.dumps(history))
    monitor = repo_monitor("code-insights-canary")
    config = write_config(
        tmp_path,
        expectations_dir=str(suites),
        monitors={"code-insights-canary": {**monitor, "datasets": {"page_views": {}}}},
    )
    out = tmp_path / "out.json"
    code = main(["run", "--config", str(config), "--json", str(out), "--as-of", AS_OF.isoformat()])
    printed = capsys.readouterr()
    assert code == 3, printed
    assert "Traceback" not in printed.out + printed.err
    result = json.loads(out.read_text())
    validate(result)
    error, history_error = sorted(
        (c for c in result["runs"][0]["checks"] if c["status"] == "error"),
        key=lambda c: c["check"] != "page views null",
    )
    assert history_error["dataset"] == "page_views"  # the history suite is checked alike
    assert "history checks could not run" in history_error["reason"]
    assert "unknown expectation type 'expect_column_max_to_be_betwen'" in history_error["reason"]
    assert error["check"] == "page views null" and error["dataset"] == "page_views"
    assert "canary.page_views.json" in error["reason"] and "expectations[" in error["reason"]
    assert "unknown expectation type 'expect_column_values_to_be_nul'" in error["reason"]
    assert "did you mean 'expect_column_values_to_be_null'" in error["reason"]
    passed = [c for c in result["runs"][0]["checks"] if c["status"] == "passed"]
    assert len(passed) > 10  # the suite's other checks still ran
    [alert] = (sample_data_dir / "outbox").glob("*.md")  # no Slack configured: the file outbox
    assert (
        "page views null" in alert.read_text() and "unknown expectation type" in alert.read_text()
    )


PLACEHOLDER = re.compile(r"\bNone\b|\bnan\b|\bNaN\b|(?<!\w)\?(?!\w)(?<!upstream\?)")


def test_check_on_an_absent_column_fails_saying_so_in_one_sentence() -> None:
    """GE's verdicts on a missing column read "null on ? (None rows)"; they say what is gone."""
    from datetime import date

    import pandas as pd

    from canary.checks.validate import GreatExpectations, to_check

    batch = pd.DataFrame({"week": pd.to_datetime(["2026-11-16"] * 2), "siteId": [1, 2]})
    kinds = [
        ("expect_column_values_to_not_be_null", {"column": "site_id"}),
        ("expect_column_values_to_be_unique", {"column": "site_id"}),
        ("expect_compound_columns_to_be_unique", {"column_list": ["site_id", "week"]}),
        ("expect_column_values_to_be_between", {"column": "views", "min_value": 0}),
        ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A": "a", "column_B": "b"}),
    ]
    suite = {
        "name": "t",
        "expectations": [
            {"type": t, "kwargs": k, "meta": {"check": f"c{i}"}} for i, (t, k) in enumerate(kinds)
        ],
    }
    raw = GreatExpectations().run(suite, batch, {}, "SUMMARY")
    checks = [
        to_check(
            r,
            monitor="m",
            dataset="instance_usage",
            week=date(2026, 11, 16),
            columns=list(batch.columns),
            batch=batch,
            key_columns=["site_id"],
            personal_columns=set(),
        )
        for r in raw
    ]
    assert [c.status for c in checks] == ["failed"] * len(kinds)
    assert checks[0].reason == (
        "instance_usage, week 2026-11-16: column site_id is missing from instance_usage; the "
        "pull has siteId instead (renamed upstream?); restore it in the source or update the suite."
    )
    assert "columns a, b are missing" in checks[4].reason
    assert checks[3].observed == {"missing_columns": ["views"]}
    assert not [c.reason for c in checks if PLACEHOLDER.search(c.reason)]


@pytest.mark.parametrize(
    "kind",
    [
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_be_in_type_list",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_unique",
        "expect_column_pair_values_to_be_equal",
        "expect_column_values_to_be_in_set",
        "expect_column_mean_to_be_between",
    ],
)
@pytest.mark.parametrize(
    "result",
    [{}, {"observed_value": None}, {"observed_value": float("nan"), "unexpected_count": None}],
)
def test_no_reason_shows_a_none_or_nan_placeholder(kind: str, result: dict[str, object]) -> None:
    from canary.checks.reasons import reason

    kwargs = {"column": "site_id", "column_A": "a", "column_B": "b", "min_value": 1}
    text = reason(kind, kwargs, result, False, "instance_usage, week 2026-11-16")
    assert not PLACEHOLDER.search(text), text


def test_prepared_context_is_made_off_the_calling_thread_and_then_used() -> None:
    """``prepare`` imports GE and makes its context in a background thread; a validation
    after it waits for that thread and uses its context."""
    import threading

    import pandas as pd

    from canary.checks.validate import GreatExpectations

    ge = GreatExpectations()
    made_in: list[str] = []
    start = ge._start

    def start_and_note() -> None:
        made_in.append(threading.current_thread().name)
        start()

    ge._start = start_and_note  # type: ignore[method-assign]
    ge.prepare()
    ge.prepare()  # once is enough
    suite = {
        "name": "t",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "n", "min_value": 0},
            }
        ],
    }
    raw = ge.run(suite, pd.DataFrame({"n": [1, -1]}), {}, "BASIC")
    assert made_in == ["canary-ge-import"]
    assert [r.success for r in raw] == [False]


@pytest.mark.parametrize(
    ("bound", "says"),
    [
        ('{"column": "a", "min_value": NaN}', "kwargs.min_value is NaN"),
        ('{"column": "a", "max_value": -Infinity}', "kwargs.max_value is -Infinity"),
        ('{"column": "a", "value_set": [1, Infinity]}', r"kwargs.value_set\[1\] is Infinity"),
    ],
)
def test_a_nan_or_infinite_bound_is_a_suite_error(tmp_path: Path, bound: str, says: str) -> None:
    """No value compares with NaN: the check used to fail the data and open an incident."""
    ok = '{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}'
    bad = f'{{"type": "expect_column_values_to_be_between", "kwargs": {bound}}}'
    (tmp_path / "nan.json").write_text(f'{{"expectations": [{ok}, {bad}]}}')
    with pytest.raises(SuiteError, match=rf"nan.json: expectations\[1\]: {says}; write a finite"):
        load_suite(tmp_path, "nan")


def _suites_copy(tmp_path: Path) -> Path:
    suites = tmp_path / "expectations"
    suites.mkdir()
    for path in (REPO / "expectations").glob("*.json"):
        (suites / path.name).write_text(path.read_text())
    return suites


def _run_canary(tmp_path: Path, suites: Path) -> tuple[int, dict[str, object]]:
    from canary.cli import main
    from tests.conftest import write_config

    config = write_config(tmp_path, expectations_dir=str(suites))
    out = tmp_path / "out.json"
    args = ["run", "--config", str(config), "--as-of", "2026-11-28", "--quiet", "--json"]
    code = main([*args, str(out), "--monitor", "code-insights-canary"])
    return code, json.loads(out.read_text())


def test_a_nan_bound_in_a_suite_fails_the_run_as_a_suite_error(
    tmp_path: Path, sample_data_dir: Path
) -> None:
    suites = _suites_copy(tmp_path)
    target = suites / "canary.page_views.json"
    target.write_text(target.read_text().replace('"min_value": 0', '"min_value": NaN', 1))
    assert "NaN" in target.read_text()
    code, doc = _run_canary(tmp_path, suites)
    assert code == 3
    text = json.dumps(doc)
    assert "canary.page_views.json: expectations[" in text and "is NaN" in text


def test_a_suite_with_no_expectations_is_a_warning_that_nothing_is_checked(
    tmp_path: Path, sample_data_dir: Path
) -> None:
    suites = _suites_copy(tmp_path)
    (suites / "canary.creators.json").write_text('{"expectations": []}\n')
    code, doc = _run_canary(tmp_path, suites)
    assert code == 0
    (run,) = doc["runs"]  # type: ignore[attr-defined]
    (warning,) = [c for c in run["checks"] if c["status"] == "warning"]
    assert warning["dataset"] == "creators" and warning["check"] == "empty suite"
    assert "(canary.creators.json) has no expectations" in warning["reason"]


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"min_value": 5, "max_value": 1}, "kwargs.min_value 5 is above kwargs.max_value 1"),
        ({"regex": "(["}, r"kwargs.regex is not a valid regex \(unterminated"),
        ({"regex_list": ["a", "(x"]}, r"kwargs.regex_list\[1\] is not a valid regex"),
    ],
)
def test_bounds_no_value_meets_and_bad_regexes_name_the_file_and_index(
    tmp_path: Path, kwargs: dict[str, object], says: str
) -> None:
    doc = {
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}},
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "a", **kwargs}},
        ]
    }
    (tmp_path / "odd.json").write_text(json.dumps(doc))
    with pytest.raises(SuiteError, match=rf"odd.json: expectations\[1\]: {says}"):
        load_suite(tmp_path, "odd")


def test_a_mostly_above_one_says_only_that() -> None:
    """``mostly`` may also be a suite parameter: its "not a valid dict" was noise."""
    from canary.checks.validate import GreatExpectations

    bad = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a", "mostly": 2}}
    assert GreatExpectations().unbuildable([bad]) == {
        0: "expect_column_values_to_not_be_null is not valid: mostly: ensure this value is "
        "less than or equal to 1.0"
    }
