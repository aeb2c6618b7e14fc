"""End to end: both monitors switched to Looker by config alone, the real looker-sdk talking
HTTP to the stand-in, get the verdicts the sample source gets, healthy and broken."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from canary.checks.validate import GreatExpectations
from canary.cli import main
from canary.config import load_config
from canary.pipeline import RunOptions, plan, run_monitor
from canary.report.json_result import document, validate
from canary.results import RunResult
from canary.sample.warehouse import FILE_NAME, WarehouseSpec, ensure
from canary.sources.sample import sample_spec
from canary.sources.sample_config import SampleSourceConfig
from canary.store.db import Store
from tests.conftest import AS_OF, NOW, repo_monitor, write_config
from tests.looker_fake import LOOKER_SOURCE_OF, looker_config, serving, shared_ge

pytestmark = pytest.mark.integration
CANARY = "code-insights-canary"  # every catalog scenario fails it, and it runs fast
MERGED_NOTE = "merged-result tiles are not supported and were skipped"


@pytest.fixture
def ge() -> GreatExpectations:
    return shared_ge()


def run_all(config_path: Path, ge: GreatExpectations, options: RunOptions) -> list[RunResult]:
    config = load_config(config_path)
    store = Store(config.store_url({}))
    try:
        return [
            run_monitor(plan(config, name, options, config_path.parent), store, ge)
            for name in config.monitors
        ]
    finally:
        store.close()


def verdicts(doc: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Check id -> what was judged and how, leaving out Looker's own source warnings."""
    return {
        # where GE ran in the warehouse (the sample, in DuckDB) a type is observed as the
        # warehouse names it, and a set's presence is judged by a query of canary's own that
        # observes no values; on pulled rows (Looker's), a dtype and the values GE saw. A
        # passed check on a week of no rows is observed as zero counts in the warehouse
        c["id"]: (
            r["monitor"],
            c["dataset"],
            c["check"],
            c["column"],
            c["status"],
            None
            if c["check"] in ("type", "canary present") or c["status"] == "passed"
            else c["observed"],
        )
        for r in doc["runs"]
        for c in r["checks"]
        if c["check"] != "source warning"
    }


def merged_notes(doc: dict[str, Any]) -> list[str]:
    return [
        r["monitor"]
        for r in doc["runs"]
        for c in r["checks"]
        if c["check"] == "source warning" and MERGED_NOTE in c["reason"]
    ]


def sample_reference(
    directory: Path, ge: GreatExpectations, scenario: str | None, monitors: list[str]
) -> dict[str, Any]:
    config = write_config(directory, monitors={m: repo_monitor(m) for m in monitors})
    return document(run_all(config, ge, RunOptions(now=NOW, scenario=scenario)))


def test_healthy_week_matches_the_sample_source(
    shared_sample: Path,
    tmp_path: Path,
    ge: GreatExpectations,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ref_dir = tmp_path / "sample"
    (ref_dir / ".canary").mkdir(parents=True)
    shutil.copy(shared_sample / FILE_NAME, ref_dir / ".canary" / FILE_NAME)
    expected = sample_reference(ref_dir, ge, None, list(LOOKER_SOURCE_OF))
    assert {r["status"] for r in expected["runs"]} == {"passed"}

    looker_dir = tmp_path / "looker"
    looker_dir.mkdir()
    with serving(shared_sample / FILE_NAME, monkeypatch) as fake:
        got = document(run_all(looker_config(looker_dir, fake.base_url), ge, RunOptions(now=NOW)))
        assert fake.logins == 1  # one login for both monitors, the token reused
    validate(got)
    assert verdicts(got) == verdicts(expected)
    assert sorted(merged_notes(got)) == ["code-insights-all-instances", "code-insights-canary"]


@pytest.mark.parametrize("scenario", ["object-null", "canary-silent", "schema-rename"])
def test_broken_weeks_match_the_sample_source(
    scenario: str, tmp_path: Path, ge: GreatExpectations, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref_dir = tmp_path / "sample"
    spec = WarehouseSpec(sample_spec(SampleSourceConfig(kind="sample"), NOW), scenario)
    warehouse = ensure(ref_dir / ".canary", spec)
    expected = sample_reference(ref_dir, ge, scenario, [CANARY])
    assert "failed" in {r["status"] for r in expected["runs"]}

    looker_dir = tmp_path / "looker"
    looker_dir.mkdir()
    with serving(warehouse, monkeypatch) as fake:
        config = looker_config(looker_dir, fake.base_url, [CANARY])
        got = document(run_all(config, ge, RunOptions(now=NOW)))
    validate(got)
    assert verdicts(got) == verdicts(expected)
    assert [r["status"] for r in got["runs"]] == ["failed"]
    assert any(v[4] == "failed" for v in verdicts(got).values())


def test_canary_run_logs_out_of_looker_once_after_the_last_pull(
    shared_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(shared_sample / FILE_NAME, monkeypatch) as fake:
        config = looker_config(tmp_path, fake.base_url)
        run = ["run", "--config", str(config), "--as-of", AS_OF.isoformat(), "--quiet"]
        assert main([*run, "--no-deliver"]) in (0, 1)
        with fake.lock:
            log = list(fake.log)
            logins, logouts = fake.logins, fake.logouts
    assert (logins, logouts) == (1, 1)
    assert log[-1][:2] == ("DELETE", "/api/4.0/logout") and log[-1][2] == 204
    assert sum("/run/" in path for _, path, _ in log) >= 2  # both monitors pulled first
