"""``canary report``: a monitor's weekly usage report, built from the store, as files."""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from pathlib import Path

from rich.console import Console

from canary.argtypes import week_arg
from canary.errors import ConfigError, ExitCode
from canary.readable import counted
from canary.weekly.body import ReportBody


def add_parser(sub: argparse._SubParsersAction, default_config: str) -> None:
    report = sub.add_parser(
        "report", help="write a monitor's weekly usage report (markdown, chart, Slack blocks)"
    )
    report.add_argument("--config", type=Path, default=Path(default_config))
    report.add_argument("--monitor", help="a monitor with a report (default: every one)")
    report.add_argument(
        "--week", type=week_arg, help="week (its Monday); default the latest recorded"
    )
    report.add_argument(
        "--out", type=Path, default=Path("."), help="folder to write into (default: here)"
    )


def cmd_report(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.alerts.week_runs import recorded_runs
    from canary.config import load_config
    from canary.store.db import Store, unmade_file
    from canary.weekly.build import wanted
    from canary.weekly.gather import report_for, setup_of

    config = load_config(args.config)
    if args.monitor is not None and args.monitor not in config.monitors:
        raise ConfigError(
            f"--monitor {args.monitor}: no such monitor in {args.config}; "
            f"monitors: {', '.join(config.monitors)}"
        )
    names = [args.monitor] if args.monitor else [m for m, c in config.monitors.items() if c.report]
    if not names:
        raise ConfigError(f"{args.config}: no monitor has a report (monitors.<name>.report)")
    for name in names:
        setup_of(config, name)  # a monitor without a report: said before anything is read
    if args.out.exists() and not args.out.is_dir():
        raise ConfigError(f"--out {args.out}: is a file, not a folder")
    url = config.store_url(os.environ)
    unmade = unmade_file(url)
    if unmade is not None:  # a preview reads the store, never makes one
        raise ConfigError(f"no runs recorded yet: there is no store {unmade}; run canary run first")
    store = Store(url, home=config.data_dir)
    try:
        for name in names:
            week = _week(store.runs(name), name, args.week, store.where)
            run = recorded_runs(store, config, week, [name])[0]
            body = report_for(config, store, run)
            try:
                written = write_report(body, args.out)
            except OSError as e:
                why = e.strerror or type(e).__name__
                raise ConfigError(
                    f"--out {args.out}: cannot write the report there ({why})"
                ) from None
            report = setup_of(config, name).report
            note = "" if wanted(report, body) else f" (when: {report.when}: not sent this week)"
            console.print(f"{name} week {week}{note}: {', '.join(str(p) for p in written)}")
    finally:
        store.close()
    return ExitCode.OK


def _week(recorded: list[dict[str, object]], monitor: str, asked: date | None, where: str) -> date:
    """The week to report: ``asked`` when recorded, else the latest recorded."""
    weeks = sorted(r["week"] for r in recorded if isinstance(r["week"], date))
    if not weeks:
        raise ConfigError(
            f"{monitor}: no run is recorded in the store {where}; run canary run first"
        )
    if asked is None:
        return weeks[-1]
    if asked not in weeks:
        raise ConfigError(
            f"--week {asked}: no run of {monitor} is recorded for that week "
            f"(recorded: {weeks[0]} to {weeks[-1]}, {counted(len(weeks), 'week')})"
        )
    return asked


def write_report(body: ReportBody, out: Path) -> list[Path]:
    """The report as markdown, PNG chart (when it has one) and Slack Block Kit payload."""
    from canary.weekly.chart import report_png
    from canary.weekly.render import report_markdown, report_slack

    out.mkdir(parents=True, exist_ok=True)
    stem = f"{body.monitor}-{body.week.isoformat()}"
    text, blocks = report_slack(body)
    files = {
        out / f"{stem}.md": report_markdown(body).encode(),
        out / f"{stem}-slack.json": (
            json.dumps({"text": text, "blocks": blocks}, indent=2, ensure_ascii=False) + "\n"
        ).encode(),
    }
    png = report_png(body)
    if png is not None:
        files[out / f"{stem}.png"] = png
    for path, data in files.items():
        path.write_bytes(data)
    return list(files)
