"""The config of a files source (kind ``files``): CSV or Parquet exports per dataset."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from canary.config_base import Strict
from canary.sources.source_config import SourceConfig


def _export_path(value: str) -> str:
    if not value.strip():
        raise ValueError("a path or glob of the export file(s), relative to the config file")
    return value


def _memory(value: str) -> str:
    size = value.replace(" ", "")
    if not re.fullmatch(r"\d+(\.\d+)?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", size):
        raise ValueError(f"{value!r} is not a size such as 200MB or 1GB")
    return size


class FileDataset(Strict):
    path: Annotated[str, AfterValidator(_export_path)] = Field(
        description="a path or glob, relative to the config file"
    )
    format: Literal["csv", "parquet"] | None = None


class FilesSourceConfig(SourceConfig):
    """CSV or Parquet exports: a path or glob per dataset."""

    kind: Literal["files"]
    datasets: dict[str, FileDataset]
    memory_limit: Annotated[str, AfterValidator(_memory)] = Field(
        "200MB",
        description="the memory DuckDB may hold while it reads the exports; beyond it, "
        "it spills to a temporary folder",
    )
