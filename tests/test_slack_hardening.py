"""Delivery hardening with the real slack_sdk against the stand-in: long rate limits,
held deliveries, a switch of transport, and undelivered alerts made visible."""

from __future__ import annotations

import threading
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from rich.console import Console
from sqlalchemy import update

from canary.alerts import outbox
from canary.alerts.commands import print_delivery
from canary.alerts.deliver import DeliveryReport, deliver
from canary.alerts.flush import FlushReport, flush
from canary.alerts.transports import SlackTransport
from canary.config import Config
from canary.results import CheckResult
from canary.store.db import Store
from tests.slack_fake import ENV, W1, SlackFake, check, make_config, open_store, run_of

ALERTS = "C0000ALERTS"


def _now(week: date) -> datetime:
    return datetime.combine(week + timedelta(days=8), time(), UTC)


def _send(
    config: Config, store: Store, week: date, *checks: CheckResult, env: dict[str, str] = ENV
) -> DeliveryReport:
    return deliver(config, store, [run_of(week, *checks)], now=_now(week), environ=env)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path)


# --- item 11: a long Retry-After is not waited out ---------------------------------------


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


# --- item 12: held deliveries say by whom and until when; a heartbeat keeps a short lease --


def _crash_mid_delivery(config: Config, slack: SlackFake, store: Store, holder: str) -> None:
    """Queue a post and its two detail replies, then claim the post as a run that died."""
    slack.down = True
    _send(config, store, W1, check(), check("other", column="x"))
    slack.down = False
    post = outbox.queue(store.engine, "slack")[0]
    assert post.kind == "post"
    assert outbox.claim(store.engine, post, clock.time(), holder)


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
    assert held.until - held.since == pytest.approx(outbox.LEASE_SECONDS)
    print_delivery(Console(), report)
    err = " ".join(capsys.readouterr().err.split())
    until = datetime.fromtimestamp(held.until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert (
        f"held: post to #code-insights (code-insights-all-instances, week {W1}) is being "
        f"delivered by {dead} since"
    ) in err
    assert f"held until {until}" in err and "2 more for #code-insights wait behind it" in err

    with store.engine.begin() as con:  # a lease later: the holder never renewed it
        con.execute(update(outbox.outbox).values(lease_until=clock.time() - 1))
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
    assert outbox.counts(store.engine) == {"delivered": 1}
