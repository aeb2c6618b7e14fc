"""Renderers of the channel-neutral body: golden files for Block Kit, plain text and
markdown; Slack's limits folding; rendering at send time."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from canary.alerts.render.blocks import HEADER_LIMIT, MAX_BLOCKS, SECTION_LIMIT, TEXT_LIMIT
from canary.alerts.render.digest import Digest, IncidentView
from canary.alerts.render.digest_render import (
    markdown_part,
    overflow,
    prefect_notification,
    rendered,
    slack_part,
)
from canary.alerts.render.model import Alert, Link, alert_from_check
from canary.alerts.render.text import MARKDOWN, MRKDWN, PLAIN, alert_line
from tests.alert_builders import check
from tests.slack_fake import blocks_error

WEEK = date(2026, 11, 16)


def _alerts() -> list[Alert]:
    nulls = check(
        "not null",
        sample_rows=[{"week": "2026-11-16", "total_insights_page_views": None}],
        first_failed_week=date(2026, 11, 2),
        reason="page_views, week 2026-11-16: total_insights_page_views is null on 100.0% (1 of 1 rows).",
    )
    level = check(
        "level",
        dataset="usage_by_version",
        column="total_insights_page_views",
        segment={"version_minor": "5.3"},
        observed=120.0,
        expected={"min": 900.0, "max": 1800.5},
        reason="usage_by_version: total_insights_page_views for 5.3 is 120, expected 900..1,800.",
    )
    level.details = {  # type: ignore[attr-defined]
        "training_weeks": 8,
        "method": "median ± 5 MAD",
        "change_pct": -87.5,
        "attribution": {"deploy_type=helm": 0.8},
    }
    broken = check(
        "pull",
        "error",
        dataset="creators",
        column=None,
        reason="creators: could not be pulled (HTTP 401).",
    )
    warn = check(
        "known deploy types",
        "warning",
        dataset="usage_by_deploy_type",
        column="deploy_type",
        severity="warning",
    )
    alerts = [
        alert_from_check(nulls, WEEK, link="https://looker.example.com/dashboards/7"),
        alert_from_check(level, WEEK, flapping=True),
        alert_from_check(broken, WEEK),
        alert_from_check(warn, WEEK, state="ongoing", opened=date(2026, 10, 26)),
    ]
    return alerts


def _view(n: int, alerts: list[Alert], **fields: object) -> IncidentView:
    lead = alerts[0]
    view = IncidentView(
        id=f"{n:016x}",
        cause=None,
        confidence=0.0,
        headline=lead.reason,
        scope="overall",
        since=lead.first_failed_week or WEEK,
        checks=len(alerts),
        status=lead.status,
        severity=lead.severity,
        evidence=alerts,
        key=f"inc-{n:028x}",
        check_ids=[a.key for a in alerts],
        datasets=sorted({a.dataset for a in alerts}),
    )
    for name, value in fields.items():
        setattr(view, name, value)
    return view


def _incidents(alerts: list[Alert]) -> list[IncidentView]:
    nulls, level, broken, warn = alerts
    return [
        _view(
            1,
            [nulls, level],
            cause="object-null",
            confidence=0.9,
            headline="4 counters null on nearly every instance: page_views: "
            "total_insights_page_views is null on 100% of 1,198 instances; since 2026-11-02 "
            "(every version_minor). Looks like: the usage object is null (object-null)",
            scope="every version_minor",
            since=date(2026, 11, 2),
            weeks_failing=3,
            sample_rows=[{"site_id": "***", "total_insights_page_views": None}],
        ),
        _view(2, [broken], status="error"),
        _view(3, [warn], state="ongoing", weeks_failing=4, flapping=True),
    ]


def _message(views: list[IncidentView]) -> Digest:
    return Digest(
        monitor="code-insights-all-instances",
        week=WEEK,
        status="failed",
        counts={"passed": 120, "failed": 2, "warning": 1, "error": 1, "skipped": 3},
        incidents=views,
        more=Link(
            "full results", "https://canary.example.com/code-insights-all-instances/2026-11-16/"
        ),
        key="k" * 32,
        channel="#code-insights",
        muted=1,
        mentions=["<@U0123ABCDE>", "<!subteam^S0123ABCDE>"],
    )


def _dump(text: str, blocks: list[dict[str, object]]) -> str:
    return json.dumps({"text": text, "blocks": blocks}, indent=2, ensure_ascii=False) + "\n"


def test_renderers_match_golden_files(golden: object) -> None:
    compare = golden  # a callable fixture
    views = _incidents(_alerts())
    msg = _message(views)
    gone = dataclasses.replace(views[1], state="resolved", resolved_week=WEEK, evidence=[])
    parts = [
        slack_part("ongoing", msg.with_incidents([views[2]])),
        slack_part("resolved", msg.with_incidents([gone])),
    ]
    compare("message.blocks.json", _dump(*slack_part("run", msg)))  # type: ignore[operator]
    compare("detail.blocks.json", _dump(*slack_part("incident", msg.with_incidents(views[:1]))))  # type: ignore[operator]
    compare("followups.blocks.json", "".join(_dump(*p) for p in parts))  # type: ignore[operator]
    compare("digest.txt", markdown_part("run", msg, PLAIN))  # type: ignore[operator]
    compare("digest.md", markdown_part("run", msg))  # type: ignore[operator]


def test_message_lists_incidents_most_severe_first_and_the_thread_the_evidence() -> None:
    views = _incidents(_alerts())
    text, blocks = slack_part("run", _message(views))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    body = "\n".join(sections)
    assert body.index("object-null") < body.index("could not be checked")
    assert "🔁 flapping" in body and "still failing, week 4" in body
    assert "*not null*" not in body  # checks are the thread's, not the message's
    assert "1 muted" in text and "3 incidents failing (2 new, 1 still failing)" in text
    _, thread = slack_part("incident", _message(views[:1]))
    detail = "\n".join(b["text"]["text"] for b in thread)
    assert (
        "*not null*" in detail and "*level*" in detail and "*scope* every version_minor" in detail
    )
    assert "from 8 training weeks, median ± 5 MAD" not in detail  # the lead is the null check
    assert "```" in thread[-1]["text"]["text"] and "***" in thread[-1]["text"]["text"]
    assert text.startswith("❌ code-insights-all-instances — week 2026-11-16: failed")


def test_overflow_folds_into_and_n_more_listed_in_the_thread() -> None:
    alert = _alerts()[0]
    many = [_view(i, [alert], headline="x" * 5000) for i in range(400)]
    msg = _message(many)
    msg.monitor = "m" * 300
    text, blocks = slack_part("run", msg)
    assert blocks_error(blocks) is None  # what the stand-in (and Slack) accept
    assert len(blocks) <= MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks if b["type"] == "section")
    assert len(text) <= TEXT_LIMIT
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    fold = sections[-1]
    assert fold.startswith("…and ") and "listed in the thread" in fold
    assert "<https://canary.example.com/" in fold
    shown = sum(s.count("unexplained") for s in sections[:-1])
    rest = overflow(msg)
    assert shown + int(fold.split()[1]) == 400 == shown + len(rest)
    _, listed = slack_part("more", msg.with_incidents(rest))  # nothing is lost: the thread
    assert blocks_error(listed) is None and len(listed) <= MAX_BLOCKS


def test_a_few_incidents_all_fit_without_a_fold() -> None:
    alert = _alerts()[0]
    msg = _message([_view(i, [alert]) for i in range(45)])
    _, blocks = slack_part("run", msg)
    assert not overflow(msg) and len(blocks) <= MAX_BLOCKS
    assert not any(b["text"]["text"].startswith("…and") for b in blocks if b["type"] == "section")


def test_only_the_file_outbox_names_a_path_on_this_machine() -> None:
    alert = _alerts()[0]
    msg = _message([_view(i, [alert], headline="y" * 2000) for i in range(400)])
    msg.more = Link("/data/out.json", None)
    msg.links = [Link("Data Docs", "file:///data/docs/index.html")]
    _, blocks = slack_part("run", msg)
    assert blocks_error(blocks) is None
    for part in ("run", "more", "ongoing"):
        shown = json.dumps(slack_part(part, msg))  # type: ignore[arg-type]
        assert "/data/" not in shown and "full results:" not in shown
    assert "/data/" not in json.dumps(prefect_notification(msg))
    assert "full results: `/data/out.json`" in markdown_part("run", msg)
    assert "[Data Docs](file:///data/docs/index.html)" in markdown_part("run", msg)
    msg.links = [Link("Prefect run", "https://prefect.example.com/runs/flow-run/1")]
    _, blocks = slack_part("run", msg)
    assert blocks[-1] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "<https://prefect.example.com/runs/flow-run/1|Prefect run>"}
        ],
    }


def test_the_body_round_trips_and_renders_at_send_time() -> None:
    msg = _message(_incidents(_alerts()))
    again = Digest.from_json(msg.to_json())
    assert again == Digest.from_json(again.to_json()) == msg
    payload = {"part": "incident", "digest": msg.with_incidents(msg.incidents[:1]).to_json()}
    assert rendered(payload) == slack_part("incident", msg.with_incidents(msg.incidents[:1]))
    text, blocks = rendered(payload, standalone=True)  # a reply whose message has no thread
    assert text.startswith(f"code-insights-all-instances · week {WEEK}: ")
    assert blocks[0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"code-insights-all-instances · week {WEEK}"}],
    }
    legacy = {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "t"}}]}
    assert rendered(legacy) == (legacy["text"], legacy["blocks"])  # queued by earlier versions


def test_a_webhook_message_sends_the_fold_to_the_full_results_not_a_thread() -> None:
    alert = _alerts()[0]
    msg = _message([_view(i, [alert]) for i in range(60)])
    payload = {"part": "run", "digest": msg.to_json()}
    _, hook = rendered(payload, threaded=False)
    texts = [b["text"]["text"] for b in hook if b["type"] == "section"]
    fold = next(t for t in texts if t.startswith("…and"))
    assert "more incidents in the full results" in fold and "thread" not in fold


def test_markdown_alert_lines_show_names_and_reasons_literally() -> None:
    level = check(
        "level",
        column="weekly_insights_page_views",
        segment={"version_minor": "5.3`x"},
        reason="see [here](https://evil.example) <b>now</b>\nsecond line",
    )
    line = alert_line(alert_from_check(level, WEEK), MARKDOWN)
    assert "`weekly_insights_page_views`" in line  # code shows the name as it is
    assert "``version_minor=5.3`x``" in line  # a backtick inside: a longer fence
    assert "\\[here\\](https://evil.example) \\<b\\>now\\</b\\> second line" in line
    slack = alert_line(alert_from_check(level, WEEK), MRKDWN)
    assert "&lt;b&gt;now" in slack and "`weekly_insights_page_views`" in slack
