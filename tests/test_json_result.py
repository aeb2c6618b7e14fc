"""The canary.result/1 document: valid against the schema, strict JSON, NaN as null."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from canary.report.json_result import document, validate, write
from canary.results import CheckResult, RunResult
from tests.conftest import REPO

W = date(2026, 11, 16)


def _run() -> RunResult:
    return RunResult(
        "code-insights-canary",
        W,
        [
            CheckResult(
                "code-insights-canary",
                "page_views",
                "not null",
                "failed",
                "page_views, week 2026-11-16: null.",
                "total_insights_page_views",
                observed={"unexpected_percent": math.nan},
                expected={"min": -math.inf},
                first_failed_week=W,
            ),
            CheckResult(
                "code-insights-canary",
                "usage_by_version",
                "drop",
                "passed",
                "ok.",
                "page_views",
                segment={"version_minor": "5.3"},
                observed=12.5,
            ),
        ],
    )


def test_document_validates_and_writes_strict_json(tmp_path: Path) -> None:
    doc = document([_run()])
    validate(doc)
    out = tmp_path / "deep" / "out.json"
    write(out, doc)
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    loaded = json.loads(text)
    validate(loaded)
    check = loaded["runs"][0]["checks"][0]
    assert check["observed"] == {"unexpected_percent": None} and check["expected"] == {"min": None}
    assert check["first_failed_week"] == "2026-11-16"
    assert loaded["runs"][0]["status"] == "failed"
    assert loaded["schema"] == "canary.result/1"


def test_summary_counts_failed_weeks_per_check() -> None:
    runs = [_run(), _run()]
    assert document(runs, with_summary=True)["summary"]["checks"] == {
        "not null": {"failed_weeks": 2}
    }
    assert document(runs)["summary"] == {"checks": {}}


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(schema="canary.result/2"),
        lambda d: d["runs"][0].update(status="weird"),
        lambda d: d["runs"][0]["checks"][0].update(id="not-a-hash"),
        lambda d: d["runs"][0]["checks"][0].pop("reason"),
        lambda d: d["runs"][0].update(week="16/11/2026"),
    ],
)
def test_schema_rejects_broken_documents(breakage) -> None:  # type: ignore[no-untyped-def]
    doc = document([_run()])
    breakage(doc)
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)


def test_schema_file_is_in_the_repo_and_packaged() -> None:
    schema = json.loads((REPO / "src/canary/schemas/result-1.schema.json").read_text())
    assert schema["$id"] == "canary.result/1"
