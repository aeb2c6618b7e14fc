"""A Looker API 4.0 stand-in for tests, on 127.0.0.1, answering from the sample warehouse.

It serves what the real looker-sdk calls: login (form-encoded, a token with expires_in),
logout, the current user, both canary dashboards of ``dashboards.yaml`` (dashboard filters,
``result_maker.filterables`` listen mappings, a text tile and a merged-result tile), one saved
look per tile, and query runs by id, by look and inline in ``json``, ``json_bi`` and ``csv``.
Queries are answered with DuckDB through ``dashboards.build_query``, in their sort order and
cut at their limit.

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
import re
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pandas as pd
import pytest
import yaml

from canary.checks.validate import GreatExpectations
from canary.dashboards import Field, Tile, View, build_query, catalog
from canary.sample.warehouse import query_fields
from canary.sources.sql import bind, named

MODEL = "code_insights"
CLIENT_ID = "canary-test-client"
CLIENT_SECRET = "Sx9/looker+client secret=4f1c&2a"  # characters a form encodes
DASHBOARD_IDS = {"all-instances": "1", "canary": "2"}
INSTANCE_FILTER = "Instance"  # filter titles, as users see them and configs name them
WEEK_FILTER = "Week"
FILTER_NAMES = {INSTANCE_FILTER: "instance", WEEK_FILTER: "week_range"}  # LookML names
DEFAULT_LIMIT = 5000  # rows of a query run without a limit
SAVED_LIMIT = "500"  # what tiles are commonly saved with (Query.limit is a string)
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
    """Misbehaviour switches. ``tile`` limits run faults to one dataset's queries."""

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


def looker_type(f: Field) -> str:
    """The Looker type json_bi reports for a canary field."""
    if f.type == "date":
        return "date_week" if f.name == "week" else "date_date"
    if f.kind == "dimension":
        return "number" if f.type in ("integer", "number") else "string"
    sql = f.sql.lower().replace(" ", "")
    if sql.startswith("count(distinct"):
        return "count_distinct"
    return "count" if sql.startswith("count(") else "sum"


def _field_meta(f: Field, view: View) -> dict[str, Any]:
    return {
        "name": f.ref,
        "label": f"{view.label} {f.label}",
        "label_short": f.label,
        "view": f.view,
        "type": looker_type(f),
        "category": f.kind,
        "is_numeric": f.type in ("integer", "number"),
    }


def _cell(value: Any, f: Field) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if f.type == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if f.type == "integer":
        return int(value)
    if f.type == "number":
        return float(value)
    return str(value)


def _date_range(expr: str) -> tuple[date | None, date | None]:
    """``before D`` / ``A to B`` (end exclusive) as inclusive bounds."""
    text = expr.strip()
    try:
        if text.startswith("before "):
            return None, date.fromisoformat(text[7:].strip()) - timedelta(days=1)
        lo, sep, hi = text.partition(" to ")
        if sep:
            return date.fromisoformat(lo.strip()), date.fromisoformat(hi.strip()) - timedelta(
                days=1
            )
    except ValueError:
        pass
    raise HttpError(400, f"Cannot parse date filter expression {expr!r}")


def _equality(expr: str) -> str:
    if re.search(r"(?<!\^)[,%]", expr) or expr.startswith("-"):
        raise HttpError(400, f"The stand-in supports single-value filters only, not {expr!r}")
    return re.sub(r"\^(.)", r"\1", expr)


@dataclass
class SavedQuery:
    id: str
    dataset: str
    body: dict[str, Any]


class LookerFake:
    """The stand-in server. Use as a context manager; ``base_url`` is where it listens."""

    def __init__(self, warehouse: Path, faults: Faults | None = None) -> None:
        self.warehouse = warehouse
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.logins = 0
        self.logouts = 0
        self.log: list[tuple[str, str, int]] = []  # method, path, status (DROPPED, SLOW)
        self.queries: dict[str, SavedQuery] = {}
        self.looks: dict[str, SavedQuery] = {}
        self._by_fields = {
            frozenset(f.ref for f in t.fields): t.dataset for t in catalog().tiles.values()
        }
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,))
        self.elements: dict[str, list[SavedQuery]] = {
            did: [self._save(t) for t in catalog().dashboards[name].tiles]
            for name, did in DASHBOARD_IDS.items()
        }
        for tile in catalog().tiles.values():
            self.looks[str(200 + len(self.looks) + 1)] = self._save(tile)

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

    # --- state -----------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every issued token stops working (Looker expired them early)."""
        with self.lock:
            self.tokens.clear()

    def runs(self, status: int | None = None) -> list[tuple[str, str, int]]:
        """Logged query runs (optionally only those answered with ``status``)."""
        with self.lock:
            return [r for r in self.log if "/run/" in r[1] and (status is None or r[2] == status)]

    def _save(self, tile: Tile) -> SavedQuery:
        """A tile's saved query: 500 rows, and segmented tiles sorted oldest week first."""
        qid = str(1000 + len(self.queries) + 1)
        week = f"{tile.view}.week"
        body = {
            "id": qid,
            "model": MODEL,
            "view": tile.view,
            "fields": [f.ref for f in tile.fields],
            "filters": {},
            "sorts": [week] if tile.segments else [f"{week} desc"],
            "limit": SAVED_LIMIT,
            "query_timezone": "UTC",
        }
        saved = SavedQuery(qid, tile.dataset, body)
        self.queries[qid] = saved
        return saved

    def query(self, saved: SavedQuery) -> dict[str, Any]:
        """A saved query as served now (the row-limit fault lowers its limit)."""
        if self.faults.row_limit and self._hit(saved.dataset):
            return {**saved.body, "limit": str(self.faults.row_limit)}
        return saved.body

    def _hit(self, dataset: str | None) -> bool:
        return self.faults.tile is None or dataset == self.faults.tile

    def _take(self, name: str, dataset: str | None) -> bool:
        """Use up one count of fault ``name`` if it applies to ``dataset``."""
        with self.lock:
            left = getattr(self.faults, name)
            if left > 0 and self._hit(dataset):
                setattr(self.faults, name, left - 1)
                return True
            return False

    # --- resources -------------------------------------------------------------------

    def dashboard(self, dashboard_id: str) -> dict[str, Any]:
        name = next((n for n, i in DASHBOARD_IDS.items() if i == dashboard_id), None)
        if name is None:
            raise HttpError(404, "Not found")
        board = catalog().dashboards[name]
        instance = board.filters[0].value if board.filters else None
        filters = [
            {
                "id": f"{dashboard_id}1",
                "dashboard_id": dashboard_id,
                "name": FILTER_NAMES[INSTANCE_FILTER],
                "title": INSTANCE_FILTER,
                "type": "field_filter",
                "default_value": instance or "",
                "model": MODEL,
                "explore": "weekly_pings",
                "dimension": "weekly_pings.instance_label",
            },
            {
                "id": f"{dashboard_id}2",
                "dashboard_id": dashboard_id,
                "name": FILTER_NAMES[WEEK_FILTER],
                "title": WEEK_FILTER,
                "type": "date_filter",  # not a field filter: no model, explore or dimension
                "default_value": "",
                "model": None,
                "explore": None,
                "dimension": None,
            },
        ]
        elements: list[dict[str, Any]] = [
            {
                "id": f"{dashboard_id}00",
                "dashboard_id": dashboard_id,
                "type": "text",
                "title": None,
                "title_text": "About these numbers",
                "body_text": "Weekly Code Insights usage from pings.",
            }
        ]
        for i, (tile, saved) in enumerate(
            zip(board.tiles, self.elements[dashboard_id], strict=True), start=1
        ):
            query = self.query(saved)
            elements.append(
                {
                    "id": f"{dashboard_id}{i:02d}",
                    "dashboard_id": dashboard_id,
                    "type": "vis",
                    "title": tile.title,
                    "query_id": saved.id,
                    "query": query,
                    "result_maker": {
                        "id": f"rm{saved.id}",
                        "query_id": saved.id,
                        "query": query,
                        "filterables": [_filterable(tile.view, tile.title)],
                    },
                }
            )
        elements.append(
            {
                "id": f"{dashboard_id}99",
                "dashboard_id": dashboard_id,
                "type": "vis",
                "title": "Reporting vs. usage (merged)",
                "merge_result_id": "m1",
                "result_maker": {
                    "id": "rm-merge",
                    "merge_result_id": "m1",
                    "filterables": [_filterable("weekly_pings", "merged")],
                },
            }
        )
        return {
            "id": dashboard_id,
            "title": board.title,
            "created_at": "2025-01-06T09:00:00.000+00:00",
            "dashboard_filters": filters,
            "dashboard_elements": elements,
        }

    def look(self, look_id: str) -> dict[str, Any]:
        saved = self.looks.get(look_id)
        if saved is None:
            raise HttpError(404, "Not found")
        tile = catalog().tiles[saved.dataset]
        return {
            "id": look_id,
            "title": tile.title,
            "query_id": saved.id,
            "query": self.query(saved),
            "model": {"id": MODEL, "label": "Code Insights"},
        }

    # --- query runs ------------------------------------------------------------------

    def run(self, query: dict[str, Any], fmt: str, limit: str | None) -> tuple[str, str]:
        """(content type, body) of ``query`` run in ``fmt``."""
        if query.get("model") != MODEL:
            raise HttpError(404, f"Model {query.get('model')!r} not found")
        view = catalog().views.get(str(query.get("view")))
        if view is None:
            raise HttpError(404, f"Explore {query.get('view')!r} not found in {MODEL}")
        refs = [str(r) for r in query.get("fields") or []]
        fields = [self._field(view, r) for r in refs]
        equal: dict[str, str] = {}
        weeks: tuple[date | None, date | None] = (None, None)
        for ref, expr in (query.get("filters") or {}).items():
            f = self._field(view, ref)
            if not expr:
                continue
            if f.kind != "dimension":
                raise HttpError(400, f"The stand-in filters dimensions only, not {ref}")
            if f.type == "date":
                weeks = _date_range(str(expr))
            else:
                equal[f.name] = _equality(str(expr))
        rows_max = int(limit or query.get("limit") or DEFAULT_LIMIT)
        sql, params = build_query(view, fields, equal, weeks, placeholder=named)
        frame = query_fields(self.warehouse, sql, bind(params))
        frame = self._sorted(frame, view, fields, query.get("sorts") or []).head(rows_max)
        records = [
            {f.ref: _cell(row[f.column], f) for f in fields}
            for row in frame.to_dict(orient="records")
        ]
        dataset = self._by_fields.get(frozenset(refs))
        return self._render(fmt, view, fields, records, sql, dataset)

    def _sorted(
        self, frame: pd.DataFrame, view: View, fields: list[Field], sorts: list[str]
    ) -> pd.DataFrame:
        """Rows in the query's sort order: ``view.field`` ascending, ``view.field desc``
        descending; unsorted queries go by the first date descending, else the first
        measure descending, as Looker does."""
        if not sorts:
            first = next((f for f in fields if f.type == "date"), None) or next(
                (f for f in fields if f.kind == "measure"), None
            )
            sorts = [f"{first.ref} desc"] if first else []
        if not sorts:
            return frame
        chosen = {f.ref: f.column for f in fields}
        unknown = [s for s in sorts if s.split()[0] not in chosen]
        if unknown:
            raise HttpError(400, f"Cannot sort by {unknown[0]!r}: it is not a field of the query")
        keys = [chosen[s.split()[0]] for s in sorts]
        ascending = [s.split()[-1].lower() != "desc" for s in sorts]
        return frame.sort_values(keys, ascending=ascending, kind="stable")

    def _field(self, view: View, ref: str) -> Field:
        name = ref.split(".", 1)[1] if ref.startswith(view.name + ".") else None
        if name is None or name not in view.fields:
            raise HttpError(400, f"Unknown field {ref!r} in explore {view.name!r}")
        return view.fields[name]

    def _render(
        self,
        fmt: str,
        view: View,
        fields: list[Field],
        records: list[dict[str, Any]],
        sql: str,
        dataset: str | None,
    ) -> tuple[str, str]:
        hit = self._hit(dataset)
        if self.faults.html and hit:
            return "text/html; charset=utf-8", HTML_PAGE
        meta = [_field_meta(f, view) for f in fields]
        if hit and self.faults.wrong_types:
            for record in records:
                for f in fields:
                    if f.kind == "measure" and record[f.ref] is not None:
                        record[f.ref] = f"about {record[f.ref]}"
        if hit and self.faults.renamed:
            for m in meta:
                m["name"] = self.faults.renamed.get(m["name"], m["name"])
            records = [{self.faults.renamed.get(k, k): v for k, v in r.items()} for r in records]
        if fmt == "json":
            body = json.dumps(records)
        elif fmt == "json_bi":
            doc = _json_bi(meta, records, sql, plain=hit and self.faults.plain_cells)
            if hit and self.faults.looker_error:
                doc["rows"] = [{"looker_error": self.faults.looker_error}]
            if hit:
                doc[self.faults.rows_key] = doc.pop("rows")
            body = json.dumps(doc)
        elif fmt == "csv":
            return "text/csv; charset=utf-8", _csv(meta, records)
        else:
            raise HttpError(400, f"Unsupported result format {fmt!r}")
        if hit and self.faults.truncated:
            body = body[: len(body) // 2]
        return "application/json", body


def documentation_url(status: int, method: str, path: str) -> str:
    """The docs link Looker puts in every error body: ``.../4.0/404/get/dashboards/:id``."""
    parts = [p for p in path.split("/") if p][2:]
    route = "/".join(p if p in _ROUTE_WORDS else ":id" for p in parts)
    return f"{DOCS_ERRORS}/{status}/{method.lower()}/{route}"


def _filterable(view: str, name: str) -> dict[str, Any]:
    return {
        "model": MODEL,
        "view": view,
        "name": name,
        "listen": [
            {
                "dashboard_filter_name": FILTER_NAMES[INSTANCE_FILTER],
                "field": f"{view}.instance_label",
            },
            {"dashboard_filter_name": FILTER_NAMES[WEEK_FILTER], "field": f"{view}.week"},
        ],
    }


def _rendered(value: Any) -> str:
    if value is None:
        return "∅"
    if isinstance(value, int | float):
        return f"{value:,}"
    return str(value)


def _json_bi(
    meta: list[dict[str, Any]], rows: list[dict[str, Any]], sql: str, plain: bool
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
            "filters": {},
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
                return self._run(fake.query(saved), rest[3], limit, saved.dataset)
            if method == "GET" and len(rest) == 4 and rest[0] == "queries" and rest[2] == "run":
                saved = fake.queries.get(rest[1])
                if saved is None:
                    raise HttpError(404, "Not found")
                return self._run(fake.query(saved), rest[3], limit, saved.dataset)
            if method == "POST" and rest[:2] == ["queries", "run"] and len(rest) == 3:
                try:
                    query = json.loads(body)
                except ValueError:
                    raise HttpError(400, "The request body is not JSON") from None
                refs = frozenset(query.get("fields") or [])
                return self._run(query, rest[2], limit, fake._by_fields.get(refs))
            raise HttpError(404, "Not found")

        def _run(
            self, query: dict[str, Any], fmt: str, limit: str | None, dataset: str | None
        ) -> tuple[int, str, str]:
            if fake._take("dropped", dataset):
                raise _Drop
            if fake._take("rate_limited", dataset):
                raise HttpError(429, "Too many requests", {"Retry-After": fake.faults.retry_after})
            if fake._take("server_error", dataset):
                status = 503 if fake.faults.server_error % 2 else 500
                raise HttpError(status, "The server is busy")
            if fake._take("slow", dataset):
                with fake.lock:
                    fake.log.append((self.command, urlsplit(self.path).path, SLOW))
                time.sleep(fake.faults.slow_seconds)
                raise _Drop(logged=True)  # the client gave up long ago
            ctype, text = fake.run(query, fmt, limit)
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
    from tests.conftest import REPO, write_config

    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    switched = {
        name: {**monitor, "source": LOOKER_SOURCE_OF[name]}
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
    from canary.sources.looker import close_clients

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
    return GreatExpectations()
