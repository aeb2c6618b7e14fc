"""The README's Slack pictures: mrkdwn and Block Kit as a Slack-like page, and one page
screenshotted by Debian's headless Chromium."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from screens.mrkdwn import to_html
from screens.slack_page import Message, Screen, Upload, blocks_html, day_label, render
from screens.slack_run import Snapshot, clocks, conversation
from tests.conftest import REPO

TODAY = date(2026, 11, 24)
AT = datetime(2026, 11, 24, 9, 0)


def _png() -> bytes:
    """A small chart-like PNG, as canary uploads."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 240), (31, 119, 180)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def section(text: str) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("mrkdwn", "html"),
    [
        ("*bold* _italic_ ~gone~", "<b>bold</b> <i>italic</i> <s>gone</s>"),
        ("total_dashboard_count stays", "total_dashboard_count stays"),  # no italics inside
        ("2 * 3 * 4", "2 * 3 * 4"),  # a marker needs a non-space beside it
        ("`a *b* <c>`", "<code>a *b* &lt;c&gt;</code>"),
        ("```site_id  n\n***      —```", "<pre>site_id  n\n***      —</pre>"),
        (
            "<https://x.example/a?b=1&amp;c=2|the docs>",
            '<a href="https://x.example/a?b=1&amp;c=2">the docs</a>',
        ),
        ("<https://x.example/>", '<a href="https://x.example/">https://x.example/</a>'),
        ("one\ntwo", "one<br>two"),
        ("*evidence*\n• a\n• b\nafter", "<b>evidence</b><ul><li>a</li><li>b</li></ul>after"),
        ("&gt; quoted\nnot", "<blockquote>quoted</blockquote>not"),
        (":warning: :x: :no_such_emoji:", "⚠️ ❌ :no_such_emoji:"),
        (
            "<!here> <@U0123ABCDE>",
            '<span class="mention loud">@here</span> <span class="mention">@U0123ABCDE</span>',
        ),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 &lt; 2 &amp;&amp; 3 &gt; 2"),
    ],
)
def test_mrkdwn_as_slack_shows_it(mrkdwn: str, html: str) -> None:
    assert to_html(mrkdwn) == html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "&lt;img src=x onerror=alert(1)&gt;",
        '<https://x.example/"><script>alert(1)</script>|label>',
        "<javascript:alert(1)|click me>",
        "`</code><script>alert(1)</script>`",
        "```</pre><script>alert(1)</script>```",
        "*<img src=x onerror=alert(1)>*",
        "\ue0000\ue001<b>",  # the converter's own placeholder marks
    ],
)
def test_no_message_injects_markup(hostile: str) -> None:
    out = to_html(hostile) + blocks_html(
        [{"type": "header", "text": {"type": "plain_text", "text": hostile}}]
    )
    assert "<script" not in out and "<img" not in out and 'href="javascript' not in out
    assert not re.search(r"<(?!/?(b|i|s|a|br|ul|li|pre|code|blockquote|span|div)\b)", out), out


def test_every_block_type_renders() -> None:
    html = blocks_html(
        [
            {"type": "header", "text": {"type": "plain_text", "text": ":x: broken & <late>"}},
            {
                "type": "context",
                "elements": [
                    {"type": "image", "image_url": "https://x.example/i.png", "alt_text": "icon"},
                    {"type": "mrkdwn", "text": "1 incident · *257* failed"},
                    {"type": "plain_text", "text": "*not bold*"},
                ],
            },
            {"type": "divider"},
            {
                **section("text"),
                "fields": [{"type": "mrkdwn", "text": "*week*\n2026-11-09"}],
                "accessory": {
                    "type": "image",
                    "image_url": "javascript:alert(1)",
                    "alt_text": "a chart",
                },
            },
            {
                "type": "image",
                "image_url": "data:image/png;base64,AAAA",
                "alt_text": "chart",
                "title": {"type": "plain_text", "text": "recent weeks"},
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open"},
                        "style": "primary",
                    },
                ],
            },
        ]
    )
    assert '<div class="b-header">❌ broken &amp; &lt;late&gt;</div>' in html
    assert '<img class="icon" src="https://x.example/i.png" alt="icon">' in html
    assert "<b>257</b>" in html and "<span>*not bold*</span>" in html  # plain text stays plain
    assert '<hr class="b-divider">' in html
    assert '<div class="field"><b>week</b><br>2026-11-09</div>' in html
    assert '<span class="thumb missing">a chart</span>' in html  # not a URL an image loads from
    assert '<div class="image-title">recent weeks</div>' in html
    assert '<img class="picture" src="data:image/png;base64,AAAA" alt="chart">' in html
    assert '<span class="button primary">Open</span>' in html
    with pytest.raises(ValueError, match=r"blocks\[1\]: type 'rich_text' is not rendered; known: "):
        blocks_html([{"type": "divider"}, {"type": "rich_text", "elements": []}])


@pytest.mark.parametrize("golden", ["digest-object-null", "digest-version-field-drop"])
def test_what_canary_sends_renders(golden: str) -> None:
    """The run's message and its thread as canary composes them (its golden files)."""
    sent = json.loads((REPO / "tests" / "golden" / f"{golden}.slack.json").read_text())
    for message in [sent["message"], *sent["thread"]]:
        html = blocks_html(message["blocks"])
        assert "<b>" in html and "*" not in re.sub(r"<pre>.*?</pre>", "", html, flags=re.S)
    header = sent["message"]["blocks"][0]["text"]["text"]
    assert header.replace("—", "") in blocks_html(sent["message"]["blocks"]).replace("—", "")


def _screen(height: int | None = None) -> Screen:
    detail = Message(AT.replace(day=17), blocks=(section("❌ *object-null* · 257 checks"),))
    chart = Message(AT.replace(day=17, second=2), uploads=(Upload("null rate: recent weeks", PNG),))
    resolved = Message(AT, blocks=(section("✅ *resolved* in week 2026-11-16"),))
    run = Message(
        AT.replace(day=17),
        blocks=({"type": "header", "text": {"type": "plain_text", "text": "✅ week 2026-11-09"}},),
        edited=True,
        replies=(detail, chart, resolved),
    )
    channels = ("code-insights", "code-insights-internal")
    return Screen("Acme Analytics", channels, "code-insights", TODAY, (run,), 0, height)


def test_the_page_reads_like_slack() -> None:
    html = render(_screen())
    assert "<title># code-insights - Acme Analytics - Slack</title>" in html
    assert '<li class="active"># code-insights</li>' in html
    # the run's message in the channel and atop its thread, the detail, the resolved reply
    assert html.count('<span class="name">canary</span><span class="badge">APP</span>') == 4
    assert '<span class="edited">(edited)</span>' in html
    assert '<span class="count">3 replies</span>' in html
    assert "Last reply today at 9:00 AM" in html
    assert '<div class="replies-rule"><span>3 replies</span></div>' in html
    # the chart follows the detail seconds later: shown under it, without the name again
    assert html.count('class="message grouped"') == 1
    # dividers where the day changes: the channel's day, then in the thread only "Today"
    assert re.findall(r'<div class="day"><span>([^<]+)</span>', html) == [
        "Tuesday, November 17th",
        "Today",
    ]
    assert "data:image/png;base64," in html and 'class="app fit"' in html
    assert 'class="app fixed" style="height: 900px"' in render(_screen(900))


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (TODAY, "Today"),
        (date(2026, 11, 23), "Yesterday"),
        (date(2026, 11, 1), "Sunday, November 1st"),
        (date(2026, 11, 12), "Thursday, November 12th"),
        (date(2026, 10, 22), "Thursday, October 22nd"),
    ],
)
def test_day_labels(day: date, label: str) -> None:
    assert day_label(day, TODAY) == label


def test_stand_in_messages_become_threads_with_their_uploads() -> None:
    run = {"ts": "100.000000", "text": "run", "blocks": [section("run")], "thread_ts": None}
    reply = {"ts": "101.500000", "text": "detail", "blocks": None, "thread_ts": "100.000000"}
    upload = {
        "ts": "103.000000",
        "text": "",
        "files": [{"id": "F1", "name": "c.png", "title": "chart"}],
        "thread_ts": "100.000000",
    }
    later = {"ts": "900.000000", "text": "resolved", "blocks": None, "thread_ts": "100.000000"}
    first = Snapshot(date(2026, 11, 17), {"code-insights": [run, reply, upload]})
    second = Snapshot(TODAY, {"code-insights": [{**run, "edited": True}, reply, upload, later]})
    shown = clocks([first, second])
    assert shown == {
        "100.000000": datetime(2026, 11, 17, 9, 0),
        "101.500000": datetime(2026, 11, 17, 9, 0, 2),
        "103.000000": datetime(2026, 11, 17, 9, 0, 3),
        "900.000000": datetime(2026, 11, 24, 9, 0),
    }
    [message] = conversation(second.channels["code-insights"], shown.__getitem__, {"F1": PNG})
    assert message.edited and message.blocks == (section("run"),)
    assert [r.text for r in message.replies] == ["detail", "", "resolved"]
    assert message.replies[1].uploads == (Upload("chart", PNG),)
    assert message.replies[2].when == datetime(2026, 11, 24, 9, 0)


def test_a_page_screenshots_in_headless_chromium(tmp_path: Path) -> None:
    from PIL import Image

    from screens.browser import screenshot

    shot = tmp_path / "page.png"
    screenshot(render(_screen(700)), shot, 1200)
    with Image.open(shot) as image:
        assert image.size == (1200, 700)
        rgb = image.convert("RGB")
        assert rgb.getpixel((20, 600)) == (0x3F, 0x0E, 0x40)  # the sidebar's aubergine
        assert rgb.getpixel((300, 100)) == (255, 255, 255)  # the channel, above its message
        chart = [p for p in rgb.crop((500, 0, 1200, 700)).getdata() if p == (31, 119, 180)]
        assert len(chart) > 10_000  # the uploaded PNG, shown inline in the thread
