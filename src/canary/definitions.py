"""Views, tiles and dashboards declared in the config (or a file it names), as pydantic models.

They are merged by name over the bundled definitions (``dashboards.yaml``), so a team adds
its own dashboard without touching the package; ``to_catalog`` checks the references.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from canary.dashboards import Catalog, FieldRole, bundled_raw, parse_catalog
from canary.strict_yaml import DuplicateKeyError, parse_yaml


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldDef(_Strict):
    type: Literal["date", "integer", "number", "string"]
    sql: str = Field(min_length=1, description="dialect SQL over the view's table")
    label: str | None = None
    counter: bool = False
    personal: bool = Field(default=False, description="masked in sample rows")
    churns: bool = Field(default=False, description="new values are normal")
    role: FieldRole | None = Field(
        default=None, description="what the field is to the data (the version, the label)"
    )


class ViewDef(_Strict):
    label: str | None = None
    dimensions: dict[str, FieldDef] = {}
    measures: dict[str, FieldDef] = {}


class TileDef(_Strict):
    title: str
    shape: Literal["series", "snapshot"]
    fields: list[str] = Field(min_length=1, description="view.field of one view")
    segments: list[str] = []
    key: list[str] = []


class FilterDef(_Strict):
    dimension: str
    value: str | None = None


class DashboardDef(_Strict):
    title: str
    tiles: list[str] = Field(min_length=1)
    filters: dict[str, FilterDef] = {}


class Definitions(_Strict):
    """What a config adds to (or replaces in) the bundled definitions, by name."""

    views: dict[str, ViewDef] = {}
    tiles: dict[str, TileDef] = {}
    dashboards: dict[str, DashboardDef] = {}


def read_definitions(path: Path) -> Any:
    """The raw definitions file ``path`` (YAML); ``ValueError`` says why it cannot be read."""
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read {path} ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 (byte offset {exc.start})") from None
    except yaml.YAMLError as exc:  # its problem and place, never the text (any file)
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(
            f"{path} is not valid YAML{where} ({getattr(exc, 'problem', None) or 'unreadable'})"
        ) from None
    except DuplicateKeyError as exc:
        raise ValueError(f"{path}: {exc}") from None


def to_catalog(defs: Definitions | None) -> Catalog:
    """The bundled definitions with ``defs`` merged over them by name.

    ``ValueError`` names the tile or dashboard whose references do not resolve.
    """
    raw = bundled_raw()
    if defs is not None:
        extra = defs.model_dump(exclude_none=True)
        for section in ("views", "tiles", "dashboards"):
            raw[section] = {**raw[section], **extra[section]}
    return parse_catalog(raw)
