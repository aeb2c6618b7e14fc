"""Renderers of a ``Digest`` (pure): Slack Block Kit, markdown (file outbox, Prefect
notification blocks) and plain text. They write the same lines in their channel's style,
when a message is sent, from the body the outbox stores."""

from __future__ import annotations

from typing import Any

from canary import readable
from canary.alerts.render.blocks import (
    MAX_BLOCKS,
    Block,
    chunks,
    context,
    fallback,
    header,
    pack,
    section,
)
from canary.alerts.render.digest import Digest, IncidentView, Part
from canary.alerts.render.model import Alert
from canary.alerts.render.text import (
    MARKDOWN,
    MRKDWN,
    PLAIN,
    Style,
    alert_line,
    clip,
    link_text,
    links_text,
    more_text,
    rows_table,
    show,
)
from canary.statuses import STATUS_ICON, UNKNOWN_ICON

HEADLINE_LIMIT = 1200  # an incident's headline in a list; the thread carries it whole
STATES = {"new": "new", "reopened": "reopened", "ongoing": "still failing", "resolved": "resolved"}


def digest_title(d: Digest) -> str:
    drill = "DRILL · " if d.drill else ""
    told = [v for v in d.incidents if v.state != "resolved"]
    if d.incidents and not told:  # a message updated once every incident it told is gone
        return f"✅ {drill}{d.monitor} — week {d.week.isoformat()}: {d.status}, since resolved"
    icon = STATUS_ICON.get(d.status, UNKNOWN_ICON)
    return f"{icon} {drill}{d.monitor} — week {d.week.isoformat()}: {d.status}"


def _incidents(n: int) -> str:
    return f"{n:,} incident{'s' if n != 1 else ''}" if n else "no incident"


def digest_summary(d: Digest) -> str:
    """How many incidents and in which states, mutes, then the run's check counts. A
    message of the lifecycle counts every incident still failing (also those followed in
    earlier threads) and those it tells resolved."""
    checks = "checks: " + ", ".join(f"{k:,} {status}" for status, k in d.counts.items() if k)
    muted = [f"{d.muted:,} muted"] if d.muted else []
    if not d.key:  # a run's body before the lifecycle: its incidents, no states
        return " · ".join([_incidents(len(d.incidents)), *muted, checks])
    states = dict(d.failing)
    if not states:  # a body stored before bodies counted them: the incidents it lists
        for view in d.incidents:
            if view.state != "resolved":
                states[STATES[view.state]] = states.get(STATES[view.state], 0) + 1
    failing = sum(states.values())
    told = f"{_incidents(failing)} failing" if failing else "no incident failing"
    if states:
        told += " (" + ", ".join(f"{k:,} {label}" for label, k in states.items()) + ")"
    resolved = sum(v.state == "resolved" for v in d.incidents)
    if resolved:
        told += f", {resolved:,} resolved"
    return " · ".join([told, *muted, checks])


def _marks(view: IncidentView) -> str:
    marks = []
    if view.state == "reopened":
        marks.append("reopened")
    if view.state == "ongoing":
        marks.append(f"still failing, week {view.weeks_failing}")
    elif view.weeks_failing > 1:
        marks.append(f"week {view.weeks_failing}")
    if view.flapping:
        marks.append("🔁 flapping")
    return f" ({', '.join(marks)})" if marks else ""


def _cause(view: IncidentView) -> str:
    return view.cause or ("could not be checked" if view.status == "error" else "unexplained")


def incident_head(view: IncidentView, style: Style) -> str:
    """The incident's first line: cause, confidence, since when, state (the same in every
    monitor's message: how many checks each saw is their evidence's)."""
    drill = "DRILL · " if view.drill else ""
    if view.state == "resolved":
        week = view.resolved_week.isoformat() if view.resolved_week else "?"
        return f"✅ {drill}{style.strike(_cause(view))} · since {view.since.isoformat()} · resolved in week {week}"
    sure = f" ({view.confidence:.0%})" if view.cause else ""
    icon = STATUS_ICON.get(view.status, UNKNOWN_ICON)
    mark = f" · {view.class_}" if view.class_evidence and view.class_ != "unclear" else ""
    head = f"{icon} {drill}{style.bold(_cause(view))}{sure}{mark} · since {view.since.isoformat()}"
    return head + _marks(view)


def incident_lines(view: IncidentView, style: Style, limit: int = HEADLINE_LIMIT) -> list[str]:
    return [incident_head(view, style), style.escape(clip(view.headline, limit))]


def digest_lines(d: Digest, style: Style) -> list[str]:
    lines = [style.bold(digest_title(d)), digest_summary(d)]
    if d.mentions:
        lines.append("cc " + " ".join(d.mentions))
    for view in d.incidents:
        lines += ["", *incident_lines(view, style)]
    if d.footer:
        lines += ["", links_text(d.footer, style)]
    return lines


def _evidence(alert: Alert, monitor: str, style: Style) -> str:
    """A check of the incident; one from another monitor says which."""
    line = alert_line(alert, style)
    return line if alert.monitor == monitor else f"{style.escape(alert.monitor)}: {line}"


def _lead_lines(lead: Alert, style: Style) -> list[str]:
    """What the headline check measured, how its range was derived, where its data is."""
    expected = readable.expected(lead.expected, lead.check)
    if lead.derivation:
        expected += f" ({lead.derivation})"
    numbers = (
        f"{style.bold('observed')} {style.code(show(lead.observed, lead.check))} · "
        f"{style.bold('expected')} {style.escape(expected)}"
    )
    if lead.change_pct is not None:
        numbers += f" · {style.bold('change')} {lead.change_pct:+.1f}%"
    return [numbers] + [f"{style.bold('data')} {link_text(link, style)}" for link in lead.links]


def evidence_lines(view: IncidentView, monitor: str, style: Style) -> list[str]:
    """The thread of one incident: its headline check's numbers, the checks, sample rows.

    ``monitor`` is the run's own; checks of other monitors are marked with theirs."""
    lines = incident_lines(view, style, limit=2 * HEADLINE_LIMIT)
    if view.evidence:
        lines += _lead_lines(view.evidence[0], style)
        lines.append(f"{style.bold('scope')} {style.escape(view.scope)}")
    if view.class_evidence:
        lines.append(f"{style.bold('class')} {view.class_}: {style.escape(view.class_evidence)}")
    if view.evidence:
        lines.append(style.bold("evidence"))
        lines += [style.bullet + _evidence(a, monitor, style) for a in view.evidence]
        rest = view.checks - len(view.evidence)
        if rest > 0:
            lines.append(f"…and {rest} more check{'s' if rest != 1 else ''}")
    if view.key:
        lines.append(f"{style.bold('incident')} {style.code(view.id)}")
    if view.sample_rows:
        lines.append(style.block(rows_table(view.sample_rows)))
    return lines


def followup_lines(part: Part, d: Digest, style: Style) -> list[str]:
    """A reply about incidents told earlier: still failing, or resolved."""
    week = d.week.isoformat()
    if part == "resolved":
        head = f"✅ {style.bold('resolved')} in week {week}"
    else:
        weeks = ", ".join(str(w) for w in sorted({v.weeks_failing for v in d.incidents}))
        head = f"{style.bold('still failing')}, week {weeks} (week of {week})"
    items = [
        f"{style.bullet}{incident_head(v, style)}: {style.escape(clip(v.headline, 300))}"
        for v in d.incidents
    ]
    return [head, *items]


def more_lines(d: Digest, style: Style) -> list[str]:
    """The incidents whose details (or place in the message) did not fit, one by one."""
    n = len(d.incidents)
    where = f" ({more_text(d.more, style)})" if d.more else ""
    lines = [f"{n} more incident{'s' if n != 1 else ''}, details in the full results{where}"]
    for view in d.incidents:
        lines += incident_lines(view, style)
    return lines


def _listed(d: Digest) -> int:
    """How many incidents the run's Slack message has room for (the rest: "…and N more")."""
    fixed = 2 + bool(d.mentions) + bool(d.remote().footer)
    budget = MAX_BLOCKS - fixed - 1
    return len(d.incidents) if len(d.incidents) <= budget + 1 else budget


def overflow(d: Digest) -> list[IncidentView]:
    """Incidents the run's Slack message cannot list (they go into its thread)."""
    return d.incidents[_listed(d) :]


def slack_message(d: Digest, threaded: bool = True) -> tuple[str, list[Block]]:
    """The run's top-level Slack message: one section per incident, most severe first;
    what does not fit folds into "…and N more" (listed in the thread, where there is one).
    Only http(s) links are shown."""
    d = d.remote()
    blocks: list[Block] = [header(digest_title(d)), context(digest_summary(d))]
    if d.mentions:
        blocks.append(section("cc " + " ".join(d.mentions)))
    shown = _listed(d)
    blocks += [section("\n".join(incident_lines(v, MRKDWN))) for v in d.incidents[:shown]]
    if shown < len(d.incidents):
        where = f" ({more_text(d.more, MRKDWN)})" if d.more else ""
        rest = len(d.incidents) - shown
        listed = ", listed in the thread" if threaded else " in the full results"
        blocks.append(section(f"…and {rest} more incidents{listed}{where}"))
    if d.footer:
        blocks.append(context(links_text(d.footer, MRKDWN)))
    return fallback(digest_lines(d, PLAIN)), blocks


def slack_thread(view: IncidentView, monitor: str) -> tuple[str, list[Block]]:
    """One incident's thread reply: evidence, then masked sample rows."""
    lines = evidence_lines(view, monitor, MRKDWN)
    has_rows = bool(view.sample_rows)
    facts, rows = (lines[:-1], lines[-1:]) if has_rows else (lines, [])
    blocks = [section(t) for t in pack(facts)] + [section(r) for r in rows]
    return fallback(incident_lines(view, PLAIN)), blocks[:MAX_BLOCKS]


def _sections(lines: list[str], limit: int = MAX_BLOCKS) -> list[Block]:
    """``lines`` packed into sections, at most ``limit`` blocks (the last one says what
    did not fit)."""
    texts = pack(lines)
    if len(texts) <= limit:
        return [section(t) for t in texts]
    cut = len(chunks(lines)[limit - 1 :])
    return [section(t) for t in texts[: limit - 1]] + [
        section(f"…and {cut} more sections in the full results")
    ]


def slack_part(part: Part, d: Digest, threaded: bool = True) -> tuple[str, list[Block]]:
    """Text and blocks of one outbox entry's part (``threaded``: sent where threads are);
    only http(s) links are shown."""
    d = d.remote()
    if part == "run":
        return slack_message(d, threaded)
    if part == "incident":
        return slack_thread(d.incidents[0], d.monitor)
    lines = more_lines(d, MRKDWN) if part == "more" else followup_lines(part, d, MRKDWN)
    plain = more_lines(d, PLAIN) if part == "more" else followup_lines(part, d, PLAIN)
    return fallback(plain), _sections(lines)


def markdown_part(part: Part, d: Digest, style: Style = MARKDOWN) -> str:
    """One part as markdown (or plain text): the run's message carries every new
    incident's evidence, since a file has no thread."""
    if part == "run":
        lines = [style.bold(digest_title(d)), "", digest_summary(d)]
        if d.mentions:
            lines.append("cc " + " ".join(d.mentions))
        for view in d.incidents:
            told = view.state in ("new", "reopened")
            lines += [
                "",
                *(evidence_lines(view, d.monitor, style) if told else incident_lines(view, style)),
            ]
        if d.footer:
            lines += ["", links_text(d.footer, style)]
    elif part == "incident":
        lines = evidence_lines(d.incidents[0], d.monitor, style)
    elif part == "more":
        lines = more_lines(d, style)
    else:
        lines = followup_lines(part, d, style)
    return "\n".join(lines) + "\n"


def standalone_head(d: Digest) -> str:
    """What a thread reply sent as a message of its own starts with."""
    return f"{d.monitor} · week {d.week.isoformat()}"


def rendered(
    payload: dict[str, Any], standalone: bool = False, threaded: bool = True
) -> tuple[str, list[Block]]:
    """Slack text and blocks of an outbox payload, rendered now from its body.

    ``standalone`` (or the payload's own mark): a reply going out as a message of its own,
    where its message has no thread; it then names its monitor and week. ``threaded``:
    whether the channel has threads (an incoming webhook has none). Payloads queued before
    bodies were stored carry their text and blocks already."""
    if "digest" not in payload:
        return payload["text"], payload["blocks"]
    d = Digest.from_json(payload["digest"])
    text, blocks = slack_part(payload["part"], d, threaded)
    if not (standalone or payload.get("standalone")):
        return text, blocks
    head = standalone_head(d)
    return f"{head}: {text}", [context(head), *blocks[: MAX_BLOCKS - 1]]


def file_text(payload: dict[str, Any]) -> tuple[str, str]:
    """Markdown for the file outbox and plain text for the console, rendered now."""
    if "digest" not in payload:
        return payload.get("markdown") or payload["text"], payload.get("plain") or payload["text"]
    d = Digest.from_json(payload["digest"])
    part: Part = payload["part"]
    head = f"{standalone_head(d)}\n\n" if payload.get("standalone") else ""
    return head + markdown_part(part, d), head + markdown_part(part, d, PLAIN)


def prefect_notification(d: Digest) -> tuple[str, str]:
    """Subject and markdown body for a Prefect notification block (any kind): the summary,
    then each incident with its evidence; only http(s) links are shown."""
    d = d.remote()
    body = [digest_summary(d)]
    for view in d.incidents:
        body += ["", *evidence_lines(view, d.monitor, MARKDOWN)]
    if d.footer:
        body += ["", links_text(d.footer, MARKDOWN)]
    return digest_title(d), "\n".join(body) + "\n"
