"""From lifecycle steps to deliveries (pure): messages per channel, thread replies, updates.

With a bot token: one message per monitor run and channel listing the incidents that are
new, one thread reply per incident with its evidence, chart and sample rows; later weeks
as replies in the original thread; recoveries as a "resolved" reply plus an update of the
original that marks the incident resolved. A webhook (or the file outbox) cannot thread
or edit, so there each run becomes one message listing new, still failing and resolved
incidents (the file's carries every new incident's evidence).

Every delivery stores its channel-neutral body (a ``Digest`` and the part of it to tell);
each transport renders it when it sends.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from canary.alerts.lifecycle import Transition
from canary.alerts.outbox.records import Op
from canary.alerts.render.digest import Digest, IncidentView, Part
from canary.alerts.render.digest_render import overflow
from canary.alerts.render.model import AlertState, Link
from canary.alerts.routing import channel_for, home_channel, mentions
from canary.config import Config
from canary.incidents.model import Incident
from canary.results import RunResult

Mode = Literal["bot", "webhook", "file"]
EVENT_TYPE = "canary_alert"
_STATE: dict[str, AlertState] = {
    "new": "new",
    "reopened": "reopened",
    "ongoing": "ongoing",
    "resolved": "resolved",
}
_ORDER = {"new": 0, "reopened": 0, "ongoing": 1, "resolved": 2}
#: The headline of an incident whose telling is not stored (told by a message since gone).
TOLD_EARLIER = "an incident told earlier"
_SEVERITY = {"critical": 0, "warning": 1}
_FAILING = {"ongoing": "still failing", "unchanged": "still failing"}  # a header's labels


@dataclass
class Inputs:
    """What composing a run needs besides its transitions (all read beforehand).

    ``more``: the full results; ``links``: the other links messages end with (the Prefect
    run); ``threads``: the stored bodies of the messages earlier incidents were told in;
    ``charts``: PNGs by check id; ``changes``: week-over-week change by check id."""

    config: Config
    mode: Mode
    more: Link | None = None
    links: list[Link] = field(default_factory=list)
    threads: dict[str, Digest] = field(default_factory=dict)
    charts: dict[str, bytes] = field(default_factory=dict)
    changes: dict[str, float] = field(default_factory=dict)


@dataclass
class Composed:
    """The deliveries of a run and the message bodies to store with them."""

    ops: list[Op] = field(default_factory=list)
    messages: list[Digest] = field(default_factory=list)


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


def body(part: Part, d: Digest) -> dict[str, Any]:
    """An outbox payload: what to tell, rendered by the transport when it sends."""
    return {"part": part, "digest": d.to_json()}


def threaded(t: Transition, mode: Mode) -> bool:
    return mode == "bot" and t.before is not None and t.before.thread_key is not None


def listed(t: Transition, mode: Mode) -> bool:
    """Shown in this run's message (rather than only in an older thread)."""
    if t.kind in ("new", "reopened"):
        return True
    return t.kind in ("ongoing", "resolved") and not threaded(t, mode)


def severity_order(view: IncidentView) -> tuple[int, int, int, int]:
    """New before still failing before resolved; failures, critical, explained first."""
    return (
        _ORDER.get(view.state, 3),
        0 if view.status == "failed" else 1,
        _SEVERITY.get(view.severity, 2),
        0 if view.cause else 1,
    )


def still_failing(transitions: list[Transition], week: date) -> dict[str, int]:
    """Incidents of ``transitions`` (a channel's) still failing by state: new (or
    reopened) this week, or still failing since an earlier one; muted ones aside."""
    found: dict[str, int] = {}
    for t in transitions:
        if t.kind in ("muted", "resolved", "silent") or t.check.status == "passed":
            continue
        opened = t.before.opened_week if t.before is not None else None
        kind = "new" if t.kind == "unchanged" and opened == week else t.kind
        label = _FAILING.get(kind, kind)
        found[label] = found.get(label, 0) + 1
    return {label: found[label] for label in ("new", "reopened", "still failing") if label in found}


def detailed(views: list[IncidentView], inputs: Inputs) -> list[IncidentView]:
    """New incidents that get a thread reply of their own (bot only), most severe first."""
    if inputs.mode != "bot":
        return []
    fresh = [v for v in views if v.state in ("new", "reopened")]
    return sorted(fresh, key=severity_order)[: inputs.config.policy.max_details]


def _view(
    t: Transition, views: dict[str, IncidentView], inputs: Inputs, week: date
) -> IncidentView:
    """The incident of ``t`` as told this week (one gone this week: as told before)."""
    key = t.check.id
    earlier = inputs.threads.get(t.before.thread_key or "") if t.before else None
    told = next((v for v in earlier.incidents if v.key == key), None) if earlier else None
    found = views.get(key) or told
    if found is None:  # told by a message no longer stored
        found = IncidentView(key, None, 0.0, TOLD_EARLIER, "", week, 0, "failed", "")
        found.key = key
    view = dataclasses.replace(found, state=_STATE.get(t.kind, "new"), flapping=t.flapping)
    opened = t.after.opened_week
    if t.kind != "resolved" and opened is not None:
        view.since = min(view.since, opened)
        view.weeks_failing = (week - view.since).days // 7 + 1
    if t.kind == "resolved":
        view.resolved_week, view.sample_rows = week, []
    change = inputs.changes.get(view.chart_check or "")
    if view.evidence and change is not None and view.evidence[0].change_pct is None:
        view.evidence = [
            dataclasses.replace(view.evidence[0], change_pct=change),
            *view.evidence[1:],
        ]
    return view


def _channel(t: Transition, incidents: dict[str, Incident], run: RunResult, config: Config) -> str:
    """A told incident stays in its channel; a new one is routed by its headline check (a
    product change to the report's channel unless a route names it)."""
    if t.kind in ("ongoing", "resolved") and t.before is not None and t.before.channel:
        return t.before.channel
    incident = incidents.get(t.check.id)
    lead = next(
        (c for c in run.checks if incident is not None and c.id == incident.headline_check), None
    )
    cls = incident.class_ if incident is not None else "unclear"
    if lead is None:
        return home_channel(config, run.monitor, cls)
    return channel_for(config, run.monitor, lead.dataset, lead.check, t.check.status, cls)


def _told_as(view: IncidentView) -> str:
    """What a message's key says of an incident it tells: its key, and that it resolved."""
    return f"{view.key}:resolved" if view.state == "resolved" else view.key


def _reply(key: str, parent: str, channel: str, run: RunResult, part: Part, d: Digest) -> Op:
    """A thread reply below ``parent`` (an outbox key), carrying its own key as metadata."""
    payload = {**body(part, d), "metadata": metadata(key, run.monitor, run.week.isoformat())}
    return Op(key, "reply", channel, run.monitor, run.week, payload, parent)


def _message_ops(msg: Digest, run: RunResult, inputs: Inputs) -> list[Op]:
    """The run's message and, with a bot, its thread: one reply per new incident (as many
    as ``max_details``), charts, and one listing the incidents not told one by one."""
    payload = body("run", msg)
    if inputs.mode == "bot":
        payload["metadata"] = metadata(msg.key, msg.monitor, run.week.isoformat())
    ops = [Op(msg.key, "post", msg.channel, run.monitor, run.week, payload)]
    if inputs.mode != "bot":
        return ops
    chosen = detailed(msg.incidents, inputs)
    for view in chosen:
        key = op_key("detail", msg.key, view.key)
        ops.append(_reply(key, msg.key, msg.channel, run, "incident", msg.with_incidents([view])))
    charted = [v for v in chosen if v.chart_check in inputs.charts]
    for view in charted[: inputs.config.policy.max_charts]:
        check = next(c for c in run.checks if c.id == view.chart_check)
        what = " · ".join(
            x for x in ("DRILL" if msg.drill else "", check.dataset, check.column, check.check) if x
        )
        ops.append(
            Op(
                op_key("chart", msg.key, view.key),
                "upload",
                msg.channel,
                run.monitor,
                run.week,
                {"filename": f"canary-{check.id}-{run.week}.png", "title": f"{what}: recent weeks"},
                msg.key,
                inputs.charts[check.id],
            )
        )
    told = {v.key for v in chosen}
    untold = [v for v in msg.incidents if v.state in ("new", "reopened") and v.key not in told]
    rest = overflow(msg) + (untold if inputs.config.policy.max_details > 0 else [])
    rest = list({v.key: v for v in rest}.values())
    if rest:
        key = op_key("more", msg.key)
        ops.append(_reply(key, msg.key, msg.channel, run, "more", msg.with_incidents(rest)))
    return ops


def _followups(
    kind: Literal["ongoing", "resolved"],
    steps: list[Transition],
    views: dict[str, IncidentView],
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
        told = [_view(t, views, inputs, run.week) for t in group]
        # one that took over the thread's incidents (never posted) goes with them unnamed
        told = [v for v in told if v.headline != TOLD_EARLIER] or told
        keys = sorted(v.key for v in told)
        original = inputs.threads.get(thread)
        channel = original.channel if original else (group[0].before.channel or "")  # type: ignore[union-attr]
        drill = original.drill if original else bool(run.drill)
        d = Digest(
            run.monitor,
            run.week,
            run.status,
            run.counts(),
            told,
            inputs.more,
            drill,
            links=inputs.links,
        )
        key = op_key(kind, thread, run.week, *keys)
        composed.ops.append(_reply(key, thread, channel, run, kind, d))
        if kind != "resolved" or original is None:
            continue
        for view in original.incidents:
            if view.key in keys and view.state != "resolved":
                label = _FAILING.get(view.state, view.state)
                left = original.failing.get(label, 0) - 1
                if left > 0:
                    original.failing[label] = left
                else:
                    original.failing.pop(label, None)
                view.state, view.resolved_week, view.sample_rows = "resolved", run.week, []
        update = op_key("update", thread, run.week, *keys)
        composed.ops.append(
            Op(update, "update", channel, run.monitor, run.week, body("run", original), thread)
        )
        composed.messages.append(original)


def compose(
    run: RunResult,
    d: Digest,
    incidents: list[Incident],
    transitions: list[Transition],
    inputs: Inputs,
) -> Composed:
    """The deliveries of one run and the message bodies to store with them.

    ``d`` tells the run's incidents (``incidents``, in the same order). Transitions whose
    incident is told get their ``after`` state marked posted (channel, and the message it
    was told in), ready to be stored in the same transaction as the deliveries.
    """
    out = Composed()
    views = {v.key: v for v in d.incidents}
    by_key = {v.key: i for v, i in zip(d.incidents, incidents, strict=True)}
    by_channel: dict[str, list[Transition]] = {}
    for t in transitions:
        by_channel.setdefault(_channel(t, by_key, run, inputs.config), []).append(t)
    for channel, steps in by_channel.items():
        shown = [t for t in steps if listed(t, inputs.mode)]
        if shown:
            told = sorted((_view(t, views, inputs, run.week) for t in shown), key=severity_order)
            fresh = [v for v in told if v.state in ("new", "reopened")]
            pings = [(v.severity, run.monitor, ds) for v in fresh for ds in v.datasets]
            msg = dataclasses.replace(
                d,
                incidents=told,
                # a resolution told in a rerun of the week it opened is a message of its own
                key=op_key("post", run.monitor, run.week, channel, *sorted(map(_told_as, told))),
                channel=channel,
                muted=sum(t.kind == "muted" and t.check.status != "passed" for t in steps),
                mentions=mentions(inputs.config.policy, pings),
                more=inputs.more,
                links=inputs.links,
                failing=still_failing(steps, run.week),
            )
            out.ops += _message_ops(msg, run, inputs)
            out.messages.append(msg)
            for t in shown:
                if t.kind != "resolved":
                    t.after.posted, t.after.channel, t.after.thread_key = True, channel, msg.key
        if inputs.mode == "bot":
            for kind in ("ongoing", "resolved"):
                group = [t for t in steps if t.kind == kind and threaded(t, inputs.mode)]
                _followups(kind, group, views, run, inputs, out)
    return out
