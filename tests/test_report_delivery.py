"""The weekly usage report delivered like the alerts: the real slack_sdk against the Slack
stand-in, the file outbox, notification blocks; product changes to the report's channel."""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from rich.console import Console

from canary.alerts.deliver import deliver
from canary.alerts.notices import report_notices
from canary.alerts.outbox import records
from canary.alerts.outbox.records import Entry
from canary.alerts.render.payload import notification, payload
from canary.alerts.report_delivery import chart_name, post_key, report_ops
from canary.alerts.routing import channel_for, channels
from canary.alerts.week_runs import recorded_runs
from canary.cli import main
from canary.config import Config, load_config
from canary.results import CheckResult, RunResult
from canary.store.db import Store
from canary.weekly.body import ChartSeries, ReportBody
from canary.weeks import WEEK
from tests.alert_builders import make_config
from tests.conftest import AS_OF, LATEST_WEEK, NOW
from tests.slack_fake import ENV, TOKEN, SlackFake
from tests.test_incident_class import _canary, _drop, _reporting
from tests.test_incidents import _check

REPORTS, INTERNAL = "C0000ALERTS", "C0000INTERN"  # #code-insights, #code-insights-internal
ALL, CANARY = "code-insights-all-instances", "code-insights-canary"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _day(week: date) -> str:
    """A week as the report names it: "16 Nov 2026"."""
    return f"{week.day} {week:%b %Y}"


def _keys(messages: list[dict[str, Any]]) -> list[str]:
    return [m["metadata"]["event_payload"]["key"] for m in messages if m.get("metadata")]


def _texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks")) + (message.get("text") or "")


def _report_posts(slack: SlackFake, cid: str) -> list[dict[str, Any]]:
    """The top-level messages of ``cid`` that are weekly reports (by their key)."""
    weeks = {post_key(ALL, LATEST_WEEK - WEEK * k, "#code-insights") for k in range(8)}
    return [m for m in slack.top_level(cid) if _keys([m]) and _keys([m])[0] in weeks]


def _no_duplicates(slack: SlackFake) -> None:
    keys = slack.stored_keys()
    assert len(keys) == len(set(keys)), "a message was posted twice"


# --- the real pipeline, several weeks ---------------------------------------------------


def test_four_healthy_weeks_post_four_reports_and_a_changed_rerun_edits_its_report(
    slack: SlackFake, tmp_path: Path, sample_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_config(tmp_path, slack, reports=True)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    args = ["run", "--config", str(tmp_path / "canary.yaml"), "--as-of", AS_OF.isoformat()]
    weeks = [LATEST_WEEK - WEEK * k for k in (3, 2, 1, 0)]
    for week in weeks:
        assert main([*args, "--week", week.isoformat(), "--quiet"]) == 0

    posted = slack.top_level(REPORTS)
    assert len(posted) == 4 and not slack.top_level(INTERNAL)  # healthy: no alert
    assert _keys(posted) == [post_key(ALL, w, "#code-insights") for w in weeks]
    for week, message in zip(weeks, posted, strict=True):
        assert _day(week) in message["text"]
        # the canary instance's monitor ran first: its verdict is in the report as posted
        assert "canary: pipeline healthy" in _texts(message)
        [chart] = [m for m in slack.replies(REPORTS, message["ts"]) if m.get("files")]
        assert chart["files"][0]["name"] == f"canary-report-{ALL}-{week.isoformat()}.png"

    assert not slack.calls("chat.update") and len(slack.calls("chat.postMessage")) == 4
    requests = len(slack.requests)  # a rerun of an unchanged week sends nothing
    assert main([*args, "--week", LATEST_WEEK.isoformat(), "--quiet"]) == 0
    assert len(slack.requests) == requests

    site = "https://canary.example.com/results"  # the report now links the results
    make_config(tmp_path, slack, reports=True, report_base_url=site)
    assert main([*args, "--week", LATEST_WEEK.isoformat(), "--quiet"]) == 0
    [update] = slack.calls("chat.update")
    assert update.body["ts"] == posted[-1]["ts"] and site in json.dumps(update.body["blocks"])
    assert len(slack.top_level(REPORTS)) == 4 and len(slack.calls("chat.postMessage")) == 4
    assert site in _texts(slack.top_level(REPORTS)[-1])
    _no_duplicates(slack)
    assert main([*args, "--week", LATEST_WEEK.isoformat(), "--quiet"]) == 0
    assert len(slack.calls("chat.update")) == 1  # edited once


# --- one recorded week, delivered several ways ------------------------------------------


@pytest.fixture(scope="module")
def recorded_week(shared_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose store holds the sample's latest week for both monitors,
    recorded without delivering anything."""
    from tests.conftest import write_config

    home = tmp_path_factory.mktemp("recorded")
    shutil.copytree(shared_sample, home / ".canary")
    config = write_config(home)
    assert (
        main(
            [
                "run",
                "--config",
                str(config),
                "--as-of",
                AS_OF.isoformat(),
                "--no-deliver",
                "--quiet",
            ]
        )
        == 0
    )
    return home / ".canary"


def _week_of(recorded_week: Path, tmp_path: Path, config: Config) -> tuple[Store, list[RunResult]]:
    """A private copy of the recorded week: its store and runs."""
    shutil.copytree(recorded_week, tmp_path / ".canary", dirs_exist_ok=True)
    store = Store(config.store_url({}))
    return store, recorded_runs(store, config, LATEST_WEEK, list(config.monitors))


def test_with_slack_down_the_report_waits_in_the_outbox_and_is_delivered_once(
    slack: SlackFake, tmp_path: Path, recorded_week: Path
) -> None:
    config = make_config(tmp_path, slack, reports=True)
    store, runs = _week_of(recorded_week, tmp_path, config)
    slack.down = True
    report = deliver(config, store, runs, now=NOW, environ=ENV)
    assert not report.ok and report.open == {"pending": 2}  # the post and its chart
    assert [e.kind for e in records.entries(store.engine)] == ["post", "upload"]

    slack.down = False
    slack.inject("chat.postMessage", "drop_after")  # it arrives, its answer is lost
    assert deliver(config, store, [], now=NOW, environ=ENV).ok
    [message] = slack.top_level(REPORTS)
    assert [m for m in slack.replies(REPORTS, message["ts"]) if m.get("files")]
    assert len(slack.calls("chat.postMessage")) == 1  # looked up, not sent again
    assert deliver(config, store, runs, now=NOW, environ=ENV).ok
    assert len(slack.top_level(REPORTS)) == 1 and not slack.top_level(INTERNAL)
    _no_duplicates(slack)
    store.close()


def test_the_file_outbox_writes_the_report_as_markdown_with_its_chart_beside_it(
    tmp_path: Path, recorded_week: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, reports=True, delivery="file")
    store, runs = _week_of(recorded_week, tmp_path, config)
    assert deliver(config, store, runs, now=NOW, environ={}, console=Console()).ok
    [markdown] = (tmp_path / ".canary" / "outbox").glob("*.md")
    [png] = (tmp_path / ".canary" / "outbox").glob("*.png")
    assert png.stem == markdown.stem and png.read_bytes().startswith(PNG_MAGIC)
    text = markdown.read_text()
    assert _day(LATEST_WEEK) in text and f"]({png.name})" in text
    assert "{" not in text  # for people: no JSON
    out = capsys.readouterr().out
    assert _day(LATEST_WEEK) in out and "written to" in out
    store.close()


def test_a_drill_and_a_webhook_get_what_they_can(
    slack: SlackFake, tmp_path: Path, recorded_week: Path
) -> None:
    config = make_config(tmp_path, slack, reports=True)
    store, runs = _week_of(recorded_week, tmp_path, config)
    drills = [dataclasses.replace(r, drill="object-null") for r in runs]
    assert deliver(config, store, drills, now=NOW, environ=ENV).ok
    assert not records.entries(store.engine)  # a drill composes no report

    hook = make_config(tmp_path, slack, reports=True, delivery="webhook", webhook={"env": "HOOK"})
    assert deliver(hook, store, runs, now=NOW, environ={"HOOK": slack.webhook_url}).ok
    [sent] = slack.webhook_messages  # the report, no chart (a webhook has no files)
    assert _day(LATEST_WEEK) in json.dumps(sent)
    assert [e.kind for e in records.entries(store.engine)] == ["post"]
    store.close()


def test_a_report_sent_only_on_change_stays_home_on_a_normal_week(
    slack: SlackFake, tmp_path: Path, recorded_week: Path
) -> None:
    from tests.conftest import REPO, write_config

    monitors = yaml.safe_load((REPO / "canary.yaml").read_text())["monitors"]
    monitors[ALL]["report"]["when"] = "on_change"
    slack_section = {"delivery": "bot", "base_url": slack.url}
    config = load_config(write_config(tmp_path, monitors=monitors, slack=slack_section))
    store, runs = _week_of(recorded_week, tmp_path, config)
    assert deliver(config, store, runs, now=NOW, environ=ENV).ok
    assert not records.entries(store.engine) and not slack.requests
    store.close()


# --- product changes to the product team ------------------------------------------------


def _since(checks: list[CheckResult], week: date) -> list[CheckResult]:
    return [
        dataclasses.replace(c, first_failed_week=week if c.status == "failed" else None)
        for c in checks
    ]


def _now(week: date) -> datetime:
    return datetime.combine(week + timedelta(days=8), time(), UTC)


@pytest.mark.parametrize(
    ("canary", "cls", "channel"), [("passed", "product", REPORTS), ("failed", "pipeline", INTERNAL)]
)
def test_a_product_change_goes_to_the_report_channel_a_pipeline_breakage_to_the_alerts_one(
    slack: SlackFake, tmp_path: Path, canary: str, cls: str, channel: str
) -> None:
    config = make_config(tmp_path, slack, reports=True, workspace_url="https://acme.slack.com")
    store = Store(config.store_url({}))
    weeks = [LATEST_WEEK - WEEK, LATEST_WEEK]
    for week in weeks:  # the same change two weeks running, failing since the first
        runs = [
            RunResult(ALL, week, _since([*_drop(), _reporting()], weeks[0])),
            dataclasses.replace(
                _canary(canary), week=week, checks=_since(_canary(canary).checks, weeks[0])
            ),
        ]
        assert deliver(config, store, runs, now=_now(week), environ=ENV).ok

    reports = _report_posts(slack, REPORTS)
    assert len(reports) == 2
    alerts = [m for m in slack.top_level(channel) if m not in reports]
    [incident] = [m for m in alerts if m["metadata"]["event_payload"]["monitor"] == ALL]
    assert "total_insights_page_views" in _texts(incident)
    other = INTERNAL if channel == REPORTS else REPORTS
    assert not [
        m for m in slack.top_level(other) if m not in reports and ALL in json.dumps(m["metadata"])
    ]
    # the report lists the incident, its class, and (posted the week before) its thread
    latest = _texts(reports[-1])
    assert cls in latest.lower()
    link = f"https://acme.slack.com/archives/{channel}/p{incident['ts'].replace('.', '')}"
    assert link in latest
    store.close()


def test_a_report_is_edited_by_its_own_monitors_rerun_only(
    slack: SlackFake, tmp_path: Path
) -> None:
    """All-instances first (a rerun of its week alone, say): its report cannot know the
    canary instance's verdict, nor class the usage change. The canary's run alone leaves it
    as posted; the all-instances rerun then completes it."""
    config = make_config(tmp_path, slack, reports=True)
    store = Store(config.store_url({}))
    change = RunResult(ALL, LATEST_WEEK, [*_drop(), _reporting()])
    started = datetime.now(UTC)
    store.record_run(change, pd.DataFrame(), started)
    assert deliver(config, store, [change], now=NOW, environ=ENV).ok
    [report] = _report_posts(slack, REPORTS)
    assert "canary instance not checked" in _texts(report)

    canary = _canary()
    store.record_run(canary, pd.DataFrame(), started)
    assert deliver(config, store, [canary], now=NOW, environ=ENV).ok
    assert not slack.calls("chat.update")
    assert deliver(config, store, [change], now=NOW, environ=ENV).ok
    [edit] = slack.calls("chat.update")
    assert edit.body["ts"] == report["ts"]
    [report] = _report_posts(slack, REPORTS)
    assert "pipeline healthy" in _texts(report) and "product" in _texts(report).lower()
    assert deliver(config, store, [canary, change], now=NOW, environ=ENV).ok
    assert len(slack.calls("chat.update")) == 1  # once
    store.close()


def _spread_drop() -> RunResult:
    """Page views below their range, every segment alike: the spread is in the check's
    details, which the store does not keep."""
    level = _check(
        "level",
        "failed",
        "total_insights_page_views",
        None,
        4688.0,
        {"min": 8000.0, "max": 14000.0},
        dataset="page_views",
    )
    level.details = {"attribution": []}
    return RunResult(ALL, LATEST_WEEK, [level, _reporting()])


def test_a_rerun_of_a_product_change_sends_nothing_and_never_unclasses_it(
    slack: SlackFake, tmp_path: Path
) -> None:
    config = make_config(tmp_path, slack, reports=True)
    store = Store(config.store_url({}))
    runs = [_canary(), _spread_drop()]  # the canary instance's monitor first
    started = datetime.now(UTC)
    for run in runs:
        store.record_run(run, pd.DataFrame(), started)
    assert deliver(config, store, runs, now=NOW, environ=ENV).ok
    [report] = _report_posts(slack, REPORTS)
    posted = _texts(report)
    assert "product" in posted.lower() and "every segment alike" in posted
    requests = len(slack.requests)
    assert deliver(config, store, runs, now=NOW, environ=ENV).ok
    assert deliver(config, store, runs[:1], now=NOW, environ=ENV).ok  # the canary alone
    assert not slack.calls("chat.update") and len(slack.requests) == requests
    assert _texts(_report_posts(slack, REPORTS)[0]) == posted
    store.close()


def _on_change(tmp_path: Path, slack: SlackFake) -> Config:
    from tests.conftest import REPO, write_config

    monitors = yaml.safe_load((REPO / "canary.yaml").read_text())["monitors"]
    monitors[ALL]["report"]["when"] = "on_change"
    slack_section = {"delivery": "bot", "base_url": slack.url}
    return load_config(write_config(tmp_path, monitors=monitors, slack=slack_section))


def _fixed() -> RunResult:
    """The week of ``_drop`` restated: page views within their range."""
    level = _check(
        "level",
        "passed",
        "total_insights_page_views",
        None,
        11000.0,
        {"min": 8000.0, "max": 14000.0},
        dataset="page_views",
    )
    return RunResult(ALL, LATEST_WEEK, [level, _reporting()])


def test_an_on_change_report_once_posted_is_corrected_when_the_week_is_fixed(
    slack: SlackFake, tmp_path: Path
) -> None:
    config = _on_change(tmp_path, slack)
    store = Store(config.store_url({}))
    broken = RunResult(ALL, LATEST_WEEK, [*_drop(), _reporting("failed")])
    assert deliver(config, store, [_canary(), broken], now=NOW, environ=ENV).ok
    [report] = _report_posts(slack, REPORTS)
    assert "no open incident" not in _texts(report)

    assert deliver(config, store, [_fixed()], now=NOW, environ=ENV).ok  # its rerun alone
    # no longer wanted this week, but posted: corrected (the alert is resolved, too)
    [edit] = [c for c in slack.calls("chat.update") if c.body["channel"] == REPORTS]
    assert edit.body["ts"] == report["ts"]
    [report] = _report_posts(slack, REPORTS)
    assert "no open incident" in _texts(report)
    store.close()


def test_the_file_outbox_writes_a_restated_report_again_and_shows_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, reports=True, delivery="file")
    store = Store(config.store_url({}))
    broken = RunResult(ALL, LATEST_WEEK, [*_drop(), _reporting()])
    wide = Console(width=1000)
    assert deliver(config, store, [_canary(), broken], now=NOW, environ={}, console=wide).ok

    def reports() -> set[Path]:
        written = (tmp_path / ".canary" / "outbox").glob("*.md")
        return {f for f in written if "Pipeline health" in f.read_text()}

    [first] = reports()
    capsys.readouterr()

    assert deliver(config, store, [_canary(), broken], now=NOW, environ={}, console=wide).ok
    assert reports() == {first}
    assert "weekly report" not in capsys.readouterr().out  # unchanged: nothing written

    assert deliver(config, store, [_canary(), _fixed()], now=NOW, environ={}, console=wide).ok
    [again] = reports() - {first}
    assert "no open incident" not in first.read_text()
    assert "no open incident" in again.read_text()
    assert f"weekly report for #code-insights written to {again}" in capsys.readouterr().out
    store.close()


def test_an_edit_that_restates_the_charted_numbers_uploads_the_new_chart_into_the_thread(
    slack: SlackFake, tmp_path: Path, recorded_week: Path
) -> None:
    from sqlalchemy import update

    from canary.store.schema import metrics

    config = make_config(tmp_path, slack, reports=True)
    store, runs = _week_of(recorded_week, tmp_path, config)
    assert deliver(config, store, runs, now=NOW, environ=ENV).ok
    [report] = _report_posts(slack, REPORTS)
    [chart] = [m for m in slack.replies(REPORTS, report["ts"]) if m.get("files")]

    restated = (metrics.c.monitor == ALL) & (metrics.c.week == LATEST_WEEK)
    with store.engine.begin() as con:
        con.execute(update(metrics).where(restated).values(value=metrics.c.value * 3))
    assert deliver(config, store, runs, now=NOW, environ=ENV).ok
    [edit] = slack.calls("chat.update")
    assert edit.body["ts"] == report["ts"]
    charts = [m for m in slack.replies(REPORTS, report["ts"]) if m.get("files")]
    assert len(charts) == 2 and charts[0] == chart
    name = charts[1]["files"][0]["name"]
    assert name.startswith(f"canary-report-{ALL}-{LATEST_WEEK}-") and name.endswith(".png")
    assert len(slack.top_level(REPORTS)) == 1

    assert deliver(config, store, runs, now=NOW, environ=ENV).ok  # unchanged: nothing more
    assert len(slack.calls("chat.update")) == 1
    assert len([m for m in slack.replies(REPORTS, report["ts"]) if m.get("files")]) == 2
    _no_duplicates(slack)
    store.close()


def test_routes_still_override_where_a_product_change_goes(tmp_path: Path) -> None:
    config = make_config(
        tmp_path, reports=True, routes={"views": {"dataset": "page_views", "channel": "#views"}}
    )
    assert channel_for(config, ALL, "page_views", "level", "failed", "product") == "#views"
    assert channel_for(config, ALL, "creators", "level", "failed", "product") == "#code-insights"
    assert channel_for(config, ALL, "creators", "level", "failed", "pipeline") == (
        "#code-insights-internal"
    )
    canary = "code-insights-canary"  # no report: its product changes stay with its alerts
    assert channel_for(config, canary, "creators", "level", "failed", "product") == (
        "#code-insights-internal"
    )
    assert channels(config) == ["#code-insights-internal", "#code-insights", "#views"]


# --- the report's deliveries, composed (pure) -------------------------------------------


def _body(lede: str = "Usage as expected.") -> ReportBody:
    return ReportBody(ALL, LATEST_WEEK, "Code Insights · all instances", lede)


def _stored(op: Any, entry_id: int) -> Entry:
    return Entry(
        op.key, op.kind, op.channel, op.monitor, op.week, op.payload, op.parent_key, id=entry_id
    )


def test_a_report_is_posted_once_a_week_and_edited_only_when_it_changed() -> None:
    png = PNG_MAGIC + b"chart"
    post, chart = report_ops(_body(), "#code-insights", "bot", png, None)
    assert (post.kind, chart.kind, chart.parent_key, chart.blob) == (
        "post",
        "upload",
        post.key,
        png,
    )
    assert post.key == post_key(ALL, LATEST_WEEK, "#code-insights")
    assert post.payload["metadata"]["event_payload"]["key"] == post.key
    assert chart.payload["filename"] == chart_name(_body())
    again = report_ops(_body(), "#code-insights", "bot", png, None)
    assert [o.key for o in again] == [post.key, chart.key]  # stable: a rerun adds nothing

    assert report_ops(_body(), "#code-insights", "bot", png, _stored(post, 1)) == []
    [edit] = report_ops(_body("Page views fell."), "#code-insights", "bot", png, _stored(post, 1))
    assert (edit.kind, edit.parent_key) == ("update", post.key)
    assert edit.payload == payload(_body("Page views fell."))
    [back] = report_ops(_body(), "#code-insights", "bot", png, _stored(edit, 2))
    assert back.key not in (post.key, edit.key)  # back as it was: edited again

    [hooked] = report_ops(_body(), "#code-insights", "webhook", None, None)
    assert hooked.blob is None and "metadata" not in hooked.payload
    assert report_ops(_body("x"), "#code-insights", "webhook", None, _stored(hooked, 1)) == []
    [filed] = report_ops(_body(), "#code-insights", "file", png, None)
    assert filed.kind == "post" and filed.blob == png
    assert report_ops(_body(), "#code-insights", "file", png, _stored(filed, 1)) == []
    [restated] = report_ops(_body("x"), "#code-insights", "file", png, _stored(filed, 1))
    assert (restated.kind, restated.parent_key, restated.blob) == ("post", filed.key, png)
    assert restated.key != filed.key and restated.payload == payload(_body("x"))


def test_an_edit_uploads_the_chart_again_only_when_its_values_changed() -> None:
    def charted(value: float, lede: str = "Usage as expected.") -> ReportBody:
        weeks = [LATEST_WEEK - WEEK, LATEST_WEEK]
        series = ChartSeries("Page views", weeks, [10.0, value], [None, 5.0], [None, 20.0])
        return dataclasses.replace(_body(lede), series=[series])

    first, second = PNG_MAGIC + b"first", PNG_MAGIC + b"second"
    post, chart = report_ops(charted(12.0), "#code-insights", "bot", first, None)
    last = _stored(post, 1)
    [edit] = report_ops(charted(12.0, "Restated."), "#code-insights", "bot", second, last)
    assert edit.kind == "update"  # the same chart: not uploaded again
    [again] = report_ops(charted(30.0), "#code-insights", "bot", second, last)
    assert (again.kind, again.parent_key, again.blob) == ("upload", post.key, second)
    [edit, upload] = report_ops(charted(30.0, "Restated."), "#code-insights", "bot", second, last)
    assert (edit.kind, upload) == ("update", again)
    assert again.key != chart.key and again.payload["filename"] != chart.payload["filename"]
    assert again.payload["filename"] == chart_name(charted(30.0), second)
    [same] = report_ops(charted(30.0), "#code-insights", "bot", second, last)
    assert same.key == again.key  # keyed by its bytes: a rerun adds nothing


def test_notification_blocks_take_reports_only_when_they_opt_in(tmp_path: Path) -> None:
    from tests.conftest import write_config

    blocks = {
        "teams": {
            "block": "ms-teams-webhook/product",
            "severities": [],  # the report only
            "reports": True,
            "monitors": [ALL],
        },
        "ops": {"block": "custom-webhook/ops"},
        "other": {"block": "custom-webhook/x", "reports": True, "monitors": [CANARY]},
    }
    config = load_config(write_config(tmp_path, notify=blocks))
    [op] = report_notices(config, _body("Page views fell 57%."))
    assert (op.kind, op.channel, op.payload["block"]) == (
        "notify",
        "teams",
        "ms-teams-webhook/product",
    )
    assert report_notices(config, _body("Page views fell 57%."))[0].key == op.key  # once a week
    subject, text = notification(op.payload)
    assert subject == "Code Insights · all instances" and "Page views fell 57%." in text
    assert "{" not in text
