"""Where a Looker source connects and with which credentials, resolved from config and env.

Config keys win; unset ones fall back to looker-sdk's ``LOOKERSDK_*`` variables. The client
secret goes through canary's one secret resolver. No ``looker.ini`` is ever read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from looker_sdk.rtl.api_settings import ApiSettings, SettingsConfig
from looker_sdk.sdk import constants
from pydantic import SecretStr

from canary.errors import ConfigError, SecretError
from canary.secrets import resolve
from canary.sources.looker.config import LookerConnection, LookerRetries, looker_base_url

ENV_PREFIX = "LOOKERSDK_"
DEFAULT_TIMEOUT = 120.0
_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


@dataclass(frozen=True)
class Connection:
    """A resolved Looker connection; the secret stays a ``SecretStr``."""

    base_url: str
    web_url: str
    client_id: str
    client_secret: SecretStr
    verify_ssl: bool
    timeout: float
    retries: LookerRetries

    def key(self) -> tuple[object, ...]:
        """Identifies a session: sources with equal settings share one login."""
        digest = hashlib.sha256(self.client_secret.get_secret_value().encode()).hexdigest()
        return (
            self.base_url,
            self.client_id,
            digest[:16],
            self.verify_ssl,
            self.timeout,
            self.retries,
        )


def _env(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(ENV_PREFIX + name) or None


def _flag(value: str, where: str) -> bool:
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ConfigError(f"{where}: {value!r} is not a boolean; allowed: true, false")


def _seconds(value: str, where: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not a number of seconds") from None
    if seconds <= 0:
        raise ConfigError(f"{where}: must be more than 0 seconds (got {value!r})")
    return seconds


def connection(name: str, cfg: LookerConnection, environ: Mapping[str, str]) -> Connection:
    """The connection of source ``name``; ``ConfigError`` names the missing key or variable."""
    where = f"sources.{name}"
    base_url = cfg.base_url or _env(environ, "BASE_URL")
    if not base_url:
        raise ConfigError(f"{where}.base_url: not set, and {ENV_PREFIX}BASE_URL is empty")
    try:
        base_url = looker_base_url(base_url)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}BASE_URL: {exc} (got {base_url!r})") from None
    client_id = cfg.client_id or _env(environ, "CLIENT_ID")
    if not client_id:
        raise ConfigError(f"{where}.client_id: not set, and {ENV_PREFIX}CLIENT_ID is empty")
    try:
        secret = resolve(f"{where}.client_secret", cfg.client_secret, environ)
    except SecretError as exc:
        if exc.transient:
            raise
        raise ConfigError(str(exc)) from None
    verify = cfg.verify_ssl
    if verify is None:
        raw = _env(environ, "VERIFY_SSL")
        verify = True if raw is None else _flag(raw, f"{ENV_PREFIX}VERIFY_SSL")
    if cfg.timeout is not None:
        timeout = cfg.timeout.total_seconds()
    else:
        raw = _env(environ, "TIMEOUT")
        timeout = DEFAULT_TIMEOUT if raw is None else _seconds(raw, f"{ENV_PREFIX}TIMEOUT")
    return Connection(
        base_url=base_url,
        web_url=(cfg.web_url or base_url).rstrip("/"),
        client_id=client_id,
        client_secret=secret.value,
        verify_ssl=verify,
        timeout=timeout,
        retries=cfg.retries,
    )


class CanaryApiSettings(ApiSettings):
    """looker-sdk settings from a ``Connection``: ``read_config`` never opens looker.ini."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        super().__init__(filename="", sdk_version=constants.sdk_version, env_prefix=None)

    def read_config(self) -> SettingsConfig:
        conn = self._conn
        return {
            "base_url": conn.base_url,
            "client_id": conn.client_id,
            "client_secret": conn.client_secret.get_secret_value(),
            "verify_ssl": "true" if conn.verify_ssl else "false",
            "timeout": str(max(1, round(conn.timeout))),
        }

    def __repr__(self) -> str:
        return f"CanaryApiSettings(base_url={self._conn.base_url!r})"
