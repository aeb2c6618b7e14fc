"""Renderers of a weekly ``ReportBody`` (pure): markdown (file outbox, ``canary report``,
Prefect artifact), plain text (console, Prefect notification blocks) and Slack Block Kit.

Each section has one builder shared by the three styles (``canary.alerts.render.text.Style``), so
they cannot drift apart: title, lede, headline numbers, biggest movers, calendar notes,
pipeline health, links. Only http(s) links are shown, never a path on a worker's disk.
"""

from __future__ import annotations

import math

from canary import readable
from canary.alerts.render.blocks import (
    MAX_BLOCKS,
    Block,
    context,
    fallback,
    header,
    pack,
    section,
)
from canary.alerts.render.model import Link
from canary.alerts.render.text import MARKDOWN, MRKDWN, PLAIN, Style, clip, links_text, rows_table
from canary.masking import mask_text
from canary.weekly.body import Headline, Health, Mover, ReportBody, Told

ICON = "📊"
STANDING = {"within": "✅ within", "below": "🔻 below", "above": "🔺 above"}
HEALTH = {"pipeline": "🚧", "unclear": "❔"}
CLASS = {"pipeline": "🚧 pipeline", "product": "📉 product change", "unclear": "❔ unclear"}
#: A headline's comparisons: (column heading, the attribute it compares against).
BASES = (
    ("vs last week", "week_before"),
    ("vs 4-week median", "median_4w"),
    ("vs last year", "year_ago"),
)
LABEL = "number"
VALUE = "this week"
EXPECTED = "expected"
FIELDS_PER_SECTION = 10  # Slack's limit of a section's fields
FIELD_LIMIT = 2000
CONTEXT_LIMIT = 2000
LABEL_LIMIT = 80  # a headline's label in the table
EVIDENCE_LIMIT = 300


def title(body: ReportBody) -> str:
    """The report's first line: its title (and monitor), the week, a drill's mark."""
    drill = f"DRILL {body.drill} · " if body.drill else ""
    name = body.title or body.monitor
    if body.monitor not in name:
        name += f" · {body.monitor}"
    return f"{ICON} {drill}{name} — week of {body.week.day} {body.week:%b %Y}"


def lede_line(body: ReportBody, style: Style) -> str:
    return style.bold(style.escape(body.lede))


# --- headline numbers -------------------------------------------------------------------


def _bases(headlines: list[Headline]) -> list[tuple[str, str]]:
    """The comparisons at least one headline has a base for (a year ago may be missing)."""
    return [
        (name, attr) for name, attr in BASES if any(getattr(h, attr) is not None for h in headlines)
    ]


def standing(h: Headline) -> str:
    """Where this week's value stands: ``🔻 below, expected 4,400–18,200`` (the range
    rounded so that it agrees with the standing)."""
    bounds = readable.span(h.low, h.high, h.value)
    expected = "" if bounds == readable.NONE else f"expected {bounds}"
    mark = STANDING.get(h.standing)
    if mark and expected:
        return f"{mark}, {expected}"
    return mark or expected


def headline_cells(h: Headline, bases: list[tuple[str, str]]) -> dict[str, str]:
    """A headline's row of the table: label, value, its changes, where it stands."""
    cells = {LABEL: clip(h.label, LABEL_LIMIT), VALUE: readable.number(h.value)}
    for name, attr in bases:
        cells[name] = readable.change(h.change(getattr(h, attr)))
    cells[EXPECTED] = standing(h) or readable.NONE
    return cells


def headline_rows(body: ReportBody) -> list[dict[str, str]]:
    bases = _bases(body.headlines)
    return [headline_cells(h, bases) for h in body.headlines]


def markdown_table(rows: list[dict[str, str]]) -> list[str]:
    columns = list(rows[0])
    aligns = ["---" if c in (LABEL, EXPECTED) else "---:" for c in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(aligns) + "|"]
    lines += ["| " + " | ".join(MARKDOWN.escape(row[c]) for c in columns) + " |" for row in rows]
    return lines


def headline_field(row: dict[str, str]) -> str:
    """A headline as a Slack field: its label, value and changes, where it stands."""
    changes = [
        f"{row[name]} {name}" for name, _ in BASES if row.get(name, readable.NONE) != readable.NONE
    ]
    lines = [
        MRKDWN.bold(MRKDWN.escape(row[LABEL])),
        " · ".join([MRKDWN.bold(row[VALUE]), *changes]),
    ]
    if row[EXPECTED] != readable.NONE:
        lines.append(row[EXPECTED])
    return clip("\n".join(lines), FIELD_LIMIT)


# --- movers, calendar, health, links ----------------------------------------------------


def mover_line(m: Mover, style: Style) -> str:
    """``page views · version 5.2: -1,234 (62% of the drop)``; a segment moving against
    the whole change offsets part of it; an unknown share is left out."""
    delta = m.value - m.before
    where = style.escape(mask_text(f"{m.metric} · {m.field} {m.label}"))
    line = f"{style.bullet}{where}: {style.bold(readable.signed(delta))}"
    if not (math.isfinite(m.share) and math.isfinite(delta)):
        return line
    whole = "rise" if (delta >= 0) == (m.share >= 0) else "drop"
    share = f"{abs(round(100 * m.share)):,}% of the {whole}"
    return f"{line} ({share if m.share >= 0 else f'offsetting {share}'})"


def mover_lines(body: ReportBody, style: Style) -> list[str]:
    """The movers under a heading per segment field (its shares add up to the change)."""
    lines: list[str] = []
    for i, m in enumerate(body.movers):
        if i == 0 or body.movers[i - 1].field != m.field:
            lines += [""] if lines else []  # a heading after a list: a paragraph of its own
            lines.append(style.bold(style.escape(mask_text(f"Biggest movers by {m.field}"))))
        lines.append(mover_line(m, style))
    return lines


def calendar_lines(body: ReportBody, style: Style) -> list[str]:
    return [f"{style.bullet}🗓 {style.escape(note)}" for note in body.calendar]


def _web(link: Link | None) -> Link | None:
    return link if link is not None and link.web else None


def incident_line(told: Told, style: Style) -> str:
    """An open incident: its class, title, why it is thought so, its thread if posted."""
    line = f"{style.bullet}{CLASS.get(told.cls, told.cls)}: {style.escape(told.title)}"
    if told.evidence:
        line += f" — {style.escape(clip(told.evidence, EVIDENCE_LIMIT))}"
    thread = _web(told.link)
    return line + (f" · {style.link(thread.url or '', 'thread')}" if thread else "")


def health_summary(health: Health) -> str:
    """``✅ 42 of 42 checks passed · no open incident · canary: pipeline healthy: …``; the
    mark is the worst open incident's (a product change leaves the pipeline healthy)."""
    classes = {t.cls for t in health.incidents}
    icon = next((HEALTH[c] for c in ("pipeline", "unclear") if c in classes), "✅")
    parts = [f"{icon} {health.passed:,} of {readable.counted(health.total, 'check')} passed"]
    n = len(health.incidents)
    parts.append(f"{readable.counted(n, 'open incident')}" if n else "no open incident")
    if health.canary:
        parts.append(f"canary: {health.canary}")
    return " · ".join(parts)


def health_lines(body: ReportBody, style: Style) -> list[str]:
    health = body.health
    if health is None:
        return []
    head = f"{style.bold('Pipeline health')}: {style.escape(health_summary(health))}"
    return [head, *(incident_line(t, style) for t in health.incidents)]


def web_links(body: ReportBody) -> list[Link]:
    return [link for link in body.links if link.web]


def links_line(body: ReportBody, style: Style) -> list[str]:
    links = web_links(body)
    return [links_text(links, style)] if links else []


# --- the three renderers ----------------------------------------------------------------


def _text(body: ReportBody, style: Style, table: list[str]) -> str:
    parts = [
        [style.bold(title(body))],
        [lede_line(body, style)],
        table,
        mover_lines(body, style),
        calendar_lines(body, style),
        health_lines(body, style),
        links_line(body, style),
    ]
    return "\n\n".join("\n".join(p) for p in parts if p) + "\n"


def report_markdown(body: ReportBody) -> str:
    """The report as markdown, headline numbers as a table."""
    rows = headline_rows(body)
    return _text(body, MARKDOWN, markdown_table(rows) if rows else [])


def report_text(body: ReportBody) -> str:
    """The report as plain text, headline numbers as a fixed-width table."""
    rows = headline_rows(body)
    return _text(body, PLAIN, rows_table(rows).splitlines() if rows else [])


def _fit(blocks: list[Block]) -> list[Block]:
    """At most ``MAX_BLOCKS``: the last one then says the rest is in the full report."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    rest = len(blocks) - MAX_BLOCKS + 1
    return [*blocks[: MAX_BLOCKS - 1], context(f"…and {rest} more parts in the full report")]


def report_slack(body: ReportBody) -> tuple[str, list[Block]]:
    """Fallback text and Block Kit blocks within Slack's limits: headline numbers as the
    fields of sections, the rest as sections and context lines."""
    fields = [headline_field(row) for row in headline_rows(body)]
    blocks: list[Block] = [header(title(body)), section(lede_line(body, MRKDWN))]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        group = fields[start : start + FIELDS_PER_SECTION]
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in group]})
    blocks += [section(text) for text in pack(mover_lines(body, MRKDWN))]
    blocks += [context(text) for text in pack(calendar_lines(body, MRKDWN), CONTEXT_LIMIT)]
    blocks += [section(text) for text in pack(health_lines(body, MRKDWN))]
    blocks += [context(text) for text in pack(links_line(body, MRKDWN), CONTEXT_LIMIT)]
    return fallback(report_text(body).splitlines()), _fit(blocks)
