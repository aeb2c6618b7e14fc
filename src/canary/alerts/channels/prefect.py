"""Prefect notification blocks as an alert channel: any block Prefect has (a custom
webhook, Microsoft Teams, PagerDuty, Slack webhook, email...), sent a run's digest and,
where a channel opts in (``reports: true``), the monitor's weekly report as text.

Messages go through the durable outbox like Slack's (a refused one is retried next run,
none is sent twice). Blocks are loaded only when a Prefect API is configured
(``PREFECT_API_URL``), so the CLI never starts a server; errors name the block, never its
URL or credentials.
"""

from __future__ import annotations

import inspect
from typing import Any

from canary.alerts.channels.slack.transports import DeliveryError, Scope, Sent
from canary.alerts.compose import op_key
from canary.alerts.outbox.records import NOTIFY, Entry, Op
from canary.alerts.render.digest import Digest
from canary.alerts.render.digest_render import prefect_notification
from canary.alerts.report_delivery import body_of, payload
from canary.config import Config, PrefectNotifyChannel
from canary.errors import CanaryError
from canary.weekly.body import ReportBody
from canary.weekly.render import report_text

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


class NotifyError(CanaryError):
    """A notification block could not be loaded or did not accept the message.

    ``unknown``: the message may have arrived (a timeout); ``wrong_kind``: the block is not
    a notification block, so retrying cannot help."""

    unknown = False
    wrong_kind = False


def routed(channel: PrefectNotifyChannel, d: Digest) -> bool:
    """Whether ``d`` goes to ``channel``: its monitor, and its most severe incident."""
    if channel.monitors and d.monitor not in channel.monitors:
        return False
    if not d.incidents:
        return False
    worst = min(d.incidents, key=lambda v: SEVERITY_RANK.get(v.severity, 3)).severity
    return worst in channel.severities


def notify_block(ref: str, subject: str, body: str) -> None:
    """Load the notification block ``ref`` (``type-slug/name``) and send it the message."""
    from prefect.blocks.abstract import NotificationBlock
    from prefect.blocks.core import Block

    try:
        block = Block.load(ref)
    except ValueError as exc:
        raise NotifyError(f"Prefect block {ref!r} not found ({type(exc).__name__})") from None
    except Exception as exc:  # the API may come back
        raise NotifyError(
            f"Prefect block {ref!r} could not be read ({type(exc).__name__})", transient=True
        ) from None
    if not isinstance(block, NotificationBlock):
        wrong = NotifyError(
            f"Prefect block {ref!r} is a {type(block).__name__}, not a notification block"
        )
        wrong.wrong_kind = True
        raise wrong
    try:
        outcome: object = block.notify(body, subject)
        if inspect.iscoroutine(outcome):  # called where an event loop runs
            from prefect.utilities.asyncutils import run_coro_as_sync

            run_coro_as_sync(outcome)
    except Exception as exc:  # the message would name the block's URL: say what failed only
        status = getattr(getattr(exc, "response", None), "status_code", None)
        why = f"HTTP {status}" if status else type(exc).__name__
        failed = NotifyError(f"Prefect block {ref!r} did not accept the message ({why})")
        failed.unknown = "Timeout" in type(exc).__name__
        raise failed from None


def notify_ops(config: Config, digests: list[Digest]) -> list[Op]:
    """One outbox entry per digest and notification channel it is routed to.

    The entry carries the channel-neutral body, rendered when it is sent; its key depends
    on the channel, monitor, week and incidents, so a rerun never queues it twice."""
    ops = []
    for name, channel in config.notify.items():
        for d in digests:
            if routed(channel, d):
                ids = sorted(v.id for v in d.incidents)
                payload = {"block": channel.block, "digest": d.to_json()}
                key = op_key("notify", name, d.monitor, d.week, *ids)
                ops.append(Op(key, "notify", name, d.monitor, d.week, payload))
    return ops


def report_notices(config: Config, body: ReportBody) -> list[Op]:
    """The weekly report for each notification channel that takes reports (``reports:
    true``) of its monitor: once per week, a rerun never sends it again (a block cannot
    edit what it sent)."""
    ops = []
    for name, channel in config.notify.items():
        if channel.reports and (not channel.monitors or body.monitor in channel.monitors):
            key = op_key("notify-report", name, body.monitor, body.week)
            stored = {"block": channel.block, **payload(body)}
            ops.append(Op(key, "notify", name, body.monitor, body.week, stored))
    return ops


def notification(stored: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of an outbox payload, rendered now: a weekly report as its text,
    else the alerts' digest."""
    report = body_of(stored)
    if report is not None:
        return report.title, report_text(report)
    return prefect_notification(Digest.from_json(stored["digest"]))


class NotifyTransport:
    """Sends outbox entries to Prefect notification blocks (rendered at send time).

    A block that refuses or cannot be read keeps its entry pending for the next run; one
    that is not a notification block fails it; a timeout may have delivered it, and a
    block cannot be searched, so it is never sent again."""

    name = NOTIFY
    verifiable = False

    def send(self, entry: Entry, parent: Entry | None) -> Sent:
        block = str(entry.payload["block"])
        subject, body = notification(entry.payload)
        try:
            notify_block(block, subject, body)
        except NotifyError as exc:
            scope: Scope = "entry" if exc.wrong_kind else "channel"
            raise DeliveryError(f"notify {entry.channel}: {exc}", scope, exc.unknown) from None
        return block, None

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None:
        return None
