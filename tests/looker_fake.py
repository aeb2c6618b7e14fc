"""A Looker API 4.0 stand-in for tests, on 127.0.0.1, answering from the sample warehouse.

It serves what the real looker-sdk calls: login (form-encoded, a token with expires_in),
logout, the current user, the dashboards of its own model (``looker_model.yaml``: dashboard
filters, ``result_maker.filterables`` listen mappings, a text tile and a merged-result
tile), its saved looks, and query runs by id, by look and inline in ``json``, ``json_bi``
and ``csv``. Queries are compiled by ``looker_sql`` from that model, as Looker generates
SQL (``COALESCE(SUM(x), 0)``, GROUP BY every dimension, sorts, row limits, Looker filter
expressions), and run with DuckDB on a private copy of the warehouse file. Nothing from
canary decides an answer: the stand-in checks canary's SQL rather than repeating it.

It answers as real Looker does (API 4.0, per the spec and looker-sdk): every error body
carries a ``documentation_url`` the SDK would look up on the internet, bad credentials get a
404 "Not found", json_bi cells are ``{"value", "rendered"}`` objects, dashboard filter names
differ from their titles, and tiles are saved with limit "500", segmented ones sorted oldest
week first.

``Faults`` switches make it misbehave the way real servers do; counted faults fire on the
next matching query runs and then stop.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import duckdb
import pytest
import yaml

from tests.looker_sql import LookerField, QueryError, compile_query, load_model

if TYPE_CHECKING:  # the GE context is test setup, no part of any answer
    from canary.checks.validate import GreatExpectations

MODEL = "code_insights"
CLIENT_ID = "canary-test-client"
CLIENT_SECRET = "Sx9/looker+client secret=4f1c&2a"  # characters a form encodes
DASHBOARD_IDS = {"all-instances": "1", "canary": "2"}
INSTANCE_FILTER = "Instance"  # filter titles, as users see them and configs name them
WEEK_FILTER = "Week"
TOKEN_SECONDS = 3600
DROPPED, SLOW = 0, -1  # statuses logged for requests answered with nothing
DOCS_ERRORS = "https://cloud.google.com/looker/docs/r/err/4.0"
_ROUTE_WORDS = {"login", "logout", "user", "dashboards", "looks", "queries", "run"}
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Looker is restarting</title></head>"
    "<body><h1>We'll be right back</h1></body></html>"
)


@dataclass
class Faults:
    """Misbehaviour switches. ``tile`` limits run faults to one element's queries (by the
    element's name in the model)."""

    tile: str | None = None
    rate_limited: int = 0  # next N runs: 429 with Retry-After
    retry_after: str = "0"
    server_error: int = 0  # next N runs: 503 and 500 in turn
    slow: int = 0  # next N runs: nothing for slow_seconds, then the connection closes
    slow_seconds: float = 1.0
    dropped: int = 0  # next N runs: connection closed without an answer
    html: bool = False  # runs answer 200 with an HTML page
    truncated: bool = False  # runs answer with the JSON cut in half
    wrong_types: bool = False  # measures come back as words
    renamed: dict[str, str] = field(default_factory=dict)  # field -> name in the answer
    row_limit: int | None = None  # saved tile queries carry this limit
    echo_login: bool = False  # a failed login echoes the posted form (a bad proxy)
    plain_cells: bool = False  # json_bi cells as bare values, not {"value", "rendered"}
    rows_key: str = "rows"  # "data": json_bi as Looker before 24.4 sent it
    looker_error: str | None = None  # runs answer 200 with a single looker_error row


class HttpError(Exception):
    """An error answer: JSON with a ``message``, as Looker sends."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _field_meta(f: LookerField, view_label: str) -> dict[str, Any]:
    return {
        "name": f.ref,
        "label": f"{view_label} {f.label}",
        "label_short": f.label,
        "view": f.view,
        "view_label": view_label,
        "type": f.type,  # the LookML type: date_week, string, number, sum, count...
        "category": f.category,
        "is_numeric": f.numeric,
        "sortable": True,
    }


def _cell(value: Any) -> Any:
    """A DuckDB value as Looker writes it in JSON (dates as ``YYYY-MM-DD``)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@dataclass
class SavedQuery:
    """A saved query; ``element`` names the model element it belongs to."""

    id: str
    element: str
    body: dict[str, Any]


class LookerFake:
    """The stand-in server. Use as a context manager; ``base_url`` is where it listens.

    ``today`` anchors relative date filters such as ``7 days``."""

    def __init__(
        self, warehouse: Path, faults: Faults | None = None, today: date | None = None
    ) -> None:
        self.model = load_model()
        self.today = today or date.today()
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.logins = 0
        self.logouts = 0
        self.log: list[tuple[str, str, int]] = []  # method, path, status (DROPPED, SLOW)
        self.queries: dict[str, SavedQuery] = {}
        self.sql: list[str] = []  # every query's SQL, in the order run
        self._copy = Path(tempfile.mkdtemp(prefix="looker-fake-"))
        shutil.copy(warehouse, self._copy / "warehouse.duckdb")
        self._db = duckdb.connect(str(self._copy / "warehouse.duckdb"), read_only=True)
        self.elements: dict[str, list[SavedQuery]] = {
            did: [self._save(e) for e in board["elements"] if "fields" in e]
            for did, board in self.model.dashboards.items()
        }
        by_name = {e["name"]: e for e in self._all_elements()}
        self.looks: dict[str, SavedQuery] = {
            look_id: self._save(by_name[name]) for look_id, name in self.model.looks.items()
        }
        self._by_fields = {
            frozenset(e["fields"]): name for name, e in by_name.items() if "fields" in e
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,))

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LookerFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._db.close()
        shutil.rmtree(self._copy, ignore_errors=True)

    # --- state -----------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every issued token stops working (Looker expired them early)."""
        with self.lock:
            self.tokens.clear()

    def runs(self, status: int | None = None) -> list[tuple[str, str, int]]:
        """Logged query runs (optionally only those answered with ``status``)."""
        with self.lock:
            return [r for r in self.log if "/run/" in r[1] and (status is None or r[2] == status)]

    def _all_elements(self) -> list[dict[str, Any]]:
        return [e for board in self.model.dashboards.values() for e in board["elements"]]

    def _save(self, element: dict[str, Any]) -> SavedQuery:
        """An element's query as Looker saved it (Query.limit is a string)."""
        qid = str(1000 + len(self.queries) + 1)
        body = {
            "id": qid,
            "model": self.model.name,
            "view": element["explore"],
            "fields": list(element["fields"]),
            "filters": dict(element.get("filters") or {}),
            "sorts": list(element.get("sorts") or []),
            "limit": str(element["limit"]) if element.get("limit") is not None else None,
            "query_timezone": "UTC",
        }
        saved = SavedQuery(qid, element["name"], body)
        self.queries[qid] = saved
        return saved

    def query(self, saved: SavedQuery) -> dict[str, Any]:
        """A saved query as served now (the row-limit fault lowers its limit)."""
        if self.faults.row_limit and self._hit(saved.element):
            return {**saved.body, "limit": str(self.faults.row_limit)}
        return saved.body

    def _hit(self, element: str | None) -> bool:
        return self.faults.tile is None or element == self.faults.tile

    def _take(self, name: str, element: str | None) -> bool:
        """Use up one count of fault ``name`` if it applies to ``element``."""
        with self.lock:
            left = getattr(self.faults, name)
            if left > 0 and self._hit(element):
                setattr(self.faults, name, left - 1)
                return True
            return False

    # --- resources -------------------------------------------------------------------

    def dashboard(self, dashboard_id: str) -> dict[str, Any]:
        board = self.model.dashboards.get(dashboard_id)
        if board is None:
            raise HttpError(404, "Not found")
        filters = [
            {
                "id": f"{dashboard_id}{i}",
                "dashboard_id": dashboard_id,
                "name": f["name"],
                "title": f["title"],
                "type": f["type"],
                "default_value": f.get("default_value") or "",
                # only field filters name a model, explore and dimension
                "model": self.model.name if f.get("field") else None,
                "explore": f.get("explore"),
                "dimension": f.get("field"),
            }
            for i, f in enumerate(board["filters"], start=1)
        ]
        saved = iter(self.elements[dashboard_id])
        elements = [
            self._element(dashboard_id, f"{dashboard_id}{i:02d}", e, saved)
            for i, e in enumerate(board["elements"])
        ]
        return {
            "id": dashboard_id,
            "title": board["title"],
            "created_at": "2025-01-06T09:00:00.000+00:00",
            "dashboard_filters": filters,
            "dashboard_elements": elements,
        }

    def _element(
        self, dashboard_id: str, element_id: str, e: dict[str, Any], saved: Iterator[SavedQuery]
    ) -> dict[str, Any]:
        base = {"id": element_id, "dashboard_id": dashboard_id}
        kind = e.get("type", "vis")
        if kind == "text":
            return {
                **base,
                "type": "text",
                "title": None,
                "title_text": e["title_text"],
                "body_text": e["body_text"],
            }
        filterable = {
            "model": self.model.name,
            "view": e.get("explore") or next(iter(self.model.explores)),
            "name": e["title"],
            "listen": [
                {"dashboard_filter_name": name, "field": fld}
                for name, fld in (e.get("listen") or {}).items()
            ],
        }
        if kind == "merge":
            return {
                **base,
                "type": "vis",
                "title": e["title"],
                "merge_result_id": e["merge_result_id"],
                "result_maker": {
                    "id": f"rm-{e['merge_result_id']}",
                    "merge_result_id": e["merge_result_id"],
                    "filterables": [filterable],
                },
            }
        query_saved = next(saved)
        query = self.query(query_saved)
        return {
            **base,
            "type": "vis",
            "title": e["title"],
            "query_id": query_saved.id,
            "query": query,
            "result_maker": {
                "id": f"rm{query_saved.id}",
                "query_id": query_saved.id,
                "query": query,
                "filterables": [filterable],
            },
        }

    def look(self, look_id: str) -> dict[str, Any]:
        saved = self.looks.get(look_id)
        if saved is None:
            raise HttpError(404, "Not found")
        title = next(e["title"] for e in self._all_elements() if e["name"] == saved.element)
        return {
            "id": look_id,
            "title": title,
            "query_id": saved.id,
            "query": self.query(saved),
            "model": {"id": self.model.name, "label": "Code Insights"},
        }

    # --- query runs ------------------------------------------------------------------

    def element_of(self, query: dict[str, Any]) -> str | None:
        """The element whose fields an inline query asks for (faults aim at elements)."""
        return self._by_fields.get(frozenset(query.get("fields") or []))

    def run(
        self, query: dict[str, Any], fmt: str, limit: str | None, element: str | None
    ) -> tuple[str, str]:
        """(content type, body) of ``query`` run in ``fmt``."""
        if fmt not in ("json", "json_bi", "csv"):
            raise HttpError(400, f"Unsupported result format {fmt!r}")
        try:
            compiled = compile_query(self.model, query, limit, self.today)
        except QueryError as exc:
            raise HttpError(exc.status, str(exc)) from None
        cursor = self._db.cursor()
        try:
            rows = cursor.execute(compiled.sql).fetchall()
        except duckdb.Error as exc:  # Looker answers a failing SQL with a looker_error row
            return self._render(fmt, compiled.fields, [], compiled.sql, query, element, str(exc))
        finally:
            cursor.close()
        with self.lock:
            self.sql.append(compiled.sql)
        records = [
            {f.ref: _cell(v) for f, v in zip(compiled.fields, row, strict=True)} for row in rows
        ]
        return self._render(fmt, compiled.fields, records, compiled.sql, query, element, None)

    def _render(
        self,
        fmt: str,
        fields: list[LookerField],
        records: list[dict[str, Any]],
        sql: str,
        query: dict[str, Any],
        element: str | None,
        sql_error: str | None,
    ) -> tuple[str, str]:
        hit = self._hit(element)
        if self.faults.html and hit:
            return "text/html; charset=utf-8", HTML_PAGE
        meta = [_field_meta(f, self.model.views[f.view].label) for f in fields]
        if hit and self.faults.wrong_types:
            for record in records:
                for f in fields:
                    if f.category == "measure" and record[f.ref] is not None:
                        record[f.ref] = f"about {record[f.ref]}"
        if hit and self.faults.renamed:
            for m in meta:
                m["name"] = self.faults.renamed.get(m["name"], m["name"])
            records = [{self.faults.renamed.get(k, k): v for k, v in r.items()} for r in records]
        if fmt == "json":
            body = json.dumps(records if sql_error is None else [{"looker_error": sql_error}])
        elif fmt == "json_bi":
            doc = _json_bi(meta, records, sql, query, plain=hit and self.faults.plain_cells)
            error = sql_error or (self.faults.looker_error if hit else None)
            if error:
                doc["rows"] = [{"looker_error": error}]
            if hit:
                doc[self.faults.rows_key] = doc.pop("rows")
            body = json.dumps(doc)
        else:
            return "text/csv; charset=utf-8", _csv(meta, records)
        if hit and self.faults.truncated:
            body = body[: len(body) // 2]
        return "application/json", body


def documentation_url(status: int, method: str, path: str) -> str:
    """The docs link Looker puts in every error body: ``.../4.0/404/get/dashboards/:id``."""
    parts = [p for p in path.split("/") if p][2:]
    route = "/".join(p if p in _ROUTE_WORDS else ":id" for p in parts)
    return f"{DOCS_ERRORS}/{status}/{method.lower()}/{route}"


def _rendered(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


def _json_bi(
    meta: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    sql: str,
    query: dict[str, Any],
    plain: bool,
) -> dict[str, Any]:
    """Looker's json_bi document; cells are {"value", "rendered"} objects unless ``plain``."""
    if not plain:
        rows = [{k: {"value": v, "rendered": _rendered(v)} for k, v in r.items()} for r in rows]
    return {
        "metadata": {
            "fields": {
                "dimensions": [m for m in meta if m["category"] == "dimension"],
                "measures": [m for m in meta if m["category"] == "measure"],
                "pivots": [],
                "table_calculations": [],
            },
            "pivots": [],
            "sql": sql,
            "filters": dict(query.get("filters") or {}),
            "has_totals": False,
            "has_row_totals": False,
        },
        "rows": rows,
    }


def _csv(meta: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([m["label"] for m in meta])
    for row in rows:
        writer.writerow(["" if row[m["name"]] is None else row[m["name"]] for m in meta])
    return out.getvalue()


def _handler(fake: LookerFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers: dict[str, str] = {}
            try:
                status, ctype, text = self._route(method, url.path, parse_qs(url.query), body)
            except HttpError as exc:
                status, ctype, headers = exc.status, "application/json", exc.headers
                doc = documentation_url(exc.status, method, url.path)
                text = json.dumps({"message": exc.message, "documentation_url": doc})
            except _Drop as drop:
                if not drop.logged:
                    with fake.lock:
                        fake.log.append((method, url.path, DROPPED))
                self.close_connection = True
                return
            with fake.lock:
                fake.log.append((method, url.path, status))
            self._reply(status, ctype, text, headers)

        def _reply(
            self, status: int, ctype: str, text: str, headers: dict[str, str] | None = None
        ) -> None:
            data = text.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _route(
            self, method: str, path: str, params: dict[str, list[str]], body: bytes
        ) -> tuple[int, str, str]:
            if method == "POST" and path == "/api/4.0/login":
                return self._login(body)
            if method == "DELETE" and path in ("/api/4.0/logout", "/api/logout"):
                self._authorized(revoke=True)
                return 204, "application/json", ""
            self._authorized()
            parts = [unquote(p) for p in path.split("/") if p]
            if parts[:2] != ["api", "4.0"]:
                raise HttpError(404, "Not found")
            rest = parts[2:]
            limit = (params.get("limit") or [None])[0]
            if method == "GET" and rest == ["user"]:
                return (
                    200,
                    "application/json",
                    json.dumps({"id": "7", "display_name": "Canary Bot"}),
                )
            if method == "GET" and len(rest) == 2 and rest[0] == "dashboards":
                return 200, "application/json", json.dumps(fake.dashboard(rest[1]))
            if method == "GET" and len(rest) == 2 and rest[0] == "looks":
                return 200, "application/json", json.dumps(fake.look(rest[1]))
            if method == "GET" and len(rest) == 4 and rest[0] == "looks" and rest[2] == "run":
                saved = fake.looks.get(rest[1])
                if saved is None:
                    raise HttpError(404, "Not found")
                return self._run(fake.query(saved), rest[3], limit, saved.element)
            if method == "GET" and len(rest) == 4 and rest[0] == "queries" and rest[2] == "run":
                saved = fake.queries.get(rest[1])
                if saved is None:
                    raise HttpError(404, "Not found")
                return self._run(fake.query(saved), rest[3], limit, saved.element)
            if method == "POST" and rest[:2] == ["queries", "run"] and len(rest) == 3:
                try:
                    query = json.loads(body)
                except ValueError:
                    raise HttpError(400, "The request body is not JSON") from None
                return self._run(query, rest[2], limit, fake.element_of(query))
            raise HttpError(404, "Not found")

        def _run(
            self, query: dict[str, Any], fmt: str, limit: str | None, element: str | None
        ) -> tuple[int, str, str]:
            if fake._take("dropped", element):
                raise _Drop
            if fake._take("rate_limited", element):
                raise HttpError(429, "Too many requests", {"Retry-After": fake.faults.retry_after})
            if fake._take("server_error", element):
                status = 503 if fake.faults.server_error % 2 else 500
                raise HttpError(status, "The server is busy")
            if fake._take("slow", element):
                with fake.lock:
                    fake.log.append((self.command, urlsplit(self.path).path, SLOW))
                time.sleep(fake.faults.slow_seconds)
                raise _Drop(logged=True)  # the client gave up long ago
            ctype, text = fake.run(query, fmt, limit, element)
            return 200, ctype, text

        def _login(self, body: bytes) -> tuple[int, str, str]:
            if not (self.headers.get("Content-Type") or "").startswith(
                "application/x-www-form-urlencoded"
            ):
                raise HttpError(400, "Login takes a form-encoded body")
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                # Looker refuses credentials with a 404, not a 401
                detail = f": {body.decode()}" if fake.faults.echo_login else ""
                raise HttpError(404, f"Not found{detail}")
            token = secrets.token_hex(16)
            with fake.lock:
                fake.tokens[token] = time.monotonic() + TOKEN_SECONDS
                fake.logins += 1
            reply = {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS}
            return 200, "application/json", json.dumps(reply)

        def _authorized(self, revoke: bool = False) -> None:
            header = self.headers.get("Authorization") or ""
            scheme, _, token = header.partition(" ")
            with fake.lock:
                expiry = fake.tokens.get(token) if scheme.lower() in ("bearer", "token") else None
                if expiry is None or expiry < time.monotonic():
                    raise HttpError(401, "Requires authentication.")
                if revoke:
                    del fake.tokens[token]
                    fake.logouts += 1

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


class _Drop(Exception):
    """Close the connection without an answer."""

    def __init__(self, logged: bool = False) -> None:
        super().__init__("dropped")
        self.logged = logged


# --- configs pointing canary at the stand-in ------------------------------------------

LOOKER_SOURCE_OF = {
    "code-insights-all-instances": "looker-all",
    "code-insights-canary": "looker-canary",
}


def looker_sources(base_url: str, **common: Any) -> dict[str, Any]:
    """Config sources for both dashboards on the stand-in, with a quick retry budget."""
    base = {
        "base_url": base_url,
        "client_id": CLIENT_ID,
        "date_filter": WEEK_FILTER,
        "timeout": "5s",
        "retries": {"attempts": 2, "backoff": 0, "jitter": 0},
        **common,
    }
    return {
        "looker-all": {
            "kind": "looker_dashboard",
            "dashboard_id": DASHBOARD_IDS["all-instances"],
            **base,
        },
        "looker-canary": {
            "kind": "looker_dashboard",
            "dashboard_id": DASHBOARD_IDS["canary"],
            "filters": {INSTANCE_FILTER: "Sourcegraph (S2)"},
            **base,
        },
    }


def looker_config(
    directory: Path, base_url: str, monitors: Sequence[str] | None = None, **common: Any
) -> Path:
    """The repo's canary.yaml in ``directory`` with its monitors switched to the stand-in."""
    from tests.conftest import REPO, pings_only, write_config

    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    switched = {
        name: {**pings_only(monitor), "source": LOOKER_SOURCE_OF[name]}
        for name, monitor in raw["monitors"].items()
        if monitors is None or name in monitors
    }
    sources = {**raw["sources"], **looker_sources(base_url, **common)}
    return write_config(directory, sources=sources, monitors=switched)


@contextmanager
def serving(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch, faults: Faults | None = None
) -> Iterator[LookerFake]:
    """The stand-in on ``warehouse``, with the client secret in the environment and no
    proxy for 127.0.0.1; Looker sessions are closed afterwards."""
    from canary.sources.looker.client import close_clients

    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", CLIENT_SECRET)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    close_clients()
    with LookerFake(warehouse, faults) as fake:
        try:
            yield fake
        finally:
            close_clients()


@contextmanager
def watching_egress(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every request bound beyond 127.0.0.1 (``CONNECT host:443`` or ``GET url``), caught by
    a refusing proxy that the proxy variables point at; loopback stays direct."""
    seen: list[str] = []

    class Refuse(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _refuse(self) -> None:
            seen.append(f"{self.command} {self.path}")
            self.send_error(403, "no egress from tests")

        do_CONNECT = do_GET = do_POST = _refuse

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,))
    thread.start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@cache
def shared_ge() -> GreatExpectations:
    """One Great Expectations context for every Looker test (it takes seconds to build)."""
    from canary.checks.validate import GreatExpectations

    return GreatExpectations()
