"""What the Slack bot and webhook transports share: how a failed call is told (every
failure a ``DeliveryError`` saying how far it reaches and whether the outcome is unknown,
scrubbed of the secret), the rate-limit budget and retries, and how an entry is rendered."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.error import URLError

from pydantic import SecretStr
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from canary.alerts.channels.redact import Redactor
from canary.alerts.channels.reply_text import reply_text
from canary.alerts.channels.slack.config import SlackChannelConfig
from canary.alerts.channels.slack.ratelimit import BudgetedRateLimit
from canary.alerts.outbox.sending import DeliveryError
from canary.alerts.render.digest_render import rendered
from canary.alerts.render.payload import body_of
from canary.weekly.render import report_slack

AUTH_ERRORS = {
    "invalid_auth",
    "not_authed",
    "token_revoked",
    "token_expired",
    "account_inactive",
    "missing_scope",
    "no_permission",
}
CHANNEL_ERRORS = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}
TRANSIENT_ERRORS = {
    "ratelimited",
    "service_unavailable",
    "fatal_error",
    "internal_error",
    "request_timeout",
}
BODY_LIMIT = 80  # characters of an error reply shown
NOT_JSON = "Received a response in a non-JSON format"  # slack_sdk's words


def slack_rendered(payload: dict[str, Any], **how: bool) -> tuple[str, list[dict[str, Any]]]:
    """Slack text and blocks of an outbox payload: a weekly report's, else an alert's
    (``how``: as ``digest_render.rendered`` takes it)."""
    report = body_of(payload)
    return report_slack(report) if report is not None else rendered(payload, **how)


def retry_handlers(rate_limit: BudgetedRateLimit) -> list[RetryHandler]:
    """Rate limits (Retry-After, within the run's budget) and 500/503 are retried; dropped
    connections are not."""
    return [rate_limit, ServerErrorRetryHandler(max_retry_count=2)]


def _refused(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    return isinstance(exc, ConnectionRefusedError) or isinstance(reason, ConnectionRefusedError)


def _api_error(
    what: str, exc: SlackApiError, rate_limit: BudgetedRateLimit, redactor: Redactor
) -> DeliveryError:
    response = exc.response
    status = getattr(response, "status_code", 0)
    code = response.get("error") if isinstance(response.data, dict) else None
    code = code or f"HTTP {status}"
    if code.startswith(NOT_JSON):  # a proxy's error page, say: the body's start follows
        body = reply_text(redactor.scrub(code.removeprefix(NOT_JSON).lstrip(": ")), BODY_LIMIT)
        told = f"HTTP {status}, unreadable reply: {body}" if body else "unreadable reply"
        return DeliveryError(f"{what}: outcome unknown ({told})", "all", unknown=True)
    refusal = rate_limit.take_refusal() if status == 429 else None
    if refusal is not None:
        return DeliveryError(f"{what}: {refusal}", "all")
    if status == 429 or status >= 500 or code in TRANSIENT_ERRORS:
        return DeliveryError(f"{what}: Slack is unavailable ({code})", "all")
    if code in AUTH_ERRORS:
        return DeliveryError(f"{what}: Slack refused the bot token ({code})", "all")
    if code in CHANNEL_ERRORS:
        return DeliveryError(f"{what}: {code} (is the bot invited to the channel?)", "channel")
    return DeliveryError(f"{what}: rejected by Slack ({code})", "entry")


@contextmanager
def slack_errors(
    what: str, redactor: Redactor, rate_limit: BudgetedRateLimit, read: bool = False
) -> Iterator[None]:
    """Map whatever a Slack call raises to a ``DeliveryError`` (text scrubbed of secrets).

    A failed ``read`` changed nothing in Slack, so its outcome is never unknown.
    """
    try:
        yield
    except DeliveryError:
        raise
    except SlackApiError as exc:
        err = _api_error(what, exc, rate_limit, redactor)
        err.unknown = err.unknown and not read
        raise err from None
    except SlackRequestError as exc:
        raise DeliveryError(f"{what}: {redactor.scrub(str(exc))}", "all") from None
    except (URLError, OSError, http.client.HTTPException, ValueError) as exc:
        name = type(getattr(exc, "reason", None) or exc).__name__
        if _refused(exc) or read:
            raise DeliveryError(f"{what}: Slack unreachable ({name})", "all") from None
        raise DeliveryError(f"{what}: outcome unknown ({name})", "all", unknown=True) from None


class SlackSender:
    """What both Slack clients share: the secret to scrub and the rate-limit wait budget."""

    def __init__(self, secret: SecretStr, slack: SlackChannelConfig) -> None:
        self.redactor = Redactor([secret.get_secret_value()])
        self.rate_limit = BudgetedRateLimit(slack.retry_after_max)

    def errors(self, what: str, read: bool = False) -> AbstractContextManager[None]:
        """``slack_errors`` for a call of this client."""
        return slack_errors(what, self.redactor, self.rate_limit, read)
