"""The config schema (pydantic), its loading, and errors that name file, key and value.

Precedence, lowest first: model defaults < the YAML file < ``CANARY__A__B`` environment
variables (``__`` nests keys) < ``CANARY_STORE_URL`` for the store < command-line flags.
Relative paths in the file are resolved against the file's directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from canary.dashboards import catalog
from canary.errors import ConfigError

ENV_PREFIX = "CANARY__"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError("a duration such as 30m, 12h, 1d or 1w")
        return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(Strict):
    """Where a secret comes from: an environment variable, else a Prefect Secret block."""

    env: str | None = None
    prefect_block: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SecretRef:
        if not self.env and not self.prefect_block:
            raise ValueError("name at least one of env or prefect_block")
        return self


class SampleSource(Strict):
    """The bundled sample warehouse, generated on first use."""

    kind: Literal["sample"]
    complete_after: Duration = timedelta(days=1)
    seed: int = 7
    weeks: int = Field(default=104, ge=8, le=520)


class FileDataset(Strict):
    path: str = Field(description="a path or glob, relative to the config file")
    format: Literal["csv", "parquet"] | None = None


class FilesSource(Strict):
    """CSV or Parquet exports: a path or glob per dataset."""

    kind: Literal["files"]
    complete_after: Duration = timedelta(days=1)
    datasets: dict[str, FileDataset]


Source = Annotated[SampleSource | FilesSource, Field(discriminator="kind")]


class DatasetConfig(Strict):
    """One dataset of a monitor: the GE suite that checks it."""

    suite: str | None = Field(default=None, description="suite file name in expectations/")


class AlertRoute(Strict):
    channel: str = Field(pattern=r"^(#[a-z0-9_-]+|[CG][A-Z0-9]{8,})$")


class MonitorConfig(Strict):
    source: str
    dashboard: str
    suite_prefix: str
    datasets: dict[str, DatasetConfig]
    alerts: AlertRoute

    @field_validator("dashboard")
    @classmethod
    def _known_dashboard(cls, value: str) -> str:
        known = sorted(catalog().dashboards)
        if value not in known:
            raise ValueError(f"unknown dashboard; allowed: {', '.join(known)}")
        return value

    def suite_for(self, dataset: str) -> str:
        return self.datasets[dataset].suite or f"{self.suite_prefix}.{dataset}"


class StoreConfig(Strict):
    url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")


class Config(Strict):
    version: Literal[1] = 1
    data_dir: Path = Path(".canary")
    expectations_dir: Path = Path("expectations")
    store: StoreConfig = StoreConfig()
    sources: dict[str, Source]
    monitors: dict[str, MonitorConfig]
    secrets: dict[str, SecretRef] = {}

    @model_validator(mode="after")
    def _references(self) -> Config:
        for name, monitor in self.monitors.items():
            if monitor.source not in self.sources:
                raise _RefError(("monitors", name, "source"), monitor.source, sorted(self.sources))
            tiles = {t.dataset for t in catalog().dashboards[monitor.dashboard].tiles}
            for dataset in monitor.datasets:
                if dataset not in tiles:
                    raise _RefError(("monitors", name, "datasets", dataset), dataset, sorted(tiles))
            source = self.sources[monitor.source]
            if isinstance(source, FilesSource):
                for dataset in monitor.datasets:
                    if dataset not in source.datasets:
                        raise _RefError(
                            ("sources", monitor.source, "datasets"),
                            f"(no entry for {dataset})",
                            sorted(monitor.datasets),
                        )
        return self

    def store_url(self, environ: Mapping[str, str]) -> str:
        """``CANARY_STORE_URL``, else ``store.url``, else SQLite in ``data_dir``."""
        return (
            environ.get("CANARY_STORE_URL")
            or self.store.url
            or f"sqlite:///{self.data_dir / 'store.db'}"
        )


class _RefError(ValueError):
    """A reference to something not defined; carries its own location."""

    def __init__(self, loc: tuple[str, ...], value: str, allowed: list[str]) -> None:
        super().__init__(f"{value!r} is not defined; allowed: {', '.join(allowed) or '(none)'}")
        self.loc = loc
        self.value = value


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in key[len(ENV_PREFIX) :].split("__") if p]
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        if path:
            node[path[-1]] = yaml.safe_load(value) if value else value
    return tree


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _step(tp: Any, part: str) -> tuple[Any, bool]:
    """Type found at ``part`` below ``tp``, and whether ``part`` was a union tag."""
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        info = tp.model_fields.get(part)
        return (info.annotation if info else None), False
    if get_origin(tp) is dict:
        return get_args(tp)[1], False
    members = [a for a in get_args(tp) if isinstance(a, type) and issubclass(a, BaseModel)]
    for member in members:
        kind = member.model_fields.get("kind")
        if kind is not None and part in get_args(kind.annotation):
            return member, True
    return None, False


def _locate(loc: tuple[Any, ...]) -> tuple[str, list[str]]:
    """The dotted path of ``loc`` (union tags dropped) and the keys allowed at its parent."""
    tp: Any = Config
    shown: list[str] = []
    for i, part in enumerate(loc):
        if i == len(loc) - 1:
            shown.append(str(part))
            break
        tp, is_tag = _step(tp, str(part))
        if not is_tag:
            shown.append(str(part))
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    allowed = sorted(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []
    return ".".join(shown), allowed


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    path, allowed = _locate(loc)
    path = path or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        hint = get_close_matches(key, allowed, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{path}: unknown key {key!r}{did}; allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return f"{path}: required key is missing"
    msg = err["msg"].removeprefix("Value error, ")
    got = err.get("input")
    shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
    return f"{path}: {msg}{shown}"


def parse_config(raw: Any, file: str, environ: dict[str, str] | None = None) -> Config:
    """Validate ``raw`` (parsed YAML) into a ``Config``; errors name ``file`` and the key path."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{file}: the top level must be a mapping of keys, not {type(raw).__name__}"
        )
    merged = _merge(raw, _env_overrides(dict(os.environ if environ is None else environ)))
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            cause = (err.get("ctx") or {}).get("error")
            if isinstance(cause, _RefError):
                path = ".".join(cause.loc)
                lines.append(f"{path}: {cause}")
            else:
                lines.append(_describe(dict(err)))
        raise ConfigError(f"{file}: invalid config\n  " + "\n  ".join(lines)) from None


def load_config(path: Path, environ: dict[str, str] | None = None) -> Config:
    """Read, validate and resolve ``path``: relative paths become relative to its folder."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    config = parse_config(raw, str(path), environ)
    base = path.resolve().parent
    return config.model_copy(
        update={
            "data_dir": base / config.data_dir,
            "expectations_dir": base / config.expectations_dir,
        }
    )


def resolve_path(config_dir: Path, pattern: str) -> str:
    """A dataset path or glob, relative to the config file's directory."""
    return pattern if Path(pattern).is_absolute() else str(config_dir / pattern)
