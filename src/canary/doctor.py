"""``canary doctor``: check what runs depend on, without pulling any data.

The doctor runs a list of checks (``CHECKS``); each reads the config and yields findings.
Exit code: 0 when everything is fine, 2 for a config problem (a missing setting, rejected
credentials, a dashboard or filter that does not exist), 3 when something is unreachable.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rich.console import Console
from rich.markup import escape

from canary.config import LOOKER_KINDS, Config, LookerSource, load_config
from canary.dashboards import Dashboard
from canary.errors import CanaryError, ConfigError, ExitCode, exit_code_for
from canary.prefect_ops.doctor_checks import (
    PREFIXES,
    schedules,
    secret_origins,
    store_location,
    store_schema,
    writable_places,
)
from canary.sources.sql.doctor import sql_sources

if TYPE_CHECKING:
    from canary.sources.looker import DashboardSource

Status = Literal["ok", "warn", "fail", "unreachable"]
STYLE: dict[Status, str] = {"ok": "green", "warn": "yellow", "fail": "red", "unreachable": "red"}


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at: its status, a one-line detail, and listing lines."""

    check: str
    status: Status
    detail: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    config: Config
    environ: Mapping[str, str]
    sources: tuple[str, ...] = ()  # only these sources; empty: all
    config_dir: Path = Path(".")  # where prefect.yaml, if any, lies beside the config
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def wants(self, source: str) -> bool:
        return not self.sources or source in self.sources


DoctorCheck = Callable[[Context], Iterable[Finding]]


def _failure(check: str, exc: CanaryError) -> Finding:
    status: Status = "unreachable" if exc.transient else "fail"
    return Finding(check, status, str(exc))


def _users(config: Config, source: str) -> dict[str, str]:
    """Monitor -> catalog dashboard, for the monitors pulling from ``source``."""
    return {n: m.dashboard for n, m in config.monitors.items() if m.source == source}


def _monitored(config: Config, source: str) -> dict[str, list[str]]:
    """Dataset -> the monitors that check it from ``source``."""
    out: dict[str, list[str]] = {}
    for name, monitor in config.monitors.items():
        for dataset in monitor.datasets:
            if monitor.source_for(dataset) == source:
                out.setdefault(dataset, []).append(name)
    return out


def looker_sources(ctx: Context) -> Iterator[Finding]:
    """Every Looker source: settings, login, then its dashboard, looks or queries."""
    from canary.sources.looker import close_clients

    try:
        for name, cfg in ctx.config.sources.items():
            if isinstance(cfg, LOOKER_KINDS) and ctx.wants(name):
                yield from _looker_source(ctx, name, cfg)
    finally:
        close_clients()


def _looker_source(ctx: Context, name: str, cfg: LookerSource) -> Iterator[Finding]:
    from canary.sources.looker import DashboardSource, LookSource, build_looker_source

    users = _users(ctx.config, name)
    boards = ctx.config.catalog.dashboards
    board = boards[next(iter(users.values()))] if users else Dashboard(name, name, ())
    try:
        source = build_looker_source(name, cfg, board, ctx.environ)
        me = source.client().call(
            f"sources.{name}: logging in to {source.conn.base_url}",
            lambda sdk: sdk.me(fields="id,display_name"),
        )
    except CanaryError as exc:
        yield _failure(f"{name}: login", exc)
        return
    who = me.display_name or f"user {me.id}"
    yield Finding(f"{name}: login", "ok", f"logged in to {source.conn.base_url} as {who}")
    monitored = _monitored(ctx.config, name)
    if isinstance(source, DashboardSource):
        yield from _dashboard(source, monitored)
    elif isinstance(source, LookSource):
        for dataset, entry in source.cfg.looks.items():
            try:
                look = source.look(entry.id)
            except CanaryError as exc:
                yield _failure(f"{name}: look {entry.id}", exc)
                continue
            yield Finding(f"{name}: look {entry.id}", "ok", f"{look.title!r} -> {dataset}")
    else:
        lines = tuple(
            f"{dataset}: {q.model}/{q.view}, {len(q.fields)} fields"
            for dataset, q in source.cfg.queries.items()
        )
        yield Finding(f"{name}: queries", "ok", f"{len(lines)} inline queries", lines)


def _dashboard(source: DashboardSource, monitored: Mapping[str, list[str]]) -> Iterator[Finding]:
    from canary.sources.looker.tiles import DashboardTile

    check = f"{source.name}: dashboard {source.cfg.dashboard_id}"
    try:
        board = source.board()
        tiles = source.tiles()
        values = source.filters(None, None)
    except CanaryError as exc:
        yield _failure(check, exc)
        return

    def line(t: DashboardTile) -> str:
        if t.kind == "text":
            use = "skipped (text)"
        elif t.kind == "merge":
            use = "unsupported (merged results)"
        elif t.kind != "query":
            use = "skipped (no query)"
        else:
            use = ", ".join(monitored.get(t.dataset, [])) or "not monitored"
        return f"{t.element_id:>6}  {t.kind:<5}  {t.title!r} -> {t.dataset}: {use}"

    shown = ", ".join(f"{f.title}={values[f.name]!r}" for f in board.filters if values[f.name])
    date_filter = source.cfg.date_filter
    detail = f"{board.title!r}: {len(tiles)} tiles; filters {shown or 'none'}" + (
        f"; weeks through filter {date_filter!r}" if date_filter else ""
    )
    filters = tuple(
        f"filter {f.describe()}: {repr(values[f.name]) if values[f.name] else 'no value'}"
        for f in board.filters
    )
    yield Finding(check, "ok", detail, filters + tuple(line(t) for t in tiles))
    queries = {t.dataset for t in tiles if t.kind == "query"}
    for dataset, monitors in sorted(monitored.items()):
        if dataset not in queries:
            yield Finding(
                f"{check}: {dataset}",
                "fail",
                f"no query tile is dataset {dataset!r} (checked by {', '.join(monitors)}); "
                f"name one in sources.{source.name}.datasets",
            )
    if any(t.kind == "merge" for t in tiles):
        yield Finding(check, "warn", "merged-result tiles are skipped: canary cannot pull them")


CHECKS: list[DoctorCheck] = [
    looker_sources,
    sql_sources,
    store_location,
    writable_places,
    store_schema,
    secret_origins,
    schedules,
]


def diagnose(ctx: Context, checks: Sequence[DoctorCheck] = CHECKS) -> list[Finding]:
    """Run every check; one that raises a canary error becomes a finding, not a crash."""
    findings: list[Finding] = []
    for check in checks:
        try:
            findings.extend(check(ctx))
        except CanaryError as exc:
            findings.append(_failure(getattr(check, "__name__", "check"), exc))
    return findings


def exit_code(findings: Iterable[Finding]) -> ExitCode:
    return exit_code_for(f.status for f in findings)


def render(console: Console, findings: Sequence[Finding]) -> None:
    if not [f for f in findings if not f.check.startswith(PREFIXES)]:
        console.print("nothing to check: no Looker or sql source is configured")
    for f in findings:
        console.print(f"[{STYLE[f.status]}]{f.status:<11}[/] {escape(f.check)}: {escape(f.detail)}")
        for text in f.lines:
            console.print(f"{'':<12}{escape(text)}")


def doctor(config_path: Path, sources: Sequence[str], console: Console) -> ExitCode:
    """``canary doctor``: load the config, run the checks, print the findings."""
    config = load_config(config_path)
    unknown = [s for s in sources if s not in config.sources]
    if unknown:
        raise ConfigError(
            f"--source {', '.join(unknown)} is not in {config_path}; "
            f"allowed: {', '.join(sorted(config.sources))}"
        )
    findings = diagnose(Context(config, os.environ, tuple(sources), config_path.resolve().parent))
    render(console, findings)
    return exit_code(findings)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: str) -> None:
    """Register ``canary doctor``."""
    parser = sub.add_parser("doctor", help="check configured connections without pulling data")
    parser.add_argument("--config", type=Path, default=Path(config))
    parser.add_argument(
        "--source", action="append", default=[], help="check only this source (repeatable)"
    )


def cmd_doctor(args: argparse.Namespace, console: Console) -> ExitCode:
    return doctor(args.config, args.source, console)
