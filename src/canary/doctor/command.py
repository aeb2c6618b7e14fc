"""``canary doctor``: check what runs depend on, without pulling any data.

The doctor runs a list of checks (``CHECKS``); each reads the config and yields findings.
Exit code: 0 when everything is fine, 2 for a config problem (a missing setting, rejected
credentials, a dashboard or filter that does not exist), 3 when something is unreachable.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from canary.config import load_config
from canary.doctor.base import Context, DoctorCheck, Finding, Status, failure
from canary.doctor.prefect import (
    PREFIXES,
    schedules,
    secret_origins,
    store_location,
    store_schema,
    writable_places,
)
from canary.errors import CanaryError, ConfigError, ExitCode, exit_code_for
from canary.sources.registry import doctor_checks, end_run

STYLE: dict[Status, str] = {"ok": "green", "warn": "yellow", "fail": "red", "unreachable": "red"}


def source_checks(ctx: Context) -> Iterator[Finding]:
    """Each source the doctor is asked about, checked as its kind checks it; then the
    sessions the checks opened end (Looker logs out)."""
    try:
        for name, cfg in ctx.config.sources.items():
            if ctx.wants(name):
                yield from doctor_checks(ctx, name, cfg)
    finally:
        end_run()


CHECKS: list[DoctorCheck] = [
    source_checks,
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
            findings.append(failure(getattr(check, "__name__", "check"), exc))
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
