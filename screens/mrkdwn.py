"""Slack mrkdwn as HTML (pure): what Slack's desktop client shows for a text object.

Slack's own escaping comes first: ``&amp;``, ``&lt;`` and ``&gt;`` are literal characters
and a bare ``<`` opens a link or mention. Every character of the input reaches the page
HTML-escaped, so no message can inject markup.
"""

from __future__ import annotations

import html
import itertools
import re

#: Shortcodes canary or a person may write, as the emoji Slack shows for them.
EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "x": "❌",
    "warning": "⚠️",
    "rotating_light": "🚨",
    "red_circle": "🔴",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "large_blue_circle": "🔵",
    "information_source": "\u2139\ufe0f",
    "mag": "🔍",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "bell": "🔔",
    "no_bell": "🔕",
    "mute": "🔇",
    "repeat": "🔁",
    "test_tube": "🧪",
    "hourglass": "⌛",
    "zzz": "💤",
    "fire": "🔥",
    "tada": "🎉",
    "eyes": "👀",
    "bird": "🐦",
    "hatched_chick": "🐥",
    "link": "🔗",
    "page_facing_up": "📄",
}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_CODE_BLOCK = re.compile(r"```(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_SPECIAL = re.compile(r"<([^<>\n]*)>")
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
# *bold*, _italic_, ~strike~: a marker opens after a non-word character and before a
# non-space, and closes before a non-word character (so snake_case stays as it is).
_STYLES = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "s"),
]
_BULLET = re.compile(r"^(?:•|◦|▪|-)\s+")
_QUOTE = "&gt; "


def unescape(text: str) -> str:
    """A text as written, without Slack's three escapes."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape(text: str) -> str:
    """Literal text (Slack's escapes undone) as HTML."""
    return html.escape(unescape(text), quote=True)


def emoji(escaped: str) -> str:
    """``:shortcode:`` as its emoji where Slack knows it (``escaped`` is HTML already)."""
    return _SHORTCODE.sub(lambda m: EMOJI.get(m[1], m[0]), escaped)


def plain(text: str) -> str:
    """A ``plain_text`` object: escaped, shortcodes as emoji."""
    return emoji(escape(text))


def _special(inner: str) -> str:
    """What ``<inner>`` shows: a link, a mention, or (unknown) the text itself."""
    target, _, label = inner.partition("|")
    if target.startswith(SAFE_SCHEMES):
        href = html.escape(unescape(target), quote=True)
        return f'<a href="{href}">{escape(label or target)}</a>'
    if target.startswith("@"):
        return f'<span class="mention">@{escape(label or target[1:])}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{escape(label or target[1:])}</span>'
    if target.startswith("!"):
        name = target[1:].split("^")[0]
        if name in ("here", "channel", "everyone"):
            return f'<span class="mention loud">@{name}</span>'
        return escape(label or name)
    return escape(label or target)  # not a link Slack would make: the text, no markup


def _inline(text: str) -> str:
    """One stretch of mrkdwn outside code blocks, as HTML (line breaks kept as ``\\n``)."""
    kept: list[str] = []

    def keep(markup: str) -> str:
        kept.append(markup)
        return f"\ue000{len(kept) - 1}\ue001"

    text = _INLINE_CODE.sub(lambda m: keep(f"<code>{escape(m[1])}</code>"), text)
    text = _SPECIAL.sub(lambda m: keep(_special(m[1])), text)
    out = emoji(escape(text))
    for pattern, tag in _STYLES:
        out = pattern.sub(rf"<{tag}>\1</{tag}>", out)
    return _PLACEHOLDER.sub(lambda m: kept[int(m[1])], out)


def _kind(line: str) -> tuple[str, str]:
    """A line's container (a list, a quote, none) and its text."""
    bullet = _BULLET.match(line)
    if bullet:
        return "ul", line[bullet.end() :]
    if line.startswith(_QUOTE):
        return "blockquote", line[len(_QUOTE) :]
    return "", line


def _lines(markup: str) -> str:
    """Bullet lines as a list, ``>`` lines as a quote, the rest joined by line breaks."""
    out = []
    for tag, group in itertools.groupby(map(_kind, markup.split("\n")), key=lambda k: k[0]):
        bodies = [body for _, body in group]
        if tag == "ul":
            out.append("<ul>" + "".join(f"<li>{b}</li>" for b in bodies) + "</ul>")
        elif tag:
            out.append(f"<{tag}>{'<br>'.join(bodies)}</{tag}>")
        else:
            out.append("<br>".join(bodies))
    return "".join(out)


def to_html(text: str) -> str:
    """A mrkdwn text as HTML: code blocks, then inline styles, links and lines."""
    text = text.replace("\ue000", "").replace("\ue001", "")  # the placeholders' marks
    parts: list[str] = []
    last = 0
    for block in _CODE_BLOCK.finditer(text):
        parts.append(_lines(_inline(text[last : block.start()].strip("\n"))))
        parts.append(f"<pre>{escape(block[1].strip(chr(10)))}</pre>")
        last = block.end()
    parts.append(_lines(_inline(text[last:].strip("\n"))))
    return "".join(p for p in parts if p)
