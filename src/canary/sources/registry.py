"""Source kinds by name: each kind names, in one entry, its config model, the module that
builds it, the module of its doctor checks and the config keys that name its secrets.

The config's ``kind`` picks the entry. A kind's module has ``build(name, cfg, ctx)`` (and may
have ``end_run()``); its doctor module has ``check(ctx, name, cfg)`` yielding findings.
Modules are imported on first use, so Looker's SDK loads only for Looker. ``register`` adds
a kind: ``canary.config`` reads the registry each time it validates a config.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canary.config_base import SecretRef
from canary.dashboards import Dashboard, View, catalog
from canary.errors import ConfigError
from canary.sources.amplitude.config import AmplitudeConfig
from canary.sources.files_config import FilesSourceConfig
from canary.sources.looker.config import LookerDashboardConfig, LookerLookConfig, LookerQueryConfig
from canary.sources.sample_config import SampleSourceConfig
from canary.sources.source_config import SourceConfig
from canary.sources.sql.config import SqlSourceConfig

if TYPE_CHECKING:
    from canary.doctor.base import Context, Finding
    from canary.sources.base import Source


@dataclass(frozen=True)
class SourceKind:
    """One kind of source: what its config is, and where its parts are.

    ``entries`` names the config key holding one entry per dataset a monitor checks
    (files' ``datasets``), if the kind has one."""

    config: type[SourceConfig]
    module: str
    doctor: str | None = None
    secrets: tuple[str, ...] = ()
    entries: str | None = None
    scenarios: bool = False


_LOOKER, _LOOKER_DOCTOR = "canary.sources.looker.build", "canary.sources.looker.doctor"

KINDS: dict[str, SourceKind] = {
    "sample": SourceKind(SampleSourceConfig, "canary.sources.sample", scenarios=True),
    "files": SourceKind(
        FilesSourceConfig,
        "canary.sources.files",
        doctor="canary.sources.files_doctor",
        entries="datasets",
    ),
    "sql": SourceKind(
        SqlSourceConfig,
        "canary.sources.sql.source",
        doctor="canary.sources.sql.doctor",
        secrets=("url", "credentials"),
    ),
    "looker_dashboard": SourceKind(
        LookerDashboardConfig, _LOOKER, _LOOKER_DOCTOR, secrets=("client_secret",)
    ),
    "looker_look": SourceKind(
        LookerLookConfig, _LOOKER, _LOOKER_DOCTOR, secrets=("client_secret",), entries="looks"
    ),
    "looker_query": SourceKind(
        LookerQueryConfig, _LOOKER, _LOOKER_DOCTOR, secrets=("client_secret",), entries="queries"
    ),
    "amplitude": SourceKind(
        AmplitudeConfig,
        "canary.sources.amplitude.source",
        doctor="canary.sources.amplitude.doctor",
        secrets=("api_key", "secret_key"),
        entries="datasets",
    ),
}


def register(name: str, kind: SourceKind) -> None:
    """Add source kind ``name``; its config model's ``kind`` must be that literal."""
    tags = kind.config.model_fields["kind"].annotation
    if getattr(tags, "__args__", None) != (name,):
        raise ValueError(f"{kind.config.__name__}.kind must be Literal[{name!r}]")
    KINDS[name] = kind


def kind_of(cfg: SourceConfig) -> SourceKind:
    """The registry entry of a validated source config."""
    return KINDS[cfg.kind]


def source_secrets(name: str, cfg: SourceConfig) -> dict[str, SecretRef]:
    """Where config source ``name``'s secrets come from, by key (``sources.NAME.url``...)."""
    refs = {key: getattr(cfg, key) for key in kind_of(cfg).secrets}
    return {f"sources.{name}.{k}": ref for k, ref in refs.items() if isinstance(ref, SecretRef)}


def dataset_entries(cfg: SourceConfig) -> tuple[str, Mapping[str, Any] | None]:
    """The key and entries of a source that needs one per dataset (files, looks, queries)."""
    key = kind_of(cfg).entries
    return (key, getattr(cfg, key)) if key else ("", None)


def doctor_checks(ctx: Context, name: str, cfg: SourceConfig) -> Iterator[Finding]:
    """What the doctor finds about config source ``name``: its kind's checks, if any."""
    module = kind_of(cfg).doctor
    if module is not None:
        yield from import_module(module).check(ctx, name, cfg)


@dataclass(frozen=True)
class BuildContext:
    """What a source may need beyond its config: the dashboard, folders, time and options."""

    dashboard: Dashboard
    base_dir: Path
    data_dir: Path
    environ: Mapping[str, str]
    views: Mapping[str, View] = field(default_factory=lambda: catalog().views)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    scenario: str | None = None
    scenario_week: date | None = None


def build(name: str, cfg: SourceConfig, ctx: BuildContext) -> Source:
    """The source of config source ``name`` (no I/O until its first pull)."""
    kind = KINDS.get(cfg.kind)
    if kind is None:
        raise ConfigError(f"sources.{name}: unknown kind {cfg.kind!r}; allowed: {', '.join(KINDS)}")
    if ctx.scenario and not kind.scenarios:
        raise ConfigError(f"--scenario needs a monitor on a sample source; {name} is {cfg.kind}")
    builder = import_module(kind.module).build
    source: Source = builder(name, cfg, ctx)
    return source


def end_run() -> None:
    """End the sessions sources opened (a kind module's ``end_run``: Looker logs out).

    Only kinds already imported are asked, so a run without Looker never loads its SDK.
    """
    for module in dict.fromkeys(k.module for k in KINDS.values()):
        ender = getattr(sys.modules.get(module), "end_run", None)
        if ender is not None:
            ender()
