"""The durable outbox: every delivery is recorded in the store before it is attempted.

An entry goes ``pending`` -> ``sending`` (claimed, attempt counted) -> ``delivered``; an
attempt whose outcome is unknown (connection dropped, unreadable reply) becomes
``unknown`` and is looked up in Slack before it is ever sent again. A claim names its holder
and holds a short lease that the holder renews while it delivers (a heartbeat), so a
process that died mid-attempt frees its entries within a lease. ``failed`` entries were
rejected for good (kept for inspection); ``unverifiable`` ones had an unknown outcome on a
channel that cannot be searched (a webhook) and are not re-sent; ``dropped`` ones were
queued for a transport no longer used and mean nothing to the one in use (see
``canary.alerts.outbox.reroute``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func, insert, select, update

from canary.store.schema import outbox

OpKind = Literal["post", "reply", "update", "upload", "notify"]
#: The transport of Prefect notification blocks: channels of their own, never carried over
#: to (or from) Slack's transports.
NOTIFY = "notify"
OPEN = ("pending", "sending", "unknown")
#: How long a claim holds without a heartbeat; past it, the attempt died mid-way and its
#: outcome is unknown. The holder renews it every third of this while it delivers.
LEASE_SECONDS = 60.0


@dataclass
class Op:
    """One delivery step as composed: post, thread reply, update of a post, file upload,
    or a message to a Prefect notification block."""

    key: str
    kind: OpKind
    channel: str
    monitor: str
    week: date
    payload: dict[str, Any]
    parent_key: str | None = None
    blob: bytes | None = None


@dataclass
class Entry(Op):
    """An ``Op`` as stored, with its delivery state."""

    id: int = 0
    transport: str = "slack"
    status: str = "pending"
    attempts: int = 0
    claimed_at: float | None = None
    claimed_by: str | None = None
    lease_until: float | None = None
    channel_id: str | None = None
    ts: str | None = None
    last_error: str | None = None
    created_at: float = 0.0

    def label(self) -> str:
        """As people know it: ``post to #channel (monitor, week W)``."""
        return f"{self.kind} to {self.channel} ({self.monitor}, week {self.week.isoformat()})"


def enqueue(con: Connection, ops: Iterable[Op], transport: str, now: float) -> int:
    """Record ``ops`` (those whose key is new) as pending; returns how many were added."""
    ops = list(ops)
    if not ops:
        return 0
    known = set(
        con.execute(select(outbox.c.key).where(outbox.c.key.in_([o.key for o in ops]))).scalars()
    )
    rows = [
        {
            "key": o.key,
            "transport": transport,
            "kind": o.kind,
            "channel": o.channel,
            "parent_key": o.parent_key,
            "monitor": o.monitor,
            "week": o.week,
            "payload": json.dumps(o.payload, sort_keys=True),
            "blob": o.blob,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        for o in ops
        if o.key not in known
    ]
    if rows:
        con.execute(insert(outbox), rows)
    return len(rows)


def _entry(row: Any) -> Entry:
    m = row._mapping
    return Entry(
        key=m["key"],
        kind=m["kind"],
        channel=m["channel"],
        monitor=m["monitor"],
        week=m["week"],
        payload=json.loads(m["payload"]),
        parent_key=m["parent_key"],
        blob=m["blob"],
        id=m["id"],
        transport=m["transport"],
        status=m["status"],
        attempts=m["attempts"],
        claimed_at=m["claimed_at"],
        claimed_by=m["claimed_by"],
        lease_until=m["lease_until"],
        channel_id=m["channel_id"],
        ts=m["ts"],
        last_error=m["last_error"],
        created_at=m["created_at"],
    )


def queue(engine: Engine, transport: str, channel: str | None = None) -> list[Entry]:
    """Entries of ``transport`` (to ``channel``, when given) not yet known delivered,
    oldest first."""
    query = select(outbox).where(outbox.c.transport == transport, outbox.c.status.in_(OPEN))
    if channel is not None:
        query = query.where(outbox.c.channel == channel)
    query = query.order_by(outbox.c.id)
    with engine.connect() as con:
        return [_entry(r) for r in con.execute(query)]


def stranded(engine: Engine, transport: str) -> list[Entry]:
    """Entries queued for any other Slack transport and not yet known delivered, oldest
    first (notification-block entries are not Slack's to carry over)."""
    query = (
        select(outbox)
        .where(
            outbox.c.transport != transport,
            outbox.c.transport != NOTIFY,
            outbox.c.status.in_(OPEN),
        )
        .order_by(outbox.c.id)
    )
    with engine.connect() as con:
        return [_entry(r) for r in con.execute(query)]


def reassign(engine: Engine, entry: Entry, **values: Any) -> bool:
    """Change ``entry`` (transport, payload, status...) unless another process changed it
    since it was read; returns whether it was changed."""
    stored = {**values}
    if "payload" in stored:
        stored["payload"] = json.dumps(stored["payload"], sort_keys=True)
    query = (
        update(outbox)
        .where(
            outbox.c.id == entry.id,
            outbox.c.transport == entry.transport,
            outbox.c.status == entry.status,
            outbox.c.attempts == entry.attempts,
        )
        .values(**stored)
    )
    with engine.begin() as con:
        changed = con.execute(query).rowcount == 1
    if changed:
        for name, value in values.items():
            setattr(entry, name, value)
    return changed


def by_key(engine: Engine, key: str) -> Entry | None:
    with engine.connect() as con:
        row = con.execute(select(outbox).where(outbox.c.key == key)).first()
    return _entry(row) if row is not None else None


def latest(engine: Engine, key: str) -> Entry | None:
    """The message ``key`` as last queued: the entry itself, or its latest update (or
    restatement: a post of its own, where messages cannot be edited)."""
    edits = (outbox.c.parent_key == key) & outbox.c.kind.in_(("update", "post"))
    query = select(outbox).where((outbox.c.key == key) | edits).order_by(outbox.c.id.desc())
    with engine.connect() as con:
        row = con.execute(query.limit(1)).first()
    return _entry(row) if row is not None else None


def entries(engine: Engine) -> list[Entry]:
    """Every entry, oldest first (for reports and tests)."""
    with engine.connect() as con:
        return [_entry(r) for r in con.execute(select(outbox).order_by(outbox.c.id))]


def lease_end(entry: Entry) -> float:
    """When the claim on ``entry`` lapses (claims from before leases: a lease after claiming)."""
    if entry.lease_until is not None:
        return entry.lease_until
    return (entry.claimed_at or 0.0) + LEASE_SECONDS


def claim(
    engine: Engine, entry: Entry, now: float, holder: str, lease: float = LEASE_SECONDS
) -> bool:
    """Take ``entry`` for one attempt unless another process changed it since it was read."""
    return reassign(
        engine,
        entry,
        status="sending",
        attempts=entry.attempts + 1,
        claimed_at=now,
        claimed_by=holder,
        lease_until=now + lease,
    )


def renew(engine: Engine, holder: str, until: float) -> int:
    """Extend every claim ``holder`` still has in flight to ``until``; returns how many."""
    query = (
        update(outbox)
        .where(outbox.c.status == "sending", outbox.c.claimed_by == holder)
        .values(lease_until=until)
    )
    with engine.begin() as con:
        return con.execute(query).rowcount


def settle(engine: Engine, entry: Entry, status: str, now: float, **values: Any) -> None:
    """Record the outcome of an attempt (``ts``, ``channel_id``, ``last_error``...)."""
    fields = {"status": status, **values}
    if status == "delivered":
        fields["delivered_at"] = now
    with engine.begin() as con:
        con.execute(update(outbox).where(outbox.c.id == entry.id).values(**fields))
    entry.status = status
    for name, value in values.items():
        setattr(entry, name, value)


def counts(engine: Engine) -> dict[str, int]:
    """Entries per status."""
    query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
    with engine.connect() as con:
        return {status: n for status, n in con.execute(query)}


def thread_links(engine: Engine, workspace_url: str, monitor: str, week: date) -> dict[str, str]:
    """Channel id -> permalink of the run message each channel got for ``monitor`` and ``week``."""
    query = select(outbox.c.channel_id, outbox.c.ts).where(
        outbox.c.monitor == monitor,
        outbox.c.week == week,
        outbox.c.kind == "post",
        outbox.c.status == "delivered",
        outbox.c.ts.is_not(None),
    )
    with engine.connect() as con:
        return {str(cid): permalink(workspace_url, cid, ts) for cid, ts in con.execute(query)}


def permalink(workspace_url: str, channel_id: str, ts: str) -> str:
    """The web address of the Slack message ``ts`` in ``channel_id``."""
    return f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{str(ts).replace('.', '')}"
