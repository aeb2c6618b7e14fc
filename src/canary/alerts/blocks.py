"""The Block Kit renderer (pure), within Slack's limits: what does not fit folds into
"and N more" with a link to the full results, so a message is never rejected.
"""

from __future__ import annotations

from typing import Any

from canary.alerts.model import Detail, Followup, RunMessage
from canary.alerts.text import (
    MRKDWN,
    PLAIN,
    alert_line,
    clip,
    detail_lines,
    followup_lines,
    message_lines,
    more_text,
    summary,
    title,
)

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


def message_blocks(msg: RunMessage, max_blocks: int = MAX_BLOCKS) -> tuple[str, list[Block]]:
    """Header, summary, mentions, then the alerts by dataset, most severe first."""
    blocks: list[Block] = [header(title(msg)), context(summary(msg))]
    if msg.mentions:
        blocks.append(section("cc " + " ".join(msg.mentions)))
    tail = [context(more_text(msg.more, MRKDWN))] if msg.more else []
    budget = max_blocks - len(blocks) - len(tail) - 1  # one kept for "and N more"
    groups = msg.by_dataset()
    total = sum(len(alerts) for _, alerts in groups)
    shown = 0
    for dataset, alerts in groups:
        link = msg.dataset_links.get(dataset)
        name = MRKDWN.bold(MRKDWN.link(link, dataset) if link else MRKDWN.escape(dataset))
        parts = chunks([name, *(alert_line(a, MRKDWN) for a in alerts)])
        fitting = parts[: max(budget, 0)]
        budget -= len(fitting)
        blocks += [section("\n".join(part)) for part in fitting]
        shown += max(sum(len(part) for part in fitting) - 1, 0)
        if len(fitting) < len(parts):
            break
    if shown < total:
        where = f" ({more_text(msg.more, MRKDWN)})" if msg.more else ""
        blocks.append(section(f"…and {total - shown} more{where}"))
    blocks += tail
    return fallback(message_lines(msg, PLAIN)), blocks


def detail_blocks(detail: Detail) -> tuple[str, list[Block]]:
    """A thread reply about one alert: facts, then sample rows in their own section."""
    lines = detail_lines(detail, MRKDWN)
    has_rows = bool(detail.alert.sample_rows)
    facts, rows = (lines[:-1], lines[-1]) if has_rows else (lines, None)
    blocks = [section(t) for t in pack(facts)]
    if rows is not None:
        blocks.append(
            section(rows if len(rows) <= SECTION_LIMIT else rows[: SECTION_LIMIT - 4] + "…```")
        )
    return fallback(detail_lines(detail, PLAIN)[:3]), blocks[:MAX_BLOCKS]


def followup_blocks(followup: Followup) -> tuple[str, list[Block]]:
    """A thread reply: still failing or resolved."""
    texts = pack(followup_lines(followup, MRKDWN))
    blocks = [section(t) for t in texts[: MAX_BLOCKS - 1]]
    if len(texts) > MAX_BLOCKS - 1:
        blocks.append(section(f"…and {len(texts) - MAX_BLOCKS + 1} more sections"))
    return fallback(followup_lines(followup, PLAIN)), blocks


def more_blocks(count: int, msg: RunMessage) -> tuple[str, list[Block]]:
    """The thread reply that stands for details not posted one by one."""
    where = f" ({more_text(msg.more, MRKDWN)})" if msg.more else ""
    text = f"…and details of {count} more in the full results{where}"
    return fallback([text]), [section(text)]


def probe_blocks(channel: str, sender: str) -> tuple[str, list[Block]]:
    text = f"canary test message for {channel} ({sender}): alerts will arrive here."
    return text, [section(MRKDWN.escape(text))]
