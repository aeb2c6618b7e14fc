"""The command-line side of alerting: ``canary slack test`` and the delivery summary."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from canary.errors import ConfigError, ExitCode, exit_code_for

if TYPE_CHECKING:
    from canary.alerts.deliver import DeliveryReport


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], config: str) -> None:
    """Register ``canary slack test``."""
    slack = sub.add_parser("slack", help="Slack alerting: check the setup")
    commands = slack.add_subparsers(dest="slack_command", required=True)
    test = commands.add_parser("test", help="send a test message to every configured channel")
    test.add_argument("--config", type=Path, default=Path(config))


def cmd_slack(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.alerts.channels.slack.bot import SlackTransport
    from canary.alerts.channels.slack.probe import probe
    from canary.alerts.channels.slack.webhook import WebhookTransport
    from canary.alerts.deliver import choose
    from canary.alerts.routing import channels
    from canary.config import load_config

    config = load_config(args.config)
    choice = choose(config)
    if choice.problem is not None:
        raise ConfigError(f"{args.config}: slack: {choice.problem}")
    transport = choice.transport
    if not isinstance(transport, SlackTransport | WebhookTransport):
        raise ConfigError(
            f"{args.config}: slack: Slack is not configured; set SLACK_BOT_TOKEN "
            "(or slack.token) or slack.webhook"
        )
    results = probe(channels(config), transport)
    for result in results:
        mark = "[green]ok[/]" if result.ok else "[red]failed[/]"
        console.print(f"{result.channel}: {mark} ({result.detail})", highlight=False)
    return exit_code_for("ok" if r.ok else "error" for r in results)


def print_delivery(console: Console, report: DeliveryReport) -> None:
    """What the alerts did; then, on stderr, what was not delivered, how many and why."""
    from canary.alerts.outbox.undelivered import undelivered
    from canary.readable import counted

    flushed = report.flushed
    parts = []
    if flushed is not None:
        parts += [counted(n, kind) for kind, n in sorted(flushed.delivered.items())]
        if flushed.adopted:
            parts.append(f"{flushed.adopted} found already delivered")
    sent = ", ".join(parts) or "nothing new"
    moved = report.rerouted.moved if report.rerouted else 0
    if moved:
        sent += f" ({moved} queued for another delivery carried over)"
    console.print(f"alerts via {report.transport}: {sent}", highlight=False)
    missing = undelivered(report)
    if missing:  # on stderr: shown with --quiet too
        err = Console(stderr=True)
        for line in [missing.headline(), *(f"  {x}" for x in missing.reasons + missing.given_up)]:
            err.print(line, markup=False, highlight=False, soft_wrap=True)
