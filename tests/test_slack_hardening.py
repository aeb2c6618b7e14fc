"""Delivery hardening with the real slack_sdk against the stand-in: long rate limits,
held deliveries, a switch of transport, and undelivered alerts made visible."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from canary.alerts.deliver import DeliveryReport, deliver
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
