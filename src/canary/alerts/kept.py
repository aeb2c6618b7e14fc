"""Alerts that go out even when the store is down: through the store's fallback file."""

from __future__ import annotations

from typing import Any

from canary.alerts.deliver import DeliveryReport, deliver
from canary.config import Config
from canary.errors import StoreError
from canary.results import RunResult
from canary.store.db import Store


def deliver_or_keep(
    config: Config, store: Store, runs: list[RunResult], **options: Any
) -> tuple[DeliveryReport, str | None]:
    """``deliver``; when the store fails, record and send through its fallback store instead.

    Returns the report and, when the fallback was used, a line saying so. Lifecycle state
    then starts from what the fallback holds (alerts may post as new); the next run that
    opens the store copies the fallback's state and outbox in.
    """
    try:
        return deliver(config, store, runs, **options), None
    except StoreError as exc:
        if store.fallback is None:
            raise
        kept = store.kept()
        try:
            report = deliver(config, kept, runs, **options)
        finally:
            kept.close()
        return report, (
            f"alerts: the store failed ({exc}); alerts recorded in the fallback store "
            f"{store.fallback}, copied into the store by the next run"
        )
