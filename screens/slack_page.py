"""Block Kit messages as a page styled like Slack's desktop client (pure).

``render`` takes a ``Screen`` (a channel, its messages with their threads and uploaded
files, one thread open beside it) and returns a self-contained HTML page: uploaded PNGs
are inlined, nothing is loaded from the network. Every text reaches the page through
``screens.mrkdwn``, escaped, so a message cannot inject markup.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from screens.mrkdwn import escape, plain, to_html

APP_NAME = "canary"
AVATAR = "🐤"
GROUPED = timedelta(minutes=5)  # a message this soon after the last shows no name again
STYLE = Path(__file__).with_name("slack.css")
IMAGE_SCHEMES = ("https://", "http://", "data:image/")

Block = dict[str, Any]


@dataclass(frozen=True)
class Upload:
    """A file the app uploaded into a conversation (a PNG, shown inline)."""

    title: str
    png: bytes


@dataclass(frozen=True)
class Message:
    """One message as Slack holds it: its fallback text, its blocks, files, thread."""

    when: datetime
    text: str = ""
    blocks: tuple[Block, ...] = ()
    uploads: tuple[Upload, ...] = ()
    edited: bool = False
    replies: tuple[Message, ...] = ()


@dataclass(frozen=True)
class Screen:
    """A channel as a person sees it on ``today``, the thread of ``messages[thread]`` open.

    ``height``: the window's, its panes scrolled to their newest message as Slack opens
    them; None: as tall as the longest pane."""

    workspace: str
    channels: tuple[str, ...]
    channel: str
    today: date
    messages: tuple[Message, ...]
    thread: int | None = None
    height: int | None = None


# --- blocks ----------------------------------------------------------------------------


def text_html(obj: dict[str, Any] | None) -> str:
    """A text object: mrkdwn converted, plain_text escaped."""
    if not obj:
        return ""
    text = str(obj.get("text", ""))
    return to_html(text) if obj.get("type") == "mrkdwn" else plain(text)


def _image(url: str, alt: str, css: str) -> str:
    if not url.startswith(IMAGE_SCHEMES):
        return f'<span class="{css} missing">{escape(alt)}</span>'
    return f'<img class="{css}" src="{html.escape(url, quote=True)}" alt="{escape(alt)}">'


def _element(element: dict[str, Any]) -> str:
    """An element of a context block, or an accessory or action of a section."""
    kind = element.get("type")
    if kind == "image":
        return _image(str(element.get("image_url", "")), str(element.get("alt_text", "")), "icon")
    if kind == "button":
        style = element.get("style", "")
        return f'<span class="button {escape(str(style))}">{text_html(element.get("text"))}</span>'
    if kind in ("mrkdwn", "plain_text"):
        return f"<span>{text_html(element)}</span>"
    return ""  # a select or date picker: a screenshot of a message shows none of them


def _section(block: Block) -> str:
    parts = [f'<div class="text">{text_html(block.get("text"))}</div>']
    fields = block.get("fields") or []
    if fields:
        cells = "".join(f'<div class="field">{text_html(f)}</div>' for f in fields)
        parts.append(f'<div class="fields">{cells}</div>')
    accessory = block.get("accessory")
    if accessory and accessory.get("type") == "image":
        url, alt = str(accessory.get("image_url", "")), str(accessory.get("alt_text", ""))
        parts.append(_image(url, alt, "thumb"))
    elif accessory:
        parts.append(f'<div class="accessory">{_element(accessory)}</div>')
    return f'<div class="b-section">{"".join(parts)}</div>'


def _picture(block: Block) -> str:
    title = block.get("title")
    caption = f'<div class="image-title">{text_html(title)}</div>' if title else ""
    picture = _image(str(block.get("image_url", "")), str(block.get("alt_text", "")), "picture")
    return f'<div class="b-image">{caption}{picture}</div>'


def _context(block: Block) -> str:
    return f'<div class="b-context">{"".join(_element(e) for e in block.get("elements", []))}</div>'


def _actions(block: Block) -> str:
    return f'<div class="b-actions">{"".join(_element(e) for e in block.get("elements", []))}</div>'


def _header(block: Block) -> str:
    return f'<div class="b-header">{text_html(block.get("text"))}</div>'


def _divider(block: Block) -> str:
    return '<hr class="b-divider">'


RENDERERS = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "image": _picture,
    "actions": _actions,
}


def blocks_html(blocks: Iterable[Block]) -> str:
    """Blocks as HTML; a type this page cannot show is an error naming the block."""
    out = []
    for i, block in enumerate(blocks):
        renderer = RENDERERS.get(str(block.get("type")))
        if renderer is None:
            raise ValueError(
                f"blocks[{i}]: type {block.get('type')!r} is not rendered; "
                f"known: {', '.join(sorted(RENDERERS))}"
            )
        out.append(renderer(block))
    return "".join(out)


# --- messages and the page ---------------------------------------------------------------


def clock(when: datetime) -> str:
    """A time as Slack shows it: ``9:05 AM``."""
    return f"{when.hour % 12 or 12}:{when:%M} {'AM' if when.hour < 12 else 'PM'}"


def day_label(day: date, today: date) -> str:
    """A date divider: ``Today``, ``Yesterday`` or ``Tuesday, November 17th``."""
    gap = (today - day).days
    if gap in (0, 1):
        return ("Today", "Yesterday")[gap]
    suffix = "th" if 10 <= day.day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day.day % 10, "th")
    return f"{day:%A, %B} {day.day}{suffix}"


def _replies(n: int) -> str:
    return f"{n} {'reply' if n == 1 else 'replies'}"


def _upload(upload: Upload) -> str:
    data = base64.b64encode(upload.png).decode()
    return (
        f'<div class="upload"><div class="upload-title">{escape(upload.title)}</div>'
        f'<img src="data:image/png;base64,{data}" alt="{escape(upload.title)}"></div>'
    )


def _body(message: Message) -> str:
    body = blocks_html(message.blocks) if message.blocks else to_html(message.text)
    if message.edited:
        body += '<span class="edited">(edited)</span>'
    return body + "".join(_upload(u) for u in message.uploads)


def _reply_bar(message: Message, today: date) -> str:
    if not message.replies:
        return ""
    last = message.replies[-1].when
    when = day_label(last.date(), today)
    when = when.lower() if when in ("Today", "Yesterday") else f"on {when}"
    return (
        f'<div class="reply-bar"><span class="avatar small">{AVATAR}</span>'
        f'<span class="count">{_replies(len(message.replies))}</span>'
        f'<span class="last">Last reply {when} at {clock(last)}</span></div>'
    )


def message_html(
    message: Message, today: date, in_thread: bool = False, grouped: bool = False
) -> str:
    """One message with the app's avatar, name, badge and time; ``grouped`` (it follows
    the app's last message closely): the message alone, as Slack shows a follow-up."""
    bar = "" if in_thread else _reply_bar(message, today)
    if grouped:
        return (
            f'<div class="message grouped"><span class="gutter"></span><div class="content">'
            f'<div class="body">{_body(message)}</div>{bar}</div></div>'
        )
    return (
        f'<div class="message"><span class="avatar">{AVATAR}</span><div class="content">'
        f'<div class="meta"><span class="name">{APP_NAME}</span><span class="badge">APP</span>'
        f'<span class="time">{clock(message.when)}</span></div>'
        f'<div class="body">{_body(message)}</div>{bar}</div></div>'
    )


def _divider_html(label: str) -> str:
    return f'<div class="day"><span>{escape(label)}</span></div>'


def timeline(
    messages: Sequence[Message], today: date, shown: date | None = None, in_thread: bool = False
) -> str:
    """Messages in order, a date divider wherever the day changes (``shown``: the day
    already on screen above them), follow-ups grouped under the message before them."""
    out = []
    before: Message | None = None
    for message in messages:
        day = message.when.date()
        if day != shown:
            out.append(_divider_html(day_label(day, today)))
            before = None
        grouped = before is not None and message.when - before.when < GROUPED
        out.append(message_html(message, today, in_thread, grouped))
        before, shown = message, day
    return "".join(out)


def _sidebar(screen: Screen) -> str:
    items = "".join(
        f'<li class="{"active" if c == screen.channel else ""}"># {escape(c)}</li>'
        for c in screen.channels
    )
    return (
        f'<nav class="sidebar"><div class="workspace">{escape(screen.workspace)}</div>'
        f'<div class="section-title">Channels</div><ul>{items}</ul>'
        f'<div class="section-title">Apps</div><ul><li><span class="avatar tiny">{AVATAR}</span>'
        f"{APP_NAME}</li></ul></nav>"
    )


def _thread(screen: Screen) -> str:
    if screen.thread is None:
        return ""
    parent = screen.messages[screen.thread]
    count = f'<div class="replies-rule"><span>{_replies(len(parent.replies))}</span></div>'
    return (
        f'<aside class="thread"><header><span class="title">Thread</span>'
        f'<span class="where"># {escape(screen.channel)}</span><span class="close">&times;</span></header>'
        f'<div class="scroll"><div>{message_html(parent, screen.today, in_thread=True)}{count}'
        f"{timeline(parent.replies, screen.today, parent.when.date(), in_thread=True)}</div></div>"
        f'<div class="composer">Reply…</div></aside>'
    )


def render(screen: Screen) -> str:
    """The whole page: sidebar, the channel, and the open thread beside it."""
    size = (
        'class="app fit"'
        if screen.height is None
        else f'class="app fixed" style="height: {int(screen.height)}px"'
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title># {escape(screen.channel)} - {escape(screen.workspace)} - Slack</title>"
        f"<style>{STYLE.read_text()}</style></head><body><div {size}>"
        f'{_sidebar(screen)}<main class="channel"><header><span class="title">'
        f"# {escape(screen.channel)}</span></header>"
        f'<div class="scroll"><div>{timeline(screen.messages, screen.today)}</div></div>'
        f'<div class="composer">Message #{escape(screen.channel)}</div></main>'
        f"{_thread(screen)}</div></body></html>"
    )
