"""The ``canary.result/1`` JSON document (DESIGN.md section 4) and its schema."""

from __future__ import annotations

import json
import os
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from canary.incidents import incidents_of
from canary.incidents.model import Incident
from canary.jsonable import json_ready
from canary.results import CheckResult, RunResult

SCHEMA_ID = "canary.result/1"


def check_document(check: CheckResult) -> dict[str, Any]:
    return {
        "id": check.id,
        "dataset": check.dataset,
        "check": check.check,
        "column": check.column,
        "segment": check.segment,
        "status": check.status,
        "observed": json_ready(check.observed),
        "expected": json_ready(check.expected),
        "reason": check.reason,
        "first_failed_week": check.first_failed_week.isoformat()
        if check.first_failed_week
        else None,
        "severity": check.severity,
        "sample_rows": json_ready(check.sample_rows),
        "details": json_ready(check.details),
    }


def summarize(runs: list[RunResult]) -> dict[str, dict[str, int]]:
    """Weeks with a failure per check name (what backtest reports)."""
    failed = Counter(
        name for run in runs for name in {c.check for c in run.checks if c.status == "failed"}
    )
    return {name: {"failed_weeks": n} for name, n in sorted(failed.items())}


def document(
    runs: list[RunResult], with_summary: bool = False, incidents: list[Incident] | None = None
) -> dict[str, Any]:
    """The result document; ``incidents`` default to those found in ``runs``."""
    if incidents is None:
        incidents = incidents_of(runs)
    return {
        "schema": SCHEMA_ID,
        "runs": [
            {
                "monitor": run.monitor,
                "week": run.week.isoformat(),
                "status": run.status,
                "checks": [check_document(c) for c in run.checks],
            }
            for run in runs
        ],
        "summary": {"checks": summarize(runs) if with_summary else {}},
        "incidents": [i.document() for i in incidents],
    }


def write(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` atomically as strict JSON (NaN and infinities as null)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(json_ready(doc), indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)


@cache
def schema() -> dict[str, Any]:
    text = resources.files("canary").joinpath("schemas/result-1.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(doc: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``doc`` follows the schema."""
    jsonschema.Draft202012Validator(schema()).validate(doc)
