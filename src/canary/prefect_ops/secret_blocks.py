"""Secrets as Prefect Secret blocks: which secrets a config names, and pushing them.

``canary secrets push`` reads each secret from its environment variable and saves it as the
Prefect Secret block the config names. Reports say where a secret is, never what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from canary.config import Config
from canary.config_base import SecretRef
from canary.sources.registry import source_secrets


def secret_refs(config: Config) -> dict[str, SecretRef]:
    """Every secret the config names, by a readable name (``slack.token``...)."""
    refs: dict[str, SecretRef] = {"slack.token": config.slack.token}
    if config.slack.webhook is not None:
        refs["slack.webhook"] = config.slack.webhook
    for name, source in config.sources.items():
        refs.update(source_secrets(name, source))
    for name, ref in config.secrets.items():
        refs[f"secrets.{name}"] = ref
    return refs


@dataclass(frozen=True)
class Pushed:
    name: str
    block: str | None
    outcome: str  # "saved from env X", "skipped: ..."


def push(config: Config, environ: Mapping[str, str]) -> list[Pushed]:
    """Save each secret that has both an env value and a block name as that block."""
    from prefect.blocks.system import Secret

    out: list[Pushed] = []
    for name, ref in secret_refs(config).items():
        if not ref.prefect_block:
            out.append(Pushed(name, None, "skipped: no prefect_block named in the config"))
        elif not (ref.env and environ.get(ref.env)):
            out.append(Pushed(name, ref.prefect_block, f"skipped: env {ref.env} is not set"))
        else:
            Secret(value=environ[ref.env]).save(ref.prefect_block, overwrite=True)
            out.append(Pushed(name, ref.prefect_block, f"saved from env {ref.env}"))
    return out
