"""A Slack Web API stand-in: an HTTP server on 127.0.0.1 for the real slack_sdk clients.

It keeps channels, messages (with metadata and threads) and uploaded files, records every
request, enforces the limits Slack enforces on blocks, and injects faults on demand:
HTTP 429 with Retry-After, 500/503, ``ok: false`` errors, a connection dropped before or
after the request is done, a body that is not JSON, and an HTML error page.

Files go as Slack takes them (what slack_sdk's ``files_upload_v2`` sends):
``files.getUploadURLExternal`` reserves a file id, a raw POST to the upload URL carries the
bytes (answered ``OK - <length>``), and ``files.completeUploadExternal`` completes the file
and answers with it before it is shared: like Slack, it shares the file into the channel or
thread a moment later (``share_delay`` seconds; the answer's ``shares`` are empty).
``files.list`` and ``files.info`` show completed files only.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

TOKEN = "xoxb-test-0123456789-canary-secret"
WEBHOOK_PATH = "/services/T000TEST/B000TEST/webhooksecret0123456789"
MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FIELDS_LIMIT = 10  # a section's fields, each of at most FIELD_LIMIT characters
FIELD_LIMIT = 2000
HTML_ERROR = (  # what a proxy in front of Slack answers an error with
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class Fault:
    """Inject ``kind`` on the next ``times`` requests to ``method`` ("*" for any).

    kinds: "429" (``Retry-After: 0``), "429:<seconds>", "500", "503", "error:<code>",
    "drop_before", "drop_after" (the request is done, its answer lost), "non_json",
    "html:<status>" (a proxy's HTML error page with that status), "delay:<seconds>" (a slow
    answer: the request is handled only after that long, as a busy Slack would), "hold"
    (the request is done, then its answer waits until ``release()``: a client killed in
    between never learns the outcome), "pass" (answered as usual: to fault a later request).
    """

    method: str
    kind: str
    times: int = 1


@dataclass
class Recorded:
    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    fault: str | None = None


@dataclass
class Channel:
    id: str
    name: str
    member: bool = True
    messages: list[dict[str, Any]] = field(default_factory=list)


class SlackFake:
    """The server's state and switches; ``url`` is the base_url for ``WebClient``."""

    def __init__(self, page_size: int = 2) -> None:
        self.channels: dict[str, Channel] = {}
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.webhook_messages: list[dict[str, Any]] = []
        self.uploads: dict[str, dict[str, Any]] = {}
        self.page_size = page_size
        self.share_delay = 0.0
        self.down = False
        self.held = threading.Event()  # a "hold" fault's request is done and waits
        self._release = threading.Event()
        self._shares: list[tuple[float, str, str | None, str, list[str]]] = []
        self._ts = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        for cid, name in (
            ("C0000ALERTS", "code-insights"),
            ("C0000INTERN", "code-insights-internal"),
        ):
            self.add_channel(cid, name)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    def add_channel(self, cid: str, name: str, member: bool = True) -> Channel:
        self.channels[cid] = Channel(cid, name, member)
        return self.channels[cid]

    def inject(self, method: str, kind: str, times: int = 1) -> None:
        self.faults.append(Fault(method, kind, times))

    def release(self) -> None:
        """Let every answer a "hold" fault keeps waiting go out."""
        self._release.set()

    def start(self) -> SlackFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what tests look at -------------------------------------------------------------

    def top_level(self, cid: str) -> list[dict[str, Any]]:
        self.share_due()
        return [m for m in self.channels[cid].messages if m.get("thread_ts") in (None, m["ts"])]

    def replies(self, cid: str, ts: str) -> list[dict[str, Any]]:
        self.share_due()
        return [
            m for m in self.channels[cid].messages if m.get("thread_ts") == ts and m["ts"] != ts
        ]

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def shared_files(self) -> list[str]:
        """Ids of every file shared in any conversation (duplicates show up twice)."""
        self.share_due(wait=True)
        return [
            f["id"] for c in self.channels.values() for m in c.messages for f in m.get("files", [])
        ]

    def stored_keys(self) -> list[str]:
        """Metadata keys of every stored message (duplicates show up twice)."""
        return [
            m["metadata"]["event_payload"]["key"]
            for c in self.channels.values()
            for m in c.messages
            if m.get("metadata")
        ]

    # --- behaviour ------------------------------------------------------------------------

    def next_ts(self) -> str:
        """Like Slack's: the current time, unique and increasing."""
        with self._lock:
            self._ts = max(self._ts + 0.0001, time.time())
            return f"{self._ts:.6f}"

    def complete(self, ids: list[str], cid: str, thread: str | None, comment: str) -> None:
        """Complete the files ``ids``; they are shared into ``cid`` after ``share_delay``."""
        with self._lock:
            for file_id in ids:
                self.uploads[file_id].update(complete=True, created=int(time.time()))
            self._shares.append((time.monotonic() + self.share_delay, cid, thread, comment, ids))
        self.share_due()  # with no delay, shared now (whoever reads the channels sees it)

    def share_due(self, wait: bool = False) -> None:
        """Share the completed files whose moment has come (``wait``: all of them, waiting
        for the last)."""
        if wait and self._shares:
            time.sleep(max(0.0, max(s[0] for s in self._shares) - time.monotonic()))
        with self._lock:
            now = time.monotonic()
            due = [s for s in self._shares if s[0] <= now]
            self._shares = [s for s in self._shares if s[0] > now]
        for _, cid, thread, comment, ids in due:
            ts = self.next_ts()
            shared = [file_object(self.uploads[i], i) for i in ids]
            for file_id in ids:
                share = {"ts": ts, "channel_name": self.channels[cid].name}
                if thread:
                    share["thread_ts"] = thread
                self.uploads[file_id]["shares"] = {"public": {cid: [share]}}
            message = {
                "ts": ts,
                "text": comment,
                "files": shared,
                "upload": True,
                "user": "U0000CANARY",
                "thread_ts": thread,
            }
            self.channels[cid].messages.append(message)

    def take_fault(self, method: str) -> str | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method in (method, "*"):
                    fault.times -= 1
                    return fault.kind
        return None

    def channel(self, cid: str) -> Channel | str:
        found = self.channels.get(cid)
        if found is None:
            return "channel_not_found"
        return found if found.member else "not_in_channel"


def _section_error(text: str, fields: list[dict[str, Any]]) -> bool:
    """A section needs a text or fields (at most ten), each within its limit."""
    cells = [f.get("text", "") for f in fields]
    if not (text or cells) or len(text) > SECTION_LIMIT or len(cells) > FIELDS_LIMIT:
        return True
    return any(not c or len(c) > FIELD_LIMIT for c in cells)


def blocks_error(blocks: Any) -> str | None:
    """What Slack would say about ``blocks`` (None when they are fine)."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block["type"] == "section" and _section_error(text, block.get("fields") or []):
            return "invalid_blocks"
        if block["type"] == "header" and len(text) > HEADER_LIMIT:
            return "invalid_blocks"
    return None


def _handler(fake: SlackFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _body(self) -> tuple[dict[str, Any], bytes]:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = self.headers.get("Content-Type", "")
            if self.path.startswith("/upload/"):
                return {}, raw
            if "json" in kind:
                return json.loads(raw or b"{}"), raw
            if "multipart" in kind:
                return _multipart(raw, kind), raw
            query = self.path.partition("?")[2]
            return dict(parse_qsl(raw.decode() + ("&" + query if query else ""))), raw

        def _send(
            self,
            status: int,
            body: Any,
            headers: dict[str, str] | None = None,
            kind: str = "application/json; charset=utf-8",
        ) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            with suppress(BrokenPipeError, ConnectionResetError):  # a client killed meanwhile
                self.wfile.write(data)

        def _drop(self) -> None:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def do_POST(self) -> None:
            body, raw = self._body()
            path = self.path.partition("?")[0]
            if path == WEBHOOK_PATH:
                method = "webhook"
            elif path.startswith("/upload/"):
                method = "upload"
            else:
                method = path.removeprefix("/api/")
            fake.share_due()
            fault = None if fake.down else fake.take_fault(method)
            fake.requests.append(Recorded(method, body, dict(self.headers), fault))
            if fake.down or fault == "drop_before":
                return self._drop()
            if fault and fault.startswith("html:"):
                status = int(fault.partition(":")[2])
                page = HTML_ERROR.format(status=status, phrase=HTTPStatus(status).phrase).encode()
                return self._send(status, page, kind="text/html; charset=utf-8")
            if fault and fault.startswith("delay:"):
                time.sleep(float(fault.partition(":")[2]))
            if fault and fault.partition(":")[0] in ("429", "500", "503"):
                code, _, wait = fault.partition(":")
                status = int(code)
                hdrs = {"Retry-After": wait or "0"} if status == 429 else {}
                text = (
                    b"rate limited"
                    if method == "webhook"
                    else {"ok": False, "error": "ratelimited"}
                )
                return self._send(status, text, hdrs)
            if fault and fault.startswith("error:"):
                error = fault.partition(":")[2]
                if method == "webhook":
                    return self._send(404, error.encode())
                return self._send(200, {"ok": False, "error": error})
            if method == "webhook":
                reply: Any = _attach_webhook(fake, body)
            elif method == "upload":
                upload = fake.uploads.get(path.rsplit("/", 1)[1])
                if upload is None:
                    return self._send(404, b"not found", kind="text/plain")
                upload["data"] = raw
                reply = f"OK - {len(raw)}".encode()
            else:
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(200, {"ok": False, "error": "invalid_auth"})
                reply = _api(fake, method, body)
            if fault == "drop_after":
                return self._drop()
            if fault == "hold":
                fake.held.set()
                fake._release.wait()
            if fault == "non_json":
                return self._send(200, b"<html>upstream error</html>")
            status = 200
            if method == "webhook" and reply != b"ok":
                status = 400
            plain = isinstance(reply, bytes)
            self._send(status, reply, kind="text/plain" if plain else "application/json")

    return Handler


def _multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    boundary = content_type.split("boundary=")[1].encode()
    out: dict[str, Any] = {}
    for part in raw.split(b"--" + boundary):
        head, _, value = part.partition(b"\r\n\r\n")
        if b'name="' not in head:
            continue
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        out[name] = value.removesuffix(b"\r\n").decode(errors="replace")
    return out


def _page(items: list[dict[str, Any]], body: dict[str, Any], size: int) -> dict[str, Any]:
    start = int(body.get("cursor") or 0)
    chunk = items[start : start + size]
    more = start + size < len(items)
    return {"items": chunk, "response_metadata": {"next_cursor": str(start + size) if more else ""}}


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _shown(message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
    shown = {k: v for k, v in message.items() if k != "metadata"}
    if with_metadata and message.get("metadata"):
        shown["metadata"] = message["metadata"]
    return shown


def _api(fake: SlackFake, method: str, body: dict[str, Any]) -> dict[str, Any]:
    if method == "auth.test":
        return {"ok": True, "user_id": "U0000CANARY", "team": "test"}
    if method == "conversations.list":
        items = [
            {"id": c.id, "name": c.name, "is_member": c.member} for c in fake.channels.values()
        ]
        page = _page(items, body, fake.page_size)
        return {
            "ok": True,
            "channels": page["items"],
            "response_metadata": page["response_metadata"],
        }
    if method == "files.getUploadURLExternal":
        if not body.get("filename") or not str(body.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(fake.uploads) + 1:08d}"
        fake.uploads[file_id] = {"name": body["filename"], "length": int(body["length"])}
        return {
            "ok": True,
            "upload_url": f"http://127.0.0.1:{fake.port}/upload/{file_id}",
            "file_id": file_id,
        }
    if method == "files.info":
        known = fake.uploads.get(str(body.get("file")))
        if known is None or not known.get("complete"):
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": file_object(known, str(body["file"]))}
    if method == "files.list":
        return _files_list(fake, body)
    channel = fake.channel(str(body.get("channel") or body.get("channel_id") or ""))
    if isinstance(channel, str):
        return {"ok": False, "error": channel}
    if method in ("conversations.history", "conversations.replies"):
        meta = _truthy(body.get("include_all_metadata"))
        if method == "conversations.history":
            oldest = float(body.get("oldest") or 0)
            found = [m for m in fake.top_level(channel.id) if float(m["ts"]) > oldest]
            found.reverse()  # newest first, as Slack does
        else:
            parent = [m for m in channel.messages if m["ts"] == body.get("ts")]
            if not parent:
                return {"ok": False, "error": "thread_not_found"}
            found = parent + fake.replies(channel.id, str(body["ts"]))
        page = _page([_shown(m, meta) for m in found], body, fake.page_size)
        return {
            "ok": True,
            "messages": page["items"],
            "response_metadata": page["response_metadata"],
        }
    if method == "chat.postMessage":
        error = blocks_error(body.get("blocks"))
        if error:
            return {"ok": False, "error": error}
        thread = body.get("thread_ts")
        if thread and not any(m["ts"] == thread for m in channel.messages):
            return {"ok": False, "error": "thread_not_found"}
        message = {
            "ts": fake.next_ts(),
            "text": body.get("text"),
            "blocks": body.get("blocks"),
            "metadata": body.get("metadata"),
            "thread_ts": thread,
        }
        channel.messages.append(message)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message["ts"],
            "message": _shown(message, False),
        }
    if method == "chat.update":
        error = blocks_error(body.get("blocks"))
        target = next((m for m in channel.messages if m["ts"] == body.get("ts")), None)
        if error or target is None:
            return {"ok": False, "error": error or "message_not_found"}
        target.update(text=body.get("text"), blocks=body.get("blocks"), edited=True)
        return {"ok": True, "channel": channel.id, "ts": target["ts"]}
    if method == "files.completeUploadExternal":
        files = json.loads(body["files"])
        for f in files:
            upload = fake.uploads.get(f["id"])
            if upload is None or "data" not in upload:
                return {"ok": False, "error": "file_not_found"}
            upload["title"] = f.get("title") or upload["name"]
        thread = body.get("thread_ts") or None
        if thread and not any(m["ts"] == thread for m in channel.messages):
            return {"ok": False, "error": "invalid_thread_ts"}
        ids = [f["id"] for f in files]
        fake.complete(ids, channel.id, thread, body.get("initial_comment") or "")
        return {"ok": True, "files": [file_object(fake.uploads[i], i) for i in ids]}
    return {"ok": False, "error": "unknown_method"}


def file_object(upload: dict[str, Any], file_id: str) -> dict[str, Any]:
    """A file as Slack's methods show it (``shares`` empty until it is shared)."""
    png = str(upload["name"]).endswith(".png")
    shares = upload.get("shares") or {}
    return {
        "id": file_id,
        "name": upload["name"],
        "title": upload.get("title") or upload["name"],
        "mimetype": "image/png" if png else "application/octet-stream",
        "filetype": "png" if png else "binary",
        "size": len(upload.get("data") or b""),
        "created": upload.get("created", 0),
        "timestamp": upload.get("created", 0),
        "user": "U0000CANARY",
        "channels": [c for c in shares.get("public", {})],
        "shares": shares,
    }


def _files_list(fake: SlackFake, body: dict[str, Any]) -> dict[str, Any]:
    """Completed files, newest first, paged by ``count`` and ``page`` as Slack pages them."""
    channel = body.get("channel")
    since, until = int(body.get("ts_from") or 0), int(body.get("ts_to") or 0) or None
    found = [
        file_object(f, fid)
        for fid, f in fake.uploads.items()
        if f.get("complete")
        and f["created"] >= since
        and (until is None or f["created"] <= until)
        and (not channel or channel in (f.get("shares") or {}).get("public", {}))
        and (body.get("types") in (None, "", "all") or str(f["name"]).endswith(".png"))
    ]
    found.reverse()
    count, page = int(body.get("count") or 100), int(body.get("page") or 1)
    pages = max(1, -(-len(found) // count))
    return {
        "ok": True,
        "files": found[(page - 1) * count : page * count],
        "paging": {"count": count, "total": len(found), "page": page, "pages": pages},
    }


def _attach_webhook(fake: SlackFake, body: dict[str, Any]) -> bytes:
    if blocks_error(body.get("blocks")):
        return b"invalid_blocks"
    fake.webhook_messages.append(body)
    return b"ok"


@contextmanager
def running(page_size: int = 2) -> Iterator[SlackFake]:
    fake = SlackFake(page_size).start()
    try:
        yield fake
    finally:
        fake.stop()


# --- the fixture shared by the alert tests ------------------------------------------

ENV = {"SLACK_BOT_TOKEN": TOKEN}


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    """A running stand-in (conversations.list pages of two channels)."""
    with running() as fake:
        yield fake
