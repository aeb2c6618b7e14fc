"""The config of the bundled sample warehouse source (kind ``sample``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from canary.sources.source_config import SourceConfig


class SampleSourceConfig(SourceConfig):
    """The bundled sample warehouse, generated on first use."""

    kind: Literal["sample"]
    seed: int = 7
    weeks: int = Field(default=104, ge=8, le=520)
