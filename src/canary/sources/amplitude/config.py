"""The config of an Amplitude source (kind ``amplitude``): credentials, region, and per
dataset a saved chart or an event segmentation, read with a weekly interval."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from canary.config_base import Duration, SecretRef, Strict
from canary.sources.source_config import SourceConfig

#: Amplitude's Dashboard REST API by data residency (its analytics.* host is the web app).
REGIONS = {"us": "https://amplitude.com", "eu": "https://analytics.eu.amplitude.com"}


def _chart_id(value: Any) -> Any:
    """Chart ids are strings; YAML writes ``123`` as a number."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _base_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^/\s]+/?", value):
        raise ValueError("the API host as scheme://host[:port], without a path")
    return value.rstrip("/")


ChartId = Annotated[str, BeforeValidator(_chart_id), Field(pattern=r"^[A-Za-z0-9_-]+$")]


class AmplitudeRetries(Strict):
    """Retries of one request on 429 (rate or concurrent-query limits), 5xx and timeouts."""

    attempts: int = Field(default=4, ge=0, le=20, description="retries after the first try")
    backoff: float = Field(default=2.0, ge=0, description="seconds before retry 1, doubling")
    backoff_max: float = Field(default=60.0, ge=0)
    retry_after_max: float = Field(default=300, ge=0, description="longest Retry-After honoured")


class Segmentation(Strict):
    """An event segmentation (``/api/2/events/segmentation``) with a weekly interval."""

    event: str = Field(min_length=1, description="the event type, as Amplitude names it")
    metric: Literal["uniques", "totals"] = "uniques"
    group_by: str | None = Field(default=None, description="property whose values segment")
    group_by_type: Literal["event", "user"] = "event"


class AmplitudeDataset(Strict):
    """One dataset: a saved chart by id, or an event segmentation."""

    chart: ChartId | None = None
    segmentation: Segmentation | None = None

    @model_validator(mode="after")
    def _one_of(self) -> AmplitudeDataset:
        if (self.chart is None) == (self.segmentation is None):
            raise ValueError("give exactly one of chart or segmentation")
        return self


class AmplitudeConfig(SourceConfig):
    """Amplitude's Dashboard REST API, basic auth with the project's API and secret keys."""

    kind: Literal["amplitude"]
    api_key: SecretRef = SecretRef(env="AMPLITUDE_API_KEY")
    secret_key: SecretRef = SecretRef(env="AMPLITUDE_SECRET_KEY")
    region: Literal["us", "eu"] = "us"
    base_url: Annotated[str, AfterValidator(_base_url)] | None = Field(
        default=None, description="overrides region"
    )
    timeout: Duration = timedelta(seconds=120)
    weeks: int = Field(default=60, ge=2, le=520, description="weeks a segmentation asks for")
    retries: AmplitudeRetries = AmplitudeRetries()
    datasets: dict[str, AmplitudeDataset] = Field(min_length=1)

    @property
    def url(self) -> str:
        """The API host this source calls."""
        return self.base_url or REGIONS[self.region]
