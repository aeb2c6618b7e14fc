"""Messages for the channels configured under ``notify:``: which run digests and weekly
reports each takes (by its monitors and severities), queued with the channel-neutral body
and rendered as a subject and text when the channel sends them
(``canary.alerts.render.payload``)."""

from __future__ import annotations

from canary.alerts.channels.config import ChannelConfig
from canary.alerts.compose import op_key
from canary.alerts.outbox.records import Op
from canary.alerts.render.digest import Digest
from canary.alerts.render.model import SEVERITY_RANK
from canary.alerts.render.payload import payload
from canary.config import Config
from canary.weekly.body import ReportBody


def routed(channel: ChannelConfig, d: Digest) -> bool:
    """Whether ``d`` goes to ``channel``: its monitor, and its most severe incident."""
    if channel.monitors and d.monitor not in channel.monitors:
        return False
    if not d.incidents:
        return False
    worst = min(d.incidents, key=lambda v: SEVERITY_RANK.get(v.severity, 3)).severity
    return worst in channel.severities


def notify_ops(config: Config, digests: list[Digest]) -> list[Op]:
    """One outbox entry per digest and channel it is routed to.

    The entry carries the channel-neutral body, rendered when it is sent; its key depends
    on the channel, monitor, week and incidents, so a rerun never queues it twice."""
    ops = []
    for name, channel in config.notify.items():
        for d in digests:
            if routed(channel, d):
                ids = sorted(v.id for v in d.incidents)
                stored = {**channel.destination(), "digest": d.to_json()}
                key = op_key("notify", name, d.monitor, d.week, *ids)
                ops.append(Op(key, "notify", name, d.monitor, d.week, stored))
    return ops


def report_notices(config: Config, body: ReportBody) -> list[Op]:
    """The weekly report for each channel that takes reports (``reports:
    true``) of its monitor: once per week, a rerun never sends it again (a channel cannot
    edit what it sent)."""
    ops = []
    for name, channel in config.notify.items():
        if channel.reports and (not channel.monitors or body.monitor in channel.monitors):
            key = op_key("notify-report", name, body.monitor, body.week)
            stored = {**channel.destination(), **payload(body)}
            ops.append(Op(key, "notify", name, body.monitor, body.week, stored))
    return ops
