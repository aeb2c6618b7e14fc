"""Renderers of the weekly report's body: markdown, plain text and Slack Block Kit from
hand-built bodies (healthy, a usage drop, a broken pipeline, no year-ago numbers, a drill,
long labels); numbers for people, only web links, Slack's limits."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from canary.alerts.render.blocks import HEADER_LIMIT, MAX_BLOCKS, SECTION_LIMIT, TEXT_LIMIT
from canary.weekly.body import ReportBody
from canary.weekly.render import report_markdown, report_slack, report_text
from tests.report_bodies import BODIES, healthy, no_year_ago, pipeline_broken, usage_drop
from tests.slack_fake import blocks_error

Compare = Callable[[str, str], None]


def _slack_text(blocks: list[dict[str, Any]]) -> str:
    """Every text a person sees in ``blocks``."""
    found: list[str] = []
    for block in blocks:
        found.append((block.get("text") or {}).get("text", ""))
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", [])]
    return "\n".join(found)


def _renders(body: ReportBody) -> dict[str, str]:
    text, blocks = report_slack(body)
    return {
        "markdown": report_markdown(body),
        "plain": report_text(body),
        "fallback": text,
        "slack": _slack_text(blocks),
    }


@pytest.mark.parametrize("name", ["usage-drop", "pipeline-broken", "no-year-ago", "drill"])
def test_renderers_match_golden_files(name: str, golden: Compare) -> None:
    body = BODIES[name]()
    golden(f"report-{name}.md", report_markdown(body))
    golden(f"report-{name}.txt", report_text(body))
    golden(
        f"report-{name}.slack.json",
        json.dumps(report_slack(body), indent=1, ensure_ascii=False) + "\n",
    )


def test_sections_come_in_order_in_every_style() -> None:
    body = usage_drop()
    marks = [
        "Code Insights usage",
        "Page views fell 57%",
        "Instances reporting",
        "version 5.2",
        "Veterans Day",
        "Pipeline health",
        "Looker dashboard",
    ]
    for style, text in _renders(body).items():
        places = [text.find(m) for m in marks]
        assert -1 not in places, (style, places)
        assert places == sorted(places), style


def test_numbers_read_for_people() -> None:
    for text in _renders(usage_drop()).values():
        assert "7,712" in text and "-57%" in text and "±0%" in text
        assert "12,900–23,200" in text  # the expected range, rounded
        assert "-1,234" in text and "62% of the drop" in text
        assert "offsetting 5% of the drop" in text  # a segment that grew in a falling week
        assert "0.299914" not in text and "209.9" not in text
        assert not re.search(r"\d{5}", text.replace("1731142800", ""))  # separators
        assert "{" not in text and "}" not in text  # no raw JSON


def test_each_number_is_marked_within_below_or_above() -> None:
    md = report_markdown(usage_drop())
    rows = {line.split("|")[1].strip(): line for line in md.splitlines() if line.startswith("| ")}
    assert "🔻 below, expected 12,900–23,200" in rows["Page views"]
    assert "✅ within, expected 800–1,460" in rows["Instances reporting"]
    _, blocks = report_slack(usage_drop())
    fields = [f["text"] for b in blocks for f in b.get("fields", [])]
    assert fields[1].startswith("*Page views*\n*7,712* · -57% vs last week")
    assert fields[1].endswith("🔻 below, expected 12,900–23,200")


def test_a_missing_year_ago_is_left_out() -> None:
    body = no_year_ago()
    for text in _renders(body).values():
        assert "last year" not in text
        assert "vs 4-week median" in text
    body.headlines.append(usage_drop().headlines[1])  # one with last year's number
    md = report_markdown(body)
    assert "| vs last year |" in md
    assert "| Instances reporting | 1,143 | -1% | +1% | — |" in md  # the one without: a dash


def test_a_healthy_week_reads_so() -> None:
    text = report_text(healthy())
    assert "A normal week" in text
    assert "✅ 42 of 42 checks passed · no open incident · canary: pipeline healthy" in text
    assert "Biggest movers" not in text  # no empty section


def test_a_pipeline_incident_is_marked_as_such_and_links_only_to_the_web() -> None:
    body = pipeline_broken()
    for text in _renders(body).values():
        assert "🚧 30 of 42 checks passed · 2 open incidents" in text
        assert "🚧 pipeline: code_insights_usage is null for every instance" in text
        assert "❔ unclear: Insight creators below range" in text
        assert "/home/worker" not in text and ".canary" not in text
        assert "thread" not in text  # its only thread link is a path
    product = report_markdown(usage_drop())
    assert "📉 product change: Page views down on version 5.2" in product
    assert "[thread](https://acme.slack.com/archives/C0123/p1731142800)" in product
    assert "✅ 41 of 42 checks passed" in product  # a product change: the pipeline is fine


def test_only_web_links_are_shown() -> None:
    md = report_markdown(healthy())
    assert md.rstrip().endswith(
        "[Looker dashboard](https://looker.example.com/dashboards/12) · "
        "[Prefect run](https://prefect.example.com/runs/flow-run/3f2a)"
    )
    for text in _renders(healthy()).values():
        assert "full results" not in text and "results file" not in text
        assert "/home/" not in text


def test_a_drill_says_so_in_its_title() -> None:
    body = BODIES["drill"]()
    _, blocks = report_slack(body)
    assert blocks[0]["text"]["text"].startswith("📊 DRILL object-null · Code Insights usage")
    assert report_text(body).startswith("📊 DRILL object-null · ")
    assert "DRILL" not in report_text(pipeline_broken())


def test_title_names_monitor_and_week() -> None:
    body = healthy()
    assert report_text(body).splitlines()[0] == (
        "📊 Code Insights usage · code-insights-all-instances — week of 9 Nov 2026"
    )
    body.title = "code-insights-all-instances weekly usage"
    assert report_text(body).splitlines()[0].count("code-insights-all-instances") == 1


@pytest.mark.parametrize("name", list(BODIES))
def test_slack_limits_are_respected(name: str) -> None:
    text, blocks = report_slack(BODIES[name]())
    assert blocks_error(blocks) is None
    assert len(blocks) <= MAX_BLOCKS and len(text) <= TEXT_LIMIT
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT
    for block in blocks:
        assert len((block.get("text") or {}).get("text", "")) <= SECTION_LIMIT
        assert len(block.get("fields", [])) <= 10


def test_long_labels_fold_into_the_limits() -> None:
    body = BODIES["long-labels"]()
    text, blocks = report_slack(body)
    assert len(blocks) == MAX_BLOCKS
    assert blocks[-1]["elements"][0]["text"].startswith("…and ")
    assert blocks[-1]["elements"][0]["text"].endswith("more parts in the full report")
    assert blocks[0]["text"]["text"].endswith("…")
    field_sections = [b for b in blocks if b.get("fields")]
    assert [len(b["fields"]) for b in field_sections] == [10, 10, 5]  # 25 numbers
    table = [line for line in report_text(body).splitlines() if line.startswith("Tile 0 ")]
    assert len(table) == 1 and len(table[0]) < 250  # a long label is cut in the table
    assert text.endswith("…")


def test_labels_of_movers_are_masked() -> None:
    body = usage_drop()
    body.movers[0] = type(body.movers[0])("Page views", "instance", "ops@acme.com", 1, 2, 0.5)
    for style, text in _renders(body).items():
        masked = "\\*\\*\\*@\\*\\*\\*" if style == "markdown" else "***@***"
        assert "ops@acme.com" not in text and masked in text


def test_slack_escapes_and_markdown_tables_keep_their_shape() -> None:
    body = usage_drop()
    body.lede = "Views <dropped> & more"
    body.headlines[0] = type(body.headlines[0])("d", "c", "a|b", 1.0)
    _, blocks = report_slack(body)
    assert blocks[1]["text"]["text"] == "*Views &lt;dropped&gt; &amp; more*"
    md = report_markdown(body)
    row = next(line for line in md.splitlines() if line.startswith("| a"))
    assert row.startswith("| a\\|b | 1 |")


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("[click](https://evil.example)", "\\[click\\](https://evil.example)"),
        ("line1\nline2", "line1 line2"),
        ("*bold*", "\\*bold\\*"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("_em_ a_b", "\\_em\\_ a_b"),  # a word's underscore stays as it is
    ],
)
def test_markdown_shows_labels_literally(label: str, shown: str) -> None:
    body = usage_drop()
    body.lede = label
    body.headlines[0] = type(body.headlines[0])("d", "c", label, 1.0)
    body.movers[0] = type(body.movers[0])("Page views", "version", label, 1, 2, 0.5)
    lines = report_markdown(body).splitlines()
    assert lines[2] == f"**{shown}**"
    row = next(line for line in lines if line.startswith(f"| {shown} | 1 |"))
    assert row.count(" | ") == 5  # the table keeps its shape, whatever the label holds
    assert f"- Page views · version {shown}: **-1** (50% of the drop)" in lines


def test_unknown_numbers_show_as_a_dash_not_an_error() -> None:
    body = usage_drop()
    mover = type(body.movers[0])
    body.movers = [mover("Page views", "version", "5.3", 10, 10, math.nan)]
    body.movers.append(mover("Page views", "version", "5.4", math.nan, 10, 0.5))
    body.headlines[0] = type(body.headlines[0])("d", "c", "Views", math.nan, week_before=3.0)
    text = report_text(body)
    assert "version 5.3: ±0\n" in text and "version 5.4: —\n" in text
    row = next(line for line in text.splitlines() if line.startswith("Views "))
    assert row.split() == ["Views", "—", "—", "—", "—", "—"]
