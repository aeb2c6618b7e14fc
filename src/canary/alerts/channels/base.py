"""What a channel configured under ``notify:`` is: a ``ChannelConfig`` (a pydantic model
whose ``kind`` literal names it, registered in ``canary.alerts.channels.registry``) that
opens its channel, a ``canary.alerts.outbox.sending.Channel`` (how a send ends is said
there).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping

from canary.alerts.outbox.sending import Channel
from canary.alerts.render.model import Severity
from canary.config_base import Strict


class Unavailable(Exception):
    """A configured channel that cannot be opened now (its API or secret is missing):
    its messages wait in the outbox. The message says why, never a secret."""


class ChannelConfig(Strict):
    """A channel alerts also go to (``notify:``): a run is sent when its most severe
    incident has one of ``severities`` and its monitor is in ``monitors`` (empty: every
    monitor); ``reports``: the channel also gets those monitors' weekly usage reports.

    A kind sets ``kind`` to a one-value literal and implements ``open``."""

    kind: str
    severities: list[Severity] = ["critical"]
    monitors: list[str] = []
    reports: bool = False

    def destination(self) -> dict[str, str]:
        """What this channel's queued messages record of where they go (sent there even
        when the config changes before they are)."""
        return {}

    @abstractmethod
    def open(self, name: str, environ: Mapping[str, str]) -> Channel:
        """The channel ``name`` is configured as; ``Unavailable`` when it cannot be now."""
