"""One incident: what broke, since when, how bad, where, and the checks that show it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canary.jsonable import json_ready


def incident_id(cause: str | None, key: str, onset: date | None = None) -> str:
    """Stable id of a breakage: its cause and what it touches (the catalog slug, or the
    field family or dataset of an unexplained failure), not the week. It keeps its id on a
    rerun, every week it goes on failing, and when it comes back after a recovery, so alert
    lifecycles can follow it (still failing, resolved, reopened). ``onset`` tells apart two
    breakages of one kind failing since different weeks at once."""
    parts = [cause, key] if onset is None else [cause, key, onset.isoformat()]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


@dataclass
class Incident:
    """Failed checks sharing a cause. ``cause`` is a breakage catalog slug or None."""

    id: str
    week: date
    cause: str | None
    confidence: float
    headline: str
    scope: str
    check_ids: list[str]
    first_failed_week: date
    monitors: list[str]
    status: str = "failed"
    severity: str = "critical"
    observed: Any = None
    expected: dict[str, Any] | None = None
    headline_check: str | None = None
    datasets: list[str] = field(default_factory=list)
    class_: str = "unclear"  # pipeline, product or unclear (canary.incidents.classify)
    class_evidence: str = ""  # why, in one sentence

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """Most severe first: failures, critical, explained, then the most checks."""
        return (
            0 if self.status == "failed" else 1,
            {"critical": 0, "warning": 1}.get(self.severity, 2),
            0 if self.cause else 1,
            -len(self.check_ids),
        )

    def document(self) -> dict[str, Any]:
        """The incident as it appears in the ``canary.result/1`` JSON document."""
        return {
            "id": self.id,
            "week": self.week.isoformat(),
            "cause": self.cause,
            "confidence": round(self.confidence, 2),
            "headline": self.headline,
            "scope": self.scope,
            "check_ids": list(self.check_ids),
            "first_failed_week": self.first_failed_week.isoformat(),
            "monitors": list(self.monitors),
            "datasets": list(self.datasets),
            "status": self.status,
            "severity": self.severity,
            "observed": json_ready(self.observed),
            "expected": json_ready(self.expected),
            "headline_check": self.headline_check,
            "class": self.class_,
            "class_evidence": self.class_evidence,
        }
