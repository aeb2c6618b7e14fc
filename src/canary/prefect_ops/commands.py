"""``canary secrets push`` and ``canary deploy``: set up a Prefect server for canary."""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import yaml
from rich.console import Console
from rich.markup import escape

from canary.errors import ConfigError, ExitCode, SecretError
from canary.prefect_ops.automations import WINDOW, install
from canary.secrets import prefect_api_configured, resolve

DEAD_MANS_BLOCK = "canary-dead-mans-switch"


def add_parsers(sub: argparse._SubParsersAction, default_config: str) -> None:
    secrets = sub.add_parser("secrets", help="Prefect Secret blocks of the configured secrets")
    secrets_sub = secrets.add_subparsers(dest="secrets_command", required=True)
    push = secrets_sub.add_parser("push", help="save each secret's env value as its block")
    push.add_argument("--config", type=Path, default=Path(default_config))

    deploy = sub.add_parser(
        "deploy", help="create the dead-man's switch automation of each deployment"
    )
    deploy.add_argument("--config", type=Path, default=Path(default_config))
    deploy.add_argument("--prefect-yaml", type=Path, default=Path("prefect.yaml"))
    deploy.add_argument(
        "--notify-block",
        help="notification block as TYPE/NAME (e.g. slack-webhook/ops); default: a "
        "slack-webhook block made from the config's slack.webhook secret",
    )
    deploy.add_argument("--days", type=float, default=WINDOW.days, help="silence allowed")


def _need_api() -> None:
    if not prefect_api_configured(os.environ):
        raise ConfigError(
            "no Prefect API is configured: set PREFECT_API_URL (prefect config set ...)"
        )


def cmd_secrets(args: argparse.Namespace, console: Console) -> ExitCode:
    from canary.config import load_config
    from canary.prefect_ops.secret_blocks import push

    config = load_config(args.config)
    _need_api()
    results = push(config, os.environ)
    for r in results:
        block = f" -> block {r.block}" if r.block else ""
        console.print(f"{escape(r.name)}{escape(block)}: {escape(r.outcome)}")
    return ExitCode.OK


def _deployments(prefect_yaml: Path) -> list[str]:
    try:
        doc = yaml.safe_load(prefect_yaml.read_text())
    except OSError as exc:
        raise ConfigError(f"{prefect_yaml}: cannot read it ({exc.strerror})") from None
    names = [d["name"] for d in (doc or {}).get("deployments") or []]
    if not names:
        raise ConfigError(f"{prefect_yaml}: deployments: none is defined")
    return names


def _notify_block(args: argparse.Namespace) -> UUID:
    from prefect.blocks.core import Block

    block: Block
    if args.notify_block:
        if "/" not in args.notify_block:
            raise ConfigError(f"--notify-block {args.notify_block!r}: write it as TYPE/NAME")
        try:
            block = Block.load(args.notify_block)  # type: ignore[assignment]
        except ValueError as exc:
            raise ConfigError(f"--notify-block {args.notify_block!r}: {exc}") from None
    else:
        from prefect.blocks.notifications import SlackWebhook

        from canary.config import load_config

        config = load_config(args.config)
        if config.slack.webhook is None:
            raise ConfigError(
                "name a notification block (--notify-block TYPE/NAME) or set slack.webhook"
            )
        try:
            url = resolve("slack.webhook", config.slack.webhook).value
        except SecretError as exc:
            raise ConfigError(f"--notify-block not given and {exc}") from None
        block = SlackWebhook(url=url)
        block.save(DEAD_MANS_BLOCK, overwrite=True)
    block_id = block._block_document_id
    assert block_id is not None
    return block_id


def cmd_deploy(args: argparse.Namespace, console: Console) -> ExitCode:
    names = _deployments(args.prefect_yaml)
    _need_api()
    block_id = _notify_block(args)
    installed = asyncio.run(install(names, block_id, timedelta(days=args.days)))
    for i in installed:
        what = "replaced" if i.replaced else "created"
        console.print(
            f"dead-man's switch of {escape(i.deployment)}: {what} (automation {i.automation_id})"
        )
    return ExitCode.OK
