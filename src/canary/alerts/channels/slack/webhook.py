"""Slack through an incoming webhook: one channel, no threads, no updates, no lookups."""

from __future__ import annotations

from pydantic import SecretStr
from slack_sdk import WebhookClient

from canary.alerts.channels.reply_text import reply_text
from canary.alerts.channels.slack.config import SlackChannelConfig
from canary.alerts.channels.slack.sdk_logging import slack_logger
from canary.alerts.channels.slack.sender import (
    BODY_LIMIT,
    SlackSender,
    retry_handlers,
    slack_rendered,
)
from canary.alerts.outbox.records import Entry
from canary.alerts.outbox.sending import DeliveryError, Sent


class WebhookTransport(SlackSender):
    """An incoming webhook: one channel, no threads, no updates, no lookups."""

    name = "webhook"
    verifiable = False

    def __init__(self, url: SecretStr, slack: SlackChannelConfig) -> None:
        super().__init__(url, slack)
        self.client = WebhookClient(
            url.get_secret_value(),
            timeout=slack.timeout,
            retry_handlers=retry_handlers(self.rate_limit),
            logger=slack_logger("canary.slack.webhook", self.redactor),
        )

    def send(self, entry: Entry, parent: Entry | None) -> Sent:
        text, blocks = slack_rendered(entry.payload, threaded=False)
        with self.errors("webhook post"):
            reply = self.client.send(text=text, blocks=blocks)
        if reply.status_code == 200:
            return "webhook", None
        body = reply_text(self.redactor.scrub(str(reply.body or "")), BODY_LIMIT)
        what = f"webhook post: HTTP {reply.status_code} {body}".strip()
        refusal = self.rate_limit.take_refusal() if reply.status_code == 429 else None
        if refusal is not None:
            raise DeliveryError(f"webhook post: {refusal}", "all")
        if reply.status_code == 429 or reply.status_code >= 500 or reply.status_code == 403:
            raise DeliveryError(what, "all")
        if reply.status_code in (404, 410):
            raise DeliveryError(what, "channel")
        raise DeliveryError(what, "entry")

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None:
        return None
