"""The config of a files source (kind ``files``): CSV or Parquet exports per dataset."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from canary.config_base import Strict
from canary.sources.source_config import SourceConfig


def _export_path(value: str) -> str:
    if not value.strip():
        raise ValueError("a path or glob of the export file(s), relative to the config file")
    return value


class FileDataset(Strict):
    path: Annotated[str, AfterValidator(_export_path)] = Field(
        description="a path or glob, relative to the config file"
    )
    format: Literal["csv", "parquet"] | None = None


class FilesSourceConfig(SourceConfig):
    """CSV or Parquet exports: a path or glob per dataset."""

    kind: Literal["files"]
    datasets: dict[str, FileDataset]
