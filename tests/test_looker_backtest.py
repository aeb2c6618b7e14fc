"""``canary backtest`` over Looker: sources travel to the worker processes and every
replayed week is pulled through the real looker-sdk from the stand-in."""

from __future__ import annotations

import json
import pickle
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from canary.cli import main
from canary.config import load_config
from canary.pipeline import RunOptions, plan, pull_dataset
from canary.replay import default_workers
from canary.sample.warehouse import FILE_NAME
from tests.conftest import AS_OF, LATEST_WEEK, NOW
from tests.looker_fake import looker_config, serving

pytestmark = pytest.mark.integration
MONITOR = "code-insights-canary"


def test_a_source_that_has_pulled_still_pickles(
    shared_sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(shared_sample / FILE_NAME, monkeypatch) as fake:
        config = load_config(looker_config(tmp_path, fake.base_url, [MONITOR]))
        p = plan(config, MONITOR, RunOptions(now=NOW), tmp_path)
        first = pull_dataset(p, "instance_usage")  # the dashboard is read and kept
        copy = pickle.loads(pickle.dumps(p))
        again = pull_dataset(copy, "instance_usage")
        pd.testing.assert_frame_equal(again.batch(), first.batch())
        pd.testing.assert_frame_equal(again.metrics, first.metrics)
        assert len([path for _, path, _ in fake.log if "/dashboards/" in path]) == 1


def test_backtest_over_looker_replays_every_week(
    shared_sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    start = LATEST_WEEK - timedelta(weeks=4)
    out = tmp_path / "backtest.json"
    with serving(shared_sample / FILE_NAME, monkeypatch) as fake:
        config = looker_config(tmp_path, fake.base_url, [MONITOR])
        code = main(
            [
                "backtest",
                "--config",
                str(config),
                "--monitor",
                MONITOR,
                "--from",
                start.isoformat(),
                "--to",
                LATEST_WEEK.isoformat(),
                "--as-of",
                AS_OF.isoformat(),
                "--json",
                str(out),
            ]
        )
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    doc = json.loads(out.read_text())
    weeks = [(start + timedelta(weeks=i)).isoformat() for i in range(5)]
    assert [r["week"] for r in doc["runs"]] == weeks
    errors = [c["reason"] for r in doc["runs"] for c in r["checks"] if c["status"] == "error"]
    assert errors == []
    monitored = set(load_config(config).monitors[MONITOR].datasets)
    for run in doc["runs"]:  # every dataset of every week was pulled and checked
        assert {c["dataset"] for c in run["checks"] if c["status"] == "passed"} == monitored
    assert default_workers() == 0 or fake.logins > 1  # the workers logged in for themselves
