"""Slack through the Web API with a bot token: posts, thread replies, updates and chart
uploads, and finding what an attempt with an unknown outcome left in Slack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError
from urllib.request import HTTPSHandler, ProxyHandler, Request, build_opener

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from canary.alerts.channels.slack.config import SlackChannelConfig
from canary.alerts.channels.slack.sdk_logging import slack_logger
from canary.alerts.channels.slack.sender import SlackSender, retry_handlers, slack_rendered
from canary.alerts.outbox.records import Entry
from canary.alerts.outbox.sending import DeliveryError, Sent

HISTORY_PAGES = 5
NO_FILES_READ = ("missing_scope", "no_permission")


class SlackTransport(SlackSender):
    """The Slack Web API with a bot token: posts, thread replies, updates, uploads."""

    name = "slack"
    verifiable = True

    def __init__(self, token: SecretStr, slack: SlackChannelConfig) -> None:
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
