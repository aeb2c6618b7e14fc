"""canary: checks the weekly usage data of a pings pipeline; tells Slack what broke.

Exit codes are ``canary.errors.ExitCode``, chosen by ``exit_code_for`` (an internal error
leaves its traceback in a log file).
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from canary import logfiles
from canary.alerts.commands import add_parser as add_slack_parser
from canary.alerts.commands import cmd_slack, print_delivery
from canary.argtypes import day_arg, result_path_arg, week_arg
from canary.doctor.command import add_parser as add_doctor_parser
from canary.doctor.command import cmd_doctor
from canary.errors import ConfigError, ExitCode, StoreError, exit_code_for
from canary.history_commands import add_parsers as add_history_parsers
from canary.history_commands import cmd_accept, cmd_backfill, cmd_backtest
from canary.prefect_ops.commands import add_parsers as add_prefect_parsers
from canary.prefect_ops.commands import cmd_deploy, cmd_secrets
from canary.report.pipe_safe import PipeSafe
from canary.suite_commands import add_parser as add_suite_parser
from canary.suite_commands import cmd_suite
from canary.weekly.commands import add_parser as add_report_parser
from canary.weekly.commands import cmd_report
from canary.weeks import as_of_datetime

if TYPE_CHECKING:
    from canary.alerts.deliver import DeliveryReport
    from canary.config import Config
    from canary.pipeline import Plan, RunOptions
    from canary.results import RunResult
    from canary.store.db import Store

DEFAULT_CONFIG = "canary.yaml"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="canary", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run monitors for a week and report")
    run.add_argument(
        "--config",
        type=Path,
        default=Path(DEFAULT_CONFIG),
        help=f"the config file (default: {DEFAULT_CONFIG})",
    )
    run.add_argument("--monitor", action="append", help="monitor to run (repeatable; default all)")
    run.add_argument(
        "--week", type=week_arg, help="week to test (its Monday); default latest complete"
    )
    run.add_argument("--as-of", type=day_arg, help="pin 'now' to the end of this day (UTC)")
    run.add_argument(
        "--scenario",
        help="a drill: inject a breakage or a usage change into a throwaway sample "
        "(`canary sample --list-scenarios` names them)",
    )
    run.add_argument(
        "--deep",
        action="store_true",
        help="read every week of every series tile (a monthly check of all history); "
        "otherwise a run reads its new weeks and the weeks whose fingerprint changed",
    )
    run.add_argument("--json", type=result_path_arg, help="write the canary.result/1 document here")
    run.add_argument("--quiet", action="store_true", help="print only errors")
    run.add_argument(
        "--no-deliver", action="store_true", help="record results but send no alerts (Slack)"
    )
    run.add_argument(
        "--deliver",
        action="store_true",
        help="with --scenario: send the drill's alerts to the real channels, marked DRILL",
    )

    sample = sub.add_parser("sample", help="build the bundled sample warehouse")
    sample.add_argument("--config", type=Path, default=Path(DEFAULT_CONFIG))
    sample.add_argument(
        "--as-of", type=day_arg, help="the sample ends at the latest complete week then"
    )
    sample.add_argument(
        "--data-dir", type=Path, help="where to write it (default: config data_dir)"
    )
    sample.add_argument(
        "--list-scenarios", action="store_true", help="print slug<TAB>summary lines"
    )
    add_slack_parser(sub, DEFAULT_CONFIG)
    add_doctor_parser(sub, DEFAULT_CONFIG)
    add_history_parsers(sub, DEFAULT_CONFIG)
    add_prefect_parsers(sub, DEFAULT_CONFIG)
    add_suite_parser(sub, DEFAULT_CONFIG)
    add_report_parser(sub, DEFAULT_CONFIG)
    return parser


def cmd_run(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.alerts.deliver import alerts_with_run
    from canary.alerts.kept import deliver_or_keep
    from canary.alerts.week_runs import run_order
    from canary.checks.validate import GreatExpectations
    from canary.checks.verdict_cache import VerdictCache
    from canary.config import load_config
    from canary.pipeline import (
        RunOptions,
        open_store,
        plan,
        recorded,
        run_monitor,
        scenario_dirs,
    )
    from canary.report import json_result
    from canary.report.console import backfill_first_run, print_report
    from canary.sources.registry import end_run
    from canary.store.db import Store

    config = load_config(args.config)
    if args.deliver and (args.scenario is None or args.no_deliver):
        raise ConfigError("--deliver sends a drill's alerts: give it --scenario, not --no-deliver")
    real_config = config
    options = RunOptions(
        week=args.week, now=as_of_datetime(args.as_of), scenario=args.scenario, deep=args.deep
    )
    names = list(dict.fromkeys(args.monitor or config.monitors))  # each monitor runs once
    runs: list[RunResult] = []
    delivery = None
    fell_back: str | None = None
    undelivered: str | None = None
    scratch = scenario_dirs() if args.scenario else None
    try:
        if scratch is not None:
            tmp = Path(scratch.name)
            config = config.model_copy(update={"data_dir": tmp})
            store_url = f"sqlite:///{tmp / 'store.db'}"
            if not args.quiet:
                console.print(
                    f"[bold yellow]DRILL {args.scenario}[/]: a throwaway sample and store"
                )
        else:
            store_url = config.store_url(os.environ)
        plans = [plan(config, name, options, args.config.resolve().parent) for name in names]
        store = Store(store_url) if scratch else open_store(config, store_url)
        if store.caught_up and not args.quiet:
            console.print(
                f"store: {store.caught_up} rows the store could not take before were copied in"
            )
        ge = GreatExpectations(VerdictCache(config.data_dir / "cache" / "verdicts"))
        deliver_now = scratch is None and not args.no_deliver
        alerts = (
            alerts_with_run(config, result_path=args.json, now=options.now) if deliver_now else None
        )
        try:
            with ExitStack() as held:  # one run of a monitor and week at a time, alerts too
                for p in sorted(plans, key=lambda p: p.monitor):
                    held.enter_context(store.lock(p.monitor, p.week))
                for p in plans:  # a first run (or a drill's empty store) backfills history first
                    backfill_first_run(console, p, store)
                with console.status("checking…", spinner="dots") as status:
                    order = run_order(config, names)  # the canary instance's monitor first
                    try:
                        for p in sorted(plans, key=lambda p: order.index(p.monitor)):
                            runs.append(run_monitor(p, store, ge, status.update, alerts))
                    finally:
                        end_run()  # after the last pull: Looker sessions log out once
                        runs.sort(key=lambda r: names.index(r.monitor))  # shown as asked
                if deliver_now:  # sends; enqueues only the alerts of runs not recorded
                    try:
                        delivery, fell_back = deliver_or_keep(
                            config,
                            store,
                            [r for r in runs if not recorded(r)],
                            result_path=args.json,
                            now=options.now,
                            console=console,
                        )
                    except StoreError as exc:  # the fallback store failed too
                        undelivered = f"alerts: not recorded nor sent: {exc}"
                elif args.deliver:
                    delivery, fell_back = _deliver_drill(
                        real_config, plans, runs, store, options, console
                    )
        finally:
            store.close()
            if args.json:
                json_result.write(args.json, json_result.document(runs))
    finally:
        if scratch is not None:
            scratch.cleanup()
    if not args.quiet:
        print_report(console, runs)
    if delivery is not None:
        print_delivery(console, delivery)
    for line in (fell_back, undelivered):
        if line is not None:
            print(line, file=sys.stderr)
    return exit_code_for([r.status for r in runs] + (["error"] if undelivered else []))


def _deliver_drill(
    config: Config,
    plans: list[Plan],
    runs: list[RunResult],
    scratch: Store,
    options: RunOptions,
    console: Console,
) -> tuple[DeliveryReport, str | None]:
    """Send a drill's alerts to the real channels: its alert state and outbox go to the real
    store (so the next real run resolves them), its history stays in ``scratch``."""
    from canary.alerts.kept import deliver_or_keep
    from canary.pipeline import open_store

    store = open_store(config, config.store_url(os.environ))
    try:
        with ExitStack() as held:  # a real run of the same monitor and week waits
            for p in sorted(plans, key=lambda p: p.monitor):
                held.enter_context(store.lock(p.monitor, p.week))
            return deliver_or_keep(
                config, store, runs, now=options.now, console=console, history=scratch
            )
    finally:
        store.close()


def cmd_sample(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.sample.scenarios import SCENARIOS

    if args.list_scenarios:
        for slug, scenario in SCENARIOS.items():
            console.file.write(f"{slug}\t{scenario.summary}\n")  # as it is: for scripts
        return ExitCode.OK
    from canary.config import load_config
    from canary.sources import sample
    from canary.sources.registry import BuildContext
    from canary.sources.sample_config import SampleSourceConfig

    config = load_config(args.config)
    found = next(
        ((n, s) for n, s in config.sources.items() if isinstance(s, SampleSourceConfig)), None
    )
    if found is None:
        raise ConfigError(f"{args.config}: sources: no source of kind 'sample' is configured")
    ctx = BuildContext(
        dashboard=next(iter(config.catalog.dashboards.values())),  # any: no tile is read
        views=config.catalog.views,
        base_dir=args.config.resolve().parent,
        data_dir=args.data_dir or config.data_dir,
        environ=os.environ,
        now=as_of_datetime(args.as_of),
    )
    console.print(sample.build(*found, ctx).contents().summary())
    return ExitCode.OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], ExitCode]] = {
    "run": cmd_run,
    "sample": cmd_sample,
    "slack": cmd_slack,
    "doctor": cmd_doctor,
    "backtest": cmd_backtest,
    "backfill": cmd_backfill,
    "accept": cmd_accept,
    "secrets": cmd_secrets,
    "deploy": cmd_deploy,
    "suite": cmd_suite,
    "report": cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    args = _parser().parse_args(argv)
    stdout = PipeSafe(sys.stdout)
    console = Console(file=stdout, quiet=getattr(args, "quiet", False))  # type: ignore[arg-type]
    if not console.is_terminal:
        console.width = max(console.width, 160)
    try:
        return int(COMMANDS[args.command](args, console))
    except KeyboardInterrupt:
        print(
            "interrupted: weeks already stored stay stored; run it again to finish", file=sys.stderr
        )
        return 130
    except Exception as exc:
        code = exit_code_for((), exc)
        if code == ExitCode.USAGE:
            print(f"config error: {exc}", file=sys.stderr)
        elif code == ExitCode.INCOMPLETE:
            detail = getattr(exc, "detail", None)
            where = f" (details in {logfiles.write('store-error', detail)})" if detail else ""
            print(f"error: {exc}{where}", file=sys.stderr)
        else:
            path = logfiles.write("crash", "".join(traceback.format_exception(exc)))
            print(
                f"internal error: {type(exc).__name__}: {exc} (traceback in {path})",
                file=sys.stderr,
            )
        return int(code)
    finally:
        stdout.close_quietly()


if __name__ == "__main__":
    sys.exit(main())
