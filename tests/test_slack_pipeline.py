"""Alerts from the real pipeline on the sample, and the command line (run, slack test)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from canary.alerts.compose import TOLD_EARLIER
from canary.alerts.deliver import deliver
from canary.checks.validate import GreatExpectations
from canary.cli import main
from canary.incidents import incidents_of
from canary.pipeline import RunOptions, plan, run_monitor
from canary.sample.warehouse import FILE_NAME
from canary.store.db import Store
from tests.alert_builders import make_config
from tests.conftest import AS_OF, LATEST_WEEK, NOW, write_files_config
from tests.slack_fake import ENV, TOKEN, SlackFake
from tests.test_files_source import export_tiles

pytestmark = pytest.mark.integration
ALERTS, INTERNAL = "C0000ALERTS", "C0000INTERN"
CANARY_SITE = "5b1f2a8e-7c3d-4e6f-9a0b-1c2d3e4f5a6b"


def test_object_null_week_alerts_once_per_channel_with_details_and_charts(
    slack: SlackFake, tmp_path: Path
) -> None:
    config = make_config(tmp_path, slack, masking={"columns": {"site_id": "mask"}})
    options = RunOptions(week=LATEST_WEEK, now=NOW, scenario="object-null")
    store = Store(config.store_url({}))
    ge = GreatExpectations()
    runs = [
        run_monitor(plan(config, name, options, tmp_path), store, ge) for name in config.monitors
    ]
    assert {r.status for r in runs} == {"failed"}
    result = tmp_path / "out.json"
    report = deliver(config, store, runs, result_path=result, now=NOW, environ=ENV)
    assert report.ok, report

    # both monitors' alerts go to the engineers' channel, one message each
    messages = {m["metadata"]["event_payload"]["monitor"]: m for m in slack.top_level(INTERNAL)}
    assert sorted(messages) == sorted(config.monitors) and not slack.top_level(ALERTS)
    channel = INTERNAL
    for run in runs:
        message = messages[run.monitor]
        assert LATEST_WEEK.isoformat() in message["text"]
        assert message["metadata"]["event_type"] == "canary_alert"
        told = len([i for i in incidents_of(runs) if run.monitor in i.monitors])
        assert told == 1  # one breakage shared by both monitors: one incident in each channel
        assert "1 incident" in message["text"] and "object-null" in message["text"]
        thread = slack.replies(channel, message["ts"])
        details = [m for m in thread if "*evidence*" in json.dumps(m.get("blocks"))]
        assert len(details) == told  # one reply per incident
    thread = slack.replies(INTERNAL, messages["code-insights-all-instances"]["ts"])
    assert any(m.get("files") for m in thread), "a chart of the metric's recent weeks"
    sent = json.dumps([r.body for r in slack.requests])
    assert "site_id" in sent and CANARY_SITE not in sent

    posts = len(slack.calls("chat.postMessage"))
    assert deliver(config, store, runs, result_path=result, now=NOW, environ=ENV).ok
    assert len(slack.calls("chat.postMessage")) == posts  # a rerun shows nobody anything twice
    keys = slack.stored_keys()
    assert len(keys) == len(set(keys))
    store.close()


def _run_with_slack(tmp_path: Path, slack: SlackFake, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``canary run`` on the sample as of AS_OF, its bot token the Slack stand-in's."""
    make_config(tmp_path, slack)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    return ["run", "--config", str(tmp_path / "canary.yaml"), "--as-of", AS_OF.isoformat()]


def test_cli_run_delivers_but_scenarios_do_not(
    slack: SlackFake,
    tmp_path: Path,
    sample_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _run_with_slack(tmp_path, slack, monkeypatch)
    assert main(args) == 0
    assert "alerts via slack: nothing new" in capsys.readouterr().out
    assert main([*args, "--scenario", "object-null", "--quiet"]) == 1
    assert not slack.calls("chat.postMessage") and not slack.calls("conversations.list")


def test_reruns_of_a_broken_week_on_a_new_store_post_nothing_new(
    slack: SlackFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first run backfills the store before the week; its reruns judge the same week
    against the same history, so they neither post a fresh alert nor resolve the first."""
    monitor = "code-insights-canary"
    export_tiles(tmp_path / "exports", monitor, scenario="object-null")
    config = write_files_config(tmp_path, monitor, slack={"delivery": "bot", "base_url": slack.url})
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    args = ["run", "--config", str(config), "--as-of", AS_OF.isoformat(), "--quiet"]
    assert main(args) == 1
    first = [c.body["text"] for c in slack.calls("chat.postMessage")]
    assert any("object-null" in t for t in first)
    for _ in range(2):
        assert main(args) == 1
    assert [c.body["text"] for c in slack.calls("chat.postMessage")] == first
    assert not slack.calls("chat.update")


def test_a_rerun_that_joins_the_monitors_incidents_posts_and_resolves_nothing(
    slack: SlackFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The canary instance's monitor runs first, so a week's first run finds its incidents
    without the all-instances run; a rerun finds them with it (one incident the monitors
    share). The rerun tells nobody anything: nothing posted, nothing "resolved"."""
    args = [*_run_with_slack(tmp_path, slack, monkeypatch), "--quiet"]
    assert main(args) == 0  # healthy: the sample is made and the history stored
    with duckdb.connect(str(tmp_path / ".canary" / FILE_NAME)) as con:
        con.execute(
            "UPDATE weekly_pings SET weekly_insights_page_views = NULL WHERE week = ?",
            [LATEST_WEEK],
        )
    slack.requests.clear()
    assert main(args) == 1
    posted = [c.body["text"] for c in slack.calls("chat.postMessage")]
    assert posted
    for _ in range(2):
        assert main(args) == 1
    assert [c.body["text"] for c in slack.calls("chat.postMessage")] == posted
    assert not slack.calls("chat.update")
    assert "resolved" not in json.dumps([r.body for r in slack.requests])
    # the week after, healthy: what was told resolves in its threads, by name
    later = [*args[:-3], "--as-of", (AS_OF + timedelta(weeks=1)).isoformat(), "--quiet"]
    main(later)
    sent = json.dumps([r.body for r in slack.requests])
    assert "resolved" in sent and TOLD_EARLIER not in sent
    assert slack.calls("chat.update")  # the original messages marked resolved


def test_slack_test_posts_to_every_channel_and_reports_failures(
    slack: SlackFake,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["slack", "test", "--config", str(tmp_path / "canary.yaml")]
    make_config(tmp_path, slack, reports=True, delivery="auto")
    assert main(args) == 2
    assert "Slack is not configured" in capsys.readouterr().err

    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    assert main(args) == 0
    assert len(slack.top_level(ALERTS)) == 1 and len(slack.top_level(INTERNAL)) == 1
    out = capsys.readouterr().out  # the report's channel too
    assert "#code-insights: ok" in out and "#code-insights-internal: ok" in out

    make_config(
        tmp_path, slack, reports=True, routes={"ops": {"status": "error", "channel": "#nowhere"}}
    )
    assert main(args) == 3
    out = capsys.readouterr().out
    assert "#nowhere: failed" in out and "#code-insights-internal: ok" in out
    assert TOKEN not in out

    make_config(tmp_path, slack, delivery="webhook", webhook={"env": "HOOK"})
    monkeypatch.setenv("HOOK", slack.webhook_url)
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert main(args) == 0
    assert len(slack.webhook_messages) == 1
    assert "/services/" not in capsys.readouterr().out


def test_a_delivered_drill_reaches_the_real_channels_marked_and_the_next_run_resolves_it(
    slack: SlackFake,
    tmp_path: Path,
    sample_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    args = _run_with_slack(tmp_path, slack, monkeypatch)
    assert main([*args, "--quiet"]) == 0
    store = Store(f"sqlite:///{sample_data_dir / 'store.db'}")
    weeks_before = store.metric_history("code-insights-all-instances")["week"].max()

    assert main([*args, "--scenario", "object-null", "--deliver", "--quiet"]) == 1
    assert len(slack.top_level(INTERNAL)) == 2 and not slack.top_level(ALERTS)  # one a monitor
    for message in slack.top_level(INTERNAL):
        thread = slack.replies(INTERNAL, message["ts"])
        assert len(thread) > 1  # the incident's details, marked too
        for posted in [message, *thread]:
            shown = json.dumps([posted["text"], posted.get("blocks"), posted.get("files")])
            assert "DRILL" in shown, posted
    # the drill's history stayed in its throwaway store
    assert store.metric_history("code-insights-all-instances")["week"].max() == weeks_before

    assert main([*args, "--quiet"]) == 0  # the next real run resolves the drill
    assert len(slack.top_level(INTERNAL)) == 2
    for message in slack.top_level(INTERNAL):
        header = message["blocks"][0]["text"]["text"]
        assert header.startswith("✅ DRILL · ") and header.endswith(": failed, since resolved")
        last = slack.replies(INTERNAL, message["ts"])[-1]
        assert "resolved" in last["text"] and "DRILL" in last["text"]
    posts = len(slack.calls("chat.postMessage"))
    assert main([*args, "--quiet"]) == 0
    assert len(slack.calls("chat.postMessage")) == posts  # resolved once
    store.close()


def test_deliver_needs_a_drill(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_config(tmp_path, None)
    assert main(["run", "--config", str(tmp_path / "canary.yaml"), "--deliver"]) == 2
    assert "--deliver sends a drill's alerts" in capsys.readouterr().err
