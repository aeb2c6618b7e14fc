"""``canary backtest``, ``canary backfill`` and ``canary accept``: tuning and teaching history."""

from __future__ import annotations

import argparse
import getpass
import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from canary.argtypes import day_arg, result_path_arg, week_arg
from canary.errors import ConfigError, ExitCode
from canary.readable import counted
from canary.weeks import WEEK, as_of_datetime

#: The longest backtest: ten years of weeks (``--from 1900-01-01`` ran for hours).
MAX_BACKTEST_WEEKS = 520


def add_parsers(sub: argparse._SubParsersAction, default_config: str) -> None:
    bt = sub.add_parser("backtest", help="replay a monitor's checks week by week")
    bt.add_argument("--config", type=Path, default=Path(default_config))
    bt.add_argument("--monitor", required=True)
    bt.add_argument(
        "--from", dest="start", type=week_arg, required=True, help="first week replayed"
    )
    bt.add_argument("--to", dest="end", type=week_arg, required=True, help="last week replayed")
    bt.add_argument("--json", type=result_path_arg, help="write the canary.result/1 document here")
    bt.add_argument("--as-of", type=day_arg)

    bf = sub.add_parser("backfill", help="fill the store with past weeks' metrics")
    bf.add_argument("--config", type=Path, default=Path(default_config))
    bf.add_argument("--monitor", required=True)
    bf.add_argument("--from", dest="start", type=week_arg, help="default: 26 weeks before --to")
    bf.add_argument("--to", dest="end", type=week_arg, help="default: the latest complete week")
    bf.add_argument("--force", action="store_true", help="redo weeks already stored")
    bf.add_argument("--as-of", type=day_arg)

    ac = sub.add_parser("accept", help="accept a real level shift of a check")
    ac.add_argument("--config", type=Path, default=Path(default_config))
    ac.add_argument("fingerprint", nargs="?", help="the check id (from the results)")
    ac.add_argument("--from", dest="start", type=week_arg, help="week the new level starts")
    ac.add_argument("--reason", help="why this is the new normal")
    ac.add_argument("--by", default=None, help="who accepts it (default: the current user)")
    ac.add_argument("--list", action="store_true", help="list accepted shifts")


def summary_table(summary: dict[str, dict[str, int]], weeks: int) -> Table:
    table = Table(
        title=f"alerts per check over {weeks} replayed weeks", title_justify="left", min_width=60
    )
    table.add_column("check")
    table.add_column("failed weeks", justify="right")
    for name, row in sorted(summary.items(), key=lambda kv: -kv[1]["failed_weeks"]):
        table.add_row(name, str(row["failed_weeks"]))
    if not summary:
        table.caption = "no check failed"
    return table


def cmd_backtest(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.checks.validate import GreatExpectations
    from canary.config import load_config
    from canary.pipeline import RunOptions, plan
    from canary.replay import backtest, default_workers
    from canary.report import json_result
    from canary.store.db import Store

    config = load_config(args.config)
    n = (args.end - args.start).days // 7 + 1
    if n > MAX_BACKTEST_WEEKS:
        raise ConfigError(
            f"--from {args.start} --to {args.end} spans {n} weeks; a backtest replays at most "
            f"{MAX_BACKTEST_WEEKS} (ten years): give a later --from"
        )
    options = RunOptions(week=args.start, now=as_of_datetime(args.as_of))
    first = plan(config, args.monitor, options, args.config.resolve().parent)
    with tempfile.TemporaryDirectory(prefix="canary-backtest-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'store.db'}", sole_writer=True)
        try:
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("replaying", total=n)
                runs = backtest(
                    first,
                    args.end,
                    store,
                    GreatExpectations(),
                    workers=default_workers(),
                    tick=lambda m: progress.update(
                        task, advance=1 if ": " in m else 0, description=m
                    ),
                )
        finally:
            store.close()
    doc = json_result.document(runs, with_summary=True)
    if args.json:
        json_result.write(args.json, doc)
    console.print(summary_table(doc["summary"]["checks"], len(runs)))
    return ExitCode.OK


def cmd_backfill(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.config import load_config
    from canary.pipeline import RunOptions, plan
    from canary.replay import backfill
    from canary.store.db import Store

    config = load_config(args.config)
    options = RunOptions(week=args.end, now=as_of_datetime(args.as_of))
    p = plan(config, args.monitor, options, args.config.resolve().parent)
    start = args.start or p.week - WEEK * 25
    store = Store(config.store_url(os.environ), home=config.data_dir)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("backfill", total=None)
            written = backfill(
                p,
                store,
                start,
                p.week,
                force=args.force,
                tick=lambda m: progress.update(task, description=m),
            )
    finally:
        store.close()
    for name, weeks in written.items():
        console.print(
            f"{args.monitor} {name}: {counted(weeks, 'week')} written ({start}..{p.week})"
        )
    return ExitCode.OK


def cmd_accept(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.config import load_config
    from canary.store import history
    from canary.store.db import Store

    config = load_config(args.config)
    store = Store(config.store_url(os.environ), home=config.data_dir)
    try:
        if args.list:
            table = Table(title="accepted level shifts", title_justify="left")
            for column in ("monitor", "check id", "from week", "reason", "by", "at"):
                table.add_column(column)
            for row in history.list_accepted(store):
                table.add_row(
                    row["monitor"],
                    row["check_id"],
                    str(row["from_week"]),
                    row["reason"],
                    row["accepted_by"],
                    f"{row['accepted_at']:%Y-%m-%d %H:%M}",
                )
            console.print(table)
            return ExitCode.OK
        if not (args.fingerprint and args.start and args.reason):
            raise ConfigError("canary accept FINGERPRINT --from WEEK --reason TEXT (or --list)")
        found = history.find_check(store, args.fingerprint)
        if found is None:
            raise ConfigError(
                f"check id {args.fingerprint!r} is not in the store {config.store_url(os.environ)}"
            )
        who = args.by or os.environ.get("USER") or getpass.getuser()
        history.accept(store, found["monitor"], args.fingerprint, args.start, args.reason, who)
    finally:
        store.close()
    console.print(
        f"accepted: {found['monitor']} {found['dataset']} {found['check_name']} "
        f"{found['column_name'] or ''} from {args.start} ({args.reason})"
    )
    return ExitCode.OK
