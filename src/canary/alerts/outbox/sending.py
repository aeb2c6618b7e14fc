"""What the outbox sends through: a channel that, given an outbox entry (and the entry it
answers, for a thread reply), sends it and says where it landed, or finds what an earlier
attempt left.

How a send ends:

- delivered: ``send`` returns where the message is (a channel id or sink name, and the
  message's id when the channel has one to thread or edit by);
- transient: ``DeliveryError`` with scope ``channel`` (this channel is unavailable: its
  entries wait for the next run, in order) or ``all`` (stop sending for now);
- terminal: ``DeliveryError`` with scope ``entry`` (this message was refused for good: it
  is kept as failed);
- unknown: ``DeliveryError(unknown=True)``: the message may have arrived. A ``verifiable``
  channel is asked to ``find`` it before it is sent again; any other never sends it again.
"""

from __future__ import annotations

from typing import Literal, Protocol

from canary.alerts.outbox.records import Entry

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
