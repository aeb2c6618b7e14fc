"""Sending the outbox, oldest first, without ever showing people an alert twice.

Per entry: an earlier attempt with an unknown outcome is first looked up by its key
(message metadata) and adopted if found; otherwise the entry is claimed (the attempt is
recorded before it is made) and sent. A reply waits for its parent; a channel that fails
holds its later entries back so that they keep their order; Slack being down or refusing
the token stops the flush, and everything left waits for the next run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from canary.alerts import outbox
from canary.alerts.outbox import LEASE_SECONDS, Entry
from canary.alerts.transports import DeliveryError, Transport

ATTEMPTS_PER_FLUSH = 2


@dataclass
class FlushReport:
    delivered: Counter[str] = field(default_factory=Counter)
    adopted: int = 0
    waiting: int = 0
    failed: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _deliver(
    engine: Engine,
    transport: Transport,
    entry: Entry,
    parent: Entry | None,
    clock: Callable[[], float],
    report: FlushReport,
) -> None:
    """Deliver one entry, or raise ``DeliveryError`` (the entry is left pending or unknown)."""
    for _ in range(ATTEMPTS_PER_FLUSH):
        if entry.status in ("sending", "unknown"):
            if not transport.verifiable:
                outbox.settle(engine, entry, "unverifiable", clock())
                report.unverifiable.append(f"{entry.kind} to {entry.channel} ({entry.monitor})")
                return
            found = transport.find(entry, parent)
            if found is not None:
                outbox.settle(engine, entry, "delivered", clock(), channel_id=found[0], ts=found[1])
                report.adopted += 1
                return
        if not outbox.claim(engine, entry, clock()):
            return  # another process took it
        try:
            channel_id, ts = transport.send(entry, parent)
        except DeliveryError as err:
            if err.unknown and not transport.verifiable:
                outbox.settle(engine, entry, "unverifiable", clock(), last_error=str(err))
                report.unverifiable.append(f"{entry.kind} to {entry.channel} ({entry.monitor})")
                return
            status = "unknown" if err.unknown else "pending"
            outbox.settle(engine, entry, status, clock(), last_error=str(err))
            if not err.unknown:
                raise
            continue
        outbox.settle(engine, entry, "delivered", clock(), channel_id=channel_id, ts=ts)
        report.delivered[entry.kind] += 1
        return
    raise DeliveryError(
        f"{entry.kind} to {entry.channel}: outcome unknown twice; it is looked up next run", "all"
    )


def flush(
    engine: Engine, transport: Transport, clock: Callable[[], float] = time.time
) -> FlushReport:
    """Send every open entry of ``transport`` that can go now; report what happened."""
    report = FlushReport()
    held: set[str] = set()
    pending = outbox.queue(engine, transport.name)
    for position, entry in enumerate(pending):
        if entry.channel in held:
            report.waiting += 1
            continue
        busy = entry.status == "sending" and (clock() - (entry.claimed_at or 0)) < LEASE_SECONDS
        parent = outbox.by_key(engine, entry.parent_key) if entry.parent_key else None
        if parent is not None and parent.status == "failed":
            outbox.settle(engine, entry, "failed", clock(), last_error="its message was rejected")
            report.failed.append(f"{entry.kind} to {entry.channel}: its message was rejected")
            continue
        if busy or (entry.parent_key and (parent is None or parent.status != "delivered")):
            held.add(entry.channel)
            report.waiting += 1
            continue
        try:
            _deliver(engine, transport, entry, parent, clock, report)
        except DeliveryError as err:
            if err.scope == "all":
                report.errors.append(str(err))
                report.waiting += len(pending) - position
                break
            if err.scope == "channel":
                report.errors.append(str(err))
                held.add(entry.channel)
                report.waiting += 1
                continue
            outbox.settle(engine, entry, "failed", clock(), last_error=str(err))
            report.failed.append(str(err))
    report.errors = list(dict.fromkeys(report.errors))
    return report
