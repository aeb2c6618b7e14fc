"""The Slack channel's settings: how it is reached (bot token, incoming webhook, or the
file outbox in their place), its API address, time limits and rate-limit budget."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from canary.config_base import SecretRef, Strict

Delivery = Literal["auto", "bot", "webhook", "file"]


class SlackChannelConfig(Strict):
    """Where and how alerts are delivered (bot token, incoming webhook or file outbox)."""

    delivery: Delivery = "auto"
    token: SecretRef = SecretRef(env="SLACK_BOT_TOKEN")
    webhook: SecretRef | None = None
    base_url: str | None = Field(default=None, pattern=r"^https?://.+/$")
    workspace_url: str | None = Field(
        default=None, pattern=r"^https?://[^/]+/?$", description="e.g. https://acme.slack.com"
    )
    outbox_dir: Path | None = None
    timeout: int = Field(default=30, ge=1, le=300)
    retry_after_max: int = Field(
        default=60, ge=0, le=3600, description="seconds a run may wait on Slack rate limits"
    )

    @model_validator(mode="after")
    def _webhook_named(self) -> SlackChannelConfig:
        if self.delivery == "webhook" and self.webhook is None:
            raise ValueError(
                "delivery is webhook but no webhook is set (slack.webhook: {env: ...})"
            )
        return self
