"""``canary suite init MONITOR [DATASET]...``: write starter GE suites for a monitor's datasets."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from canary.checks.starter import starter_suite
from canary.checks.suites import suite_path
from canary.config import Config, MonitorConfig, load_config
from canary.errors import ConfigError, ExitCode


def init_suites(
    config_path: Path, monitor: str, datasets: Sequence[str], force: bool
) -> list[tuple[str, Path, bool]]:
    """Starter suites for ``datasets`` of ``monitor`` (none named: every dataset it checks).

    Returns ``(dataset, path, written)`` per dataset. A named dataset whose suite exists is a
    ``ConfigError`` without ``force``; with none named, existing suites are kept (unwritten).
    """
    config = load_config(config_path, suites=False)
    settings = _monitor(config, config_path, monitor)
    board = config.catalog.dashboards[settings.dashboard]
    tiles = [t.dataset for t in board.tiles]
    for dataset in datasets:
        if dataset not in tiles:
            raise ConfigError(
                f"dataset {dataset!r} is not a tile of dashboard {settings.dashboard}; "
                f"allowed: {', '.join(tiles)}"
            )
    out = []
    for dataset in datasets or list(settings.datasets):
        name = (
            settings.suite_for(dataset)
            if dataset in settings.datasets
            else f"{settings.suite_prefix}.{dataset}"
        )
        path = suite_path(config.expectations_dir, name)
        if path.exists() and not force:
            if datasets:
                raise ConfigError(f"{path} exists; pass --force to replace it")
            out.append((dataset, path, False))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(starter_suite(name, board.tile(dataset)), indent=2) + "\n")
        out.append((dataset, path, True))
    return out


def _monitor(config: Config, config_path: Path, monitor: str) -> MonitorConfig:
    if monitor not in config.monitors:
        raise ConfigError(
            f"monitor {monitor!r} is not in {config_path}; "
            f"allowed: {', '.join(sorted(config.monitors))}"
        )
    return config.monitors[monitor]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: str) -> None:
    """Register ``canary suite init``."""
    suite = sub.add_parser("suite", help="Great Expectations suites")
    actions = suite.add_subparsers(dest="suite_command", required=True)
    init = actions.add_parser("init", help="write starter suites from the tiles' fields")
    init.add_argument("monitor")
    init.add_argument("dataset", nargs="*", help="datasets (default: every dataset of the monitor)")
    init.add_argument("--config", type=Path, default=Path(config))
    init.add_argument("--force", action="store_true", help="replace existing suite files")


def cmd_suite(args: argparse.Namespace, console: Console) -> ExitCode:
    for dataset, path, written in init_suites(args.config, args.monitor, args.dataset, args.force):
        if written:
            console.print(
                f"wrote {path}: edit it, then `canary run --config {args.config}` checks "
                f"{dataset} with it"
            )
        else:
            console.print(f"kept {path}: it exists (--force replaces it)")
    return ExitCode.OK
