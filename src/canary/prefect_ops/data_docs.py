"""Great Expectations Data Docs of one flow run: GE's own validation pages, one per suite
run, and an index page, written into ``<dir>/<monitor>/<week>/<run>/``.

``RecordingGE`` keeps GE's raw expectation results of the run; ``build`` renders them with
GE's Data Docs renderer (the one ``build_data_docs`` uses) into the folder ``place``
names, and returns the index's URL.

Pages are made self-contained: CDN stylesheets and scripts are replaced by canary's own
sheet beside them (they render offline), and their Home link leads to the run's index,
which counts checks as the run's summary does.
"""

from __future__ import annotations

import copy
import html
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from canary.checks.validate import GreatExpectations
from canary.config import Config
from canary.prefect_ops import data_docs_style
from canary.results import RunResult
from canary.statuses import STATUS_ORDER


class RecordingGE(GreatExpectations):
    """``GreatExpectations`` that also keeps each suite run's raw results until ``take``."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._recorded: list[tuple[str, list[Any]]] = []

    def record(self, suite_doc: dict[str, Any], results: list[Any]) -> list[Any]:
        with self._lock:
            self._recorded.append((str(suite_doc["name"]), results))
        return results

    def take(self) -> list[tuple[str, list[Any]]]:
        """The results recorded since the last ``take``."""
        with self._lock:
            out, self._recorded = self._recorded, []
        return out


@dataclass(frozen=True)
class DataDocs:
    index: Path
    url: str
    pages: int


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def folder(config: Config, config_dir: Path) -> Path:
    """``data_docs.dir`` (relative to the config file's folder), else ``data_dir/data-docs``."""
    chosen = config.data_docs.dir
    if chosen is None:
        return config.data_dir / "data-docs"
    return chosen if chosen.is_absolute() else config_dir / chosen


def run_name(started: datetime, flow_run: str | None) -> str:
    """The folder of one flow run's Data Docs: when it started and the flow run's name."""
    return f"{started:%Y%m%dT%H%M%SZ}-{flow_run or 'local'}"


@dataclass(frozen=True)
class Place:
    folder: Path
    url: str


def place(config: Config, config_dir: Path, monitor: str, week: date, run_name: str) -> Place:
    """Where a run's Data Docs go and the URL of their index, known before the run is
    recorded (its alerts link them): under ``data_docs.base_url`` when served, else a
    ``file://`` URL."""
    rel = Path(_slug(monitor)) / week.isoformat() / _slug(run_name)
    target = folder(config, config_dir) / rel
    if config.data_docs.base_url:
        url = f"{config.data_docs.base_url.rstrip('/')}/{rel.as_posix()}/index.html"
    else:
        url = (target / "index.html").resolve().as_uri()
    return Place(target, url)


def _without_na(value: Any) -> Any:
    """``value`` with pandas' NA and NaT as None (GE's renderer cannot test them for truth)."""
    if isinstance(value, dict):
        return {k: _without_na(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_na(v) for v in value]
    return None if value is pd.NA or value is pd.NaT else value


def _renderable(result: Any) -> Any:
    out = copy.copy(result)
    out.result = _without_na(result.result or {})
    return out


_EXTERNAL = re.compile(
    r"<link[^>]*href=\"(?:https?:)?//[^\"]*\"[^>]*>|<script[^>]*src=\"(?:https?:)?//[^\"]*\"[^>]*>\s*</script>"
    r"|<link[^>]*rel=\"shortcut icon\"[^>]*>"
)
_HOME = re.compile(r'href="(?:\.\./)+index\.html"')
_LOGO = re.compile(r"<img[^>]*alt=\"Great Expectations\"[^>]*/?>", re.S)


def self_contained(page: str) -> str:
    """A GE page that renders offline beside the run's index: no CDN links, canary's sheet,
    the Home link and logo pointing at the run's index."""
    page = _EXTERNAL.sub("", page)
    page = _HOME.sub('href="index.html"', page)
    page = _LOGO.sub('<span class="canary-home">canary Data Docs</span>', page)
    sheet = f'<link rel="stylesheet" href="{data_docs_style.FILE_NAME}">'
    return page.replace("</head>", f"{sheet}\n</head>", 1)


def _page(suite: str, results: list[Any]) -> tuple[str, int, int]:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    passed = sum(1 for r in results if r.success)
    validation = ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=[_renderable(r) for r in results],
        suite_name=suite,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100.0 * passed / len(results) if results else 100.0,
        },
        meta={"active_batch_definition": None, "run_id": None},
    )
    document = ValidationResultsPageRenderer().render(validation)
    return self_contained(DefaultJinjaPageView().render(document)), passed, len(results)


def _counts_text(counts: dict[str, int]) -> str:
    """The run summary's counts line ("271 failed · 17 skipped · 127 passed")."""
    return " · ".join(f"{n} {status}" for status, n in counts.items() if n)


def _by_dataset(run: RunResult) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for c in run.checks:
        counts[c.dataset][c.status] += 1
    return {d: {s: n[s] for s in STATUS_ORDER if n[s]} for d, n in sorted(counts.items())}


def index_html(run: RunResult, run_name: str, pages: list[tuple[str, str, int, int]]) -> str:
    """The run's index: the summary's counts, each dataset's, and GE's page of each suite
    (``pages``: file name, suite, expectations passed, expectations run)."""
    title = html.escape(f"{run.monitor}, week {run.week.isoformat()}: {run.status}")
    datasets = "".join(
        f"<tr><td>{html.escape(d)}</td><td>{html.escape(_counts_text(n))}</td></tr>"
        for d, n in _by_dataset(run).items()
    )
    rows = "".join(
        f'<tr><td><a href="{html.escape(name)}">{html.escape(suite)}</a></td>'
        f"<td>{passed} of {total} GE expectations passed"
        f"{'' if passed == total else f' ({total - passed} failed)'}</td></tr>"
        for name, suite, passed, total in pages
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>canary Data Docs: {title}</title>"
        f'<link rel="stylesheet" href="{data_docs_style.FILE_NAME}"></head>'
        f'<body><div class="container-fluid pt-4"><h1>canary Data Docs: {title}</h1>'
        f"<p class='text-muted'>{html.escape(run_name)}</p>"
        f"<p class='canary-counts'>{run.monitor}: {html.escape(_counts_text(run.counts()))} "
        "checks, as in the run's summary</p>"
        "<h2>Checks by dataset</h2><table class='table table-sm canary-index'>"
        f"<thead><tr><th>dataset</th><th>checks</th></tr></thead><tbody>{datasets}</tbody>"
        "</table><h2>GE validation pages</h2>"
        "<p class='text-muted'>One GE expectation of the history suite judges every series "
        "of every dataset at once: its page counts expectations, not checks.</p>"
        "<table class='table table-sm canary-index'><thead><tr><th>suite</th>"
        f"<th>expectations</th></tr></thead><tbody>{rows}</tbody></table></div></body></html>\n"
    )


def build(
    config: Config,
    config_dir: Path,
    run: RunResult,
    run_name: str,
    recorded: list[tuple[str, list[Any]]],
) -> DataDocs:
    """Write the pages and the index of one run; the index links every page."""
    where = place(config, config_dir, run.monitor, run.week, run_name)
    target = where.folder
    target.mkdir(parents=True, exist_ok=True)
    pages = []
    for i, (suite, results) in enumerate(recorded):
        suite_name = suite.split("#")[0]
        name = f"{i:03d}-{_slug(suite_name)}.html"
        page, passed, total = _page(suite_name, results)
        (target / name).write_text(page)
        pages.append((name, suite_name, passed, total))
    (target / data_docs_style.FILE_NAME).write_text(data_docs_style.CSS)
    index = target / "index.html"
    index.write_text(index_html(run, run_name, pages))
    return DataDocs(index, where.url, len(recorded))
