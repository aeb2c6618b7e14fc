"""Waiting out Slack's rate limits, within a budget: a ``Retry-After`` beyond it is not waited.

One budget per delivery (``slack.retry_after_max`` seconds in all): a 429 asking for more
than what is left is not retried, so the entry stays in the outbox for the next run
instead of the run hanging for an hour.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

#: Retry-After when Slack sends none (or one that is not a number of seconds).
DEFAULT_WAIT = 1.0


def retry_after(response: HttpResponse) -> float | None:
    """Seconds asked by the ``Retry-After`` header (integer per Slack; decimals accepted)."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                seconds = float(values[0])
            except ValueError:
                return None
            return seconds if math.isfinite(seconds) and seconds >= 0 else None
    return None


class BudgetedRateLimit(RetryHandler):
    """Retries a 429 after its ``Retry-After`` while the run's wait budget allows it.

    ``refused`` keeps the last wait asked for that did not fit, for the error message.
    """

    def __init__(
        self,
        budget: float,
        max_retry_count: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(max_retry_count)
        self.budget = budget
        self.waited = 0.0
        self.refused: float | None = None
        self._sleep = sleep

    def _wait(self, response: HttpResponse) -> float:
        asked = retry_after(response)
        return DEFAULT_WAIT if asked is None else asked

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = self._wait(response)
        if self.waited + wait > self.budget:
            self.refused = wait
            return False
        return True

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        assert response is not None  # _can_retry only accepts a 429 response
        state.next_attempt_requested = True
        wait = self._wait(response)
        self.waited += wait
        self._sleep(wait)
        state.increment_current_attempt()

    def take_refusal(self) -> str | None:
        """Why the last 429 was not waited out (and forget it), or None if it was not refused."""
        if self.refused is None:
            return None
        left = max(self.budget - self.waited, 0)
        asked, self.refused = self.refused, None
        return (
            f"Slack asked to wait {asked:g} s, more than the {left:g} s left of "
            f"slack.retry_after_max ({self.budget:g} s); kept in the outbox for the next run"
        )
