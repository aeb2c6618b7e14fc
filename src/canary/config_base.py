"""The pieces every config model is made of: strict models, secret references, durations
and names, apart from the schema that assembles them (``canary.config``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    model_validator,
)

from canary.dashboards import Catalog, catalog


def catalog_of(info: ValidationInfo) -> Catalog:
    """The definitions a config is validated against (its own, else the bundled ones)."""
    return (info.context or {}).get("catalog") or catalog()


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, int | float) and value < 0):
        raise ValueError("a duration such as 30m, 12h, 1d or 1w")
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError("a duration such as 30m, 12h, 1d or 1w")
        try:
            return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
        except OverflowError:
            raise ValueError("a duration of at most a few thousand years") from None
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def duration_text(value: timedelta) -> str:
    """A duration as config writes it (``1d``, ``6h``, ``90m``): its largest whole unit."""
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def flat_types(tp: Any) -> set[Any]:
    """``tp`` and every type its unions and annotations hold."""
    found = {tp}
    for arg in get_args(tp):
        found |= flat_types(arg)
    return found


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _flags_are_not_numbers(cls, data: Any) -> Any:
        """YAML's true/false where a number belongs stays text, which the number refuses
        (pydantic would read it as 1 or 0)."""
        if not isinstance(data, dict):
            return data
        numeric = {
            name
            for name, field in cls.model_fields.items()
            if _wants_number(flat_types(field.annotation))
        }
        return {k: _as_text(v) if k in numeric else v for k, v in data.items()}


def _wants_number(types: set[Any]) -> bool:
    """Whether a field of ``types`` takes a number but neither a boolean nor text."""
    number = any(
        t in (int, float, timedelta) or (isinstance(t, int) and not isinstance(t, bool))
        for t in types
    )
    return number and bool not in types and str not in types


def _as_text(value: Any) -> Any:
    """``value`` with its booleans (and those of a list) written as YAML text."""
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    return str(value).lower() if isinstance(value, bool) else value


NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _name(value: str) -> str:
    """A name canary may put in file names, logs and Slack: no path or shell syntax."""
    if not NAME.fullmatch(value) or ".." in value:
        raise ValueError(
            "a name of ASCII letters, digits, '_', '-' and '.' (not '..'), starting with a letter, "
            "digit or '_'"
        )
    return value


Name = Annotated[str, AfterValidator(_name)]


class SecretRef(Strict):
    """Where a secret comes from: an environment variable, else a Prefect Secret block."""

    env: str | None = None
    prefect_block: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SecretRef:
        if not self.env and not self.prefect_block:
            raise ValueError("name at least one of env or prefect_block")
        return self
