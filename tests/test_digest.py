"""The channel-neutral digest of a run (incidents first), its Slack and Prefect renderings,
and Prefect notification blocks as a channel, against a real Prefect server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from canary.alerts.deliver import deliver
from canary.alerts.notices import notify_ops
from canary.alerts.outbox import records
from canary.alerts.policy import Masking
from canary.alerts.render.digest import Digest, digest
from canary.alerts.render.digest_render import prefect_notification, slack_message, slack_thread
from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.incidents import incidents_of
from canary.pipeline import RunOptions, plan
from canary.replay import backtest
from canary.results import RunResult
from canary.store.db import Store
from canary.weeks import WEEK
from tests.conftest import LATEST_WEEK, NOW, write_config

ALL = "code-insights-all-instances"
WEEK_UNDER_TEST = LATEST_WEEK - WEEK * 3


def _scenario_runs(tmp: Path, slug: str, ge: GreatExpectations) -> list[RunResult]:
    config = load_config(write_config(tmp), environ={})
    store = Store(f"sqlite:///{config.data_dir / 'replay.db'}", home=config.data_dir)
    runs: list[RunResult] = []
    for monitor in config.monitors:
        options = RunOptions(week=WEEK_UNDER_TEST, now=NOW, scenario=slug)
        p = plan(config, monitor, options, config.data_dir)
        runs += backtest(p, WEEK_UNDER_TEST, store, ge)
    store.close()
    return runs


def _digest_of(runs: list[RunResult]) -> Digest:
    run = next(r for r in runs if r.monitor == ALL)
    return digest(run, incidents_of(runs), Masking(), others=runs)


@pytest.mark.integration
@pytest.mark.parametrize("slug", ["object-null", "version-field-drop"])
def test_slack_and_prefect_renderings_match_golden_files(
    slug: str, tmp_path: Path, ge: GreatExpectations, golden: Any
) -> None:
    d = _digest_of(_scenario_runs(tmp_path, slug, ge))
    assert [v.cause for v in d.incidents] == [slug]
    text, blocks = slack_message(d)
    thread_text, thread = slack_thread(d.incidents[0], d.monitor)
    slack = {
        "message": {"text": text, "blocks": blocks},
        "thread": [{"text": thread_text, "blocks": thread}],
    }
    golden(f"digest-{slug}.slack.json", json.dumps(slack, indent=2, ensure_ascii=False) + "\n")
    subject, body = prefect_notification(d)
    golden(f"digest-{slug}.prefect.md", f"{subject}\n\n{body}")
    _no_path_nor_json([slack, body])
    # the first message lists incidents, not checks; the thread carries the evidence
    assert len(blocks) == 3 and slug in blocks[2]["text"]["text"]
    assert "evidence" in json.dumps(thread)


def _strings(rendering: Any) -> str:
    """Every text a rendering shows (its strings, not its JSON structure)."""
    if isinstance(rendering, str):
        return rendering + "\n"
    items = rendering.values() if isinstance(rendering, dict) else rendering
    return "".join(_strings(x) for x in items)


def _no_path_nor_json(rendering: Any) -> None:
    """What people read: no path on the worker, no raw JSON of a value."""
    text = _strings(rendering)
    assert "file://" not in text and "/tmp/" not in text and ".json" not in text
    assert '{"' not in text and "unexpected_count" not in text


@pytest.mark.integration
def test_both_monitors_tell_their_shared_incident_alike(
    tmp_path: Path, ge: GreatExpectations, golden: Any
) -> None:
    """As `canary run` and the flows record them: one monitor after the other, each run's
    alerts composed in its own transaction, the first before the second's checks exist."""
    import pandas as pd

    from canary.alerts.deliver import alerts_with_run
    from canary.alerts.render.digest_render import rendered

    runs = _scenario_runs(tmp_path, "object-null", ge)
    config = load_config(write_config(tmp_path, slack={"delivery": "bot"}), environ={})
    store = Store(f"sqlite:///{tmp_path / 'alerts.db'}")
    prepare = alerts_with_run(
        config,
        now=NOW,
        environ={"SLACK_BOT_TOKEN": "xoxb-test"},
        result_path=tmp_path / "result.json",
        run_url="http://127.0.0.1:4200/flow-runs/flow-run/7",
    )
    for run in runs:
        store.record_run(run, pd.DataFrame(), NOW, also=prepare(store, run, pd.DataFrame()))
    posts = [e for e in records.entries(store.engine) if e.kind == "post"]
    assert [e.monitor for e in posts] == [r.monitor for r in runs]
    messages = {e.monitor: rendered(e.payload) for e in posts}
    golden(
        "digest-object-null.both.slack.json",
        json.dumps(messages, indent=2, ensure_ascii=False) + "\n",
    )
    _no_path_nor_json(messages)
    told = {}
    for monitor, (text, blocks) in messages.items():
        sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        [shared] = [t for t in sections if "object-null" in t]
        told[monitor] = shared
        assert "1 incident failing" in blocks[1]["elements"][0]["text"]
        assert "Prefect run" in text
    assert len(set(told.values())) == 1, told  # one story, in both channels
    store.close()


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200
    delay = 0.0

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        type(self).received.append(json.loads(self.rfile.read(length)))
        time.sleep(type(self).delay)
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[tuple[str, type[_Hook]]]:
    handler = type("Hook", (_Hook,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler
    server.shutdown()


@pytest.fixture(scope="module")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def _config(tmp: Path, **notify: Any) -> Config:
    return load_config(write_config(tmp, notify=notify), environ={})


def _notify_entries(store: Store) -> list[records.Entry]:
    return [e for e in records.entries(store.engine) if e.transport == records.NOTIFY]


@pytest.mark.prefect
@pytest.mark.integration
def test_a_prefect_webhook_block_receives_the_digest_through_the_outbox(
    prefect_server: None, hook: tuple[str, type[_Hook]], tmp_path: Path, ge: GreatExpectations
) -> None:
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    url, received = hook
    CustomWebhookNotificationBlock(
        name="canary-ops",
        url=url + "?token={{token}}",
        json_data={"title": "{{subject}}", "text": "{{body}}"},
        secrets={"token": "hook-secret-4711"},
        allow_private_urls=True,
    ).save("canary-ops", overwrite=True)
    runs = _scenario_runs(tmp_path, "object-null", ge)
    run = next(r for r in runs if r.monitor == ALL)
    env = {"PREFECT_API_URL": "set by the harness"}
    critical = _config(tmp_path, ops={"block": "custom-webhook/canary-ops"})
    store = Store(f"sqlite:///{tmp_path / 'alerts.db'}")
    # refused: the message stays queued in the outbox, the problem names the block only
    received.status = 500
    report = deliver(critical, store, [run], now=NOW, environ=env)
    assert report.notified == 0 and report.problems == [
        "notify ops: Prefect block 'custom-webhook/canary-ops' did not accept the message (HTTP 500)"
    ]
    assert "hook-secret-4711" not in json.dumps([e.last_error for e in _notify_entries(store)])
    (entry,) = _notify_entries(store)
    assert entry.status == "pending" and entry.attempts == 1
    # the next run sends it, rendered then from the stored channel-neutral body
    received.status = 200
    assert deliver(critical, store, [], now=NOW, environ=env).notified == 1
    got = received.received[-1]
    assert got["title"].endswith(f"{ALL} — week {WEEK_UNDER_TEST}: failed")
    assert "**object-null** (90%)" in got["text"] and "counters null" in got["text"]
    # never twice: a rerun of the same run queues nothing new and sends nothing
    again = deliver(critical, store, [run], now=NOW, environ=env)
    assert again.notified == 0 and len(received.received) == 2
    assert [e.status for e in _notify_entries(store)] == ["delivered"]
    # routed per severity: a channel for warnings only gets nothing from a critical run
    warnings = _config(
        tmp_path, ops={"block": "custom-webhook/canary-ops", "severities": ["warning"]}
    )
    assert notify_ops(warnings, [_digest_of(runs)]) == []
    missing = _config(tmp_path, ops={"block": "custom-webhook/nowhere"})
    elsewhere = Store(f"sqlite:///{tmp_path / 'other.db'}")
    assert deliver(missing, elsewhere, [run], now=NOW, environ=env).problems == [
        "notify ops: Prefect block 'custom-webhook/nowhere' not found (ValueError)"
    ]
    # Slack's transports never carry notification-block messages over
    assert records.stranded(elsewhere.engine, "slack") == []
    # a timeout may have delivered it, and a block cannot be searched: never sent again
    CustomWebhookNotificationBlock(
        name="canary-slow",
        url=url,
        json_data={"title": "{{subject}}", "text": "{{body}}"},
        timeout=0.5,
        allow_private_urls=True,
    ).save("canary-slow", overwrite=True)
    slow = _config(tmp_path, ops={"block": "custom-webhook/canary-slow"})
    third = Store(f"sqlite:///{tmp_path / 'third.db'}")
    received.delay, before = 1.5, len(received.received)
    assert deliver(slow, third, [run], now=NOW, environ=env).problems == [
        f"notify: outcome unknown, not re-sent: notify to ops ({ALL})"
    ]
    received.delay = 0.0
    assert deliver(slow, third, [run], now=NOW, environ=env).notified == 0
    assert len(received.received) == before + 1
    assert [e.status for e in _notify_entries(third)] == ["unverifiable"]


def test_notify_without_a_prefect_api_keeps_the_message_queued(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from canary.alerts.render.digest import IncidentView

    view = IncidentView("x", "object-null", 0.9, "h", "s", LATEST_WEEK, 3, "failed", "critical")
    d = Digest(ALL, LATEST_WEEK, "failed", {"failed": 3}, [view])
    assert Digest.from_json(d.to_json()) == d
    config = _config(tmp_path, ops={"block": "custom-webhook/canary-ops"})
    store = Store(f"sqlite:///{tmp_path / 'alerts.db'}")
    with store.engine.begin() as con:
        assert records.enqueue(con, notify_ops(config, [d]), records.NOTIFY, 0.0) == 1
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        report = deliver(config, store, [], now=NOW, environ={})
    assert report.notified == 0 and report.problems == [
        "notify: 1 message(s) wait: no PREFECT_API_URL to load the blocks from"
    ]
    assert [e.status for e in _notify_entries(store)] == ["pending"]
    assert report.open == {"pending": 1}


def test_notify_config_names_unknown_monitors(tmp_path: Path) -> None:
    from canary.errors import ConfigError

    with pytest.raises(ConfigError, match=r"notify\.ops\.monitors: 'nope' is not defined"):
        _config(tmp_path, ops={"block": "custom-webhook/x", "monitors": ["nope"]})
