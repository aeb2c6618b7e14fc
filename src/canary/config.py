"""The config schema (pydantic), its loading, and errors that name file, key and value.

Precedence, lowest first: model defaults < the YAML file < ``CANARY__A__B`` environment
variables (``__`` nests keys) < ``CANARY_STORE_URL`` for the store < command-line flags.
Relative paths in the file are resolved against the file's directory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, timedelta
from difflib import get_close_matches
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from types import GenericAlias, UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, cast, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PlainValidator,
    PrivateAttr,
    SerializeAsAny,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from canary import logfiles
from canary.alerts.channels.config import ChannelConfig
from canary.alerts.channels.kinds import DEFAULT_KIND, channel_type, on_change
from canary.alerts.channels.slack.config import SlackChannelConfig
from canary.alerts.policy import AlertPolicy, AlertRoute
from canary.config_base import (
    NAME,
    Duration,
    Name,
    SecretRef,
    Strict,
    catalog_of,
    flat_types,
)
from canary.dashboards import Catalog, catalog
from canary.database_url import database_url_problem
from canary.definitions import Definitions, read_definitions, to_catalog
from canary.errors import ConfigError
from canary.sources.registry import KINDS, dataset_entries
from canary.sources.source_config import SourceConfig
from canary.strict_yaml import DuplicateKeyError, parse_yaml
from canary.weekly.measures import chosen_measures, series_measures

ENV_PREFIX = "CANARY__"
STORE_URL_ENV = "CANARY_STORE_URL"


def _suite_name(value: str) -> str:
    """A suite file in ``expectations_dir``, with or without its ``.json``."""
    name = value.removesuffix(".json")
    parts = name.split("/")
    if any(not part or part == ".." or not NAME.fullmatch(part) for part in parts):
        raise ValueError(
            "a suite file name in expectations_dir (such as canary.page_views or "
            "canary.page_views.json), not a path outside it"
        )
    return name


def _source_of_kind(value: Any, info: ValidationInfo) -> Any:
    """A source validated as the config model its ``kind`` names in the source registry."""
    if isinstance(value, SourceConfig):
        return value
    models = tuple(kind.config for kind in KINDS.values())
    return _tagged_union(models).validate_python(value, context=info.context)


@cache
def _tagged_union(models: tuple[type[SourceConfig], ...]) -> TypeAdapter[SourceConfig]:
    """The models as one union tagged by ``kind`` (made again once a kind is registered)."""
    union: Any = Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007
    return TypeAdapter(union)


#: serialized as the kind's own model (the base model would drop its fields)
SourceByKind = Annotated[SerializeAsAny[SourceConfig], PlainValidator(_source_of_kind)]


class HistorySettings(Strict):
    """How history-aware checks judge a dataset's series (every field optional)."""

    enabled: bool | None = None
    window_weeks: int | None = Field(default=None, ge=2, le=104)
    min_weeks: int | None = Field(default=None, ge=1, le=104)
    sensitivity: float | None = Field(default=None, gt=0, description="robust z-score limit")
    min_abs_change: float | None = Field(default=None, ge=0)
    min_rel_change: float | None = Field(default=None, ge=0, description="smallest drop flagged")
    min_rel_rise: float | None = Field(default=None, ge=0, description="smallest rise flagged")
    min_level: float | None = Field(default=None, ge=0, description="smaller series not judged")
    direction: Literal["both", "drop", "rise"] | None = None
    columns: list[str] | None = Field(default=None, description="columns tracked; default all")
    fingerprint_weeks: int | None = Field(
        default=None, ge=1, le=104, description="past weeks a run checks for rewrites"
    )

    def over(self, base: HistorySettings) -> HistorySettings:
        """These settings where set, else ``base``'s."""
        return base.model_copy(update=self.model_dump(exclude_none=True))


#: What history-aware checks use where nothing is configured.
HISTORY_DEFAULTS = HistorySettings(
    enabled=True,
    window_weeks=12,
    min_weeks=6,
    sensitivity=5.0,
    min_abs_change=5.0,
    min_rel_change=0.25,
    min_rel_rise=0.75,
    min_level=20.0,
    direction="both",
    fingerprint_weeks=13,
)


class QuietWeek(Strict):
    """Weeks when usage is known to move: every year (ISO week numbers, inclusive), or
    company-specific weeks (their Mondays: a launch, an outage) with the reason beside them.
    Quiet weeks never train a baseline."""

    name: str
    iso_weeks: list[int] = Field(default_factory=list)
    weeks: list[date] = Field(default_factory=list, description="Mondays of one-off weeks")
    reason: str | None = Field(default=None, description="why usage moves, for one-off weeks")
    floor: float = Field(default=0.5, gt=0, le=1, description="lowest expected share of normal")
    ceiling: float | None = Field(
        default=None, ge=1, description="highest expected share of normal (a launch)"
    )

    @model_validator(mode="after")
    def _some_weeks(self) -> QuietWeek:
        if not self.iso_weeks and not self.weeks:
            raise ValueError(f"quiet week {self.name!r}: give iso_weeks or weeks")
        mondays = [w.isoformat() for w in self.weeks if w.weekday() != 0]
        if mondays:
            raise ValueError(
                f"quiet week {self.name!r}: weeks are named by their Monday, not {', '.join(mondays)}"
            )
        if self.weeks and not self.reason:
            raise ValueError(f"quiet week {self.name!r}: one-off weeks need a reason")
        return self


DEFAULT_QUIET_WEEKS = [QuietWeek(name="year end", iso_weeks=[51, 52, 53, 1, 2], floor=0.45)]
#: The US and the main European countries (ISO 3166 codes of the ``holidays`` package).
DEFAULT_COUNTRIES = ["US", "GB", "DE", "FR", "NL", "ES", "IT", "SE", "PL", "CH"]


class CalendarSettings(Strict):
    """Public holidays and the summer lull: their effect on each metric is learned from the
    same holiday (or summer week) in the year before."""

    countries: list[str] = Field(
        default_factory=lambda: list(DEFAULT_COUNTRIES), description="ISO 3166 country codes"
    )
    holiday_floor: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="lowest share of normal in a holiday week, no year before",
    )
    summer_weeks: list[int] = Field(default_factory=lambda: list(range(26, 36)))
    summer_floor: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="lowest share of normal in a summer week, no year before",
    )

    @field_validator("countries")
    @classmethod
    def _known_countries(cls, value: list[str]) -> list[str]:
        from holidays import list_supported_countries  # 0.15 s to import: only when set

        known = list_supported_countries()
        unknown = [c for c in value if c not in known]
        if unknown:
            raise ValueError(f"no public holidays known for {', '.join(unknown)}")
        return value


class DatasetConfig(Strict):
    """One dataset of a monitor: the GE suite that checks it, and its history-aware checks."""

    suite: Annotated[str, AfterValidator(_suite_name)] | None = Field(
        default=None, description="suite file name in expectations_dir (.json optional)"
    )
    source: str | None = Field(
        default=None, description="this dataset's source; default the monitor's"
    )
    history: HistorySettings = HistorySettings()


class ReportConfig(AlertRoute):
    """The monitor's weekly usage report (docs/report.md): where it goes, when it is sent
    (``weekly``: every new week; ``on_change``: only when a number leaves its expected range
    or an incident is open; ``never``), which series tiles it shows (empty: all) and how
    many weeks its chart spans."""

    when: Literal["weekly", "on_change", "never"] = "weekly"
    metrics: list[str] = Field(default_factory=list, description="dataset or dataset.column")
    weeks: int = Field(
        default=16, ge=12, le=26, strict=True, description="weeks of history in the chart"
    )


class CrossCheck(Strict):
    """Two series of one monitor that see the same usage through different pipelines (the
    pings and a browser analytics tool): their ratio, judged against its own history."""

    measure: str = Field(description="dataset.column: the series checked (the pings')")
    witness: str = Field(description="dataset.column: the independent series it follows")
    sensitivity: float = Field(default=5.0, gt=0, description="robust sigmas of the ratio")
    min_rel_change: float = Field(
        default=0.25, ge=0, lt=1, description="smallest change of the ratio that is a break"
    )


class MonitorConfig(Strict):
    source: str
    dashboard: str
    suite_prefix: Name
    datasets: dict[str, DatasetConfig] = Field(min_length=1, description="at least one")
    alerts: AlertRoute
    report: ReportConfig | None = Field(default=None, description="none: no weekly report")
    history: HistorySettings = HistorySettings()
    quiet_weeks: list[QuietWeek] = Field(default_factory=lambda: list(DEFAULT_QUIET_WEEKS))
    calendar: CalendarSettings = CalendarSettings()
    cross_checks: dict[Name, CrossCheck] = Field(
        default_factory=dict, description="series of two sources checked against each other"
    )

    @field_validator("dashboard")
    @classmethod
    def _known_dashboard(cls, value: str, info: ValidationInfo) -> str:
        known = sorted(catalog_of(info).dashboards)
        if value not in known:
            raise ValueError(f"unknown dashboard; allowed: {', '.join(known)}")
        return value

    @model_validator(mode="after")
    def _known_report_metrics(self, info: ValidationInfo) -> MonitorConfig:
        """A report needs numbers: a series tile among the datasets, every metric named
        one of its measures."""
        if self.report is None:
            return self
        board = catalog_of(info).dashboards[self.dashboard]
        if not series_measures(t for t in board.tiles if t.dataset in self.datasets):
            series = ", ".join(t.dataset for t in board.tiles if series_measures([t]))
            raise ValueError(
                f"report: none of the monitor's datasets ({', '.join(self.datasets)}) is a "
                f"series tile with numbers to report; add one of {series} or remove report"
            )
        try:
            chosen_measures(
                [t for t in board.tiles if t.dataset in self.datasets], self.report.metrics
            )
        except ValueError as exc:
            raise ValueError(f"report.metrics: {exc}") from None
        return self

    @model_validator(mode="after")
    def _known_cross_series(self, info: ValidationInfo) -> MonitorConfig:
        """Each side of a cross check is one measure of an unsegmented series tile among the
        monitor's datasets, and the two are different datasets."""
        board = catalog_of(info).dashboards[self.dashboard]
        tiles = [t for t in board.tiles if t.dataset in self.datasets]
        for name, check in self.cross_checks.items():
            for side in ("measure", "witness"):
                named = getattr(check, side)
                try:
                    found = chosen_measures(tiles, [named])
                except ValueError as exc:
                    raise ValueError(f"cross_checks.{name}.{side}: {exc}") from None
                if len(found) != 1:
                    raise ValueError(
                        f"cross_checks.{name}.{side}: {named!r} is a dataset of "
                        f"{len(found)} measures; name one as dataset.column"
                    )
            if check.measure.split(".")[0] == check.witness.split(".")[0]:
                raise ValueError(
                    f"cross_checks.{name}: measure and witness are series of one dataset; "
                    "a witness is another dataset (another source)"
                )
        return self

    def history_for(self, dataset: str) -> HistorySettings:
        """Dataset settings over monitor settings over the defaults."""
        return self.datasets[dataset].history.over(self.history.over(HISTORY_DEFAULTS))

    def source_for(self, dataset: str) -> str:
        """The source a dataset is pulled from: its own ``source``, else the monitor's."""
        return self.datasets[dataset].source or self.source

    def source_names(self) -> list[str]:
        """Every source the monitor pulls from, sorted."""
        return sorted({self.source, *(self.source_for(d) for d in self.datasets)})

    def suite_for(self, dataset: str) -> str:
        return self.datasets[dataset].suite or f"{self.suite_prefix}.{dataset}"


# --- Alerts (docs/slack.md) --------------------------------------------------------


class SlackConfig(AlertPolicy, SlackChannelConfig):
    """The ``slack:`` section: the alert policy every channel follows (routes, mentions,
    mutes, masking, limits) and the Slack channel itself (how it is reached)."""


if TYPE_CHECKING:
    NotifyChannel = ChannelConfig
else:
    NotifyChannel = channel_type()


class StoreConfig(Strict):
    url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    lock_timeout: Duration = Field(
        default=timedelta(minutes=10),
        description="how long a run waits for another run of its monitor and week",
    )


class DataDocsConfig(Strict):
    """Great Expectations Data Docs built per Prefect flow run (docs/prefect.md)."""

    dir: Path | None = Field(default=None, description="default: data_dir/data-docs")
    base_url: str | None = Field(
        default=None, pattern=r"^https?://", description="where dir is served, for links"
    )


class Config(Strict):
    version: Literal[1] = 1
    data_dir: Path = Path(".canary")
    expectations_dir: Path = Path("expectations")
    store: StoreConfig = StoreConfig()
    sources: dict[Name, SourceByKind]
    monitors: dict[Name, MonitorConfig]
    secrets: dict[Name, SecretRef] = {}
    slack: SlackConfig = SlackConfig()
    notify: dict[Name, NotifyChannel] = {}
    data_docs: DataDocsConfig = DataDocsConfig()
    definitions: Definitions | str | None = Field(
        default=None, description="views, tiles and dashboards, or a YAML file of them"
    )
    _catalog: Catalog | None = PrivateAttr(default=None)

    @property
    def policy(self) -> AlertPolicy:
        """The alert policy every channel follows (written under ``slack:``)."""
        return self.slack

    @field_validator("notify", mode="before")
    @classmethod
    def _default_kind(cls, value: Any) -> Any:
        """A ``notify:`` entry that names no ``kind`` is a Prefect notification block."""
        if not isinstance(value, dict):
            return value
        return {
            name: {"kind": DEFAULT_KIND, **entry}
            if isinstance(entry, dict) and "kind" not in entry
            else entry
            for name, entry in value.items()
        }

    @property
    def catalog(self) -> Catalog:
        """The bundled definitions with this config's merged over them."""
        return self._catalog if self._catalog is not None else catalog()

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> Config:
        dashboards = catalog_of(info).dashboards
        for name, channel in self.notify.items():
            for monitor_name in channel.monitors:
                if monitor_name not in self.monitors:
                    raise _RefError(
                        ("notify", name, "monitors"), monitor_name, sorted(self.monitors)
                    )
        for name, monitor in self.monitors.items():
            if monitor.source not in self.sources:
                raise _RefError(("monitors", name, "source"), monitor.source, sorted(self.sources))
            tiles = {t.dataset for t in dashboards[monitor.dashboard].tiles}
            for dataset in monitor.datasets:
                if dataset not in tiles:
                    raise _RefError(("monitors", name, "datasets", dataset), dataset, sorted(tiles))
            for dataset in monitor.datasets:
                src = monitor.source_for(dataset)
                if src not in self.sources:
                    raise _RefError(
                        ("monitors", name, "datasets", dataset, "source"), src, sorted(self.sources)
                    )
                key, entries = dataset_entries(self.sources[src])
                if entries is not None and dataset not in entries:
                    raise _KeyProblem(
                        ("sources", src, key),
                        f"no entry for dataset {dataset!r}, which monitor {name} reads from "
                        f"this source: add one named {dataset} here",
                    )
        return self

    @model_validator(mode="after")
    def _history_fits(self, info: ValidationInfo) -> Config:
        """History settings name columns the datasets have, and leave checks a window to run."""
        dashboards = catalog_of(info).dashboards
        for name, monitor in self.monitors.items():
            tiles = {t.dataset: t for t in dashboards[monitor.dashboard].tiles}
            here = ("monitors", name, "history")
            columns = {c for d in monitor.datasets if d in tiles for c in tiles[d].columns}
            _known_columns(here, monitor.history, columns)
            for dataset, entry in monitor.datasets.items():
                below = ("monitors", name, "datasets", dataset, "history")
                _known_columns(below, entry.history, set(tiles[dataset].columns))
                settings = monitor.history_for(dataset)
                if (settings.min_weeks or 0) > (settings.window_weeks or 0):
                    own = entry.history.min_weeks or entry.history.window_weeks
                    raise _KeyProblem(
                        (*(below if own else here), "min_weeks"),
                        f"min_weeks {settings.min_weeks} is above window_weeks "
                        f"{settings.window_weeks} for dataset {dataset}: its history checks "
                        "would never run; set min_weeks to at most window_weeks",
                    )
        return self

    @model_validator(mode="after")
    def _names_fit(self) -> Config:
        """Monitor and dataset names fit the store's columns, and the file names made of
        them (the file outbox's, the suites') fit a file system's limit."""
        from canary.alerts.channels.file_names import NAME_MAX, outbox_file_name
        from canary.store.schema import metrics, runs

        monitor_max = getattr(runs.c.monitor.type, "length", None)
        dataset_max = getattr(metrics.c.dataset.type, "length", None)
        for name, monitor in self.monitors.items():
            _fits(("monitors", name), "monitor name", name, monitor_max)
            routes = [
                r.channel for r in self.policy.routes.values() if fnmatchcase(name, r.monitor)
            ]
            for channel in (monitor.alerts.channel, *routes):
                file = outbox_file_name(date.max, name, channel, "x" * 8)
                if len(file.encode()) > NAME_MAX:
                    raise _KeyProblem(
                        ("monitors", name),
                        f"the monitor name ({len(name)} characters) makes the file outbox's "
                        f"name for alerts to {channel} {len(file.encode())} bytes long, over "
                        f"the {NAME_MAX} a file system takes; shorten it",
                    )
            for dataset, entry in monitor.datasets.items():
                here = ("monitors", name, "datasets", dataset)
                _fits(here, "dataset name", dataset, dataset_max)
                key = (*here, "suite") if entry.suite else ("monitors", name, "suite_prefix")
                for part in f"{monitor.suite_for(dataset)}.json".split("/"):
                    _fits(key, "suite file name", part, NAME_MAX)
        return self

    @field_validator("data_dir", "expectations_dir", mode="before")
    @classmethod
    def _some_folder(cls, value: Any) -> Any:
        """An empty path would silently mean the config file's own folder."""
        if isinstance(value, str) and not value.strip():
            raise ValueError("an empty path; name a folder (relative to the config file)")
        return value

    @field_validator("monitors")
    @classmethod
    def _some_monitor(cls, value: dict[str, MonitorConfig]) -> dict[str, MonitorConfig]:
        if not value:
            raise ValueError(
                "no monitor is configured: name at least one (a run would check nothing)"
            )
        return value

    def store_url(self, environ: Mapping[str, str]) -> str:
        """``CANARY_STORE_URL``, else ``store.url``, else SQLite in ``data_dir``."""
        return (
            environ.get(STORE_URL_ENV)
            or self.store.url
            or f"sqlite:///{self.data_dir / 'store.db'}"
        )


def _rebuild_notify() -> None:
    """``notify:`` entries take the channel kinds registered now."""
    Config.model_fields["notify"].annotation = cast(Any, GenericAlias(dict, (Name, channel_type())))
    Config.model_rebuild(force=True)


on_change(_rebuild_notify)


def _known_columns(loc: tuple[str, ...], history: HistorySettings, columns: set[str]) -> None:
    unknown = [c for c in history.columns or () if c not in columns]
    if unknown:
        raise _KeyProblem(
            (*loc, "columns"),
            f"unknown column {', '.join(map(repr, unknown))}; allowed: {', '.join(sorted(columns))}",
        )


def _fits(loc: tuple[str, ...], what: str, value: str, longest: int | None) -> None:
    """``_KeyProblem`` at ``loc`` if ``value`` (a ``what``) is over ``longest`` characters."""
    if longest is not None and len(value) > longest:
        raise _KeyProblem(
            loc, f"a {what} of {len(value)} characters; at most {longest} fit the store and files"
        )


class _KeyProblem(ValueError):
    """A problem found across keys (a reference, a combination); carries its own location."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc


class _RefError(_KeyProblem):
    """A reference to something not defined."""

    def __init__(self, loc: tuple[str, ...], value: str, allowed: list[str]) -> None:
        super().__init__(
            loc, f"{value!r} is not defined; allowed: {', '.join(allowed) or '(none)'}"
        )


def _env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``CANARY__A__B`` variables as a tree, and each one's dotted key path -> its name."""
    tree: dict[str, Any] = {}
    names: dict[str, str] = {}
    for key, value in sorted(environ.items()):
        path = [p.lower() for p in key[len(ENV_PREFIX) :].split("__") if p]
        if not key.startswith(ENV_PREFIX) or not path:
            continue
        dotted = ".".join(path)
        clash = next(
            (
                n
                for p, n in names.items()
                if f"{dotted}.".startswith(f"{p}.") or p.startswith(f"{dotted}.")
            ),
            None,
        )
        if clash is not None:
            raise ConfigError(f"environment variables {clash} and {key} set the same key")
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        try:
            node[path[-1]] = parse_yaml(value) if value else value
        except yaml.YAMLError as exc:
            raise ConfigError(
                f"environment variable {key}: not a YAML value ({getattr(exc, 'problem', exc)})"
            ) from None
        except DuplicateKeyError as exc:
            raise ConfigError(f"environment variable {key}: {exc}") from None
        names[dotted] = key
    return tree, names


def _origin(path: str, env_names: dict[str, str], raw: Any) -> str | None:
    """The variable that set ``path`` (or a key above it); else one that set a key below it,
    or in the mapping holding it when the file ``raw`` has no such mapping."""
    at = next(
        (n for p, n in env_names.items() if path == p or path.startswith((p + ".", p + "["))),
        None,
    )
    if at or not path:
        return at
    parent = path.rpartition(".")[0]
    scope = path if parent and _in_file(raw, parent) else parent or path
    return next((n for p, n in env_names.items() if p.startswith(scope + ".")), None)


def _in_file(raw: Any, path: str) -> bool:
    """Whether the parsed file ``raw`` holds the dotted key ``path``."""
    node = raw
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over``'s keys over ``base``'s, mappings merged key by key; an empty mapping
    replaces (``CANARY__MONITORS='{}'`` means no monitors, not no change)."""
    out = dict(base)
    for key, value in over.items():
        if value and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _unwrapped(tp: Any) -> Any:
    """``tp`` without its annotations, and an optional type as the type it is when set."""
    if get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) not in (Union, UnionType):
        return tp
    given = [a for a in get_args(tp) if a is not type(None)]
    return given[0] if len(given) == 1 else tp


def _step(tp: Any, part: str) -> tuple[Any, bool]:
    """Type found at ``part`` below ``tp``, and whether ``part`` was a union tag."""
    tp = _unwrapped(tp)
    if tp is SourceConfig:  # a source: the tag is its kind in the registry
        entry = KINDS.get(part)
        return (entry.config if entry else None), entry is not None
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
    tp = _unwrapped(tp)
    allowed = sorted(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []
    return ".".join(shown), allowed


#: A URL's password (``scheme://user:password@``) and a Slack token, masked when a value is shown.
_CREDENTIALS = (
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), r"\1***@"),
    (re.compile(r"\b(xox[a-z]-)[\w-]+"), r"\1***"),
)
SHOWN_LENGTH = 80


def shown(value: Any) -> str:
    """`` (got VALUE)`` for an error message: credentials masked, long values cut short;
    nothing for a mapping or a list (the key path names them)."""
    if isinstance(value, dict | list):
        return ""
    text = repr(value)
    for pattern, mask in _CREDENTIALS:
        text = pattern.sub(mask, text)
    if len(text) > SHOWN_LENGTH:
        text = text[: SHOWN_LENGTH - 3] + "..."
    return f" (got {text})"


def _takes_secret(loc: tuple[Any, ...]) -> bool:
    """Whether the key at ``loc`` names where a secret comes from (a ``SecretRef``): a
    value written there may be the secret itself."""
    tp: Any = Config
    for part in loc:
        tp, _ = _step(tp, str(part))
        if tp is None:
            return False
        if SecretRef in flat_types(tp):
            return True
    return False


def _describe(err: dict[str, Any]) -> tuple[str, str]:
    """The dotted key path of a validation error and a sentence saying what is wrong."""
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, _KeyProblem):
        return ".".join(cause.loc), str(cause)
    loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
    if loc and loc[-1] == "[key]":  # a bad name of an entry: the key is its value
        msg = err["msg"].removeprefix("Value error, ")
        return _locate(loc[:-2])[0] if len(loc) > 2 else loc[0], f"key {loc[-2]!r}: {msg}"
    path, allowed = _locate(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        hint = get_close_matches(key, allowed, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        return path, f"unknown key {key!r}{did}; allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        return path, "required key is missing"
    if kind == "union_tag_invalid":  # a source's kind
        ctx = err.get("ctx") or {}
        tags = re.findall(r"'([^']+)'", str(ctx.get("expected_tags", "")))
        tag, key = str(ctx.get("tag")), str(ctx.get("discriminator", "kind")).strip("'")
        hint = get_close_matches(tag, tags, n=1)
        did = f" (did you mean {hint[0]!r}?)" if hint else ""
        return f"{path}.{key}", f"unknown {key} {tag!r}{did}; allowed: {', '.join(tags)}"
    msg = err["msg"].removeprefix("Value error, ")
    if _takes_secret(loc):
        return path, (
            f"{msg}; write where the secret comes from, e.g. {{env: NAME}} or "
            "{prefect_block: NAME}, never the secret itself (the value is not shown)"
        )
    return path, f"{msg}{shown(err.get('input'))}"


def _report(problems: list[tuple[str, str]], file: str, env_names: dict[str, str], raw: Any) -> str:
    """Problems grouped by where each value came from: the file or an environment variable."""
    groups: dict[str, list[str]] = {}
    for path, text in problems:
        name = _origin(path, env_names, raw)
        where = f"environment variable {name}" if name else file
        groups.setdefault(where, []).append(f"{path or '(top level)'}: {text}")
    return "\n".join(
        f"{where}: invalid config\n  " + "\n  ".join(lines) for where, lines in groups.items()
    )


STORE_EXAMPLE = "e.g. sqlite:////abs/path/store.db or postgresql+psycopg://user@host/db"


def parse_config(raw: Any, file: str, environ: Mapping[str, str] | None = None) -> Config:
    """Validate ``raw`` (parsed YAML) into a ``Config``; errors name ``file`` and the key path,
    or the environment variable a bad value came from."""
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{file}: the top level must be a mapping of keys, not {type(raw).__name__}"
        )
    env = os.environ if environ is None else environ
    overrides, env_names = _env_overrides(env)
    merged = _merge(raw, overrides)
    by = _origin("definitions", env_names, raw)
    cat = _definitions(
        merged.get("definitions"), file, f"environment variable {by}" if by else file
    )
    try:
        config = Config.model_validate(merged, context={"catalog": cat})
    except ValidationError as exc:
        problems = [_describe(dict(err)) for err in exc.errors()]
        raise ConfigError(_report(problems, file, env_names, raw)) from None
    config._catalog = cat
    problems = [
        (f"sources.{name}.{key}", problem)
        for name, source in config.sources.items()
        for key, problem in source.value_problems().items()
    ]
    store_problem = config.store.url and database_url_problem(config.store.url, STORE_EXAMPLE)
    if store_problem:
        problems.append(("store.url", store_problem))
    if problems:
        raise ConfigError(_report(problems, file, env_names, raw))
    env_url = env.get(STORE_URL_ENV)
    env_problem = env_url and database_url_problem(env_url, STORE_EXAMPLE)
    if env_problem:
        raise ConfigError(f"environment variable {STORE_URL_ENV}: {env_problem}")
    for name, source in config.sources.items():
        for variable, key, problem in source.environment_problems(env):
            raise ConfigError(f"environment variable {variable} (sources.{name}.{key}): {problem}")
    return config


def _read_text(path: Path) -> str:
    """The file as UTF-8 text; an error names the file and where decoding failed."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no config file at {path.resolve()}: run from the folder that holds "
            "canary.yaml, or name it with --config"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: line {line} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save the file as UTF-8"
        ) from None


def _definitions(raw: Any, file: str, origin: str) -> Catalog:
    """The catalog a config declares: ``definitions`` inline or in a file beside ``file``;
    errors start with ``origin`` (the file, or the environment variable that set it).

    A definitions file that is not a mapping is named, never shown: it may be any file."""
    where = f"{origin}: definitions"
    if isinstance(raw, str):
        path = Path(raw) if Path(raw).is_absolute() else Path(file).resolve().parent / raw
        where = f"{where} file {path}"
        try:
            raw = read_definitions(path)
        except ValueError as exc:
            raise ConfigError(f"{origin}: definitions: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(
                f"{where}: not a YAML mapping of views, tiles and dashboards "
                f"(its top level is {type(raw).__name__})"
            )
    if raw is None:
        return catalog()
    try:
        defs = Definitions.model_validate(raw)
    except ValidationError as exc:
        lines = [
            f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}"
            + (shown(e.get("input")) if e["loc"] else "")
            for e in exc.errors()
        ]
        raise ConfigError(f"{where}: invalid definitions\n  " + "\n  ".join(lines)) from None
    try:
        return to_catalog(defs)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_config(
    path: Path, environ: Mapping[str, str] | None = None, *, suites: bool = True
) -> Config:
    """Read, validate and resolve ``path``: relative paths become relative to its folder.

    With ``suites``, ``expectations_dir`` must be an existing folder (``suite init``, which
    creates it, passes False)."""
    text = _read_text(path)
    try:
        raw = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    except DuplicateKeyError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    env = os.environ if environ is None else environ
    config = parse_config(raw, str(path), env)
    base = path.resolve().parent
    logfiles.use_data_dir(base / config.data_dir)
    expectations = base / config.expectations_dir
    missing = suites and not expectations.exists()
    if missing or (expectations.exists() and not expectations.is_dir()):
        name = _origin("expectations_dir", _env_overrides(env)[1], raw)
        where = f"environment variable {name}" if name else f"{path}: expectations_dir"
        what = "does not exist" if missing else "is a file"
        raise ConfigError(
            f"{where}: {expectations} {what}; name the folder of the suites (one JSON "
            "file per dataset)"
        )
    return config.model_copy(
        update={
            "data_dir": base / config.data_dir,
            "expectations_dir": expectations,
        }
    )
