"""Each series week's fingerprint as the last pull saw it (``canary.anomaly.reads``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from canary.store.db import Store
from canary.store.schema import week_fingerprints


def stored(store: Store, monitor: str, dataset: str, since: date, before: date) -> dict[date, str]:
    """Week -> fingerprint stored for ``dataset`` in the weeks ``since`` up to ``before``."""
    t = week_fingerprints.c
    query = select(t.week, t.fingerprint).where(
        t.monitor == monitor, t.dataset == dataset, t.week >= since, t.week < before
    )
    with store.engine.connect() as con:
        return {week: text for week, text in con.execute(query)}
