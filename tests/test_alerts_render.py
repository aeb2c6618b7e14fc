"""Renderers: golden files for Block Kit, plain text and markdown; Slack's limits folding."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from canary.alerts.blocks import (
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_LIMIT,
    TEXT_LIMIT,
    detail_blocks,
    followup_blocks,
    message_blocks,
)
from canary.alerts.model import Alert, Detail, Followup, Link, RunMessage, alert_from_check
from canary.alerts.text import render_markdown, render_text
from tests.slack_fake import blocks_error, check

GOLDEN = Path(__file__).parent / "golden"
WEEK = date(2026, 11, 16)


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> object:
    """Compare text with ``tests/golden/NAME``; ``--update-golden`` rewrites the file."""
    update = bool(request.config.getoption("--update-golden"))

    def compare(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(exist_ok=True)
            path.write_text(actual)
        assert path.exists(), f"{path} is missing: run pytest --update-golden"
        assert actual == path.read_text(), f"{name} differs: run pytest --update-golden and review"

    return compare


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


def _message(alerts: list[Alert]) -> RunMessage:
    return RunMessage(
        key="k" * 32,
        monitor="code-insights-all-instances",
        week=WEEK,
        channel="#code-insights",
        status="failed",
        counts={"passed": 120, "failed": 2, "warning": 1, "error": 1, "skipped": 3},
        alerts=alerts,
        muted=1,
        mentions=["<@U0123ABCDE>", "<!subteam^S0123ABCDE>"],
        more=Link(
            "full results", "https://canary.example.com/code-insights-all-instances/2026-11-16/"
        ),
        dataset_links={"page_views": "https://looker.example.com/dashboards/7"},
    )


def _dump(text: str, blocks: list[dict[str, object]]) -> str:
    return json.dumps({"text": text, "blocks": blocks}, indent=2, ensure_ascii=False) + "\n"


def test_renderers_match_golden_files(golden: object) -> None:
    compare = golden  # a callable fixture
    alerts = _alerts()
    msg = _message(alerts)
    details = [Detail(a, WEEK) for a in alerts[:3]]
    followups = [
        Followup("ongoing", WEEK, [alerts[3]]),
        Followup("resolved", WEEK, [alerts[0]]),
    ]
    compare("message.blocks.json", _dump(*message_blocks(msg)))  # type: ignore[operator]
    compare("detail.blocks.json", _dump(*detail_blocks(details[1])))  # type: ignore[operator]
    compare("followups.blocks.json", "".join(_dump(*followup_blocks(f)) for f in followups))  # type: ignore[operator]
    compare("digest.txt", render_text(msg, details, followups))  # type: ignore[operator]
    compare("digest.md", render_markdown(msg, details, followups))  # type: ignore[operator]


def test_message_orders_by_severity_and_shows_what_was_derived() -> None:
    alerts = _alerts()
    text, blocks = message_blocks(_message(alerts))
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    body = "\n".join(sections)
    # failures (page_views, usage_by_version) before the error (creators) before the warning
    assert body.index("page_views") < body.index("creators") < body.index("usage_by_deploy_type")
    assert "🔁 flapping" in body and "still failing, week 4" in body
    detail = "\n".join(b["text"]["text"] for b in detail_blocks(Detail(alerts[1], WEEK))[1])
    assert "from 8 training weeks, median ± 5 MAD" in detail
    assert "-87.5%" in detail and "deploy_type=helm" in detail
    assert "version_minor=5.3" in detail
    assert text.startswith("❌ code-insights-all-instances — week 2026-11-16: failed")


def test_overflow_folds_into_and_n_more_with_a_link() -> None:
    many = [
        alert_from_check(
            check(
                f"check {i:03d}", dataset=f"dataset_{i % 7}", column=f"column_{i}", reason="x" * 900
            ),
            WEEK,
        )
        for i in range(400)
    ]
    msg = _message(many)
    msg.monitor = "m" * 300
    text, blocks = message_blocks(msg)
    assert blocks_error(blocks) is None  # what the stand-in (and Slack) accept
    assert len(blocks) <= MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks if b["type"] == "section")
    assert len(text) <= TEXT_LIMIT
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    fold = sections[-1]
    assert fold.startswith("…and ") and "<https://canary.example.com/" in fold
    shown = sum(s.count("check ") for s in sections[:-1])
    assert shown + int(fold.split()[1]) == 400


def test_fold_names_the_json_path_without_a_report_url() -> None:
    many = [alert_from_check(check(f"c{i}", reason="y" * 2000), WEEK) for i in range(400)]
    msg = _message(many)
    msg.more = Link("/data/out.json", None)
    _, blocks = message_blocks(msg)
    assert blocks_error(blocks) is None
    assert any("`/data/out.json`" in b["text"]["text"] for b in blocks if b["type"] == "section")


def test_message_model_round_trips_through_json() -> None:
    msg = _message(_alerts())
    again = RunMessage.from_json(msg.to_json())
    assert again == RunMessage.from_json(again.to_json())
    assert message_blocks(again) == message_blocks(msg)
