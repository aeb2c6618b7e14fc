"""Carrying queued deliveries over to the transport in use now.

Switching delivery (bot token, incoming webhook, file outbox) must not strand what the old
one left in the outbox. Each open entry of another transport is re-rendered for this one:

- a run message keeps its body (for the bot with the Slack metadata that finds it again;
  the file outbox renders it as markdown with the new incidents' evidence);
- a "still failing" or "resolved" reply to an earlier message becomes a message of its
  own where there are no threads, naming its monitor;
- what only a bot can do is dropped, with the reason: the detail replies and charts of a
  message (the webhook's message is the run's whole delivery, the file's markdown carries
  the details) and edits of a message posted earlier.

An entry whose earlier attempt has an unknown outcome may have arrived, and no transport
can look up what another sent: it is never re-sent but reported as unverifiable. An entry
that a live run holds is left to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from canary.alerts.compose import Mode, metadata
from canary.alerts.outbox import records
from canary.alerts.outbox.records import Entry
from canary.alerts.render.blocks import MAX_BLOCKS, context


@dataclass(frozen=True)
class Carried:
    """An entry re-rendered for another transport; ``parent_key`` None: a message of its own."""

    payload: dict[str, Any]
    parent_key: str | None


@dataclass
class RerouteReport:
    moved: int = 0
    dropped: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)


def _standalone(entry: Entry) -> dict[str, Any]:
    """A thread reply as a message of its own: the monitor and week come first (marked,
    for the renderer, on a stored body; written in, on text queued by earlier versions)."""
    if "digest" in entry.payload:
        return {k: v for k, v in entry.payload.items() if k != "metadata"} | {"standalone": True}
    head = f"{entry.monitor} · week {entry.week.isoformat()}"
    return {
        "text": f"{head}: {entry.payload['text']}",
        "blocks": [context(head), *entry.payload["blocks"][: MAX_BLOCKS - 1]],
    }


def adapt(entry: Entry, parent: Entry | None, mode: Mode) -> Carried | str:
    """``entry`` made fit for ``mode``, or why it is not carried over (pure).

    ``parent`` is the entry it replies to or edits.
    """
    if mode == "bot":
        if entry.kind in ("post", "reply") and "metadata" not in entry.payload:
            week = entry.week.isoformat()
            payload = {**entry.payload, "metadata": metadata(entry.key, entry.monitor, week)}
            return Carried(payload, entry.parent_key)
        return Carried(entry.payload, entry.parent_key)
    sink = "an incoming webhook" if mode == "webhook" else "the file outbox"
    if entry.kind == "update":
        return f"{sink} cannot edit the message posted earlier"
    if entry.kind == "upload":
        return f"charts go only into a bot's thread, not through {sink}"
    if entry.kind == "reply":
        if parent is not None and parent.week == entry.week:
            if mode == "file":
                return "details of a run go into its message in the file outbox, not one by one"
            return f"details of a run go only into the bot's thread, not through {sink}"
        return Carried(_standalone(entry), None)
    return Carried({k: v for k, v in entry.payload.items() if k != "metadata"}, None)


def reroute(engine: Engine, transport: str, mode: Mode, now: float) -> RerouteReport:
    """Move every open entry of other transports to ``transport`` (rendered for ``mode``)."""
    report = RerouteReport()
    for entry in records.stranded(engine, transport):
        if entry.status == "sending" and records.lease_end(entry) > now:
            continue  # a live run is delivering it through its own transport
        if entry.status in ("sending", "unknown"):
            error = f"outcome unknown through {entry.transport}; not re-sent through {transport}"
            if records.reassign(engine, entry, status="unverifiable", last_error=error):
                report.unverifiable.append(f"{entry.label()}: {error}")
            continue
        parent = records.by_key(engine, entry.parent_key) if entry.parent_key else None
        carried = adapt(entry, parent, mode)
        if isinstance(carried, str):
            if records.reassign(engine, entry, status="dropped", last_error=carried):
                report.dropped.append(f"{entry.label()}: {carried}")
            continue
        if records.reassign(
            engine,
            entry,
            transport=transport,
            payload=carried.payload,
            parent_key=carried.parent_key,
        ):
            report.moved += 1
    return report
