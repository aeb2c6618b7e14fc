"""Slack tells incidents, week after week, with the real slack_sdk against the stand-in:
the object-null drill of the sample through the real checks, then its lifecycle."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from canary.alerts.deliver import deliver
from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.pipeline import RunOptions, plan
from canary.replay import backtest
from canary.results import RunResult
from canary.store.db import Store
from canary.weeks import WEEK
from tests.alert_builders import make_config, open_store
from tests.conftest import LATEST_WEEK, NOW, write_config
from tests.slack_fake import ENV, SlackFake

ALERTS = "C0000INTERN"  # #code-insights-internal: all-instances alerts
ALL = "code-insights-all-instances"
DRILL_WEEK = LATEST_WEEK - WEEK * 3


def _texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks"), ensure_ascii=False) + (message.get("text") or "")


def _run(tmp: Path, scenario: str | None, ge: GreatExpectations) -> RunResult:
    """The all-instances monitor's run of ``DRILL_WEEK`` with ``scenario`` injected."""
    tmp.mkdir()
    config = load_config(write_config(tmp), environ={})
    store = Store(f"sqlite:///{config.data_dir / 'replay.db'}", home=config.data_dir)
    options = RunOptions(week=DRILL_WEEK, now=NOW, scenario=scenario)
    [run] = backtest(plan(config, ALL, options, config.data_dir), DRILL_WEEK, store, ge)
    store.close()
    return run


def _as_of(run: RunResult, week: date, onset: date | None = None) -> RunResult:
    """``run`` as the run of ``week``: a breakage going on (``onset`` None) keeps the first
    failed week of its checks; one that starts again says so."""
    checks = [
        dataclasses.replace(c, first_failed_week=onset or c.first_failed_week)
        if c.status == "failed"
        else c
        for c in run.checks
    ]
    return dataclasses.replace(run, week=week, checks=checks, drill=None)


@pytest.mark.integration
def test_the_object_null_drill_is_one_incident_followed_in_its_thread(
    slack: SlackFake, tmp_path: Path
) -> None:
    ge = GreatExpectations()
    broken = _run(tmp_path / "drill", "object-null", ge)
    healthy = _run(tmp_path / "clean", None, ge)
    assert broken.status == "failed" and healthy.status == "passed"
    config = make_config(tmp_path, slack)
    store = open_store(tmp_path)
    weeks = [DRILL_WEEK + WEEK * k for k in range(4)]

    def send(run: RunResult) -> None:
        now = datetime.combine(run.week + timedelta(days=8), time(), UTC)
        assert deliver(config, store, [run], now=now, environ=ENV).ok

    # the drill: one message listing one incident (not 270 checks), one reply in its thread
    send(_as_of(broken, weeks[0]))
    [message] = slack.top_level(ALERTS)
    sections = [b for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 1 and "*object-null* (90%)" in sections[0]["text"]["text"]
    assert "1 incident failing (1 new)" in message["text"]
    assert "*null rate*" not in _texts(message)  # checks are evidence, in the thread
    [detail] = slack.replies(ALERTS, message["ts"])
    assert "*evidence*" in _texts(detail) and "…and " in _texts(detail)
    posts = len(slack.calls("chat.postMessage"))

    # the next week, the same breakage: no new message, a reply in the incident's thread
    send(_as_of(broken, weeks[1]))
    assert slack.top_level(ALERTS) == [message]
    still = slack.replies(ALERTS, message["ts"])[-1]
    assert "still failing" in _texts(still) and "object-null" in _texts(still)
    assert len(slack.calls("chat.postMessage")) == posts + 1

    # healthy again: resolved in the same thread, and the message marks it resolved
    send(_as_of(healthy, weeks[2]))
    assert len(slack.top_level(ALERTS)) == 1
    resolved = slack.replies(ALERTS, message["ts"])[-1]
    assert "resolved" in _texts(resolved) and weeks[2].isoformat() in _texts(resolved)
    [update] = slack.calls("chat.update")
    assert update.body["ts"] == message["ts"]
    assert message.get("edited") and "~object-null~" in _texts(message)
    assert message["text"].startswith("✅")
    assert "no incident failing, 1 resolved" in message["text"]

    # it comes back: a new message says the incident reopened
    send(_as_of(broken, weeks[3], onset=weeks[3]))
    [_, again] = slack.top_level(ALERTS)
    assert "reopened" in _texts(again) and "object-null" in _texts(again)
    assert len(slack.replies(ALERTS, again["ts"])) == 1
    keys = slack.stored_keys()
    assert len(keys) == len(set(keys)), "an alert was posted twice"
    store.close()
