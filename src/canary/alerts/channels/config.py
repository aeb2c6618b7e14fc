"""What every ``notify:`` channel's settings share, apart from the channel itself: config
reads these models, delivery opens their channels (``canary.alerts.channels.registry``)."""

from __future__ import annotations

from canary.alerts.render.model import Severity
from canary.config_base import Strict


class ChannelConfig(Strict):
    """A channel alerts also go to (``notify:``): a run is sent when its most severe
    incident has one of ``severities`` and its monitor is in ``monitors`` (empty: every
    monitor); ``reports``: the channel also gets those monitors' weekly usage reports.

    A kind sets ``kind`` to a one-value literal."""

    kind: str
    severities: list[Severity] = ["critical"]
    monitors: list[str] = []
    reports: bool = False

    def destination(self) -> dict[str, str]:
        """What this channel's queued messages record of where they go (sent there even
        when the config changes before they are)."""
        return {}
