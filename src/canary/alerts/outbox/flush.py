"""Sending the outbox, oldest first, without ever showing people an alert twice.

Per entry: an earlier attempt with an unknown outcome is first looked up by its key
(message metadata) and adopted if found; otherwise the entry is claimed (the attempt is
recorded before it is made, under a lease kept alive by a heartbeat) and sent. A reply
waits for its parent; a channel that fails, or whose entry another run is delivering right
now, holds its later entries back so that they keep their order; Slack being down or
refusing the token stops the flush, and everything left waits for the next run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from canary.alerts.outbox import records
from canary.alerts.outbox.lease import heartbeat, holder_name
from canary.alerts.outbox.records import LEASE_SECONDS, Entry
from canary.alerts.outbox.sending import Channel, DeliveryError

ATTEMPTS_PER_FLUSH = 2


def _clock_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass
class Held:
    """An entry another run is delivering now (its lease is live) and what waits behind it."""

    entry: str
    holder: str
    since: float
    until: float
    channel: str
    behind: int = 0

    def line(self) -> str:
        tail = f"; {self.behind} more for {self.channel} wait behind it" if self.behind else ""
        return (
            f"{self.entry} is being delivered by {self.holder} since "
            f"{_clock_time(self.since)}, held until {_clock_time(self.until)} unless it "
            f"renews its lease{tail}"
        )


@dataclass
class FlushReport:
    delivered: Counter[str] = field(default_factory=Counter)
    adopted: int = 0
    waiting: int = 0
    held: list[Held] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class _Flush:
    engine: Engine
    transport: Channel
    clock: Callable[[], float]
    holder: str
    lease: float
    report: FlushReport
    only: str | None = None

    def unverifiable(self, entry: Entry, error: str | None = None) -> None:
        records.settle(self.engine, entry, "unverifiable", self.clock(), last_error=error)
        self.report.unverifiable.append(f"{entry.kind} to {entry.channel} ({entry.monitor})")

    def deliver(self, entry: Entry, parent: Entry | None) -> None:
        """Deliver one entry, or raise ``DeliveryError`` (the entry is left pending or unknown)."""
        engine, transport, clock, report = self.engine, self.transport, self.clock, self.report
        for _ in range(ATTEMPTS_PER_FLUSH):
            if entry.status in ("sending", "unknown"):
                if not transport.verifiable:
                    return self.unverifiable(entry)
                found = transport.find(entry, parent)
                if found is not None:
                    records.settle(
                        engine, entry, "delivered", clock(), channel_id=found[0], ts=found[1]
                    )
                    report.adopted += 1
                    return None
            if not records.claim(engine, entry, clock(), self.holder, self.lease):
                return None  # another process took it
            try:
                channel_id, ts = transport.send(entry, parent)
            except DeliveryError as err:
                if err.unknown and not transport.verifiable:
                    return self.unverifiable(entry, str(err))
                status = "unknown" if err.unknown else "pending"
                ref = {"ts": err.ref} if err.unknown and err.ref else {}  # looked up by it
                records.settle(engine, entry, status, clock(), last_error=str(err), **ref)
                if not err.unknown:
                    raise
                continue
            records.settle(engine, entry, "delivered", clock(), channel_id=channel_id, ts=ts)
            report.delivered[entry.kind] += 1
            return None
        raise DeliveryError(
            f"{entry.kind} to {entry.channel}: outcome unknown twice; it is looked up next run",
            "all",
        )

    def run(self) -> None:
        engine, clock, report = self.engine, self.clock, self.report
        held: dict[str, Held | None] = {}  # channel -> the live claim holding it, if that is why
        pending = records.queue(engine, self.transport.name, self.only)
        for position, entry in enumerate(pending):
            if entry.channel in held:
                report.waiting += 1
                if (by := held[entry.channel]) is not None:
                    by.behind += 1
                continue
            parent = records.by_key(engine, entry.parent_key) if entry.parent_key else None
            if parent is not None and parent.status == "failed":
                records.settle(
                    engine, entry, "failed", clock(), last_error="its message was rejected"
                )
                report.failed.append(f"{entry.kind} to {entry.channel}: its message was rejected")
                continue
            if entry.kind == "update" and parent is not None and parent.ts is None:
                error = "its message went out without a thread (webhook or file): no edit"
                records.settle(engine, entry, "dropped", clock(), last_error=error)
                report.dropped.append(f"{entry.label()}: {error}")
                continue
            if entry.status == "sending" and records.lease_end(entry) > clock():
                by = Held(
                    entry.label(),
                    entry.claimed_by or "an earlier run",
                    entry.claimed_at or 0.0,
                    records.lease_end(entry),
                    entry.channel,
                )
                held[entry.channel] = by
                report.held.append(by)
                report.waiting += 1
                continue
            if entry.parent_key and (parent is None or parent.status != "delivered"):
                held[entry.channel] = None
                report.waiting += 1
                continue
            try:
                self.deliver(entry, parent)
            except DeliveryError as err:
                if err.scope == "all":
                    report.errors.append(str(err))
                    report.waiting += len(pending) - position
                    break
                if err.scope == "channel":
                    report.errors.append(str(err))
                    held[entry.channel] = None
                    report.waiting += 1
                    continue
                records.settle(engine, entry, "failed", clock(), last_error=str(err))
                report.failed.append(str(err))
        report.errors = list(dict.fromkeys(report.errors))


def flush(
    engine: Engine,
    transport: Channel,
    clock: Callable[[], float] = time.time,
    holder: str | None = None,
    lease: float = LEASE_SECONDS,
    only: str | None = None,
) -> FlushReport:
    """Send every open entry of ``transport`` (those for channel ``only``, when given)
    that can go now; report what happened.

    Claims are taken as ``holder`` (default: this process) and kept alive while it sends.
    """
    job = _Flush(engine, transport, clock, holder or holder_name(), lease, FlushReport(), only)
    with heartbeat(engine, job.holder, lease, clock):
        job.run()
    return job.report
