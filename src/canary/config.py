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
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from canary import logfiles
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
from canary.definitions import Definitions, read_definitions, to_catalog
from canary.errors import ConfigError
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


def _export_path(value: str) -> str:
    if not value.strip():
        raise ValueError("a path or glob of the export file(s), relative to the config file")
    return value


class SampleSource(Strict):
    """The bundled sample warehouse, generated on first use."""

    kind: Literal["sample"]
    complete_after: Duration = timedelta(days=1)
    seed: int = 7
    weeks: int = Field(default=104, ge=8, le=520)


class FileDataset(Strict):
    path: Annotated[str, AfterValidator(_export_path)] = Field(
        description="a path or glob, relative to the config file"
    )
    format: Literal["csv", "parquet"] | None = None


class FilesSource(Strict):
    """CSV or Parquet exports: a path or glob per dataset."""

    kind: Literal["files"]
    complete_after: Duration = timedelta(days=1)
    datasets: dict[str, FileDataset]


TableName = Annotated[
    str, Field(pattern=r"^\w+(\.\w+){0,2}$", description="[catalog.][schema.]table")
]


class SqlSource(Strict):
    """A SQL warehouse over any SQLAlchemy URL; each view's fields are SQL over its table."""

    kind: Literal["sql"]
    url: str | SecretRef = Field(description="a SQLAlchemy URL, or where the secret one is")
    tables: dict[str, TableName] = Field(default={}, description="view -> table; default: view")
    complete_after: Duration = timedelta(days=1)
    query_timeout: Duration = timedelta(seconds=300)
    retries: int = Field(default=2, ge=0, le=10, description="retries of a transient error")
    credentials: SecretRef | None = Field(
        default=None, description="where the service-account key (JSON) is (BigQuery)"
    )
    max_bytes_billed: int | None = Field(
        default=None, ge=1, description="a query billing more bytes fails (BigQuery)"
    )

    @model_validator(mode="after")
    def _dialect_settings(self) -> SqlSource:
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


# --- Looker sources (docs/looker.md) ----------------------------------------------


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


class LookerConnection(Strict):
    """What every Looker source shares. Unset ``base_url``, ``client_id``, ``verify_ssl``
    and ``timeout`` fall back to ``LOOKERSDK_BASE_URL``, ``_CLIENT_ID``, ``_VERIFY_SSL``
    and ``_TIMEOUT``."""

    complete_after: Duration = timedelta(days=1)
    base_url: Annotated[str, AfterValidator(looker_base_url)] | None = None
    web_url: str | None = Field(default=None, pattern=r"^https?://", description="for links")
    client_id: str | None = None
    client_secret: SecretRef = SecretRef(env="LOOKERSDK_CLIENT_SECRET")
    verify_ssl: bool | None = None
    timeout: Duration | None = Field(default=None, description="per request; default 120s")
    retries: LookerRetries = LookerRetries()
    row_limit: int | None = Field(default=None, ge=1, le=1_000_000, description="rows per tile")
    columns: dict[LookerField, str] = Field(default={}, description="Looker field -> column")


class LookerDashboardSource(LookerConnection):
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


class LookerLookSource(LookerConnection):
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


class LookerQuerySource(LookerConnection):
    """Inline Looker queries (model, view, fields, filters, sorts, limit), one per dataset."""

    kind: Literal["looker_query"]
    queries: dict[str, LookerQuery]


LookerSource = LookerDashboardSource | LookerLookSource | LookerQuerySource
LOOKER_KINDS = (LookerDashboardSource, LookerLookSource, LookerQuerySource)


Source = Annotated[
    SampleSource
    | FilesSource
    | SqlSource
    | LookerDashboardSource
    | LookerLookSource
    | LookerQuerySource,
    Field(discriminator="kind"),
]


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


class AlertRoute(Strict):
    channel: str = Field(pattern=r"^(#[a-z0-9_-]+|[CG][A-Z0-9]{8,})$", max_length=80)


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


# --- Slack alerts (docs/slack.md) -------------------------------------------------


def _owner_id(value: str) -> str:
    if not re.fullmatch(r"[UWS][A-Z0-9]{8,}", value):
        raise ValueError("a Slack user id (U... or W...) or user group id (S...)")
    return value


OwnerId = Annotated[str, AfterValidator(_owner_id)]
Severity = Literal["critical", "warning", "info"]


class SlackRoute(AlertRoute):
    """Send alerts matching every given glob (monitor, dataset, check) and status here."""

    monitor: str = "*"
    dataset: str = "*"
    check: str = "*"
    status: Literal["failed", "warning", "error"] | None = None


class Mute(Strict):
    """Silence one check (its fingerprint) or a glob over ``monitor/dataset/check/column``."""

    fingerprint: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")
    pattern: str | None = None
    until: date = Field(description="last day of the mute (inclusive)")
    reason: str = Field(min_length=3)

    @model_validator(mode="after")
    def _one_target(self) -> Mute:
        if (self.fingerprint is None) == (self.pattern is None):
            raise ValueError("name exactly one of fingerprint or pattern")
        return self


class SlackMasking(Strict):
    """Sample rows shown in alerts: emails, IPs and license keys are always masked."""

    columns: dict[str, Literal["mask", "drop"]] = {}
    sample_rows: int = Field(default=5, ge=0, le=20)


class SlackConfig(Strict):
    """Where and how alerts are delivered (bot token, incoming webhook or file outbox)."""

    delivery: Literal["auto", "bot", "webhook", "file"] = "auto"
    token: SecretRef = SecretRef(env="SLACK_BOT_TOKEN")
    webhook: SecretRef | None = None
    base_url: str | None = Field(default=None, pattern=r"^https?://.+/$")
    report_base_url: str | None = Field(default=None, pattern=r"^https?://")
    workspace_url: str | None = Field(
        default=None, pattern=r"^https?://[^/]+/?$", description="e.g. https://acme.slack.com"
    )
    outbox_dir: Path | None = None
    routes: dict[Name, SlackRoute] = {}
    owners: dict[str, list[OwnerId]] = {}
    ping: dict[Severity, list[Literal["owners", "here", "channel"]]] = {"critical": ["owners"]}
    mutes: dict[Name, Mute] = {}
    masking: SlackMasking = SlackMasking()
    max_details: int = Field(default=10, ge=0, le=40)
    max_charts: int = Field(default=5, ge=0, le=20)
    chart_weeks: int = Field(default=12, ge=2, le=104)
    timeout: int = Field(default=30, ge=1, le=300)
    retry_after_max: int = Field(
        default=60, ge=0, le=3600, description="seconds a run may wait on Slack rate limits"
    )

    @model_validator(mode="after")
    def _webhook_named(self) -> SlackConfig:
        if self.delivery == "webhook" and self.webhook is None:
            raise ValueError(
                "delivery is webhook but no webhook is set (slack.webhook: {env: ...})"
            )
        return self


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


class PrefectNotifyChannel(Strict):
    """A Prefect notification block alerts also go to (webhook, Teams, PagerDuty, email...).

    ``block`` is the block's ``type-slug/name`` as Prefect shows it; a run is sent when its
    most severe incident has one of ``severities`` (and its monitor is in ``monitors``,
    empty: every monitor). ``reports``: the block also gets those monitors' weekly usage
    reports (as text).
    """

    block: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")
    severities: list[Severity] = ["critical"]
    monitors: list[str] = []
    reports: bool = False


class Config(Strict):
    version: Literal[1] = 1
    data_dir: Path = Path(".canary")
    expectations_dir: Path = Path("expectations")
    store: StoreConfig = StoreConfig()
    sources: dict[Name, Source]
    monitors: dict[Name, MonitorConfig]
    secrets: dict[Name, SecretRef] = {}
    slack: SlackConfig = SlackConfig()
    notify: dict[Name, PrefectNotifyChannel] = {}
    data_docs: DataDocsConfig = DataDocsConfig()
    definitions: Definitions | str | None = Field(
        default=None, description="views, tiles and dashboards, or a YAML file of them"
    )
    _catalog: Catalog | None = PrivateAttr(default=None)

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
                key, entries = _entries(self.sources[src])
                if entries is not None and dataset not in entries:
                    raise _RefError(
                        ("sources", src, key),
                        f"(no entry for {dataset})",
                        sorted(d for d in monitor.datasets if monitor.source_for(d) == src),
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
        from canary.alerts.file_names import NAME_MAX, outbox_file_name
        from canary.store.schema import metrics, runs

        monitor_max = getattr(runs.c.monitor.type, "length", None)
        dataset_max = getattr(metrics.c.dataset.type, "length", None)
        for name, monitor in self.monitors.items():
            _fits(("monitors", name), "monitor name", name, monitor_max)
            routes = [r.channel for r in self.slack.routes.values() if fnmatchcase(name, r.monitor)]
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


def _entries(source: Any) -> tuple[str, Mapping[str, Any] | None]:
    """The key and entries of a source that needs one per dataset (files, looks, queries)."""
    if isinstance(source, FilesSource):
        return "datasets", source.datasets
    if isinstance(source, LookerLookSource):
        return "looks", source.looks
    if isinstance(source, LookerQuerySource):
        return "queries", source.queries
    return "", None


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
WAREHOUSE_EXAMPLE = (
    "for PostgreSQL write postgresql+psycopg://; another warehouse needs its dialect package "
    "in the venv"
)


def database_url_problem(url: str, example: str) -> str | None:
    """Why ``url`` cannot reach a database (not a SQLAlchemy URL, or a database kind with no
    installed dialect); ``example`` shows a good one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return f"not a database URL ({example})"
    try:
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, ImportError):  # NoSuchModuleError is an ArgumentError
        return f"no installed SQLAlchemy dialect reads {parsed.drivername!r} URLs ({example})"
    return None


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
        (f"sources.{name}.url", problem)
        for name, source in config.sources.items()
        if isinstance(source, SqlSource) and isinstance(source.url, str)
        if (problem := database_url_problem(source.url, WAREHOUSE_EXAMPLE))
    ]
    store_problem = config.store.url and database_url_problem(config.store.url, STORE_EXAMPLE)
    if store_problem:
        problems.append(("store.url", store_problem))
    if problems:
        raise ConfigError(_report(problems, file, env_names, raw))
    env_urls = [(STORE_URL_ENV, "", STORE_EXAMPLE)] + [
        (source.url.env, f" (sources.{name}.url)", WAREHOUSE_EXAMPLE)
        for name, source in config.sources.items()
        if isinstance(source, SqlSource) and isinstance(source.url, SecretRef) and source.url.env
    ]
    for variable, key, example in env_urls:
        env_url = env.get(variable)
        env_problem = env_url and database_url_problem(env_url, example)
        if env_problem:
            raise ConfigError(f"environment variable {variable}{key}: {env_problem}")
    return config


def _read_text(path: Path) -> str:
    """The file as UTF-8 text; an error names the file and where decoding failed."""
    try:
        data = path.read_bytes()
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
