"""The alert policy, whatever the channel: where a monitor's alerts go (routes), who is
mentioned, what is muted, what of a result may be shown (masking) and how much a message
carries. Written under ``slack:`` in the config file (docs/slack.md)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from canary.alerts.render.model import Severity
from canary.config_base import Name, Strict


def _owner_id(value: str) -> str:
    if not re.fullmatch(r"[UWS][A-Z0-9]{8,}", value):
        raise ValueError("a Slack user id (U... or W...) or user group id (S...)")
    return value


OwnerId = Annotated[str, AfterValidator(_owner_id)]


class AlertRoute(Strict):
    channel: str = Field(pattern=r"^(#[a-z0-9_-]+|[CG][A-Z0-9]{8,})$", max_length=80)


class Route(AlertRoute):
    """Send alerts matching every given glob (monitor, dataset, check) and status here."""

    monitor: str = "*"
    dataset: str = "*"
    check: str = "*"
    status: Literal["failed", "warning", "error"] | None = None


class Mute(Strict):
    """Silence one check (its fingerprint) or a glob over ``monitor/dataset/check/column``."""

    fingerprint: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")
    pattern: str | None = None
    until: date = Field(description="last day of the mute (inclusive)")
    reason: str = Field(min_length=3)

    @model_validator(mode="after")
    def _one_target(self) -> Mute:
        if (self.fingerprint is None) == (self.pattern is None):
            raise ValueError("name exactly one of fingerprint or pattern")
        return self


class Masking(Strict):
    """Sample rows shown in alerts: emails, IPs and license keys are always masked."""

    columns: dict[str, Literal["mask", "drop"]] = {}
    sample_rows: int = Field(default=5, ge=0, le=20)


class AlertPolicy(Strict):
    """What every channel's messages follow: routes, mentions, mutes, masking and limits."""

    report_base_url: str | None = Field(default=None, pattern=r"^https?://")
    routes: dict[Name, Route] = {}
    owners: dict[str, list[OwnerId]] = {}
    ping: dict[Severity, list[Literal["owners", "here", "channel"]]] = {"critical": ["owners"]}
    mutes: dict[Name, Mute] = {}
    masking: Masking = Masking()
    max_details: int = Field(default=10, ge=0, le=40)
    max_charts: int = Field(default=5, ge=0, le=20)
    chart_weeks: int = Field(default=12, ge=2, le=104)
