"""From lifecycle steps to deliveries (pure): messages per channel, thread replies, updates.

With a bot token: one message per monitor run and channel for what is new, details and
charts in its thread, later weeks as replies in the original thread, recoveries as a
"resolved" reply plus an update of the original. A webhook (or the file outbox) cannot
thread or edit, so there each run becomes one message listing new, still failing and
resolved alerts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal

from canary.alerts import blocks, text
from canary.alerts.lifecycle import Transition
from canary.alerts.model import (
    Alert,
    AlertState,
    Detail,
    Followup,
    Link,
    RunMessage,
    alert_from_check,
)
from canary.alerts.outbox import Op
from canary.alerts.privacy import masked_reason, masked_rows, masked_value
from canary.alerts.routing import channel_for, mentions
from canary.config import Config
from canary.results import RunResult

Mode = Literal["bot", "webhook", "file"]
EVENT_TYPE = "canary_alert"
_STATE: dict[str, AlertState] = {
    "new": "new",
    "reopened": "reopened",
    "ongoing": "ongoing",
    "resolved": "resolved",
}


@dataclass
class Inputs:
    """What composing a run needs besides its transitions (all read beforehand)."""

    config: Config
    mode: Mode
    more: Link | None = None
    threads: dict[str, RunMessage] = field(default_factory=dict)
    charts: dict[str, bytes] = field(default_factory=dict)
    changes: dict[str, float] = field(default_factory=dict)


@dataclass
class Composed:
    """The deliveries of a run and the message models to store with them."""

    ops: list[Op] = field(default_factory=list)
    messages: list[RunMessage] = field(default_factory=list)


def op_key(*parts: object) -> str:
    """A stable key for a delivery (the same inputs give the same key on a rerun)."""
    raw = json.dumps([str(p) for p in parts])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def metadata(key: str, monitor: str, week: str) -> dict[str, object]:
    """Slack message metadata: how a post is found again after an unknown outcome."""
    return {
        "event_type": EVENT_TYPE,
        "event_payload": {"key": key, "monitor": monitor, "week": week},
    }


def threaded(t: Transition, mode: Mode) -> bool:
    return mode == "bot" and t.before is not None and t.before.thread_key is not None


def listed(t: Transition, mode: Mode) -> bool:
    """Shown in this run's message (rather than only in an older thread)."""
    if t.kind in ("new", "reopened"):
        return True
    return t.kind in ("ongoing", "resolved") and not threaded(t, mode)


def detailed(transitions: list[Transition], inputs: Inputs) -> list[Transition]:
    """New alerts that get a detail reply (bot only), most severe first."""
    if inputs.mode != "bot":
        return []
    fresh = [t for t in transitions if t.kind in ("new", "reopened")]
    fresh.sort(key=_order)
    return fresh[: inputs.config.slack.max_details]


def _order(t: Transition) -> tuple[int, int, str, str]:
    return alert_from_check(t.check, t.after.last_week).order


def to_alert(t: Transition, run: RunResult, inputs: Inputs) -> Alert:
    masking = inputs.config.slack.masking
    check = t.check
    link = next((d.link for d in run.datasets if d.name == check.dataset and d.link), None)
    alert = alert_from_check(
        check,
        run.week,
        state=_STATE.get(t.kind, "new"),
        opened=t.after.opened_week if t.kind != "resolved" else None,
        flapping=t.flapping,
        rows=masked_rows(check.sample_rows, masking),
        link=link,
    )
    alert.reason = masked_reason(alert.reason, alert.column, masking)
    alert.observed = masked_value(alert.observed)
    alert.extras = masked_value(alert.extras)
    if alert.change_pct is None:
        alert.change_pct = inputs.changes.get(check.id)
    if t.kind == "resolved":
        alert.resolved_week = run.week
        alert.sample_rows = []
    return alert


def _channel(t: Transition, config: Config) -> str:
    if t.kind in ("ongoing", "resolved") and t.before is not None and t.before.channel:
        return t.before.channel
    c = t.check
    return channel_for(config, c.monitor, c.dataset, c.check, c.status)


def file_renderings(msg: RunMessage) -> dict[str, str]:
    """What the file outbox writes and prints: markdown with every new alert's details."""
    details = [Detail(a, msg.week) for a in msg.alerts if a.state in ("new", "reopened")]
    return {
        "markdown": text.render_markdown(msg, details, []),
        "plain": "\n".join(text.message_lines(msg, text.PLAIN)),
    }


def _message_ops(
    msg: RunMessage, run: RunResult, fresh: list[Transition], inputs: Inputs
) -> list[Op]:
    week = run.week.isoformat()
    txt, blks = blocks.message_blocks(msg)
    payload: dict[str, object] = {"text": txt, "blocks": blks}
    if inputs.mode == "file":
        payload.update(file_renderings(msg))
    if inputs.mode == "bot":
        payload["metadata"] = metadata(msg.key, msg.monitor, week)
    ops = [Op(msg.key, "post", msg.channel, run.monitor, run.week, payload)]
    if inputs.mode != "bot":
        return ops
    chosen = detailed(fresh, inputs)
    charts = [t for t in chosen if t.check.id in inputs.charts][: inputs.config.slack.max_charts]
    for t in chosen:
        alert = next(a for a in msg.alerts if a.key == t.check.id)
        key = op_key("detail", msg.key, alert.key)
        detail = blocks.detail_blocks(Detail(alert, run.week))
        ops.append(_reply(key, msg.key, msg.channel, run, *detail))
    for t in charts:
        c = t.check
        name = f"canary-{c.id}-{week}.png"
        what = " · ".join(x for x in (c.dataset, c.column, c.check) if x)
        key = op_key("chart", msg.key, c.id)
        ops.append(
            Op(
                key,
                "upload",
                msg.channel,
                run.monitor,
                run.week,
                {"filename": name, "title": f"{what}: recent weeks"},
                msg.key,
                inputs.charts[c.id],
            )
        )
    skipped = len([t for t in fresh if t.kind in ("new", "reopened")]) - len(chosen)
    if skipped > 0 and inputs.config.slack.max_details > 0:
        more = blocks.more_blocks(skipped, msg)
        ops.append(_reply(op_key("more", msg.key), msg.key, msg.channel, run, *more))
    return ops


def _reply(
    key: str, parent: str, channel: str, run: RunResult, txt: str, blks: list[blocks.Block]
) -> Op:
    """A thread reply below ``parent`` (an outbox key), carrying its own key as metadata."""
    payload = {
        "text": txt,
        "blocks": blks,
        "metadata": metadata(key, run.monitor, run.week.isoformat()),
    }
    return Op(key, "reply", channel, run.monitor, run.week, payload, parent)


def _followups(
    kind: Literal["ongoing", "resolved"],
    steps: list[Transition],
    run: RunResult,
    inputs: Inputs,
    composed: Composed,
) -> None:
    """One reply per original thread; for recoveries also an update of the original."""
    by_thread: dict[str, list[Transition]] = {}
    for t in steps:
        assert t.before is not None and t.before.thread_key is not None
        by_thread.setdefault(t.before.thread_key, []).append(t)
    for thread, group in by_thread.items():
        alerts = [to_alert(t, run, inputs) for t in group]
        fps = sorted(a.key for a in alerts)
        original = inputs.threads.get(thread)
        channel = original.channel if original else _channel(group[0], inputs.config)
        followup = Followup(kind, run.week, alerts)
        key = op_key(kind, thread, run.week, *fps)
        composed.ops.append(_reply(key, thread, channel, run, *blocks.followup_blocks(followup)))
        if kind != "resolved" or original is None:
            continue
        for alert in original.alerts:
            if alert.key in fps:
                alert.state, alert.resolved_week, alert.sample_rows = "resolved", run.week, []
        txt, blks = blocks.message_blocks(original)
        update_key = op_key("update", thread, run.week, *fps)
        payload = {"text": txt, "blocks": blks}
        composed.ops.append(
            Op(update_key, "update", channel, run.monitor, run.week, payload, thread)
        )
        composed.messages.append(original)


def compose(run: RunResult, transitions: list[Transition], inputs: Inputs) -> Composed:
    """The deliveries of one run and the message models to store with them.

    Transitions whose alert is posted get their ``after`` state marked posted (channel,
    thread), ready to be stored in the same transaction as the deliveries.
    """
    out = Composed()
    slack = inputs.config.slack
    by_channel: dict[str, list[Transition]] = {}
    for t in transitions:
        by_channel.setdefault(_channel(t, inputs.config), []).append(t)
    for channel, steps in by_channel.items():
        shown = [t for t in steps if listed(t, inputs.mode)]
        if shown:
            alerts = [to_alert(t, run, inputs) for t in shown]
            fresh = [t for t in shown if t.kind in ("new", "reopened")]
            msg = RunMessage(
                key=op_key("post", run.monitor, run.week, channel, *sorted(a.key for a in alerts)),
                monitor=run.monitor,
                week=run.week,
                channel=channel,
                status=run.status,
                counts=run.counts(),
                alerts=alerts,
                muted=sum(t.kind == "muted" and t.check.status != "passed" for t in steps),
                mentions=mentions(slack, [a for a in alerts if a.state in ("new", "reopened")]),
                more=inputs.more,
                dataset_links={d.name: d.link for d in run.datasets if d.link},
            )
            out.ops += _message_ops(msg, run, fresh, inputs)
            out.messages.append(msg)
            for t in shown:
                if t.kind != "resolved":
                    t.after.posted, t.after.channel = True, channel
                    t.after.thread_key = msg.key if inputs.mode == "bot" else None
        if inputs.mode == "bot":
            for kind in ("ongoing", "resolved"):
                group = [t for t in steps if t.kind == kind and threaded(t, inputs.mode)]
                _followups(kind, group, run, inputs, out)
    return out
