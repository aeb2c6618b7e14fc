"""The one secret resolver: an environment variable first, then a Prefect Secret block.

The Prefect block is looked up only when a Prefect API is configured (``PREFECT_API_URL``
set), so the CLI never starts a server. Values stay ``SecretStr``; errors and reports
name where a secret came from, never what it is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from canary.config_base import SecretRef
from canary.errors import SecretError


@dataclass(frozen=True)
class ResolvedSecret:
    value: SecretStr
    origin: str  # "env LOOKERSDK_CLIENT_SECRET" or "prefect block canary-looker-secret"


def prefect_api_configured(environ: Mapping[str, str]) -> bool:
    if environ.get("PREFECT_API_URL"):
        return True
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _from_block(name: str) -> str:
    from prefect.blocks.system import Secret

    try:
        block: Secret = Secret.load(name)  # type: ignore[assignment]
    except ValueError as exc:
        raise SecretError(
            f"Prefect Secret block {name!r} not found ({type(exc).__name__})"
        ) from None
    except Exception as exc:  # network or API errors: the server may come back
        raise SecretError(
            f"Prefect Secret block {name!r} could not be read ({type(exc).__name__})",
            transient=True,
        ) from None
    # as stored: ``block.get()`` parses a secret that reads as JSON ("1.50" would be 1.5);
    # one saved as a dict or list (a service-account key) is written back as JSON
    value = block.value.get_secret_value()
    return value if isinstance(value, str) else json.dumps(value)


def resolve(name: str, ref: SecretRef, environ: Mapping[str, str] | None = None) -> ResolvedSecret:
    """The secret ``name`` per ``ref``; ``SecretError`` says where it was looked for."""
    env = os.environ if environ is None else environ
    if ref.env and env.get(ref.env):
        return ResolvedSecret(SecretStr(env[ref.env]), f"env {ref.env}")
    looked = [f"env {ref.env}"] if ref.env else []
    if ref.prefect_block:
        if prefect_api_configured(env):
            value = _from_block(ref.prefect_block)
            return ResolvedSecret(SecretStr(value), f"prefect block {ref.prefect_block}")
        looked.append(f"prefect block {ref.prefect_block} (skipped: no PREFECT_API_URL)")
    raise SecretError(f"secret {name!r} is not set; looked in: {', '.join(looked)}")
