"""Pure line builders shared by every renderer, and the plain-text and markdown renderers.

A ``Style`` says how to write bold, code, links and strike-through: Slack mrkdwn (inside
Block Kit sections), markdown (file outbox, reports) or plain text (console, notification
fallback). The lines are the same for all three, so the renderers cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from canary.alerts.model import Alert, Detail, Followup, Link, RunMessage
from canary.report.artifacts import STATUS_ICON

LINE_LIMIT = 600
VALUE_LIMIT = 200


@dataclass(frozen=True)
class Style:
    bold: Callable[[str], str]
    code: Callable[[str], str]
    strike: Callable[[str], str]
    link: Callable[[str, str], str]
    escape: Callable[[str], str]
    block: Callable[[str], str]
    bullet: str


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MRKDWN = Style(
    bold=lambda s: f"*{s}*",
    code=lambda s: f"`{s}`",
    strike=lambda s: f"~{s}~",
    link=lambda url, label: f"<{url}|{label}>",
    escape=_slack_escape,
    block=lambda s: f"```{s}```",
    bullet="• ",
)
MARKDOWN = Style(
    bold=lambda s: f"**{s}**",
    code=lambda s: f"`{s}`",
    strike=lambda s: f"~~{s}~~",
    link=lambda url, label: f"[{label}]({url})",
    escape=lambda s: s.replace("|", "\\|"),
    block=lambda s: f"```\n{s}\n```",
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


def show(value: Any) -> str:
    """A value as one short line of text."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int):
        return f"{value:,}"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return clip(text, VALUE_LIMIT)


def show_expected(expected: dict[str, Any] | None) -> str:
    if not expected:
        return "—"
    lo, hi = expected.get("min"), expected.get("max")
    if lo is not None and hi is not None:
        return f"{show(lo)} … {show(hi)}"
    if lo is not None:
        return f"at least {show(lo)}"
    if hi is not None:
        return f"at most {show(hi)}"
    return show(expected)


def link_text(link: Link, style: Style) -> str:
    return style.link(link.url, link.label) if link.url else style.code(link.label)


def more_text(link: Link, style: Style) -> str:
    """Where the full results are: a link, or the JSON result's path."""
    return (
        style.link(link.url, link.label) if link.url else f"full results: {style.code(link.label)}"
    )


def title(msg: RunMessage) -> str:
    """The header line (plain text, Slack's header block)."""
    resolved = all(a.state == "resolved" for a in msg.alerts) and msg.alerts
    icon = "✅" if resolved else STATUS_ICON.get(msg.status, "❔")
    return f"{icon} {msg.monitor} — week {msg.week.isoformat()}: {msg.status}"


def summary(msg: RunMessage) -> str:
    counts = [f"{n} {status}" for status, n in msg.counts.items() if n]
    if msg.muted:
        counts.append(f"{msg.muted} muted")
    states: dict[str, int] = {}
    for alert in msg.alerts:
        states[_state_label(alert)] = states.get(_state_label(alert), 0) + 1
    shown = ", ".join(f"{n} {label}" for label, n in states.items())
    return " · ".join(counts) + (f" — {shown}" if shown else "")


def _state_label(alert: Alert) -> str:
    return {
        "new": "new",
        "reopened": "reopened",
        "ongoing": "still failing",
        "resolved": "resolved",
    }[alert.state]


def _where(alert: Alert, style: Style) -> str:
    parts = [style.bold(style.escape(alert.check))]
    if alert.column:
        parts.append(style.code(style.escape(alert.column)))
    if alert.segment:
        seg = ", ".join(f"{k}={v}" for k, v in alert.segment.items())
        parts.append(style.code(style.escape(seg)))
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
    icon = STATUS_ICON.get(alert.status, "❔")
    return f"{icon} {_where(alert, style)}{extra}: {reason}"


def rows_table(rows: list[dict[str, Any]]) -> str:
    """Sample rows as a fixed-width table."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    cells = [[show(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def detail_lines(detail: Detail, style: Style) -> list[str]:
    """Everything known about one alert, a line per fact (sample rows last, as a block)."""
    a = detail.alert
    lines = [
        f"{STATUS_ICON.get(a.status, '❔')} {style.bold(style.escape(a.dataset))}: {_where(a, style)}"
    ]
    lines.append(style.escape(clip(a.reason, 2 * LINE_LIMIT)))
    expected = show_expected(a.expected)
    if a.derivation:
        expected += f" ({a.derivation})"
    lines.append(f"{style.bold('observed')} {style.code(style.escape(show(a.observed)))}")
    lines.append(f"{style.bold('expected')} {style.escape(expected)}")
    if a.change_pct is not None:
        lines.append(f"{style.bold('change')} {a.change_pct:+.1f}%")
    if a.first_failed_week is not None:
        lines.append(
            f"{style.bold('failing since')} week {a.first_failed_week.isoformat()} "
            f"(week {a.weeks_failing})" + (" · 🔁 flapping" if a.flapping else "")
        )
    for name, value in a.extras.items():
        lines.append(f"{style.bold(name.replace('_', ' '))} {style.escape(show(value))}")
    for link in a.links:
        lines.append(f"{style.bold('data')} {link_text(link, style)}")
    lines.append(f"{style.bold('fingerprint')} {style.code(a.key)}")
    if a.sample_rows:
        lines.append(style.block(style.escape(rows_table(a.sample_rows))))
    return lines


def followup_lines(followup: Followup, style: Style) -> list[str]:
    """A thread reply about earlier alerts."""
    week = followup.week.isoformat()
    if followup.kind == "resolved":
        head = f"✅ {style.bold('resolved')} in week {week}"
        items = [f"{style.bullet}{_where(a, style)}" for a in followup.alerts]
    else:
        weeks = sorted({a.weeks_failing for a in followup.alerts})
        label = ", ".join(str(w) for w in weeks)
        head = f"{style.bold('still failing')}, week {label} (week of {week})"
        items = [
            f"{style.bullet}{_where(a, style)}" + (" · 🔁 flapping" if a.flapping else "")
            for a in followup.alerts
        ]
    return [head, *items]


def message_lines(msg: RunMessage, style: Style) -> list[str]:
    """A run message as lines: title, summary, mentions, alerts by dataset, links."""
    lines = [style.bold(title(msg)), summary(msg)]
    if msg.mentions:
        lines.append("cc " + " ".join(msg.mentions))
    for dataset, alerts in msg.by_dataset():
        link = msg.dataset_links.get(dataset)
        name = style.link(link, dataset) if link else dataset
        lines.append("")
        lines.append(style.bold(name))
        lines += [style.bullet + alert_line(a, style) for a in alerts]
    if msg.more is not None:
        lines += ["", more_text(msg.more, style)]
    return lines


def render_text(
    msg: RunMessage, details: list[Detail], followups: list[Followup], style: Style = PLAIN
) -> str:
    """A whole delivery (message, then what Slack would put in its thread) as text."""
    parts = ["\n".join(message_lines(msg, style))]
    parts += ["\n".join(followup_lines(f, style)) for f in followups]
    parts += ["\n".join(detail_lines(d, style)) for d in details]
    return "\n\n---\n\n".join(parts) + "\n"


def render_markdown(msg: RunMessage, details: list[Detail], followups: list[Followup]) -> str:
    return render_text(msg, details, followups, MARKDOWN)
