"""Thin senders behind one interface: Slack Web API (bot token), incoming webhook, files.

Each turns an outbox entry into one request and maps every failure to a
``DeliveryError`` that says how far it reaches (this entry, its channel, or everything
for now) and whether the outcome is unknown (the request may have arrived).
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.error import HTTPError, URLError
from urllib.request import HTTPSHandler, ProxyHandler, Request, build_opener

from pydantic import SecretStr
from rich.console import Console
from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from canary.alerts.channels.file_names import outbox_file_name
from canary.alerts.channels.redact import Redactor
from canary.alerts.channels.reply_text import reply_text
from canary.alerts.channels.slack.ratelimit import BudgetedRateLimit
from canary.alerts.channels.slack.sdk_logging import slack_logger
from canary.alerts.outbox.records import Entry
from canary.alerts.render.digest_render import file_text, rendered
from canary.alerts.report_delivery import body_of
from canary.config import SlackConfig
from canary.weekly.render import report_markdown, report_slack, report_text

Scope = Literal["entry", "channel", "all"]
Sent = tuple[str, str | None]  # channel id (or sink name), message ts

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
HISTORY_PAGES = 5
BODY_LIMIT = 80  # characters of an error reply shown
NO_FILES_READ = ("missing_scope", "no_permission")
NOT_JSON = "Received a response in a non-JSON format"  # slack_sdk's words


def slack_rendered(payload: dict[str, Any], **how: bool) -> tuple[str, list[dict[str, Any]]]:
    """Slack text and blocks of an outbox payload: a weekly report's, else an alert's
    (``how``: as ``digest_render.rendered`` takes it)."""
    report = body_of(payload)
    return report_slack(report) if report is not None else rendered(payload, **how)


class DeliveryError(Exception):
    """A delivery that did not (or may not) happen; never carries a secret."""

    def __init__(self, message: str, scope: Scope, unknown: bool = False) -> None:
        super().__init__(message)
        self.scope = scope
        self.unknown = unknown
        self.ref: str | None = None  # what the attempt was given to look up (a file id)


class Transport(Protocol):
    name: str
    verifiable: bool

    def send(self, entry: Entry, parent: Entry | None) -> Sent: ...

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None: ...


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


class _SlackSender:
    """What both Slack clients share: the secret to scrub and the rate-limit wait budget."""

    def __init__(self, secret: SecretStr, slack: SlackConfig) -> None:
        self.redactor = Redactor([secret.get_secret_value()])
        self.rate_limit = BudgetedRateLimit(slack.retry_after_max)

    def errors(self, what: str, read: bool = False) -> AbstractContextManager[None]:
        """``slack_errors`` for a call of this client."""
        return slack_errors(what, self.redactor, self.rate_limit, read)


class SlackTransport(_SlackSender):
    """The Slack Web API with a bot token: posts, thread replies, updates, uploads."""

    name = "slack"
    verifiable = True

    def __init__(self, token: SecretStr, slack: SlackConfig) -> None:
        super().__init__(token, slack)
        kwargs: dict[str, Any] = {"base_url": slack.base_url} if slack.base_url else {}
        self.client = WebClient(
            token=token.get_secret_value(),
            timeout=slack.timeout,
            retry_handlers=retry_handlers(self.rate_limit),
            logger=slack_logger("canary.slack.web", self.redactor),
            **kwargs,
        )
        self._ids: dict[str, str] | None = None

    def _list_channels(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        cursor = None
        with self.errors("conversations.list", read=True):
            while True:
                page = self.client.conversations_list(
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=200,
                    cursor=cursor,
                )
                found: list[dict[str, Any]] = page.get("channels") or []
                ids.update({c["name"]: c["id"] for c in found})
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return ids

    def channel_id(self, channel: str) -> str:
        """A channel id; names (``#name``) are resolved once per transport."""
        if not channel.startswith("#"):
            return channel
        if self._ids is None:
            self._ids = self._list_channels()
        try:
            return self._ids[channel[1:]]
        except KeyError:
            raise DeliveryError(
                f"channel {channel} not found (invite the bot, or give the channel id)", "channel"
            ) from None

    def _target(self, entry: Entry, parent: Entry | None) -> tuple[str, str | None]:
        """Channel id and thread; a reply to a message that has no thread (it went out
        through a webhook or the file outbox) goes to its channel on its own."""
        if parent is None or parent.ts is None:
            return self.channel_id(entry.channel), None
        assert parent.channel_id is not None
        return parent.channel_id, parent.ts

    def send(self, entry: Entry, parent: Entry | None) -> Sent:
        channel, thread = self._target(entry, parent)  # a failed lookup raises before any write
        p = entry.payload
        if entry.kind == "upload":
            return self._upload(entry, channel, thread)
        alone = entry.kind == "reply" and thread is None  # rendered now from the stored body
        text, blocks = slack_rendered(p, standalone=alone)
        with self.errors(f"{entry.kind} to {entry.channel}"):
            if entry.kind == "update":
                assert thread is not None
                self.client.chat_update(channel=channel, ts=thread, text=text, blocks=blocks)
                return channel, thread
            reply = self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                text=text,
                blocks=blocks,
                metadata=p.get("metadata"),
                unfurl_links=False,
                unfurl_media=False,
            )
            return str(reply["channel"]), str(reply["ts"])

    def _upload(self, entry: Entry, channel: str, thread: str | None) -> Sent:
        """The three requests of slack_sdk's ``files_upload_v2``, keeping the file id Slack
        gave first: an attempt whose outcome is unknown carries it (``DeliveryError.ref``)
        so that it is looked up by id."""
        assert entry.blob is not None
        what = f"upload to {entry.channel}"
        file_id: str | None = None
        try:
            with self.errors(what):
                reserved = self.client.files_getUploadURLExternal(
                    filename=entry.payload["filename"], length=len(entry.blob)
                )
                file_id = str(reserved["file_id"])
                self._post_bytes(what, str(reserved["upload_url"]), entry.blob)
                self.client.files_completeUploadExternal(
                    files=[{"id": file_id, "title": entry.payload["title"]}],
                    channel_id=channel,
                    thread_ts=thread,
                )
        except DeliveryError as err:
            err.ref = file_id
            raise
        return channel, str(file_id)

    def _post_bytes(self, what: str, url: str, blob: bytes) -> None:
        """The file's bytes to the URL Slack gave, as slack_sdk sends them (answered 200)."""
        proxy = self.client.proxy
        handlers = [ProxyHandler({"http": proxy, "https": proxy})] if proxy else []
        opener = build_opener(*handlers, HTTPSHandler(context=self.client.ssl))
        try:
            with opener.open(Request(url, data=blob, method="POST"), timeout=self.client.timeout):
                return
        except HTTPError as exc:  # the file was not taken: nothing to find, safe to resend
            raise DeliveryError(f"{what}: the file was refused (HTTP {exc.code})", "all") from None

    def _messages(
        self, channel: str, thread: str | None, oldest: float
    ) -> Iterator[dict[str, Any]]:
        cursor = None
        for _ in range(HISTORY_PAGES):
            if thread is None:
                page = self.client.conversations_history(
                    channel=channel,
                    oldest=f"{oldest:.6f}",
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                page = self.client.conversations_replies(
                    channel=channel, ts=thread, include_all_metadata=True, limit=200, cursor=cursor
                )
            yield from page.get("messages", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None:
        """The message an earlier attempt of ``entry`` left in Slack, if it is there."""
        if entry.kind == "update":
            return None  # an update is idempotent: sending it again is safe
        channel, thread = self._target(entry, parent)
        with self.errors(f"looking up {entry.kind} in {entry.channel}", read=True):
            if entry.kind == "upload":
                return self._find_upload(entry, channel, thread)
            for message in self._messages(channel, thread, entry.created_at - 300):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == entry.key:
                    return channel, str(message["ts"])
        return None

    def _completed(self, file_id: str) -> bool | None:
        """Whether Slack completed the file ``file_id`` (it then shares it, if it has not
        yet); None when the token may not read files."""
        try:
            self.client.files_info(file=file_id)
        except SlackApiError as exc:
            if _answered(exc, "file_not_found", "file_deleted"):
                return False
            if _answered(exc, *NO_FILES_READ):
                return None
            raise
        return True

    def _find_upload(self, entry: Entry, channel: str, thread: str | None) -> Sent | None:
        """The file an earlier attempt of ``entry`` shared, or is sharing, into ``thread``.

        Slack shares a completed upload a moment after it answers: until then the file is
        in ``files.list`` (with no shares yet) but in no conversation. An upload that never
        completed is in neither, and is sent again.
        """
        if entry.ts is not None:  # the file id an earlier attempt was given
            completed = self._completed(entry.ts)
            if completed is not None:
                return (channel, entry.ts) if completed else None
        name = entry.payload["filename"]
        for message in self._messages(channel, thread, entry.created_at - 300):
            hit = next((f for f in message.get("files") or [] if f.get("name") == name), None)
            if hit is not None:
                return channel, str(hit["id"])
        for page in range(1, HISTORY_PAGES + 1):
            try:
                listed = self.client.files_list(
                    ts_from=str(int(entry.created_at) - 300), types="images", count=100, page=page
                )
            except SlackApiError as exc:
                if not _answered(exc, *NO_FILES_READ):
                    raise
                raise DeliveryError(
                    f"upload to {entry.channel}: it may have gone through and cannot be looked "
                    "up without the files:read scope; not sent again",
                    "entry",
                ) from None
            for file in listed.get("files") or []:
                if file.get("name") == name and _shared_into(file, channel, thread):
                    return channel, str(file["id"])
            if page >= int((listed.get("paging") or {}).get("pages") or 1):
                break
        return None


def _answered(exc: SlackApiError, *errors: str) -> bool:
    """Whether Slack's answer was one of ``errors``."""
    return exc.response.get("error") in errors


def _shared_into(file: dict[str, Any], channel: str, thread: str | None) -> bool:
    """Whether ``file`` is shared into ``channel`` (its ``thread``), or not shared yet."""
    shares = file.get("shares") or {}
    found = [s for kind in ("public", "private") for s in (shares.get(kind) or {}).get(channel, [])]
    if not found:
        return not any(shares.get(kind) for kind in ("public", "private"))
    return thread is None or any(s.get("thread_ts") == thread for s in found)


class WebhookTransport(_SlackSender):
    """An incoming webhook: one channel, no threads, no updates, no lookups."""

    name = "webhook"
    verifiable = False

    def __init__(self, url: SecretStr, slack: SlackConfig) -> None:
        super().__init__(url, slack)
        self.client = WebhookClient(
            url.get_secret_value(),
            timeout=slack.timeout,
            retry_handlers=retry_handlers(self.rate_limit),
            logger=slack_logger("canary.slack.webhook", self.redactor),
        )

    def send(self, entry: Entry, parent: Entry | None) -> Sent:
        text, blocks = slack_rendered(entry.payload, threaded=False)
        with self.errors("webhook post"):
            reply = self.client.send(text=text, blocks=blocks)
        if reply.status_code == 200:
            return "webhook", None
        body = reply_text(self.redactor.scrub(str(reply.body or "")), BODY_LIMIT)
        what = f"webhook post: HTTP {reply.status_code} {body}".strip()
        refusal = self.rate_limit.take_refusal() if reply.status_code == 429 else None
        if refusal is not None:
            raise DeliveryError(f"webhook post: {refusal}", "all")
        if reply.status_code == 429 or reply.status_code >= 500 or reply.status_code == 403:
            raise DeliveryError(what, "all")
        if reply.status_code in (404, 410):
            raise DeliveryError(what, "channel")
        raise DeliveryError(what, "entry")

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None:
        return None


class FileTransport:
    """The file outbox (and the console) when Slack is not configured: one markdown file
    per message, a weekly report's chart beside it as a PNG of the same name."""

    name = "file"
    verifiable = True

    def __init__(self, directory: Path, console: Console | None) -> None:
        self.directory = directory
        self.console = console

    def path_for(self, entry: Entry) -> Path:
        return self.directory / outbox_file_name(
            entry.week, entry.monitor, entry.channel, entry.key
        )

    def send(self, entry: Entry, parent: Entry | None) -> Sent:
        path = self.path_for(entry)
        report, chart = body_of(entry.payload), entry.blob
        if report is None:
            markdown, plain = file_text(entry.payload)
        else:
            markdown, plain = report_markdown(report), report_text(report)
            if chart:  # its chart, beside it
                markdown += f"\n![{report.title}: recent weeks]({path.stem}.png)\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if report is not None and chart:
                path.with_suffix(".png").write_bytes(chart)
            path.write_text(markdown)
        except OSError as exc:
            raise DeliveryError(f"file outbox {path}: {exc.strerror}", "all") from None
        if self.console is not None:
            self.console.print(plain, markup=False)
            what = "alert" if report is None else "weekly report"
            self.console.print(f"({what} for {entry.channel} written to {path})", markup=False)
        return "file", None

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None:
        return ("file", None) if self.path_for(entry).exists() else None
