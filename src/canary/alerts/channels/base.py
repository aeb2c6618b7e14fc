"""What an alert channel is: given an outbox entry (and the entry it answers, for a thread
reply), it sends it and says where it landed, or finds what an earlier attempt left.

How a send ends:

- delivered: ``send`` returns where the message is (a channel id or sink name, and the
  message's id when the channel has one to thread or edit by);
- transient: ``DeliveryError`` with scope ``channel`` (this channel is unavailable: its
  entries wait for the next run, in order) or ``all`` (stop sending for now);
- terminal: ``DeliveryError`` with scope ``entry`` (this message was refused for good: it
  is kept as failed);
- unknown: ``DeliveryError(unknown=True)``: the message may have arrived. A ``verifiable``
  channel is asked to ``find`` it before it is sent again; any other never sends it again.

A channel configured under ``notify:`` is a ``ChannelConfig`` (a pydantic model whose
``kind`` literal names it, registered in ``canary.alerts.channels.registry``) that opens
its channel.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Literal, Protocol

from canary.alerts.outbox.records import Entry
from canary.alerts.policy import Severity
from canary.config_base import Strict

Scope = Literal["entry", "channel", "all"]
Sent = tuple[str, str | None]  # channel id (or sink name), message ts


class DeliveryError(Exception):
    """A delivery that did not (or may not) happen; never carries a secret."""

    def __init__(self, message: str, scope: Scope, unknown: bool = False) -> None:
        super().__init__(message)
        self.scope = scope
        self.unknown = unknown
        self.ref: str | None = None  # what the attempt was given to look up (a file id)


class Channel(Protocol):
    """A place messages go; ``name`` is the outbox transport its entries are queued under."""

    name: str
    verifiable: bool

    def send(self, entry: Entry, parent: Entry | None) -> Sent: ...

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None: ...


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
