"""Prefect notification blocks as an alert channel: any block Prefect has (a custom
webhook, Microsoft Teams, PagerDuty, Slack webhook, email...), sent a run's digest.

Blocks are loaded only when a Prefect API is configured (``PREFECT_API_URL``), so the CLI
never starts a server; errors name the block, never its URL or credentials.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

from canary.alerts.digest import Digest
from canary.alerts.digest_render import prefect_notification
from canary.config import Config, PrefectNotifyChannel
from canary.errors import CanaryError
from canary.secrets import prefect_api_configured

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


class NotifyError(CanaryError):
    """A notification block could not be loaded or did not accept the message."""


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
        raise NotifyError(
            f"Prefect block {ref!r} is a {type(block).__name__}, not a notification block"
        )
    try:
        outcome: object = block.notify(body, subject)
        if inspect.iscoroutine(outcome):  # called where an event loop runs
            from prefect.utilities.asyncutils import run_coro_as_sync

            run_coro_as_sync(outcome)
    except Exception as exc:  # the message would name the block's URL: say what failed only
        status = getattr(getattr(exc, "response", None), "status_code", None)
        why = f"HTTP {status}" if status else type(exc).__name__
        raise NotifyError(f"Prefect block {ref!r} did not accept the message ({why})") from None


def send_digests(
    config: Config, digests: list[Digest], environ: Mapping[str, str]
) -> tuple[int, list[str]]:
    """Send every digest to the notification blocks it is routed to: (sent, problems)."""
    sent, problems = 0, []
    targets = [(n, c) for n, c in config.notify.items() if any(routed(c, d) for d in digests)]
    if targets and not prefect_api_configured(environ):
        names = ", ".join(n for n, _ in targets)
        return 0, [f"notify {names}: not sent: no PREFECT_API_URL to load the blocks from"]
    for name, channel in targets:
        for d in digests:
            if not routed(channel, d):
                continue
            subject, body = prefect_notification(d)
            try:
                notify_block(channel.block, subject, body)
            except NotifyError as exc:
                problems.append(f"notify {name}: {exc}")
            else:
                sent += 1
    return sent, problems
