"""The config of Looker sources (kinds ``looker_dashboard``, ``looker_look``,
``looker_query``; docs/looker.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from canary.config_base import Duration, SecretRef, Strict
from canary.sources.source_config import SourceConfig


def _looker_id(value: Any) -> Any:
    """Looker ids are strings; YAML writes ``12`` as a number."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def looker_base_url(value: str) -> str:
    """``scheme://host[:port]``: the SDK adds ``/api/4.0`` and drops any other path."""
    if not re.fullmatch(r"https?://[^/\s]+/?", value):
        raise ValueError("the Looker API URL as scheme://host[:port], without a path")
    return value.rstrip("/")


LookerId = Annotated[str, BeforeValidator(_looker_id), Field(min_length=1)]
LookerField = Annotated[str, Field(pattern=r"^\w+\.\w+$", description="view.field")]


class LookerRetries(Strict):
    """Retries of one Looker request on 429, 5xx, timeouts and dropped connections."""

    attempts: int = Field(default=4, ge=0, le=20, description="retries after the first try")
    backoff: float = Field(default=1.0, ge=0, description="seconds before retry 1, doubling")
    backoff_max: float = Field(default=60.0, ge=0)
    jitter: float = Field(default=1.0, ge=0, description="up to this many seconds added")
    retry_after_max: int = Field(default=300, ge=0, description="longest Retry-After honoured")
    give_up_after: int = Field(
        default=6, ge=1, le=100, description="failed tries in a row before a run stops calling"
    )


class LookerConnection(SourceConfig):
    """What every Looker source shares. Unset ``base_url``, ``client_id``, ``verify_ssl``
    and ``timeout`` fall back to ``LOOKERSDK_BASE_URL``, ``_CLIENT_ID``, ``_VERIFY_SSL``
    and ``_TIMEOUT``."""

    base_url: Annotated[str, AfterValidator(looker_base_url)] | None = None
    web_url: str | None = Field(default=None, pattern=r"^https?://", description="for links")
    client_id: str | None = None
    client_secret: SecretRef = SecretRef(env="LOOKERSDK_CLIENT_SECRET")
    verify_ssl: bool | None = None
    timeout: Duration | None = Field(default=None, description="per request; default 120s")
    retries: LookerRetries = LookerRetries()
    row_limit: int | None = Field(default=None, ge=1, le=1_000_000, description="rows per tile")
    columns: dict[LookerField, str] = Field(default={}, description="Looker field -> column")


class LookerDashboardConfig(LookerConnection):
    """A Looker dashboard: every query tile is a dataset, filtered like the dashboard."""

    kind: Literal["looker_dashboard"]
    dashboard_id: LookerId
    filters: dict[str, str] = Field(default={}, description="dashboard filter -> expression")
    date_filter: str | None = Field(default=None, description="dashboard filter for weeks")
    datasets: dict[str, str] = Field(default={}, description="tile title or id -> dataset")


def _look_entry(value: Any) -> Any:
    return {"id": value} if isinstance(value, str | int) else value


class LookerLook(Strict):
    id: LookerId
    week_field: LookerField | None = Field(default=None, description="filtered to the weeks")


class LookerLookConfig(LookerConnection):
    """Saved Looks, one per dataset."""

    kind: Literal["looker_look"]
    looks: dict[str, Annotated[LookerLook, BeforeValidator(_look_entry)]]


class LookerQuery(Strict):
    model: str
    view: str
    fields: list[LookerField] = Field(min_length=1)
    filters: dict[LookerField, str] = {}
    sorts: list[str] = []
    limit: int | None = Field(default=None, ge=1, le=1_000_000)
    week_field: LookerField | None = Field(default=None, description="filtered to the weeks")


class LookerQueryConfig(LookerConnection):
    """Inline Looker queries (model, view, fields, filters, sorts, limit), one per dataset."""

    kind: Literal["looker_query"]
    queries: dict[str, LookerQuery]


LookerConfig = LookerDashboardConfig | LookerLookConfig | LookerQueryConfig
