"""Renderers of a ``Digest`` (pure): Slack Block Kit, and subject plus markdown for a
Prefect notification block. Both write the same lines in their channel's style."""

from __future__ import annotations

from canary.alerts.blocks import MAX_BLOCKS, Block, context, fallback, header, pack, section
from canary.alerts.digest import Digest, IncidentView
from canary.alerts.model import Alert
from canary.alerts.text import (
    MARKDOWN,
    MRKDWN,
    PLAIN,
    Style,
    alert_line,
    more_text,
    rows_table,
    show,
    show_expected,
)
from canary.report.artifacts import STATUS_ICON


def digest_title(d: Digest) -> str:
    drill = "DRILL · " if d.drill else ""
    icon = STATUS_ICON.get(d.status, "❔")
    return f"{icon} {drill}{d.monitor} — week {d.week.isoformat()}: {d.status}"


def digest_summary(d: Digest) -> str:
    n = len(d.incidents)
    told = f"{n} incident{'s' if n != 1 else ''}" if n else "no incident"
    counts = [f"{k} {status}" for status, k in d.counts.items() if k]
    return f"{told} · " + " · ".join(counts)


def incident_head(view: IncidentView, style: Style) -> str:
    """The incident's first line: cause, confidence, since when, how many checks."""
    cause = view.cause or ("could not be checked" if view.status == "error" else "unexplained")
    sure = f" ({view.confidence:.0%})" if view.cause else ""
    checks = f"{view.checks} check{'s' if view.checks != 1 else ''}"
    icon = STATUS_ICON.get(view.status, "❔")
    return f"{icon} {style.bold(cause)}{sure} · since {view.since.isoformat()} · {checks}"


def incident_lines(view: IncidentView, style: Style) -> list[str]:
    return [incident_head(view, style), style.escape(view.headline)]


def digest_lines(d: Digest, style: Style) -> list[str]:
    lines = [style.bold(digest_title(d)), digest_summary(d)]
    for view in d.incidents:
        lines += ["", *incident_lines(view, style)]
    if d.more is not None:
        lines += ["", more_text(d.more, style)]
    return lines


def _evidence(alert: Alert, monitor: str, style: Style) -> str:
    """A check of the incident; one from another monitor says which."""
    line = alert_line(alert, style)
    return line if alert.monitor == monitor else f"{style.escape(alert.monitor)}: {line}"


def evidence_lines(view: IncidentView, monitor: str, style: Style) -> list[str]:
    """The thread of one incident: its headline check's numbers, the checks, sample rows.

    ``monitor`` is the run's own; checks of other monitors are marked with theirs."""
    lines = incident_lines(view, style)
    if view.evidence:
        lead = view.evidence[0]
        lines.append(
            f"{style.bold('observed')} {style.code(style.escape(show(lead.observed)))} · "
            f"{style.bold('expected')} {style.escape(show_expected(lead.expected))}"
        )
        lines.append(f"{style.bold('scope')} {style.escape(view.scope)}")
        lines.append(style.bold("evidence"))
        lines += [style.bullet + _evidence(a, monitor, style) for a in view.evidence]
        rest = view.checks - len(view.evidence)
        if rest > 0:
            lines.append(f"…and {rest} more check{'s' if rest != 1 else ''}")
    if view.sample_rows:
        lines.append(style.block(style.escape(rows_table(view.sample_rows))))
    return lines


def slack_message(d: Digest) -> tuple[str, list[Block]]:
    """The run's top-level Slack message: one section per incident, most severe first."""
    blocks: list[Block] = [header(digest_title(d)), context(digest_summary(d))]
    tail = [context(more_text(d.more, MRKDWN))] if d.more else []
    budget = MAX_BLOCKS - len(blocks) - len(tail) - 1
    for n, view in enumerate(d.incidents):
        if n == budget:
            blocks.append(section(f"…and {len(d.incidents) - n} more incidents"))
            break
        blocks.append(section("\n".join(incident_lines(view, MRKDWN))))
    return fallback(digest_lines(d, PLAIN)), blocks + tail


def slack_thread(view: IncidentView, monitor: str) -> tuple[str, list[Block]]:
    """One incident's thread reply: evidence, then masked sample rows."""
    lines = evidence_lines(view, monitor, MRKDWN)
    has_rows = bool(view.sample_rows)
    facts, rows = (lines[:-1], lines[-1:]) if has_rows else (lines, [])
    blocks = [section(t) for t in pack(facts)] + [section(r) for r in rows]
    return fallback(incident_lines(view, PLAIN)), blocks[:MAX_BLOCKS]


def prefect_notification(d: Digest) -> tuple[str, str]:
    """Subject and markdown body for a Prefect notification block (any kind): the summary,
    then each incident with its evidence."""
    body = [digest_summary(d)]
    for view in d.incidents:
        body += ["", *evidence_lines(view, d.monitor, MARKDOWN)]
    if d.more is not None:
        body += ["", more_text(d.more, MARKDOWN)]
    return digest_title(d), "\n".join(body) + "\n"
