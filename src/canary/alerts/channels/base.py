"""What a channel configured under ``notify:`` is: its settings are a ``ChannelConfig``
(``canary.alerts.channels.config``) whose kind ``canary.alerts.channels.registry`` maps to
the function that opens it, as a ``canary.alerts.outbox.sending.Channel`` (how a send ends
is said there)."""

from __future__ import annotations


class Unavailable(Exception):
    """A configured channel that cannot be opened now (its API or secret is missing):
    its messages wait in the outbox. The message says why, never a secret."""
