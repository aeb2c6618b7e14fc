"""A Prefect notification block as an alert channel: its settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field

from canary.alerts.channels.base import ChannelConfig
from canary.alerts.outbox.sending import Channel


class PrefectNotifyChannel(ChannelConfig):
    """A Prefect notification block alerts also go to (webhook, Teams, PagerDuty, email...).

    ``block`` is the block's ``type-slug/name`` as Prefect shows it; a run is sent when its
    most severe incident has one of ``severities`` (and its monitor is in ``monitors``,
    empty: every monitor). ``reports``: the block also gets those monitors' weekly usage
    reports (as text).
    """

    kind: Literal["prefect"] = "prefect"
    block: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")

    def destination(self) -> dict[str, str]:
        return {"block": self.block}

    def open(self, name: str, environ: Mapping[str, str]) -> Channel:
        from canary.alerts.channels.prefect.channel import PrefectChannel

        return PrefectChannel.opened(environ)
