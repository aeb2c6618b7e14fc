"""Delivery hardening with the real slack_sdk against the stand-in: long rate limits,
held deliveries, a switch of transport, and undelivered alerts made visible."""

from __future__ import annotations

import json
import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from rich.console import Console
from sqlalchemy import update

from canary.alerts.channels.slack.bot import SlackTransport
from canary.alerts.commands import print_delivery
from canary.alerts.deliver import DeliveryReport, deliver
from canary.alerts.outbox import records
from canary.alerts.outbox.flush import FlushReport, flush
from canary.alerts.outbox.records import Entry
from canary.alerts.outbox.reroute import Carried, adapt
from canary.alerts.outbox.undelivered import undelivered
from canary.cli import main
from canary.config import Config
from canary.prefect_ops.events import delivery_pending_event
from canary.results import CheckResult
from canary.store.db import Store
from tests.alert_builders import W1, W2, W3, check, make_config, open_store, run_of
from tests.conftest import AS_OF
from tests.slack_fake import ENV, TOKEN, SlackFake

ALERTS = "C0000INTERN"  # #code-insights-internal: all-instances alerts


def _now(week: date) -> datetime:
    return datetime.combine(week + timedelta(days=8), time(), UTC)


def _send(
    config: Config, store: Store, week: date, *checks: CheckResult, env: dict[str, str] = ENV
) -> DeliveryReport:
    return deliver(config, store, [run_of(week, *checks)], now=_now(week), environ=env)


def _no_duplicates(slack: SlackFake) -> None:
    keys = slack.stored_keys()
    assert len(keys) == len(set(keys)), "an alert was posted twice"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path)


# --- a long Retry-After is not waited out ---------------------------------------


@pytest.mark.timeout(30)
def test_a_retry_after_beyond_the_cap_leaves_the_message_for_the_next_run(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0, retry_after_max=2)
    slack.inject("chat.postMessage", "429:3600")
    started = clock.monotonic()
    report = _send(config, store, W1, check())
    assert clock.monotonic() - started < 10  # not an hour
    assert report.flushed is not None and not report.ok
    [error] = report.flushed.errors
    assert "asked to wait 3600 s" in error and "slack.retry_after_max (2 s)" in error
    assert "kept in the outbox for the next run" in error
    assert report.open == {"pending": 1} and not slack.top_level(ALERTS)

    assert _send(config, store, W1, check()).ok  # the next run delivers it, once
    assert len(slack.top_level(ALERTS)) == 1


@pytest.mark.timeout(30)
def test_rate_limit_waits_share_one_budget_per_run(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0, retry_after_max=1)
    slack.inject("chat.postMessage", "429:1")  # fits the budget: waited out
    slack.inject("chat.postMessage", "429:1")  # the budget is spent: left for the next run
    started = clock.monotonic()
    report = _send(config, store, W1, check())
    assert 1 <= clock.monotonic() - started < 10
    assert [r.fault for r in slack.calls("chat.postMessage")] == ["429:1", "429:1"]
    assert report.flushed is not None
    assert any("more than the 0 s left" in e for e in report.flushed.errors)
    assert report.open == {"pending": 1}


@pytest.mark.timeout(30)
def test_a_webhook_rate_limit_beyond_the_cap_is_not_waited_either(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(
        tmp_path, slack, delivery="webhook", webhook={"env": "HOOK"}, retry_after_max=0
    )
    env = {"HOOK": slack.webhook_url}
    slack.inject("webhook", "429:3600")
    report = _send(config, store, W1, check(), env=env)
    assert report.flushed is not None
    assert any("webhook post: Slack asked to wait 3600 s" in e for e in report.flushed.errors)
    assert report.open == {"pending": 1} and not slack.webhook_messages
    assert _send(config, store, W1, check(), env=env).ok
    assert len(slack.webhook_messages) == 1


# --- held deliveries say by whom and until when; a heartbeat keeps a short lease --


def _crash_mid_delivery(config: Config, slack: SlackFake, store: Store, holder: str) -> None:
    """Queue a post and its two detail replies, then claim the post as a run that died."""
    slack.down = True
    _send(config, store, W1, check(), check("other", column="x"))
    slack.down = False
    post = records.queue(store.engine, "slack")[0]
    assert post.kind == "post"
    assert records.claim(store.engine, post, clock.time(), holder)


def test_deliveries_held_by_a_run_that_died_say_who_holds_them_until_when(
    slack: SlackFake, tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, slack)
    dead = "flow run crashed-fox on worker-7 pid 4242 [0a1b2c]"
    _crash_mid_delivery(config, slack, store, dead)

    report = _send(config, store, W1, check(), check("other", column="x"))
    assert report.open == {"sending": 1, "pending": 2} and not slack.calls("chat.postMessage")
    assert report.flushed is not None
    [held] = report.flushed.held
    assert held.holder == dead and held.behind == 2
    assert held.until - held.since == pytest.approx(records.LEASE_SECONDS)
    print_delivery(Console(), report)
    err = " ".join(capsys.readouterr().err.split())
    until = datetime.fromtimestamp(held.until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert (
        f"held: post to #code-insights-internal (code-insights-all-instances, week {W1}) is being "
        f"delivered by {dead} since"
    ) in err
    assert (
        f"held until {until}" in err and "2 more for #code-insights-internal wait behind it" in err
    )

    with store.engine.begin() as con:  # a lease later: the holder never renewed it
        con.execute(update(records.outbox).values(lease_until=clock.time() - 1))
    report = _send(config, store, W1, check(), check("other", column="x"))
    assert report.ok and not report.open
    assert len(slack.calls("conversations.history")) == 1  # looked up before it was re-sent
    [message] = slack.top_level(ALERTS)
    assert len(slack.replies(ALERTS, message["ts"])) == 2


@pytest.mark.timeout(60)
def test_a_heartbeat_keeps_a_short_lease_while_a_slow_send_is_under_way(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0)
    slack.down = True
    _send(config, store, W1, check())
    slack.down = False
    slack.inject("chat.postMessage", "delay:2.5")  # far longer than the lease
    token = SecretStr(ENV["SLACK_BOT_TOKEN"])
    first: list[FlushReport] = []
    sender = threading.Thread(
        target=lambda: first.append(
            flush(store.engine, SlackTransport(token, config.slack), holder="slow", lease=0.6)
        )
    )
    sender.start()
    clock.sleep(1.5)  # two and a half leases into the slow send
    second = flush(store.engine, SlackTransport(token, config.slack), holder="other", lease=0.6)
    sender.join()
    [held] = second.held
    assert held.holder == "slow" and held.until > clock.time() - 1.5
    assert not second.delivered and first[0].delivered == {"post": 1}
    assert len(slack.calls("chat.postMessage")) == 1 and len(slack.top_level(ALERTS)) == 1
    assert records.counts(store.engine) == {"delivered": 1}


# --- a switch of transport carries queued alerts over, never twice ---------------


def _hook(tmp_path: Path, slack: SlackFake) -> tuple[Config, dict[str, str]]:
    config = make_config(tmp_path, slack, delivery="webhook", webhook={"env": "HOOK"})
    return config, {"HOOK": slack.webhook_url}


def test_alerts_queued_for_the_bot_go_out_through_the_webhook_once(
    slack: SlackFake, tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    bot = make_config(tmp_path, slack)
    slack.down = True  # the bot's run: a post and two detail replies stay queued
    _send(bot, store, W1, check(), check("other", column="x"))
    slack.down = False
    hook, env = _hook(tmp_path, slack)

    report = _send(hook, store, W1, check(), check("other", column="x"), env=env)
    assert report.ok and not report.open
    assert report.rerouted is not None and report.rerouted.moved == 1
    assert len(report.rerouted.dropped) == 2
    assert all(
        "details of a run go only into the bot's thread" in d for d in report.rerouted.dropped
    )
    [message] = slack.webhook_messages
    assert "total_insights_page_views" in json.dumps(message) and W1.isoformat() in json.dumps(
        message
    )
    assert "metadata" not in message and not slack.calls("chat.postMessage")
    print_delivery(Console(), report)
    out = capsys.readouterr()
    assert "1 queued for another delivery carried over" in out.out
    assert "not carried over: reply to #code-insights-internal" in out.err

    _send(hook, store, W1, check(), check("other", column="x"), env=env)  # a rerun
    assert len(slack.webhook_messages) == 1

    # back to the bot: a reply to the message the webhook posted goes to the channel itself
    report = _send(bot, store, W2, check(), check("other", column="x"))
    assert report.ok, report
    [ongoing] = slack.top_level(ALERTS)
    assert "still failing" in json.dumps(ongoing["blocks"])
    report = _send(bot, store, W3, check(status="passed"), check("other", column="x"))
    assert report.flushed is not None and report.ok
    assert any("without a thread (webhook or file): no edit" in d for d in report.flushed.dropped)
    assert any("resolved" in json.dumps(m["blocks"]) for m in slack.top_level(ALERTS))
    _no_duplicates(slack)


def test_a_bot_reply_in_an_old_thread_becomes_a_webhook_message_naming_its_monitor(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    bot = make_config(tmp_path, slack, max_details=0)
    assert _send(bot, store, W1, check()).ok
    slack.inject("chat.postMessage", "503", times=3)  # Slack unavailable, retries spent
    _send(bot, store, W2, check())  # "still failing" queued as a reply in W1's thread
    hook, env = _hook(tmp_path, slack)
    report = _send(hook, store, W2, check(), env=env)
    assert report.ok and report.rerouted is not None and report.rerouted.moved == 1
    [message] = slack.webhook_messages
    assert message["text"].startswith(f"code-insights-all-instances · week {W2}: ")
    assert "still failing" in message["text"]


def test_an_unknown_outcome_through_the_bot_is_never_resent_through_the_webhook(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    bot = make_config(tmp_path, slack, max_details=0)
    slack.inject("chat.postMessage", "drop_after")  # it arrived, the answer was lost
    slack.inject("conversations.history", "drop_before")  # and the lookup failed
    assert _send(bot, store, W1, check()).open == {"unknown": 1}
    hook, env = _hook(tmp_path, slack)
    report = _send(hook, store, W1, check(), env=env)
    assert report.rerouted is not None
    [line] = report.rerouted.unverifiable
    assert "outcome unknown through slack; not re-sent through webhook" in line
    assert not slack.webhook_messages and len(slack.top_level(ALERTS)) == 1


def test_alerts_queued_for_the_webhook_go_out_through_the_bot_findable_by_key(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    hook, env = _hook(tmp_path, slack)
    slack.inject("webhook", "500", times=3)
    assert _send(hook, store, W1, check(), env=env).open == {"pending": 1}
    report = _send(make_config(tmp_path, slack), store, W1, check())
    assert report.ok and report.rerouted is not None and report.rerouted.moved == 1
    [message] = slack.top_level(ALERTS)
    [entry] = records.entries(store.engine)
    assert message["metadata"]["event_payload"]["key"] == entry.key
    assert entry.transport == "slack" and not slack.webhook_messages


def test_alerts_queued_for_the_bot_land_in_the_file_outbox_with_their_details(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    slack.down = True
    _send(make_config(tmp_path, slack), store, W1, check())
    report = _send(make_config(tmp_path, slack, delivery="file"), store, W1, check(), env={})
    assert report.transport == "file" and report.ok and not report.open
    [written] = (tmp_path / ".canary" / "outbox").glob("*.md")
    text = written.read_text()
    assert "**not null**" in text and "**evidence**" in text  # the details are in the file
    assert report.rerouted is not None and len(report.rerouted.dropped) == 1


def test_auto_without_slack_secrets_keeps_alerts_queued_for_slack_until_they_resolve(
    slack: SlackFake,
    tmp_path: Path,
    sample_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bot = make_config(tmp_path, slack)
    store = Store(bot.store_url({}))
    slack.down = True  # the bot's run: its post and detail reply stay queued for Slack
    _send(bot, store, W1, check())
    queued = {e.key: e.transport for e in records.entries(store.engine)}
    assert set(queued.values()) == {"slack"} and len(queued) == 2
    slack.down = False

    make_config(tmp_path, slack, delivery="auto", webhook={"env": "HOOK"})
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("HOOK", raising=False)
    args = ["run", "--config", str(tmp_path / "canary.yaml"), "--as-of", AS_OF.isoformat()]
    assert main(args) == 0  # a worker without its secrets: files take nothing of Slack's
    err = capsys.readouterr().err
    assert "2 of them kept for Slack, whose credentials are missing here" in err
    assert "env SLACK_BOT_TOKEN" in err and "env HOOK" in err
    assert "or `slack.delivery: file` to move them" in err
    after = {e.key: (e.transport, e.status) for e in records.entries(store.engine)}
    assert all(after[key] == ("slack", "pending") for key in queued)
    assert not list((tmp_path / ".canary" / "outbox").glob(f"{W1.isoformat()}-*.md"))

    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)  # the secret is back: Slack gets them
    assert main(args) == 0
    [message] = slack.top_level(ALERTS)
    assert W1.isoformat() in message["text"] and "total_insights_page_views" in message["text"]
    assert not any(e.status in records.OPEN for e in records.entries(store.engine))
    store.close()


# --- what was not delivered shows, with how many and why -------------------------


def test_the_console_says_how_many_alerts_wait_and_why(
    slack: SlackFake, tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, slack)
    slack.down = True
    report = _send(config, store, W1, check())
    print_delivery(Console(width=200), report)
    out = capsys.readouterr()
    assert "alerts via slack: nothing new" in out.out
    assert "alerts not delivered via slack: 2 waiting in the outbox for the next run\n" in out.err
    assert "\n  conversations.list: Slack unreachable" in out.err
    missing = undelivered(report)
    assert missing.pending == 2 and missing.by_status == {"pending": 2}
    assert "2 waiting in the outbox for the next run" in missing.markdown()

    slack.down = False  # a webhook post whose outcome is unknown is given up, and says so
    hook = make_config(tmp_path, slack, delivery="webhook", webhook={"env": "HOOK"})
    slack.inject("webhook", "drop_after")
    hook_store = open_store(tmp_path / "hook")
    report = _send(hook, hook_store, W1, check(), env={"HOOK": slack.webhook_url})
    print_delivery(Console(width=200), report)
    out = capsys.readouterr()
    assert "alerts not delivered via webhook: 1 not to be sent" in out.err
    assert (
        "  post to #code-insights-internal (code-insights-all-instances): outcome unknown"
        in out.err
    )
    assert not undelivered(report).pending and undelivered(report)


def test_a_delivery_pending_event_names_the_run_and_carries_the_reasons(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0, retry_after_max=0)
    slack.inject("chat.postMessage", "429:30")
    run = run_of(W1, check())
    missing = undelivered(deliver(config, store, [run], now=_now(W1), environ=ENV))
    spec = delivery_pending_event(run, missing)
    assert spec.event == "canary.delivery.pending"
    assert spec.related[0]["prefect.resource.id"] == "canary.monitor.code-insights-all-instances"
    assert spec.payload["pending"] == 1 and spec.payload["week"] == W1.isoformat()
    assert "asked to wait 30 s" in spec.payload["reasons"][0]
    assert json.loads(json.dumps(spec.payload)) == spec.payload


def test_what_only_a_bot_can_do_is_not_carried_to_a_webhook_or_files() -> None:
    post = Entry("k1", "post", "#c", "m", W1, {"text": "t", "blocks": [], "metadata": {}})
    edit = Entry("k2", "update", "#c", "m", W2, {"text": "t", "blocks": []}, "k1")
    chart = Entry("k3", "upload", "#c", "m", W1, {"filename": "c.png", "title": "c"}, "k1")
    detail = Entry("k4", "reply", "#c", "m", W1, {"text": "d", "blocks": []}, "k1")
    for mode in ("webhook", "file"):
        assert "cannot edit" in str(adapt(edit, post, mode))
        assert "charts go only into a bot's thread" in str(adapt(chart, post, mode))
        assert "details of a run" in str(adapt(detail, post, mode))
        carried = adapt(post, None, mode)
        assert isinstance(carried, Carried) and "metadata" not in carried.payload
    back = adapt(Entry("k5", "post", "#c", "m", W1, {"text": "t", "blocks": []}), None, "bot")
    assert isinstance(back, Carried)
    assert back.payload["metadata"]["event_payload"]["key"] == "k5"


def test_an_error_reply_reads_as_one_short_line() -> None:
    from canary.alerts.channels.reply_text import reply_text

    page = "<!DOCTYPE html><html><head><style>p {}</style><script>x()</script></head><body>"
    assert reply_text(page + "<h1>Service\n  Unavailable</h1><p>Try again</p></body></html>") == (
        "Service Unavailable Try again"
    )
    assert reply_text("<html><head><title>503 Service Unavailable</title></head>") == (
        "503 Service Unavailable"
    )
    assert reply_text("invalid_payload") == "invalid_payload"
    assert reply_text("no_text  \n", 8) == "no_text"
    assert reply_text("<html><body>" + "word " * 50 + "</body></html>", 12) == "word word w…"
