"""Pure line builders shared by every renderer (see ``canary.alerts.render.digest_render``).

A ``Style`` says how to write bold, code, links and strike-through: Slack mrkdwn (inside
Block Kit sections), markdown (file outbox, reports) or plain text (console, notification
fallback). The lines are the same for all three, so the renderers cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from canary import readable
from canary.alerts.render.model import Alert, Link
from canary.display import REASON_LIMIT
from canary.statuses import STATUS_ICON, UNKNOWN_ICON

LINE_LIMIT = REASON_LIMIT  # a reason is cut once, when its check is made: shown whole
VALUE_LIMIT = 200


@dataclass(frozen=True)
class Style:
    """How to write text in one format. ``escape`` makes any text literal in running text;
    ``code`` and ``block`` take raw text and make it literal themselves."""

    bold: Callable[[str], str]
    code: Callable[[str], str]
    strike: Callable[[str], str]
    link: Callable[[str, str], str]
    escape: Callable[[str], str]
    block: Callable[[str], str]
    bullet: str


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: markdown's characters that start links, emphasis, code, HTML or table cells; ``_`` only
#: where it can emphasise (not inside a word such as a column name)
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>|~&]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _markdown_escape(text: str) -> str:
    """``text`` as literal markdown on one line: no link, emphasis, HTML or table cell."""
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(), _one_line(text))


def _fence(text: str, least: int) -> str:
    """A run of backticks longer than any in ``text`` (and at least ``least``)."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    return "`" * max(least, longest + 1)


def _markdown_code(text: str) -> str:
    """``text`` as an inline code span on one line, whatever backticks it holds."""
    flat = _one_line(text).replace("|", "\\|")  # a cell's bar ends it even in code
    fence = _fence(flat, 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _markdown_block(text: str) -> str:
    fence = _fence(text, 3)
    return f"{fence}\n{text}\n{fence}"


MRKDWN = Style(
    bold=lambda s: f"*{s}*",
    code=lambda s: f"`{_slack_escape(s)}`",
    strike=lambda s: f"~{s}~",
    link=lambda url, label: f"<{url}|{label}>",
    escape=_slack_escape,
    block=lambda s: f"```{_slack_escape(s)}```",
    bullet="• ",
)
MARKDOWN = Style(
    bold=lambda s: f"**{s}**",
    code=_markdown_code,
    strike=lambda s: f"~~{s}~~",
    link=lambda url, label: f"[{_markdown_escape(label)}]({url})",
    escape=_markdown_escape,
    block=_markdown_block,
    bullet="- ",
)
PLAIN = Style(
    bold=lambda s: s,
    code=lambda s: s,
    strike=lambda s: s,
    link=lambda url, label: f"{label} ({url})",
    escape=lambda s: s,
    block=lambda s: "\n".join("    " + line for line in s.splitlines()),
    bullet="  • ",
)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show(value: Any, check: str | None = None) -> str:
    """A value as one short line of text (``check``: the check that observed it)."""
    return clip(readable.observed(value, check), VALUE_LIMIT)


def link_text(link: Link, style: Style) -> str:
    return style.link(link.url, link.label) if link.url else style.code(link.label)


def more_text(link: Link, style: Style) -> str:
    """Where the full results are: a link, or the JSON result's path (on this machine)."""
    return (
        style.link(link.url, link.label) if link.url else f"full results: {style.code(link.label)}"
    )


def links_text(links: list[Link], style: Style) -> str:
    """A message's closing links on one line."""
    return " · ".join(more_text(link, style) for link in links)


def _where(alert: Alert, style: Style) -> str:
    parts = [style.bold(style.escape(alert.check))]
    if alert.column:
        parts.append(style.code(alert.column))
    if alert.segment:
        seg = ", ".join(f"{k}={v}" for k, v in alert.segment.items())
        parts.append(style.code(seg))
    return " · ".join(parts)


def _markers(alert: Alert) -> list[str]:
    marks = []
    if alert.state == "reopened":
        marks.append("reopened")
    if alert.state == "ongoing":
        marks.append(f"still failing, week {alert.weeks_failing}")
    elif alert.weeks_failing > 1 and alert.state != "resolved":
        marks.append(f"week {alert.weeks_failing}")
    if alert.flapping:
        marks.append("🔁 flapping")
    return marks


def alert_line(alert: Alert, style: Style) -> str:
    """One alert in a list: icon, check, column, markers and the reason."""
    marks = _markers(alert)
    extra = f" ({', '.join(marks)})" if marks else ""
    reason = style.escape(clip(alert.reason, LINE_LIMIT))
    if alert.state == "resolved":
        week = alert.resolved_week.isoformat() if alert.resolved_week else "?"
        return f"✅ {style.strike(_where(alert, style))} resolved in week {week}"
    icon = STATUS_ICON.get(alert.status, UNKNOWN_ICON)
    return f"{icon} {_where(alert, style)}{extra}: {reason}"


def rows_table(rows: list[dict[str, Any]]) -> str:
    """Sample rows as a fixed-width table."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    cells = [[show(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)
