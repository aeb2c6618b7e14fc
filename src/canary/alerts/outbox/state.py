"""Alert state in the store: tracked incidents, posted message bodies, and the one
transaction that records a run's lifecycle together with the deliveries it causes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, Engine, delete, insert, select
from sqlalchemy.sql.elements import ColumnElement

from canary.alerts.lifecycle import Tracked
from canary.alerts.outbox.records import Op, enqueue
from canary.alerts.render.digest import INCIDENT_PREFIX, Digest
from canary.store.schema import alert_messages, alert_state


def load_tracked(engine: Engine, fingerprints: Iterable[str], monitor: str) -> dict[str, Tracked]:
    """The state of ``fingerprints``, and of every incident of ``monitor`` still open."""
    wanted = list(fingerprints)
    still_open = (
        (alert_state.c.monitor == monitor)
        & (alert_state.c.status == "open")
        & alert_state.c.fingerprint.startswith(INCIDENT_PREFIX)
    )
    where: ColumnElement[bool] = still_open
    if wanted:
        where = alert_state.c.fingerprint.in_(wanted) | still_open
    query = select(alert_state).where(where)
    with engine.connect() as con:
        rows = [r._mapping for r in con.execute(query)]
    return {
        r["fingerprint"]: Tracked(
            fingerprint=r["fingerprint"],
            monitor=r["monitor"],
            status=r["status"],
            last_week=r["last_week"],
            posted=bool(r["posted"]),
            channel=r["channel"],
            thread_key=r["thread_key"],
            opened_week=r["opened_week"],
            history=[(date.fromisoformat(w), s) for w, s in json.loads(r["history"])],
        )
        for r in rows
    }


def load_messages(engine: Engine, keys: Iterable[str]) -> dict[str, Digest]:
    """The bodies of posted messages (those stored by earlier versions, which told checks
    rather than incidents, are left out)."""
    wanted = list(keys)
    if not wanted:
        return {}
    query = select(alert_messages.c.key, alert_messages.c.model).where(
        alert_messages.c.key.in_(wanted)
    )
    found = {}
    with engine.connect() as con:
        for key, model in con.execute(query):
            try:
                found[key] = Digest.from_json(model)
            except (KeyError, TypeError):
                continue
    return found


def write(
    con: Connection,
    tracked: list[Tracked],
    messages: list[Digest],
    ops: list[Op],
    transport: str,
    now: float,
) -> int:
    """Store states, message models and outbox entries in the caller's transaction (the
    run's own, see ``deliver.alerts_with_run``); returns the outbox entries added."""
    if tracked:
        keys = [t.fingerprint for t in tracked]
        con.execute(delete(alert_state).where(alert_state.c.fingerprint.in_(keys)))
        con.execute(
            insert(alert_state),
            [
                {
                    "fingerprint": t.fingerprint,
                    "monitor": t.monitor,
                    "status": t.status,
                    "posted": int(t.posted),
                    "channel": t.channel,
                    "thread_key": t.thread_key,
                    "opened_week": t.opened_week,
                    "last_week": t.last_week,
                    "history": json.dumps([(w.isoformat(), s) for w, s in t.history]),
                    "updated_at": now,
                }
                for t in tracked
            ],
        )
    if messages:
        con.execute(
            delete(alert_messages).where(alert_messages.c.key.in_([m.key for m in messages]))
        )
        con.execute(
            insert(alert_messages),
            [
                {"key": m.key, "monitor": m.monitor, "week": m.week, "model": m.to_json()}
                for m in messages
            ],
        )
    return enqueue(con, ops, transport, now)
