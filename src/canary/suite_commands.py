"""``canary suite init MONITOR DATASET``: write a starter GE suite for a monitor's dataset."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from canary.checks.starter import starter_suite
from canary.checks.suites import suite_path
from canary.config import load_config
from canary.errors import ConfigError, ExitCode


def init_suite(config_path: Path, monitor: str, dataset: str, force: bool) -> Path:
    """Write the starter suite of ``dataset`` where ``monitor`` reads it; return its path."""
    config = load_config(config_path)
    if monitor not in config.monitors:
        raise ConfigError(
            f"monitor {monitor!r} is not in {config_path}; "
            f"allowed: {', '.join(sorted(config.monitors))}"
        )
    settings = config.monitors[monitor]
    board = config.catalog.dashboards[settings.dashboard]
    tiles = [t.dataset for t in board.tiles]
    if dataset not in tiles:
        raise ConfigError(
            f"dataset {dataset!r} is not a tile of dashboard {settings.dashboard}; "
            f"allowed: {', '.join(tiles)}"
        )
    name = (
        settings.suite_for(dataset)
        if dataset in settings.datasets
        else (f"{settings.suite_prefix}.{dataset}")
    )
    path = suite_path(config.expectations_dir, name)
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(starter_suite(name, board.tile(dataset)), indent=2) + "\n")
    return path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: str) -> None:
    """Register ``canary suite init``."""
    suite = sub.add_parser("suite", help="Great Expectations suites")
    actions = suite.add_subparsers(dest="suite_command", required=True)
    init = actions.add_parser("init", help="write a starter suite from a tile's fields")
    init.add_argument("monitor")
    init.add_argument("dataset")
    init.add_argument("--config", type=Path, default=Path(config))
    init.add_argument("--force", action="store_true", help="replace an existing suite file")


def cmd_suite(args: argparse.Namespace, console: Console) -> ExitCode:
    path = init_suite(args.config, args.monitor, args.dataset, args.force)
    console.print(f"wrote {path}: edit it, then `canary run` checks {args.dataset} with it")
    return ExitCode.OK
