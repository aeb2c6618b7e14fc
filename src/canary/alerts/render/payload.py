"""What an outbox payload carries and how a channel reads it when it sends (pure): a weekly
report's body under ``report``, else a run's digest under ``digest``."""

from __future__ import annotations

from typing import Any

from canary.alerts.render.digest import Digest
from canary.alerts.render.digest_render import prefect_notification
from canary.weekly.body import ReportBody
from canary.weekly.render import report_text

REPORT = "report"  # the payload key of a report's body


def payload(body: ReportBody) -> dict[str, str]:
    """An outbox payload carrying the report's body, rendered when it is sent."""
    return {REPORT: body.to_json()}


def body_of(stored: dict[str, Any]) -> ReportBody | None:
    """The report an outbox payload carries, if it carries one."""
    raw = stored.get(REPORT)
    return ReportBody.from_json(raw) if isinstance(raw, str) else None


def notification(stored: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of an outbox payload, rendered now: a weekly report as its text,
    else the alerts' digest."""
    report = body_of(stored)
    if report is not None:
        return report.title, report_text(report)
    return prefect_notification(Digest.from_json(stored["digest"]))
