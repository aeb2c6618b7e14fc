"""Source kinds by name: the config's ``kind`` picks the module that builds the source.

A kind is one module with a ``build(name, cfg, ctx)`` function (plus its config model in
``canary.config``); modules are imported on first use, so Looker's SDK loads only for Looker.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

from canary.dashboards import Dashboard, View, catalog
from canary.errors import ConfigError
from canary.sources.base import Source


@dataclass(frozen=True)
class SourceKind:
    """Where a kind is built, and whether it can inject a catalog scenario."""

    module: str
    scenarios: bool = False


KINDS: dict[str, SourceKind] = {
    "sample": SourceKind("canary.sources.sample", scenarios=True),
    "files": SourceKind("canary.sources.files"),
    "sql": SourceKind("canary.sources.sql.source"),
    "looker_dashboard": SourceKind("canary.sources.looker"),
    "looker_look": SourceKind("canary.sources.looker"),
    "looker_query": SourceKind("canary.sources.looker"),
}


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


def build(name: str, cfg: Any, ctx: BuildContext) -> Source:
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
