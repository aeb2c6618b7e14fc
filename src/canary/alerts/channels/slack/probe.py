"""``canary slack test``: a test message to every configured channel, and what happened."""

from __future__ import annotations

from dataclasses import dataclass

from canary.alerts.channels.slack.bot import SlackTransport
from canary.alerts.channels.slack.webhook import WebhookTransport
from canary.alerts.outbox.sending import DeliveryError
from canary.alerts.render.blocks import probe_blocks


@dataclass(frozen=True)
class ProbeResult:
    channel: str
    ok: bool
    detail: str


def probe_channel(transport: SlackTransport, channel: str) -> ProbeResult:
    try:
        channel_id = transport.channel_id(channel)
        text, blocks = probe_blocks(channel, "bot token")
        with transport.errors(f"test message to {channel}"):
            transport.client.chat_postMessage(
                channel=channel_id,
                text=text,
                blocks=blocks,
                metadata={"event_type": "canary_test", "event_payload": {"channel": channel}},
            )
    except DeliveryError as exc:
        return ProbeResult(channel, False, str(exc))
    return ProbeResult(channel, True, f"posted to {channel_id}")


def probe(channels: list[str], transport: SlackTransport | WebhookTransport) -> list[ProbeResult]:
    """Send the test message through ``transport``: to each of ``channels``, or once for a
    webhook (it posts to its own channel)."""
    if isinstance(transport, SlackTransport):
        return [probe_channel(transport, channel) for channel in channels]
    text, blocks = probe_blocks("the webhook's channel", "incoming webhook")
    try:
        with transport.errors("test message"):
            reply = transport.client.send(text=text, blocks=blocks)
    except DeliveryError as exc:
        return [ProbeResult("(webhook)", False, str(exc))]
    ok = reply.status_code == 200
    return [ProbeResult("(webhook)", ok, "posted" if ok else f"HTTP {reply.status_code}")]
