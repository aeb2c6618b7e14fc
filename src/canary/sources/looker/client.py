"""One Looker API session per connection: logs in on first use and reuses the token.

Every SDK call goes through ``LookerClient.call``, which turns whatever the SDK raises into
a ``SourceError`` (transient where the transport said so) naming what was being done, with
Looker's message and never a credential.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote, quote_plus

from cattrs.errors import BaseValidationError
from looker_sdk.error import SDKError
from looker_sdk.rtl import serialize
from looker_sdk.rtl.auth_session import AuthSession
from looker_sdk.rtl.auth_token import AuthToken
from looker_sdk.sdk.api40 import methods as methods40

from canary.errors import CanaryError, SourceError
from canary.sources.looker.settings import CanaryApiSettings, Connection
from canary.sources.looker.transport import RetryingTransport, error_message

log = logging.getLogger(__name__)
T = TypeVar("T")
Sdk = methods40.Looker40SDK
API_VERSION = "4.0"


class LookerClient:
    """The real looker-sdk over a retrying transport; thread-safe, one call at a time."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        settings = CanaryApiSettings(conn)
        self.transport = RetryingTransport(settings, conn.retries, conn.timeout)
        self._auth = AuthSession(settings, self.transport, serialize.deserialize40, API_VERSION)
        self.transport.on_unauthorized = self._forget_token
        self.sdk = Sdk(
            self._auth,
            serialize.deserialize40,
            serialize.serialize40,
            self.transport,
            API_VERSION,
        )
        self._lock = threading.RLock()

    def start_run(self) -> None:
        """A new run: the transport's failure budget is whole again."""
        self.transport.failures.answered()

    def _forget_token(self) -> None:
        self._auth.token = AuthToken()

    def call(self, what: str, fn: Callable[[Sdk], T]) -> T:
        """``fn(sdk)``; any failure is a ``SourceError`` starting with ``what``."""
        with self._lock:
            try:
                return fn(self.sdk)
            except CanaryError as exc:
                raise type(exc)(self._clean(f"{what}: {exc}"), transient=exc.transient) from None
            except SDKError as exc:
                raise SourceError(
                    self._clean(f"{what}: Looker said: {_sdk_message(exc)}")
                ) from None
            except (BaseValidationError, serialize.DeserializeError) as exc:
                raise SourceError(
                    self._clean(
                        f"{what}: Looker's answer does not have the shape of its API "
                        f"({type(exc).__name__}: {str(exc)[:200]})"
                    )
                ) from None

    def _clean(self, text: str) -> str:
        """``text`` with the client secret masked (plain or form-encoded), should anything
        have echoed it."""
        secret = self.conn.client_secret.get_secret_value()
        for form in {secret, quote_plus(secret), quote(secret, safe="")} - {""}:
            text = text.replace(form, "**********")
        return text

    def logout(self) -> None:
        """End the session if one is open (errors are logged, not raised)."""
        with self._lock:
            if not self._auth.is_authenticated:
                return
            try:
                self.sdk.logout()
            except (SDKError, CanaryError) as exc:
                log.info("Looker logout failed: %s", self._clean(str(exc).strip()))
            self._forget_token()


def _sdk_message(exc: SDKError) -> str:
    """The message of an ``SDKError``: the raw body when the SDK could not parse one."""
    message = exc.message if isinstance(exc.message, str) else str(exc.message)
    detail = "; ".join(str(e.message) for e in exc.errors or () if getattr(e, "message", None))
    text = error_message(message.encode()) if message.lstrip()[:1] in "{<" else message[:300]
    return f"{text} ({detail})" if detail else text


_CLIENTS: dict[tuple[object, ...], LookerClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(conn: Connection) -> LookerClient:
    """The process's client for ``conn``: sources on one connection share its login."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(conn.key())
        if client is None:
            client = _CLIENTS[conn.key()] = LookerClient(conn)
        return client


def close_clients() -> None:
    """Log out and forget every client (end of a run, and between tests)."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        client.logout()
        client.transport.session.close()
