"""The weekly report from a real store filled by running the sample monitors, and
``canary report``: its files, its errors."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib.image import imread

from canary.alerts.week_runs import recorded_runs
from canary.checks.validate import GreatExpectations
from canary.cli import main
from canary.config import Config, load_config
from canary.errors import ConfigError
from canary.pipeline import RunOptions, plan
from canary.replay import backtest
from canary.results import RunResult
from canary.sample import scenarios
from canary.sample.generator import SampleSpec
from canary.store.db import Store
from canary.store.history import with_current
from canary.weekly.body import ReportBody
from canary.weekly.chart import report_figure
from canary.weekly.commands import _week, write_report
from canary.weekly.gather import report_for
from canary.weeks import WEEK
from tests.conftest import AS_OF, LATEST_WEEK, NOW, write_config

pytestmark = pytest.mark.integration
ALL = "code-insights-all-instances"
CANARY = "code-insights-canary"
#: a drill's week: three weeks before the sample's latest, as the digest goldens use
DRILL_WEEK = LATEST_WEEK - WEEK * 3
#: the share of page views left in the usage-drop week
DROP = 0.4


def _usage_drop(f: pd.DataFrame, w: date, s: SampleSpec, rng: np.random.Generator) -> pd.DataFrame:
    """Every instance views insights less from ``w`` on (instances reporting unchanged)."""
    after = f["week"] >= w
    for column in (scenarios.PAGE_VIEWS, scenarios.USAGE + "WeeklyInsightsUniquePageViews"):
        f.loc[after, column] = (f.loc[after, column] * DROP).round()
    return f


def usage_drop_slug(monkeypatch: pytest.MonkeyPatch) -> str:
    """The catalog's usage-drop scenario, or (until it has one) page views cut to 40%."""
    if "usage-drop" not in scenarios.SCENARIOS:
        drop = scenarios.Scenario("usage-drop", "page views cut broadly", _usage_drop)
        monkeypatch.setitem(scenarios.SCENARIOS, "usage-drop", drop)
    return "usage-drop"


def scenario_store(tmp: Path, slug: str | None) -> tuple[Config, Store, dict[str, RunResult]]:
    """Both sample monitors replayed at ``DRILL_WEEK`` (with scenario ``slug`` injected)
    into a store of their own; their runs by monitor."""
    config = load_config(write_config(tmp), environ={})
    store = Store(f"sqlite:///{config.data_dir / 'replay.db'}", home=config.data_dir)
    ge = GreatExpectations()
    runs: dict[str, RunResult] = {}
    for monitor in config.monitors:
        options = RunOptions(week=DRILL_WEEK, now=NOW, scenario=slug)
        (run,) = backtest(plan(config, monitor, options, config.data_dir), DRILL_WEEK, store, ge)
        runs[monitor] = run
    return config, store, runs


@pytest.fixture
def sample_run(config_path: Path, sample_data_dir: Path) -> Path:
    """The healthy sample's latest week run by both monitors into the config's store."""
    args = ["run", "--config", str(config_path), "--as-of", AS_OF.isoformat(), "--quiet"]
    assert main([*args, "--no-deliver"]) == 0
    return config_path


def check_files(body: ReportBody, out: Path, name: str, golden: Any) -> None:
    """The report's files as ``canary report`` writes them: markdown and Slack payload
    compared with ``tests/golden/report/NAME.*``, the chart one panel per series."""
    stem = f"{body.monitor}-{body.week.isoformat()}"
    golden(f"report/{name}.md", (out / f"{stem}.md").read_text())
    golden(f"report/{name}.slack.json", (out / f"{stem}-slack.json").read_text())
    png = (out / f"{stem}.png").read_bytes()
    image = imread(io.BytesIO(png), format="png")
    assert image.shape[1] == 1200 and image.shape[0] >= 300
    fig = report_figure(body)
    assert fig is not None
    assert [ax.get_title(loc="left") for ax in fig.axes] == [s.label for s in body.series]
    assert fig.axes and all(ax.lines for ax in fig.axes)  # each metric drawn
    text = (out / f"{stem}.md").read_text() + (out / f"{stem}-slack.json").read_text()
    assert "/tmp" not in text and "file://" not in text and str(out) not in text


def test_a_healthy_week_reads_as_normal_from_the_store(
    sample_run: Path, tmp_path: Path, golden: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(sample_run, environ={})
    store = Store(config.store_url({}), home=config.data_dir)
    try:
        (run,) = recorded_runs(store, config, LATEST_WEEK, [ALL])
        body = report_for(config, store, run)
    finally:
        store.close()
    assert body.lede == "A normal week: 9 of 9 numbers within their expected range"
    assert body.health is not None and body.health.incidents == []
    assert body.health.canary == "pipeline healthy: Sourcegraph (S2) reported normally"
    assert body.health.passed == body.health.total > 100
    views = next(h for h in body.headlines if h.column == "total_insights_page_views")
    assert views.standing == "within" and views.low is not None and views.low < views.value
    assert None not in (views.week_before, views.median_4w, views.year_ago)  # 104 weeks stored
    assert [s.label for s in body.series] == [
        "Instances reporting",
        "Insights page views",
        "Insight creators",
    ]
    chart = body.series[1]
    assert len(chart.weeks) == 16 and chart.weeks[-1] == LATEST_WEEK
    assert chart.values[-1] == views.value and None not in chart.values
    # only this week's run is recorded: the band is this week's alone
    assert chart.low[-1] == views.low and chart.low[:-1] == [None] * 15
    assert body.calendar == [] and body.links == [] and body.drill is None
    assert ReportBody.from_json(body.to_json()) == body
    capsys.readouterr()
    assert main(["report", "--config", str(sample_run), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert f"{ALL} week {LATEST_WEEK}" in printed and "-slack.json" in printed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"{ALL}-{LATEST_WEEK}-slack.json",
        f"{ALL}-{LATEST_WEEK}.md",
        f"{ALL}-{LATEST_WEEK}.png",
    ]
    check_files(body, tmp_path / "out", "healthy", golden)


def test_a_runs_own_metrics_stand_in_for_the_stored_ones(sample_run: Path) -> None:
    config = load_config(sample_run, environ={})
    store = Store(config.store_url({}), home=config.data_dir)
    try:
        (run,) = recorded_runs(store, config, LATEST_WEEK, [ALL])
        current = store.metric_history(ALL, "page_views", since=LATEST_WEEK)
        current["value"] = current["value"] * 2
        body = report_for(config, store, run, current=current)
        stored = store.metric_history(ALL, "page_views")
    finally:
        store.close()
    views = next(h for h in body.headlines if h.column == "total_insights_page_views")
    now = stored[(stored["week"] == LATEST_WEEK) & (stored["column_name"] == views.column)]
    assert views.value == 2 * float(now["value"].iloc[0])
    merged = with_current(stored, current)
    assert len(merged) == len(stored)  # replaced, not added


def test_a_pipeline_incident_makes_the_numbers_unreliable(tmp_path: Path, golden: Any) -> None:
    config, store, runs = scenario_store(tmp_path, "object-null")
    try:
        body = report_for(config, store, runs[ALL], others=[runs[CANARY]])
    finally:
        store.close()
    assert body.drill == "object-null"
    assert body.lede.startswith("Numbers unreliable this week: ")
    assert body.health is not None
    assert [t.cls for t in body.health.incidents] == ["pipeline"]
    assert body.health.canary.startswith("pipeline broken: the canary instance's monitor")
    write_report(body, tmp_path / "out")
    check_files(body, tmp_path / "out", "pipeline-incident", golden)


def test_a_usage_drop_is_told_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: Any
) -> None:
    config, store, runs = scenario_store(tmp_path, usage_drop_slug(monkeypatch))
    try:
        body = report_for(config, store, runs[ALL])  # the canary's run: as recorded
    finally:
        store.close()
    views = next(h for h in body.headlines if h.column == "total_insights_page_views")
    assert views.week_before and views.value / views.week_before < 0.7  # a broad cut
    assert body.lede.startswith("Usage changed this week"), body.lede
    assert body.movers and {m.metric for m in body.movers} == {"Insights page views"}
    assert all(m.value < m.before for m in body.movers)
    assert body.health is not None and body.health.canary is not None
    write_report(body, tmp_path / "out")
    check_files(body, tmp_path / "out", "usage-drop", golden)


def _report(config: Path, *extra: str) -> int:
    return main(["report", "--config", str(config), *extra])


def test_canary_report_errors_name_the_flag(
    sample_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["--monitor", "nope"], "--monitor nope: no such monitor"),
        (["--monitor", CANARY], f"monitor {CANARY} has no weekly report"),
        (["--week", "2020-01-06"], "--week 2020-01-06: no run of"),
        (["--out", str(sample_run)], "is a file, not a folder"),
        (["--out", str(sample_run / "sub")], "cannot write the report there (Not a directory)"),
        (["--out", "/proc/canary-report"], "cannot write the report there (No such file"),
    ]
    for args, message in cases:
        assert _report(sample_run, *args) == 2
        assert message in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    empty = write_config(tmp_path / "empty")
    assert _report(empty) == 2
    assert "no runs recorded yet: there is no store " in capsys.readouterr().err
    config = load_config(empty, environ={})
    assert not config.data_dir.exists()  # a preview never makes the store
    config.data_dir.mkdir()
    Store(config.store_url({})).close()
    assert _report(empty) == 2
    assert "no run is recorded" in capsys.readouterr().err


def test_a_week_not_recorded_says_which_are() -> None:
    with pytest.raises(ConfigError, match=r"recorded: 2024-12-09 to 2024-12-09, 1 week\)"):
        _week([{"week": date(2024, 12, 9)}], ALL, date(2020, 1, 6), "store.db")


def test_a_config_without_a_canary_instances_monitor_says_nothing_of_one(
    tmp_path: Path,
) -> None:
    from canary.weekly.gather import setup_of

    raw = yaml.safe_load(write_config(tmp_path).read_text())
    assert setup_of(load_config(write_config(tmp_path)), ALL).watches_canary
    alone = {ALL: raw["monitors"][ALL]}
    config = load_config(write_config(tmp_path, monitors=alone))
    assert not setup_of(config, ALL).watches_canary
