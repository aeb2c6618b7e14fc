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
from collections.abc import Mapping

from canary.alerts.channels.base import Unavailable
from canary.alerts.outbox.records import NOTIFY, Entry
from canary.alerts.outbox.sending import DeliveryError, Scope, Sent
from canary.alerts.render.payload import notification
from canary.errors import CanaryError
from canary.secrets import prefect_api_configured


class NotifyError(CanaryError):
    """A notification block could not be loaded or did not accept the message.

    ``unknown``: the message may have arrived (a timeout); ``wrong_kind``: the block is not
    a notification block, so retrying cannot help."""

    unknown = False
    wrong_kind = False


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


class PrefectChannel:
    """Sends outbox entries to Prefect notification blocks (rendered at send time).

    A block that refuses or cannot be read keeps its entry pending for the next run; one
    that is not a notification block fails it; a timeout may have delivered it, and a
    block cannot be searched, so it is never sent again."""

    name = NOTIFY
    verifiable = False

    @classmethod
    def opened(cls, environ: Mapping[str, str]) -> PrefectChannel:
        """The channel, when a Prefect API is configured to load blocks from."""
        if not prefect_api_configured(environ):
            raise Unavailable("no PREFECT_API_URL to load the blocks from")
        return cls()

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
