"""The weekly usage report as a delivery like the alerts (pure).

One post per monitor and week to the report's channel, its key stable so that a rerun
enqueues nothing new; with a bot, its chart goes into the post's thread (the channel keeps
one message per week, and the chart stays with the report an edit changes). Once posted,
a rerun whose report reads differently corrects it: with a bot it edits the post (an update
keyed by the body it carries) and, when the charted values changed, uploads the new chart
into its thread (keyed by the chart's bytes); the file outbox writes the restated report
again, its chart beside it. A rerun that changes nothing people see adds nothing. A
webhook gets the first post only (it cannot edit). Payloads store the body
(``{"report": ...}``); transports render it when they send.
"""

from __future__ import annotations

import hashlib
from datetime import date

from canary.alerts.compose import Mode, metadata, op_key
from canary.alerts.outbox.records import Entry, Op
from canary.alerts.render.payload import REPORT, body_of, payload
from canary.weekly.body import ReportBody
from canary.weekly.render import report_markdown, report_slack


def post_key(monitor: str, week: date, channel: str) -> str:
    """The key of a monitor's report post for a week (the same on every rerun)."""
    return op_key(REPORT, monitor, week, channel)


def chart_name(body: ReportBody, png: bytes | None = None) -> str:
    """The chart's file name, the same in Slack and in the file outbox; a chart uploaded
    again (``png``: its bytes) is named apart, so that it is looked up as itself."""
    tail = f"-{_digest(png)[:8]}" if png is not None else ""
    return f"canary-report-{body.monitor}-{body.week.isoformat()}{tail}.png"


def report_ops(
    body: ReportBody, channel: str, mode: Mode, png: bytes | None, last: Entry | None
) -> list[Op]:
    """The deliveries of ``body`` to ``channel``. ``last``: what the outbox already holds
    for this post (``outbox.latest``: the post or its latest edit or restatement), None at
    first; ``png``: the body's chart (None: it has none, or the mode carries none)."""
    week = body.week
    key = post_key(body.monitor, week, channel)
    stored = payload(body)
    if last is None:
        if mode == "bot":
            post = Op(key, "post", channel, body.monitor, week, stored | _meta(key, body))
            return [post] if png is None else [post, _upload(key, channel, body, png, first=True)]
        return [Op(key, "post", channel, body.monitor, week, stored, blob=_beside(mode, png))]
    before = body_of(last.payload)
    reads = before is None or _seen(before, mode) != _seen(body, mode)
    draws = png is not None and (before is None or _charted(before) != _charted(body))
    if mode == "webhook" or not (reads or draws):
        return []  # a channel that cannot edit, or nothing people would see changed
    digest = _digest(stored[REPORT].encode())[:16]
    if mode == "file":  # no edits in files: the restated report is written anew
        again = op_key("report-restated", key, digest)
        return [Op(again, "post", channel, body.monitor, week, stored, key, png)]
    edit = op_key("report-update", last.key, digest)
    edits = [Op(edit, "update", channel, body.monitor, week, stored, key)] if reads else []
    chart = [_upload(key, channel, body, png, first=False)] if draws and png else []
    return edits + chart


def _seen(body: ReportBody, mode: Mode) -> object:
    """What people see of ``body`` where ``mode`` delivers it."""
    return report_markdown(body) if mode == "file" else report_slack(body)


def _charted(body: ReportBody) -> str:
    """What the body's chart draws (its bytes follow from it)."""
    return ReportBody(body.monitor, body.week, body.title, "", series=body.series).to_json()


def _upload(key: str, channel: str, body: ReportBody, png: bytes, first: bool) -> Op:
    """The chart into the thread of post ``key``: the first one keyed by the post, one
    uploaded again by its bytes."""
    name = chart_name(body) if first else chart_name(body, png)
    chart = {"filename": name, "title": f"{body.title}: recent weeks"}
    ref = op_key("report-chart", key) if first else op_key("report-chart", key, _digest(png))
    return Op(ref, "upload", channel, body.monitor, body.week, chart, key, png)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _meta(key: str, body: ReportBody) -> dict[str, object]:
    """Slack message metadata that finds the post again after an unknown outcome."""
    return {"metadata": metadata(key, body.monitor, body.week.isoformat())}


def _beside(mode: Mode, png: bytes | None) -> bytes | None:
    """The chart the file outbox writes beside the report (a webhook carries none)."""
    return png if mode == "file" else None
