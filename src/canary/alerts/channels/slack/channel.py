"""Opening the Slack channel: one path for its transports, the bot token (Web API) and the
incoming webhook, tried in the order ``delivery`` allows; the file outbox when no Slack
secret resolves (``auto``) or ``delivery: file`` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console

from canary.alerts.channels.file import FileTransport
from canary.alerts.channels.slack.bot import SlackTransport
from canary.alerts.channels.slack.config import Delivery, SlackChannelConfig
from canary.alerts.channels.slack.webhook import WebhookTransport
from canary.alerts.outbox.sending import Channel
from canary.config_base import SecretRef
from canary.errors import SecretError
from canary.secrets import resolve


@dataclass(frozen=True)
class Way:
    """A transport of the Slack channel: how its secret is named and read, and its sender."""

    secret: str
    ref: Callable[[SlackChannelConfig], SecretRef | None]
    opens: Callable[[SecretStr, SlackChannelConfig], Channel]


#: The Slack transports by outbox transport name.
WAYS = {
    "slack": Way("slack token", lambda slack: slack.token, SlackTransport),
    "webhook": Way("slack webhook", lambda slack: slack.webhook, WebhookTransport),
}
#: The transports each ``delivery`` tries, in order.
TRIED: dict[Delivery, tuple[str, ...]] = {
    "auto": ("slack", "webhook"),
    "bot": ("slack",),
    "webhook": ("webhook",),
    "file": (),
}


@dataclass
class Choice:
    """The transport to use; ``transport`` is None when its secret is missing.

    ``unresolved``: why each Slack secret failed when ``auto`` fell back to the file outbox.
    """

    name: str
    transport: Channel | None
    problem: str | None = None
    unresolved: list[str] = field(default_factory=list)


def open_slack(
    slack: SlackChannelConfig, outbox: Path, environ: Mapping[str, str], console: Console | None
) -> Choice:
    """The first transport ``delivery`` tries whose secret resolves, else the file outbox in
    ``outbox`` (a transport named explicitly is not fallen back from: its problem is told)."""
    unresolved: list[str] = []
    for name in TRIED[slack.delivery]:
        way = WAYS[name]
        ref = way.ref(slack)
        if ref is None:
            continue
        try:
            secret = resolve(way.secret, ref, environ)
        except SecretError as exc:
            if slack.delivery != "auto":
                return Choice(name, None, str(exc))
            unresolved.append(str(exc))
            continue
        return Choice(name, way.opens(secret.value, slack))
    return Choice("file", FileTransport(outbox, console), unresolved=unresolved)
