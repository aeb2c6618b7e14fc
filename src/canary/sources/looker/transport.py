"""looker-sdk's requests transport with retries, one fresh login on a 401, and typed errors.

The SDK's ``SDKError`` hides the HTTP status and headers, so retries live here: an
``HTTPAdapter`` with a urllib3 ``Retry`` retries 429 (honouring Retry-After), 5xx,
timeouts and dropped connections with exponential backoff and jitter, and never other
4xx. What is still failing when the budget is spent becomes a ``TransientSourceError``.

A run has one budget of transport failures per connection (``retries.give_up_after``
tries in a row that timed out or found no server, login included): once spent, the rest of
the run's calls fail at once instead of each waiting out its own retries.

Error bodies reach the SDK without their ``documentation_url``: on seeing one the SDK
downloads an error index from the internet with no timeout, which hangs behind a firewall.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, MutableMapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from looker_sdk.rtl import transport
from looker_sdk.rtl.requests_transport import NullAuth, RequestsTransport
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from canary.errors import SourceError, TransientSourceError
from canary.sources.looker.config import LookerRetries

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: How Looker refuses a login: bad credentials get a 404 "Not found", not a 401.
LOGIN_REFUSED = frozenset({401, 403, 404})


class RunFailures:
    """Tries in a row that got no answer (timeouts, refused or dropped connections); any
    answer starts the count again. Thread-safe: a run's sources share it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._count = 0
        self._lock = threading.Lock()

    def failed(self) -> None:
        with self._lock:
            self._count += 1
            if self._count == self.limit:
                log.warning("Looker: %d tries in a row got no answer; giving up", self.limit)

    def answered(self) -> None:
        with self._lock:
            self._count = 0

    @property
    def spent(self) -> bool:
        return self._count >= self.limit


class BackoffRetry(Retry):
    """Retry ``n`` waits ``backoff * 2**(n-1)`` plus up to ``jitter`` seconds, capped; no
    more retries once the run's ``failures`` are spent."""

    failures: RunFailures | None = None

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.failures = self.failures
        return retry

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if self.failures is not None and error is not None:
            self.failures.failed()
            if self.failures.spent:
                raise MaxRetryError(_pool, url, error) from error  # type: ignore[arg-type]
        elif self.failures is not None and response is not None:
            self.failures.answered()
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self) -> float:
        retries = len(self.history)
        if retries == 0 or (self.backoff_factor <= 0 and self.backoff_jitter <= 0):
            return 0.0
        wait = self.backoff_factor * 2 ** (retries - 1)
        wait += random.random() * self.backoff_jitter
        return float(min(self.backoff_max, wait))


def retry_policy(budget: LookerRetries, failures: RunFailures) -> Retry:
    """The urllib3 retry policy of one request (every method: Looker reads are idempotent)."""
    retry = BackoffRetry(
        total=budget.attempts,
        connect=budget.attempts,
        read=budget.attempts,
        status=budget.attempts,
        redirect=3,
        allowed_methods=None,
        status_forcelist=TRANSIENT_STATUSES,
        backoff_factor=budget.backoff,
        backoff_max=budget.backoff_max,
        backoff_jitter=budget.jitter,
        respect_retry_after_header=True,
        retry_after_max=budget.retry_after_max,
        raise_on_status=False,
    )
    retry.failures = failures
    return retry


def error_message(body: bytes, limit: int = 300) -> str:
    """Looker's ``message`` from an error body, else the body's start (HTML is named)."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return parsed["message"][:limit]
    if text[:1] == "<":
        return "an HTML page instead of a JSON answer"
    return text[:limit] or "(empty body)"


def offline_error_body(body: bytes) -> bytes:
    """``body`` with every ``documentation_url`` (top level and in ``errors``) emptied, so
    the SDK has no link to look up; anything not a JSON object passes unchanged."""
    try:
        doc = json.loads(body)
    except ValueError:
        return body
    if not isinstance(doc, dict):
        return body
    errors = doc.get("errors")
    details: list[Any] = errors if isinstance(errors, list) else []
    linked = [d for d in [doc, *details] if isinstance(d, dict) and d.get("documentation_url")]
    for entry in linked:
        entry["documentation_url"] = ""
    return json.dumps(doc).encode() if linked else body


def _reason(exc: requests.RequestException) -> str:
    """The root cause of a requests error, without the URL's query or any body."""
    cause: BaseException = exc
    while True:
        inner = getattr(cause, "reason", None) or (cause.args[0] if cause.args else None)
        if not isinstance(inner, BaseException) or inner is cause:
            break
        cause = inner
    if isinstance(exc, requests.Timeout) or "timed out" in str(cause).lower():
        return "timed out"
    return f"{type(cause).__name__}: {str(cause).split(': ', 1)[-1][:200]}"


class RetryingTransport(RequestsTransport):
    """``RequestsTransport`` whose session retries; a 401 triggers one fresh login."""

    def __init__(
        self, settings: transport.PTransportSettings, budget: LookerRetries, timeout: float
    ) -> None:
        session = requests.Session()
        self.failures = RunFailures(budget.give_up_after)
        adapter = HTTPAdapter(max_retries=retry_policy(budget, self.failures))
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        super().__init__(settings, session)
        self.budget = budget
        self.timeout = timeout
        #: Set by the client: forget the token so the next call logs in again.
        self.on_unauthorized: Callable[[], None] | None = None

    def request(
        self,
        method: transport.HttpMethod,
        path: str,
        query_params: MutableMapping[str, str] | None = None,
        body: bytes | None = None,
        authenticator: transport.TAuthenticator = None,
        transport_options: transport.TransportOptions | None = None,
    ) -> transport.Response:
        def send() -> requests.Response:
            return self._send(method, path, query_params, body, authenticator, transport_options)

        resp = send()
        if resp.status_code == 401 and authenticator is not None and self.on_unauthorized:
            log.info("Looker answered 401 to %s %s: logging in again", method.name, _path(path))
            self.on_unauthorized()
            resp = send()
        if authenticator is None and resp.status_code in LOGIN_REFUSED and _is_login(path):
            raise SourceError(
                f"Looker rejected the client id or secret (its login answered HTTP "
                f"{resp.status_code}: {error_message(resp.content)}); check client_id and "
                f"client_secret"
            )
        if resp.status_code in TRANSIENT_STATUSES:
            raise TransientSourceError(
                f"Looker answered HTTP {resp.status_code} to {method.name} {_path(path)} "
                f"after {_retries(self.budget.attempts)}: {error_message(resp.content)}"
            )
        content = resp.content if resp.ok else offline_error_body(resp.content)
        out = transport.Response(
            resp.ok, content, transport.response_mode(resp.headers.get("content-type"))
        )
        encoding = requests.utils.get_encoding_from_headers(resp.headers)
        if encoding:
            out.encoding = encoding
        return out

    def _send(
        self,
        method: transport.HttpMethod,
        path: str,
        query_params: MutableMapping[str, str] | None,
        body: bytes | None,
        authenticator: transport.TAuthenticator,
        options: transport.TransportOptions | None,
    ) -> requests.Response:
        headers: dict[str, str] = {}
        if authenticator:
            headers.update(authenticator(options or {}))
        if options and options.get("headers"):
            headers.update(options["headers"])
        log.debug("%s %s", method.name, _path(path))
        if self.failures.spent:
            raise TransientSourceError(f"{method.name} {_path(path)} not tried: {self._given_up()}")
        try:
            resp = self.session.request(
                method.name,
                path,
                auth=NullAuth(),
                params=query_params,
                data=body,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            spent = f"; {self._given_up()}" if self.failures.spent else ""
            raise TransientSourceError(
                f"Looker did not answer {method.name} {_path(path)} "
                f"(after {_retries(self.budget.attempts)}, {self.timeout:g}s timeout): "
                f"{_reason(exc)}{spent}"
            ) from None
        self.failures.answered()
        return resp

    def _given_up(self) -> str:
        return (
            f"Looker did not answer {self.failures.limit} tries in a row, so canary stops "
            f"calling it for the rest of this run (retries.give_up_after)"
        )


def _is_login(url: str) -> bool:
    return _path(url).rstrip("/").endswith("/login")


def _path(url: str) -> str:
    """The path of ``url`` for messages (no host, no query)."""
    return urlsplit(url).path or url


def _retries(n: int) -> str:
    return f"{n} {'retry' if n == 1 else 'retries'}"
