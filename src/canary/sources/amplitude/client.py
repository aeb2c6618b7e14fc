"""Calls to Amplitude's Dashboard REST API: basic auth, retries, and typed errors.

429 (Amplitude's rate and concurrent-query limits), 5xx, timeouts and dropped connections
are retried with exponential backoff, honouring ``Retry-After`` up to a cap; what still
fails is a ``TransientSourceError``. A rejected key, an unknown chart or a refused query is
a terminal ``SourceError`` saying what to check. No message carries the keys: any text
quoted from an answer has them blanked out.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from canary.errors import SourceError, TransientSourceError
from canary.sources.amplitude.config import AmplitudeRetries

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
QUOTED = 200  # characters of an error body a message quotes


@dataclass
class AmplitudeClient:
    """One source's connection: ``get`` returns an endpoint's JSON answer."""

    source: str
    base_url: str
    api_key: SecretStr
    secret_key: SecretStr
    timeout: float
    retries: AmplitudeRetries
    sleep: Callable[[float], None] = time.sleep

    def get(self, path: str, params: Mapping[str, str], what: str) -> Any:
        """The JSON of ``GET path``; ``what`` says in errors what was asked for."""
        where = f"sources.{self.source}: {what}"
        for attempt in range(self.retries.attempts + 1):
            last = attempt == self.retries.attempts
            try:
                response = self._call(path, params)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__} calling {self.base_url}"
                if last:
                    raise TransientSourceError(
                        f"{where}: {problem}, after {attempt + 1} tries"
                    ) from None
                self._wait(where, problem, attempt, None)
                continue
            if response.status_code in TRANSIENT_STATUSES:
                problem = f"HTTP {response.status_code} {self._quote(response)}".rstrip()
                if last:
                    raise TransientSourceError(f"{where}: {problem}, after {attempt + 1} tries")
                self._wait(where, problem, attempt, response.headers.get("Retry-After"))
                continue
            return self._answer(where, response)
        raise AssertionError("unreachable: the last try returns or raises")

    def _call(self, path: str, params: Mapping[str, str]) -> httpx.Response:
        """One try; a client a call: a run makes a few calls a dataset, from any thread."""
        auth = httpx.BasicAuth(self.api_key.get_secret_value(), self.secret_key.get_secret_value())
        headers = {"Accept": "application/json"}
        with httpx.Client(base_url=self.base_url, auth=auth, timeout=self.timeout) as http:
            response = http.get(path, params=dict(params), headers=headers)
            response.read()
        return response

    def _answer(self, where: str, response: httpx.Response) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise SourceError(
                f"{where}: Amplitude rejected the API key or secret key (HTTP {status}); check "
                f"sources.{self.source}.api_key and secret_key, and the region ({self.base_url} "
                "serves only the projects stored there)"
            )
        if status == 404:
            raise SourceError(f"{where}: not found (HTTP 404); check the id in the config")
        if status >= 400:
            raise SourceError(f"{where}: HTTP {status} {self._quote(response)}".rstrip())
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            raise SourceError(
                f"{where}: the answer is not JSON ({kind}, {len(response.content)} bytes); "
                f"is {self.base_url} Amplitude's API host?"
            ) from None

    def _wait(self, where: str, problem: str, attempt: int, retry_after: str | None) -> None:
        delay = min(self.retries.backoff * 2**attempt, self.retries.backoff_max)
        if retry_after is not None:
            with contextlib.suppress(ValueError):  # an HTTP date: keep the backoff
                delay = min(max(float(retry_after), 0.0), self.retries.retry_after_max)
        log.warning("%s: %s; retry %d in %.1fs", where, problem, attempt + 1, delay)
        self.sleep(delay)

    def _quote(self, response: httpx.Response) -> str:
        """Amplitude's own words from an error body, short, one line, without the keys."""
        if "html" in response.headers.get("Content-Type", ""):
            return "(an HTML page)"
        text = " ".join(response.text.split())[:QUOTED]
        for secret in (self.api_key, self.secret_key):
            value = secret.get_secret_value()
            if value:
                text = text.replace(value, "***")
        return f"({text})" if text else ""
