"""Great Expectations Data Docs of one flow run: GE's own validation pages, one per suite
run, and an index page, written into ``<dir>/<monitor>/<week>/<run>/``.

``RecordingGE`` keeps GE's raw expectation results of the run; ``build`` renders them with
GE's Data Docs renderer (the one ``build_data_docs`` uses) and returns the index's URL:
under ``data_docs.base_url`` when the folder is served, else a ``file://`` URL.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from canary.checks.validate import GreatExpectations
from canary.config import Config
from canary.results import RunResult


class RecordingGE(GreatExpectations):
    """``GreatExpectations`` that also keeps each suite run's raw results until ``take``."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._recorded: list[tuple[str, list[Any]]] = []

    def run(
        self,
        suite_doc: dict[str, Any],
        batch: pd.DataFrame,
        parameters: dict[str, Any],
        result_format: str = "SUMMARY",
    ) -> list[Any]:
        results = super().run(suite_doc, batch, parameters, result_format)
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


def _page(suite: str, results: list[Any]) -> tuple[str, int, int]:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    passed = sum(1 for r in results if r.success)
    validation = ExpectationSuiteValidationResult(
        success=passed == len(results),
        results=results,
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
    return DefaultJinjaPageView().render(document), passed, len(results)


def build(
    config: Config,
    config_dir: Path,
    run: RunResult,
    run_name: str,
    recorded: list[tuple[str, list[Any]]],
) -> DataDocs:
    """Write the pages and the index of one run; the index links every page."""
    base = folder(config, config_dir)
    rel = Path(_slug(run.monitor)) / run.week.isoformat() / _slug(run_name)
    target = base / rel
    target.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (suite, results) in enumerate(recorded):
        name = f"{i:03d}-{_slug(suite.split('#')[0])}.html"
        page, passed, total = _page(suite.split("#")[0], results)
        (target / name).write_text(page)
        mark = "passed" if passed == total else f"{total - passed} failed"
        rows.append(
            f'<li><a href="{html.escape(name)}">{html.escape(suite.split("#")[0])}</a>: '
            f"{passed} of {total} expectations passed ({mark})</li>"
        )
    title = html.escape(f"{run.monitor}, week {run.week.isoformat()}: {run.status}")
    (target / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>canary Data Docs: {title}</title></head><body>"
        f"<h1>canary Data Docs: {title}</h1><p>{html.escape(run_name)}</p>"
        f"<ul>{''.join(rows)}</ul></body></html>\n"
    )
    index = target / "index.html"
    if config.data_docs.base_url:
        url = f"{config.data_docs.base_url.rstrip('/')}/{rel.as_posix()}/index.html"
    else:
        url = index.resolve().as_uri()
    return DataDocs(index, url, len(recorded))
