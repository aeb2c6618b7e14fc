"""The weekly usage report as a delivery like the alerts (pure).

One post per monitor and week to the report's channel, its key stable so that a rerun
enqueues nothing new; with a bot, its chart goes into the post's thread (the channel keeps
one message per week, and the chart stays with the report an edit changes) and a rerun
whose report reads differently edits the post (an update keyed by the body it carries; a
rerun that changes nothing people see in Slack adds nothing). A webhook gets the post only; the file outbox gets the post with its
chart beside it. Payloads store the body (``{"report": ...}``); transports render it when
they send.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from canary.alerts.compose import Mode, metadata, op_key
from canary.alerts.outbox import Entry, Op
from canary.weekly.body import ReportBody
from canary.weekly.render import report_slack

REPORT = "report"  # the payload key of a report's body


def payload(body: ReportBody) -> dict[str, str]:
    """An outbox payload carrying the report's body, rendered when it is sent."""
    return {REPORT: body.to_json()}


def body_of(stored: dict[str, Any]) -> ReportBody | None:
    """The report an outbox payload carries, if it carries one."""
    raw = stored.get(REPORT)
    return ReportBody.from_json(raw) if isinstance(raw, str) else None


def post_key(monitor: str, week: date, channel: str) -> str:
    """The key of a monitor's report post for a week (the same on every rerun)."""
    return op_key(REPORT, monitor, week, channel)


def chart_name(body: ReportBody) -> str:
    """The chart's file name, the same in Slack and in the file outbox."""
    return f"canary-report-{body.monitor}-{body.week.isoformat()}.png"


def report_ops(
    body: ReportBody, channel: str, mode: Mode, png: bytes | None, last: Entry | None
) -> list[Op]:
    """The deliveries of ``body`` to ``channel``. ``last``: what the outbox already holds
    for this post (``outbox.latest``: the post or its latest edit), None at first."""
    week = body.week
    key = post_key(body.monitor, week, channel)
    stored = payload(body)
    if last is None:
        if mode == "bot":
            post = Op(key, "post", channel, body.monitor, week, stored | _meta(key, body))
            if png is None:
                return [post]
            chart = {"filename": chart_name(body), "title": f"{body.title}: recent weeks"}
            ref = op_key("report-chart", key)
            return [post, Op(ref, "upload", channel, body.monitor, week, chart, key, png)]
        return [Op(key, "post", channel, body.monitor, week, stored, blob=_beside(mode, png))]
    before = body_of(last.payload)
    if mode != "bot" or (before is not None and report_slack(before) == report_slack(body)):
        return []  # a channel that cannot edit, or nothing people would see changed
    digest = hashlib.sha256(stored[REPORT].encode()).hexdigest()[:16]
    edit = op_key("report-update", last.key, digest)
    return [Op(edit, "update", channel, body.monitor, week, stored, key)]


def _meta(key: str, body: ReportBody) -> dict[str, object]:
    """Slack message metadata that finds the post again after an unknown outcome."""
    return {"metadata": metadata(key, body.monitor, body.week.isoformat())}


def _beside(mode: Mode, png: bytes | None) -> bytes | None:
    """The chart the file outbox writes beside the report (a webhook carries none)."""
    return png if mode == "file" else None
