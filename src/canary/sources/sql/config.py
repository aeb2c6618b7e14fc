"""The config of a sql source (kind ``sql``): a SQLAlchemy URL, tables and connection limits."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from canary.config_base import Duration, SecretRef, catalog_of
from canary.database_url import database_url_problem
from canary.sources.source_config import SourceConfig

WAREHOUSE_EXAMPLE = (
    "for PostgreSQL write postgresql+psycopg://; another warehouse needs its dialect package "
    "in the venv"
)

TableName = Annotated[
    str, Field(pattern=r"^\w+(\.\w+){0,2}$", description="[catalog.][schema.]table")
]


class SqlSourceConfig(SourceConfig):
    """A SQL warehouse over any SQLAlchemy URL; each view's fields are SQL over its table."""

    kind: Literal["sql"]
    url: str | SecretRef = Field(description="a SQLAlchemy URL, or where the secret one is")
    tables: dict[str, TableName] = Field(default={}, description="view -> table; default: view")
    query_timeout: Duration = timedelta(seconds=300)
    retries: int = Field(default=2, ge=0, le=10, description="retries of a transient error")
    credentials: SecretRef | None = Field(
        default=None, description="where the service-account key (JSON) is (BigQuery)"
    )
    max_bytes_billed: int | None = Field(
        default=None, ge=1, description="a query billing more bytes fails (BigQuery)"
    )

    @model_validator(mode="after")
    def _dialect_settings(self) -> SqlSourceConfig:
        problem = isinstance(self.url, str) and dialect_settings_problem(self.url, self.settings)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def settings(self) -> list[str]:
        """The connection settings given (``credentials``, ``max_bytes_billed``)."""
        return [k for k in ("credentials", "max_bytes_billed") if getattr(self, k) is not None]

    @field_validator("tables")
    @classmethod
    def _known_views(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        views = catalog_of(info).views
        unknown = sorted(set(value) - set(views))
        if unknown:
            raise ValueError(
                f"unknown view {', '.join(unknown)}; allowed: {', '.join(sorted(views))}"
            )
        return value

    def value_problems(self) -> dict[str, str]:
        problem = isinstance(self.url, str) and database_url_problem(self.url, WAREHOUSE_EXAMPLE)
        return {"url": problem} if problem else {}

    def environment_problems(self, environ: Mapping[str, str]) -> list[tuple[str, str, str]]:
        variable = self.url.env if isinstance(self.url, SecretRef) else None
        value = environ.get(variable) if variable else None
        problem = value and database_url_problem(value, WAREHOUSE_EXAMPLE)
        return [(str(variable), "url", problem)] if problem else []


def dialect_settings_problem(url: str, given: list[str]) -> str | None:
    """Why the connection settings ``given`` (``credentials``, ``max_bytes_billed``) do not
    fit ``url``'s dialect (None: they do, or ``url`` is no URL: said elsewhere)."""
    from sqlalchemy.exc import ArgumentError

    from canary.sources.sql.dialects import dialect_of

    try:
        dialect = dialect_of(url)
    except (ArgumentError, ValueError):
        return None
    if not given or dialect.with_settings is not None:
        return None
    return f"{' and '.join(given)}: not taken by a {dialect.label} URL (BigQuery takes them)"
