"""Delivery with the real slack_sdk against the stand-in: threads, lifecycle, outbox, faults."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from canary.alerts.deliver import DeliveryReport, deliver
from canary.alerts.outbox import records
from canary.config import Config
from canary.results import CheckResult
from canary.store.db import Store
from tests.alert_builders import (
    W1,
    W2,
    W3,
    W4,
    check,
    make_config,
    open_store,
    run_of,
    seed_history,
)
from tests.slack_fake import ENV, SlackFake

ALERTS, OPS = "C0000INTERN", "C0000CANOPS"  # all-instances alerts; run errors routed
MONITOR = "code-insights-all-instances"


def _now(week: date) -> datetime:
    return datetime.combine(week + timedelta(days=8), time(), UTC)


def _send(
    config: Config, store: Store, week: date, *checks: CheckResult, env: dict[str, str] = ENV
) -> DeliveryReport:
    return deliver(config, store, [run_of(week, *checks)], now=_now(week), environ=env)


def _texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks")) + (message.get("text") or "")


def _no_duplicates(slack: SlackFake) -> None:
    keys = slack.stored_keys()
    assert len(keys) == len(set(keys)), "an alert was posted twice"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path)


def test_a_failing_run_posts_one_message_per_channel_with_a_thread(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    slack.add_channel(OPS, "canary-ops")
    slack.add_channel("C0000RANDOM", "random")  # conversations.list needs two pages
    config = make_config(
        tmp_path,
        slack,
        routes={"errors": {"status": "error", "channel": "#canary-ops"}},
        owners={"page_views": ["U0123ABCDE"]},
    )
    seed_history(store, "total_insights_page_views")
    nulls = check(sample_rows=[{"week": "2026-11-02", "total_insights_page_views": None}])
    pair = check("unique <= total", column="total_insights_unique_page_views")
    broken = check("pull", "error", dataset="creators", column=None)
    report = _send(config, store, W1, nulls, pair, broken, check("ok", "passed"))
    assert report.ok and report.transport == "slack"
    [main] = slack.top_level(ALERTS)
    [errors] = slack.top_level(OPS)
    assert "page_views" in _texts(main) and "<@U0123ABCDE>" in _texts(main)
    assert "2 incidents failing (2 new)" in _texts(main) and "unique &lt;= total" not in _texts(
        main
    )
    assert "creators" in _texts(errors) and "page_views" not in _texts(errors)
    thread = slack.replies(ALERTS, main["ts"])
    details = [m for m in thread if "*evidence*" in _texts(m)]  # one reply per incident
    charts = [m for m in thread if m.get("files")]
    named = ("*not null*", "*unique &lt;= total*")
    assert [[c in _texts(m) for c in named] for m in details] in (
        [[True, False], [False, True]],
        [[False, True], [True, False]],
    )
    assert len(details) == 2 and len(charts) == 1  # history exists for one column only
    assert "*pull*" in _texts(slack.replies(OPS, errors["ts"])[0])
    assert charts[0]["files"][0]["name"].startswith(f"canary-{nulls.id}")
    assert len(slack.replies(OPS, errors["ts"])) == 1
    assert len(slack.calls("conversations.list")) == 2  # names resolved once (two pages)
    posts = slack.calls("chat.postMessage")
    assert all(p.body["metadata"]["event_type"] == "canary_alert" for p in posts)
    assert len(posts) == 5 and not slack.calls("chat.update")
    assert _send(config, store, W1, nulls, pair, broken).ok  # a rerun of the week: nothing new
    assert len(slack.calls("chat.postMessage")) == 5
    _no_duplicates(slack)


def test_a_new_messages_header_counts_the_incidents_still_failing_in_older_threads(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack)
    level = check("level", dataset="creators", column="creators")
    for week, checks in ((W1, [check()]), (W2, [check(), level])):
        assert _send(config, store, week, *checks).ok
    first, second = slack.top_level(ALERTS)
    assert "1 incident failing (1 new)" in first["text"]
    assert (
        second["text"]
        .splitlines()[1]
        .startswith("2 incidents failing (1 new, 1 still failing) · checks: 2 failed")
    )
    sections = [b for b in second["blocks"] if b["type"] == "section"]
    assert len(sections) == 1  # the one still failing is told in its own thread
    _send(config, store, W3, check(), level)
    assert len(slack.top_level(ALERTS)) == 2  # nothing new: replies in both threads only


def test_still_failing_replies_in_thread_and_recovery_updates_the_original(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack)
    _send(config, store, W1, check())
    [original] = slack.top_level(ALERTS)
    before = len(slack.replies(ALERTS, original["ts"]))

    _send(config, store, W2, check())
    assert slack.top_level(ALERTS) == [original]
    added = slack.replies(ALERTS, original["ts"])[before:]
    assert len(added) == 1 and "still failing" in _texts(added[0]) and "week 2" in _texts(added[0])

    _send(config, store, W3, check(status="passed"))
    assert len(slack.top_level(ALERTS)) == 1
    last = slack.replies(ALERTS, original["ts"])[-1]
    assert "resolved" in _texts(last) and W3.isoformat() in _texts(last)
    [update] = slack.calls("chat.update")
    assert update.body["ts"] == original["ts"]
    assert original.get("edited") and "resolved in week" in _texts(original)

    _send(config, store, W4, check())
    reopened = slack.top_level(ALERTS)[-1]
    assert len(slack.top_level(ALERTS)) == 2
    assert "reopened" in _texts(reopened) and "flapping" in _texts(reopened)
    _no_duplicates(slack)


def test_a_muted_check_posts_nothing_until_the_mute_expires(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    until = _now(W2).date().isoformat()  # runs are delivered a week and a day after W starts
    mute = {"pattern": f"{MONITOR}/page_views/not null/*", "until": until, "reason": "fix"}
    config = make_config(tmp_path, slack, mutes={"nulls": mute})
    _send(config, store, W1, check())
    _send(config, store, W2, check())
    assert slack.requests == []
    _send(config, store, W3, check())  # the mute has expired
    [message] = slack.top_level(ALERTS)
    assert "total_insights_page_views" in _texts(message) and "week 3" in _texts(message)


def test_slack_down_for_a_whole_run_loses_nothing_and_the_next_run_delivers_in_order(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack)
    slack.down = True
    report = _send(config, store, W1, check(), check("other", column="x"))
    assert not report.ok and report.flushed is not None and report.flushed.errors
    assert report.open.get("pending", 0) >= 3
    assert not slack.stored_keys()

    slack.down = False
    report = _send(config, store, W2, check(), check("other", column="x"))
    assert report.ok and not report.open
    [message] = slack.top_level(ALERTS)
    assert W1.isoformat() in _texts(message)
    thread = slack.replies(ALERTS, message["ts"])
    assert [("still failing" in _texts(m)) for m in thread] == [False, False, True]
    stamps = [float(m["ts"]) for m in thread]
    assert stamps == sorted(stamps)
    _no_duplicates(slack)


@pytest.mark.parametrize(
    ("fault", "posts"), [("drop_after", 1), ("drop_before", 2), ("non_json", 1)]
)
def test_an_unknown_outcome_is_looked_up_before_it_is_sent_again(
    slack: SlackFake, tmp_path: Path, store: Store, fault: str, posts: int
) -> None:
    config = make_config(tmp_path, slack, max_details=0)
    slack.inject("chat.postMessage", fault)
    report = _send(config, store, W1, check())
    assert report.ok
    assert len(slack.calls("chat.postMessage")) == posts
    assert len(slack.calls("conversations.history")) == 1
    assert len(slack.top_level(ALERTS)) == 1
    _no_duplicates(slack)


@pytest.mark.parametrize(("fault", "completions"), [("drop_after", 1), ("drop_before", 2)])
def test_a_chart_whose_upload_outcome_is_lost_is_shared_once(
    slack: SlackFake, tmp_path: Path, store: Store, fault: str, completions: int
) -> None:
    """A lost answer of a completed upload: Slack shares the file a moment later, so it is
    not in the thread yet when it is looked up; the file Slack gave is asked about instead.
    An upload that never completed is sent again."""
    config = make_config(tmp_path, slack)
    seed_history(store, "total_insights_page_views")
    slack.share_delay = 1.0
    slack.inject("files.completeUploadExternal", fault)
    report = _send(config, store, W1, check())
    assert report.ok and not report.open
    assert len(slack.calls("files.completeUploadExternal")) == completions
    [asked] = slack.calls("files.info")
    assert asked.body["file"] == min(slack.uploads)  # the file the lost attempt was given
    [shared] = slack.shared_files()
    [upload] = [e for e in records.entries(store.engine) if e.kind == "upload"]
    assert upload.ts == shared
    [thread] = slack.top_level(ALERTS)
    assert [m["files"][0]["id"] for m in slack.replies(ALERTS, thread["ts"]) if "files" in m] == [
        shared
    ]


def test_without_files_read_a_lost_upload_is_reported_never_sent_twice(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack)
    seed_history(store, "total_insights_page_views")
    slack.share_delay = 1.0
    slack.inject("files.completeUploadExternal", "drop_after")
    slack.inject("files.info", "error:missing_scope")
    slack.inject("files.list", "error:missing_scope")
    report = _send(config, store, W1, check(), check("other", column="x"))
    assert report.flushed is not None and report.flushed.delivered["reply"] == 2
    assert report.flushed.failed == [
        "upload to #code-insights-internal: it may have gone through and cannot be looked up without "
        "the files:read scope; not sent again"
    ]
    assert len(slack.shared_files()) == 1 and not report.open


def test_a_rerun_after_an_unverified_post_adopts_it_instead_of_posting_again(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack)
    slack.inject("chat.postMessage", "drop_after")
    slack.inject("conversations.history", "drop_before")  # the lookup fails too
    report = _send(config, store, W1, check())
    assert not report.ok and report.open == {"unknown": 1, "pending": 1}
    assert len(slack.top_level(ALERTS)) == 1  # it did arrive

    report = _send(config, store, W1, check())  # the task is retried
    assert report.ok and report.flushed is not None and report.flushed.adopted == 1
    assert len(slack.calls("chat.postMessage")) == 2  # the lost post, then its detail reply
    _no_duplicates(slack)


def test_a_stale_claim_is_treated_as_an_unknown_outcome(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0)
    slack.down = True
    _send(config, store, W1, check())
    [entry] = records.queue(store.engine, "slack")
    assert records.claim(store.engine, entry, 0.0, "a run that died")  # long ago, mid-attempt
    slack.down = False
    assert _send(config, store, W1, check()).ok
    assert len(slack.calls("conversations.history")) == 1
    assert len(slack.top_level(ALERTS)) == 1


def test_rate_limits_and_server_errors_are_retried(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0)
    slack.inject("chat.postMessage", "429")
    slack.inject("chat.postMessage", "503")
    assert _send(config, store, W1, check()).ok
    assert [r.fault for r in slack.calls("chat.postMessage")] == ["429", "503", None]
    assert len(slack.top_level(ALERTS)) == 1


def test_a_broken_channel_holds_only_its_own_messages(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    slack.add_channel(OPS, "canary-ops", member=False)
    config = make_config(
        tmp_path,
        slack,
        max_details=0,
        routes={
            "errors": {"status": "error", "channel": "#canary-ops"},
            "gone": {"dataset": "creators", "channel": "#archived-channel"},
        },
    )
    report = _send(config, store, W1, check(), check("pull", "error", dataset="x", column=None))
    assert len(slack.top_level(ALERTS)) == 1
    assert report.flushed is not None
    assert any("not_in_channel" in e for e in report.flushed.errors)
    assert report.open == {"pending": 1}

    slack.channels[OPS].member = True
    report = _send(config, store, W2, check(), check("pull", "error", dataset="x", column=None))
    assert report.ok and len(slack.top_level(OPS)) == 1

    report = _send(config, store, W2, check("gone", dataset="creators"))
    assert report.flushed is not None
    assert any("#archived-channel not found" in e for e in report.flushed.errors)


def test_a_refused_token_keeps_everything_for_later(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0)
    report = _send(config, store, W1, check(), env={"SLACK_BOT_TOKEN": "xoxb-wrong"})
    assert report.flushed is not None
    assert any("refused the bot token (invalid_auth)" in e for e in report.flushed.errors)
    assert report.open == {"pending": 1} and not slack.stored_keys()
    assert _send(config, store, W1, check()).ok
    assert len(slack.top_level(ALERTS)) == 1


def test_an_incoming_webhook_degrades_to_one_message_per_run(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, delivery="webhook", webhook={"env": "HOOK"})
    env = {"HOOK": slack.webhook_url}
    slack.inject("webhook", "drop_after")
    report = _send(
        config, store, W1, check(), check("pull", "error", dataset="x", column=None), env=env
    )
    assert report.flushed is not None and len(report.flushed.unverifiable) == 1
    assert len(slack.webhook_messages) == 1  # arrived; its outcome was unknown, never re-sent
    _send(config, store, W2, check(), env=env)
    _send(config, store, W3, check(status="passed"), env=env)
    assert len(slack.webhook_messages) == 3
    second, third = (json.dumps(m) for m in slack.webhook_messages[1:])
    assert "still failing, week 2" in second
    assert "resolved in week" in third
    assert not slack.calls("chat.postMessage") and not slack.calls("chat.update")


def test_a_webhook_error_page_is_told_by_its_title(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, delivery="webhook", webhook={"env": "HOOK"})
    slack.inject("webhook", "html:502")  # a proxy's page (502 is not retried)
    report = _send(config, store, W1, check(), env={"HOOK": slack.webhook_url})
    assert report.flushed is not None
    assert report.flushed.errors == ["webhook post: HTTP 502 502 Bad Gateway"]
    assert report.open == {"pending": 1}


def test_an_error_page_in_front_of_the_web_api_is_told_by_its_title(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=0)
    slack.inject("chat.postMessage", "html:502")
    slack.inject("conversations.history", "drop_before")  # and it cannot be looked up
    _send(config, store, W1, check())
    [post] = records.entries(store.engine)
    assert post.status == "unknown"
    assert (
        post.last_error
        == "post to #code-insights-internal: outcome unknown (HTTP 502, unreadable reply: 502 Bad Gateway)"
    )


def test_without_slack_alerts_go_to_the_file_outbox_and_the_console(
    tmp_path: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.console import Console

    config = make_config(tmp_path, delivery="auto")
    report = deliver(
        config, store, [run_of(W1, check())], now=_now(W1), environ={}, console=Console()
    )
    assert report.transport == "file" and report.ok
    [written] = (tmp_path / ".canary" / "outbox").glob("*.md")
    text = written.read_text()  # the message, with each new incident's evidence
    assert "1 incident" in text and "**evidence**" in text and "**not null**" in text
    assert "code-insights-all-instances — week 2026-11-02" in capsys.readouterr().out


def test_no_secret_in_logs_store_files_or_errors(
    slack: SlackFake, tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    secret_path = slack.webhook_url.split("/services/")[1]
    config = make_config(tmp_path, slack)
    slack.inject("chat.postMessage", "429")
    slack.inject("chat.postMessage", "drop_before")
    slack.inject("files.completeUploadExternal", "503")
    seed_history(store, "total_insights_page_views")
    reports = [_send(config, store, W1, check())]
    reports.append(_send(config, store, W2, check(), env={"SLACK_BOT_TOKEN": "xoxb-bad-0000"}))
    (tmp_path / "hook").mkdir()
    hook = make_config(tmp_path / "hook", slack, delivery="webhook", webhook={"env": "HOOK"})
    slack.inject("webhook", "drop_after")
    reports.append(
        _send(hook, open_store(tmp_path / "hook"), W1, check(), env={"HOOK": slack.webhook_url})
    )
    bad_url = "gopher://hooks.example/" + secret_path
    reports.append(_send(hook, open_store(tmp_path / "bad"), W1, check(), env={"HOOK": bad_url}))
    with store.engine.connect() as con:
        stored = json.dumps([list(map(str, r)) for r in con.execute(select(*records.outbox.c))])
    files = "".join(
        p.read_bytes().decode(errors="replace")
        for p in tmp_path.rglob("*")
        if p.is_file() and p.suffix != ".db"
    )
    seen = [caplog.text, stored, files, repr(reports)]
    assert any("429" in s or "rate" in s.lower() for s in seen)  # the faults did happen
    for text in seen:
        assert TOKEN_VALUE not in text and secret_path not in text and "xoxb-bad" not in text


def test_masked_columns_and_personal_data_never_reach_slack(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, masking={"columns": {"site_id": "mask", "label": "drop"}})
    rows = [
        {
            "site_id": "SITE-SECRET-1",
            "label": "Acme Corp",
            "note": "ceo@acme.io on 10.9.8.7",
            "v": 3,
        },
        {"site_id": "SITE-SECRET-2", "label": "Beta Inc", "note": "LK-AB12-CD34-EF56", "v": 4},
    ]
    bad = check(
        "one row per key",
        column="site_id",
        sample_rows=rows,
        observed={"examples": ["ceo@acme.io"]},
        reason="instance_usage: site_id repeats; e.g. 'SITE-SECRET-1', 'SITE-SECRET-2'.",
    )
    assert _send(config, store, W1, bad).ok
    sent = json.dumps([r.body for r in slack.requests])
    assert "site_id" in sent and "***" in sent  # the rows were shown, masked
    for secret in ("SITE-SECRET", "Acme Corp", "Beta Inc", "ceo@acme.io", "10.9.8.7", "AB12-CD34"):
        assert secret not in sent


TOKEN_VALUE = ENV["SLACK_BOT_TOKEN"]


def test_messages_link_the_runs_data_docs_unless_a_report_site_is_set(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    docs = "http://127.0.0.1:9/docs/code-insights-all-instances/index.html"
    config = make_config(tmp_path, slack)
    deliver(config, store, [run_of(W1, check())], now=_now(W1), environ=ENV, docs_url=docs)
    [message] = slack.top_level(ALERTS)
    assert "Data Docs" in _texts(message) and docs in _texts(message)

    (tmp_path / "site").mkdir()
    site = make_config(tmp_path / "site", slack, report_base_url="http://127.0.0.1:9/reports")
    site_store = Store(site.store_url({}))
    deliver(
        site,
        site_store,
        [run_of(W1, check(monitor=MONITOR, dataset="creators"))],
        now=_now(W1),
        environ=ENV,
        docs_url=docs,
    )
    site_store.close()
    newest = slack.top_level(ALERTS)[-1]
    assert "http://127.0.0.1:9/reports" in _texts(newest) and docs not in _texts(newest)


def test_slack_shows_web_links_only_and_the_file_outbox_says_where_results_are(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    local_docs = (tmp_path / "docs" / "index.html").as_uri()
    result = tmp_path / "result.json"
    run_page = "http://127.0.0.1:4200/flow-runs/flow-run/f1"
    config = make_config(tmp_path, slack, max_details=0)
    run = run_of(W1, check(), check("other", column="x"))
    options: dict[str, Any] = {"now": _now(W1), "result_path": result, "run_url": run_page}
    assert deliver(config, store, [run], environ=ENV, docs_url=local_docs, **options).ok
    sent = json.dumps([r.body for r in slack.requests])
    assert str(tmp_path) not in sent and "file://" not in sent and "full results" not in sent
    [message] = slack.top_level(ALERTS)
    assert f"<{run_page}|Prefect run>" in _texts(message)  # in the blocks and the fallback
    assert f"Prefect run ({run_page})" in message["text"]
    # a file outbox is read where it was written: it may say where the results are
    (tmp_path / "file").mkdir()
    filed = make_config(tmp_path / "file", delivery="file")
    file_store = Store(filed.store_url({}))
    assert deliver(filed, file_store, [run], environ={}, **options).ok
    file_store.close()
    [written] = (tmp_path / "file" / ".canary" / "outbox").glob("*.md")
    text = written.read_text()
    assert f"full results: `{result.resolve()}`" in text and f"]({run_page})" in text


def test_the_run_links_its_slack_threads(slack: SlackFake, tmp_path: Path, store: Store) -> None:
    from flows.weekly_canary import run_links

    config = make_config(tmp_path, slack, workspace_url="https://acme.slack.com")
    run = run_of(W1, check())
    deliver(config, store, [run], now=_now(W1), environ=ENV)
    [message] = slack.top_level(ALERTS)
    links = run_links(config, run, None, store.url)
    assert links[f"Slack thread ({ALERTS})"] == (
        f"https://acme.slack.com/archives/{ALERTS}/p{message['ts'].replace('.', '')}"
    )
    assert not run_links(make_config(tmp_path, slack), run, None, store.url)


def test_incidents_beyond_max_details_are_listed_in_one_reply_with_the_results_link(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    config = make_config(tmp_path, slack, max_details=1, report_base_url="http://127.0.0.1:9/r")
    assert _send(config, store, W1, check(), check("other", column="x")).ok
    [message] = slack.top_level(ALERTS)
    assert "2 incidents" in message["text"]
    detail, more = slack.replies(ALERTS, message["ts"])
    assert "*evidence*" in _texts(detail)
    assert "1 more incident, details in the full results" in _texts(more)
    assert "http://127.0.0.1:9/r" in _texts(more) and "*evidence*" not in _texts(more)
    told = [c for c in ("total_insights_page_views", "page_views: x") if c in _texts(more)]
    assert len(told) == 1 and told[0] not in _texts(detail)


def test_the_other_monitors_recorded_verdicts_of_the_week_are_read_back_as_they_ran(
    store: Store, tmp_path: Path
) -> None:
    import pandas as pd

    canary = "code-insights-canary"
    seg = check("null rate", monitor=canary, segment={"version_minor": "5.3"}, first_failed_week=W1)
    run = run_of(W1, seg, check("ok", "passed", monitor=canary), monitor=canary)
    store.record_run(run, pd.DataFrame(), datetime.now(UTC))
    back = store.week_checks(W1, [canary, MONITOR])
    assert list(back) == [canary]
    assert [(c.id, c.status, c.segment, c.first_failed_week) for c in back[canary]] == [
        (c.id, c.status, c.segment, c.first_failed_week) for c in run.checks
    ]
    assert store.week_checks(W2, [canary]) == {}
    # a run delivered alone finds its incidents with them (they are not its evidence)
    config = make_config(tmp_path, delivery="file")
    assert deliver(config, store, [run_of(W1, check())], now=_now(W1), environ={}).ok
    [written] = (tmp_path / ".canary" / "outbox").glob("*.md")
    assert "1 incident" in written.read_text() and canary not in written.read_text()


def test_an_incident_thread_links_the_data_of_its_checks(
    slack: SlackFake, tmp_path: Path, store: Store
) -> None:
    from canary.results import DatasetInfo

    config = make_config(tmp_path, slack)
    run = run_of(W1, check())
    run.datasets = [DatasetInfo("page_views", 1, "https://looker.example.com/dashboards/7")]
    assert deliver(config, store, [run], now=_now(W1), environ=ENV).ok
    [message] = slack.top_level(ALERTS)
    [detail] = slack.replies(ALERTS, message["ts"])
    assert "*data* <https://looker.example.com/dashboards/7|page_views>" in _texts(detail)
