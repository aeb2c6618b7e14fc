"""An Amplitude Dashboard REST API stand-in for tests, on 127.0.0.1, written from
Amplitude's public documentation.

It serves what canary calls: ``/api/2/events/list`` (the project's event types),
``/api/2/events/segmentation`` (``e`` a JSON event with an optional ``group_by``, ``m``
uniques or totals, ``start``/``end`` as YYYYMMDD, ``i=7`` weekly) and
``/api/3/chart/{id}/query`` (a saved chart's results over its saved range). Answers are
``{"data": {"series", "seriesLabels", "xValues", "seriesCollapsed"}}``: labels ``0`` without
a group-by and ``[0, value]`` with one, chart cells ``{"setId", "value"}`` objects. Requests
need basic auth with the API key and secret key (else 401 with Amplitude's plain text).

``Faults`` make it misbehave: 429 (a concurrent-query limit body, ``Retry-After``) or 500 a
number of times, an HTML page, and slow replies.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_KEY = "amp-api-key-3f9c21"
SECRET_KEY = "amp-secret+key/7Qe=="
WEEK = timedelta(days=7)

#: Weekly values by week (a Monday, as a project whose week starts on Monday counts them).
Weekly = Mapping[date, int]


@dataclass
class Chart:
    """A saved segmentation chart: one series, or one per breakdown value."""

    series: Mapping[str, Weekly]  # label ("" without a breakdown) -> weekly values


@dataclass
class Event:
    """An event type's weekly uniques, overall and by the values of its properties."""

    weekly: Weekly
    by: Mapping[str, Mapping[str, Weekly]] = field(default_factory=dict)


@dataclass
class Faults:
    """Switches; counted ones fire on the next data queries and then stop."""

    rate_limited: int = 0
    retry_after: str | None = "1"
    server_errors: int = 0
    html: bool = False
    slow: float = 0.0


class AmplitudeFake:
    """The project's charts and events, and the switches; ``url`` is the API host."""

    def __init__(self) -> None:
        self.charts: dict[str, Chart] = {}
        self.events: dict[str, Event] = {}
        self.faults = Faults()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> AmplitudeFake:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fault(self) -> tuple[int, dict[str, str], bytes] | None:
        """The fault a data query meets now, if any (counted ones count down)."""
        with self._lock:
            if self.faults.rate_limited:
                self.faults.rate_limited -= 1
                body = {
                    "error": {
                        "http_code": 429,
                        "type": "concurrent_limit",
                        "message": "Too many concurrent requests: at most 5",
                    }
                }
                headers = (
                    {"Retry-After": self.faults.retry_after} if self.faults.retry_after else {}
                )
                return 429, headers, json.dumps(body).encode()
            if self.faults.server_errors:
                self.faults.server_errors -= 1
                return 500, {}, b"Internal Server Error"
        if self.faults.html:
            page = b"<!doctype html><html><body>Amplitude is under maintenance</body></html>"
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page
        return None

    def segmentation(self, params: Mapping[str, str]) -> tuple[int, Any]:
        """The answer to an event segmentation query, or a 400 naming the bad parameter."""
        try:
            event = json.loads(params["e"])
            start, end = (_day(params[k]) for k in ("start", "end"))
        except (KeyError, ValueError) as exc:
            return 400, f"Invalid parameters: {exc}"
        if params.get("i") != "7" or params.get("m", "uniques") not in ("uniques", "totals"):
            return 400, "This stand-in answers i=7 (weekly) with m=uniques or totals"
        weeks = _mondays(start, end)
        known = self.events.get(event.get("event_type"), Event({}))
        groups = event.get("group_by") or []
        if groups:
            values = known.by.get(groups[0]["value"], {})
            labels: list[Any] = [[0, v] for v in values]
            series = [[weekly.get(w, 0) for w in weeks] for weekly in values.values()]
        else:
            labels, series = [0], [[known.weekly.get(w, 0) for w in weeks]]
        return 200, _data(series, labels, weeks)

    def chart(self, chart_id: str) -> tuple[int, Any]:
        chart = self.charts.get(chart_id)
        if chart is None:
            return 404, {"error": {"http_code": 404, "message": f"Chart {chart_id} not found"}}
        weeks = sorted({w for weekly in chart.series.values() for w in weekly})
        labels: list[Any] = [[0, k] if k else 0 for k in chart.series]
        series = [
            [{"setId": "", "value": weekly.get(w, 0)} for w in weeks]
            for weekly in chart.series.values()
        ]
        return 200, _data(series, labels, weeks)


def _day(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _mondays(start: date, end: date) -> list[date]:
    first = start - timedelta(days=start.weekday())
    return [first + WEEK * n for n in range((end - first).days // 7 + 1)]


def _data(series: list[list[Any]], labels: list[Any], weeks: list[date]) -> dict[str, Any]:
    collapsed = [[{"setId": "", "value": sum(_n(c) for c in s)}] for s in series]
    return {
        "data": {
            "series": series,
            "seriesLabels": labels,
            "xValues": [w.isoformat() for w in weeks],
            "seriesCollapsed": collapsed,
        }
    }


def _n(cell: Any) -> int:
    return int(cell["value"] if isinstance(cell, dict) else cell)


def _handler(fake: AmplitudeFake) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{API_KEY}:{SECRET_KEY}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, headers: Mapping[str, str] = {}) -> None:
            raw = (
                body
                if isinstance(body, bytes)
                else (json.dumps(body) if not isinstance(body, str) else body).encode()
            )
            kind = "application/json" if isinstance(body, dict) else "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", headers.get("Content-Type", kind))
            for name, value in headers.items():
                if name != "Content-Type":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(raw)  # unless the client gave up waiting (a slow fault)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            with fake._lock:
                fake.requests.append((url.path, params))
            if self.headers.get("Authorization") != expected:
                self._send(401, "Invalid Api-Key or Secret-Key")
                return
            if url.path == "/api/2/events/list":
                names = sorted(fake.events)
                self._send(200, {"data": [{"name": n, "totals": 0} for n in names]})
                return
            if fake.faults.slow:
                time.sleep(fake.faults.slow)
            fault = fake.fault()
            if fault is not None:
                status, headers, raw = fault
                self._send(
                    status,
                    raw,
                    {"Content-Type": "application/json", **headers} if status == 429 else headers,
                )
                return
            if url.path == "/api/2/events/segmentation":
                self._send(*fake.segmentation(params))
            elif url.path.startswith("/api/3/chart/") and url.path.endswith("/query"):
                self._send(*fake.chart(url.path.split("/")[4]))
            else:
                self._send(404, {"error": {"http_code": 404, "message": "Not found"}})

    return Handler


@contextmanager
def amplitude_fake() -> Iterator[AmplitudeFake]:
    """A started stand-in, stopped after the block."""
    fake = AmplitudeFake().start()
    try:
        yield fake
    finally:
        fake.stop()
