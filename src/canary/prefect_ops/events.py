"""Prefect events of a run: canary.check.failed, canary.check.resolved, canary.run.completed,
and canary.delivery.pending when alerts were not all delivered.

Each event names the monitor and the dataset as related resources, so that automations
can match on them (``canary.monitor.<monitor>``, ``canary.dataset.<monitor>.<dataset>``).
A drill's events are ``canary.drill.*`` (``canary.drill.check.failed``...), with the
scenario in their payload, so automations on real failures never fire on a drill.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from canary.alerts.outbox.undelivered import Undelivered
from canary.jsonable import json_ready
from canary.results import CheckResult, PastCheck, RunResult
from canary.weeks import WEEK


@dataclass(frozen=True)
class EventSpec:
    """One event to emit: what ``prefect.events.emit_event`` takes."""

    event: str
    resource: dict[str, str]
    related: list[dict[str, str]] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)


def monitor_resource(monitor: str) -> dict[str, str]:
    return {
        "prefect.resource.id": f"canary.monitor.{monitor}",
        "prefect.resource.role": "monitor",
        "prefect.resource.name": monitor,
    }


def dataset_resource(monitor: str, dataset: str) -> dict[str, str]:
    return {
        "prefect.resource.id": f"canary.dataset.{monitor}.{dataset}",
        "prefect.resource.role": "dataset",
        "prefect.resource.name": dataset,
    }


def event_name(run: RunResult, name: str) -> str:
    """``canary.<name>``, or ``canary.drill.<name>`` for a drill."""
    return f"canary.drill.{name}" if run.drill else f"canary.{name}"


def _check_event(name: str, run: RunResult, check: CheckResult) -> EventSpec:
    return EventSpec(
        event=event_name(run, name),
        resource={
            "prefect.resource.id": f"canary.check.{check.id}",
            "prefect.resource.name": f"{check.dataset}: {check.check}",
        },
        related=[monitor_resource(run.monitor), dataset_resource(run.monitor, check.dataset)],
        payload=json_ready(
            {
                "monitor": run.monitor,
                "dataset": check.dataset,
                "check": check.check,
                "column": check.column,
                "segment": check.segment,
                "week": run.week.isoformat(),
                "status": check.status,
                "reason": check.reason,
                "observed": check.observed,
                "expected": check.expected,
                "first_failed_week": check.first_failed_week,
                **({"drill": run.drill} if run.drill else {}),
            }
        ),
    )


def run_events(run: RunResult, past: Mapping[str, PastCheck]) -> list[EventSpec]:
    """The events of ``run``; ``past`` is the store's latest verdict of each check before it.

    A check is resolved when it failed the week before and passes now.
    """
    events = [_check_event("check.failed", run, c) for c in run.checks if c.status == "failed"]
    for check in run.checks:
        before = past.get(check.id)
        if (
            check.status == "passed"
            and before is not None
            and before.status == "failed"
            and before.week == run.week - WEEK
        ):
            events.append(_check_event("check.resolved", run, check))
    datasets = sorted({c.dataset for c in run.checks} | {d.name for d in run.datasets})
    events.append(
        EventSpec(
            event=event_name(run, "run.completed"),
            resource={
                "prefect.resource.id": f"canary.run.{run.monitor}.{run.week.isoformat()}",
                "prefect.resource.name": f"{run.monitor} week {run.week.isoformat()}",
            },
            related=[monitor_resource(run.monitor)]
            + [dataset_resource(run.monitor, d) for d in datasets],
            payload={
                "monitor": run.monitor,
                "week": run.week.isoformat(),
                "status": run.status,
                "counts": run.counts(),
                **({"drill": run.drill} if run.drill else {}),
            },
        )
    )
    return events


def delivery_pending_event(run: RunResult, missing: Undelivered) -> EventSpec:
    """``canary.delivery.pending``: how many deliveries wait in the outbox, and why."""
    return EventSpec(
        event="canary.delivery.pending",
        resource={
            "prefect.resource.id": f"canary.delivery.{run.monitor}.{run.week.isoformat()}",
            "prefect.resource.name": f"alerts of {run.monitor} week {run.week.isoformat()}",
        },
        related=[monitor_resource(run.monitor)],
        payload={"monitor": run.monitor, "week": run.week.isoformat(), **missing.payload()},
    )


def emit(events: list[EventSpec]) -> int:
    """Send ``events`` to the configured Prefect API; returns how many were emitted."""
    from prefect.events import emit_event

    sent = 0
    for spec in events:
        if emit_event(spec.event, spec.resource, related=spec.related, payload=spec.payload):
            sent += 1
    return sent
