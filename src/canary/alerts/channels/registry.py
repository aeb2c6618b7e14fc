"""Channel kinds and how each opens its channel: a new kind is its config model (validated
under ``notify:``) and a function that opens the channel from it, registered here."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from canary.alerts.channels import kinds
from canary.alerts.channels.config import ChannelConfig
from canary.alerts.channels.prefect.channel import PrefectChannel
from canary.alerts.channels.prefect.config import PrefectNotifyChannel
from canary.alerts.outbox.sending import Channel

#: Opens the channel a ``notify:`` entry configures: given the entry, its name and the
#: environment; raises ``Unavailable`` when it cannot be opened now.
Opener = Callable[[ChannelConfig, str, Mapping[str, str]], Channel]

OPENERS: dict[str, Opener] = {}


def register(model: type[ChannelConfig], opener: Opener) -> None:
    """Make ``model``'s kind a channel ``notify:`` entries may name, opened by ``opener``."""
    OPENERS[kinds.add(model)] = opener


def unregister(kind: str) -> None:
    """Forget the channel kind ``kind``."""
    kinds.drop(kind)
    del OPENERS[kind]


def open_channel(settings: ChannelConfig, name: str, environ: Mapping[str, str]) -> Channel:
    """The channel the ``notify:`` entry ``name`` configures."""
    return OPENERS[settings.kind](settings, name, environ)


OPENERS[kinds.kind_of(PrefectNotifyChannel)] = lambda _s, _n, environ: PrefectChannel.opened(
    environ
)
