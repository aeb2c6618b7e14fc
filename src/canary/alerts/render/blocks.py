"""Block Kit building blocks (pure), within Slack's limits: texts are clipped and packed
into sections so that a message is never rejected."""

from __future__ import annotations

from typing import Any

from canary.alerts.render.text import MRKDWN, clip

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
TEXT_LIMIT = 3500  # the notification fallback; Slack truncates far later, people read less

Block = dict[str, Any]


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_LIMIT)}}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, 2000)}]}


def chunks(lines: list[str], limit: int = SECTION_LIMIT) -> list[list[str]]:
    """``lines`` (each clipped to ``limit``) grouped so that each group joins within ``limit``."""
    groups: list[list[str]] = []
    size = 0
    for line in (clip(" ".join(raw.splitlines()) or raw, limit) for raw in lines):
        if groups and size + 1 + len(line) <= limit:
            groups[-1].append(line)
            size += 1 + len(line)
        else:
            groups.append([line])
            size = len(line)
    return groups


def pack(lines: list[str], limit: int = SECTION_LIMIT) -> list[str]:
    """``lines`` joined into as few texts of at most ``limit`` characters as possible."""
    return ["\n".join(group) for group in chunks(lines, limit)]


def fallback(lines: list[str]) -> str:
    """The notification text: plain lines, cut short."""
    return clip("\n".join(lines), TEXT_LIMIT)


def probe_blocks(channel: str, sender: str) -> tuple[str, list[Block]]:
    text = f"canary test message for {channel} ({sender}): alerts will arrive here."
    return text, [section(MRKDWN.escape(text))]
