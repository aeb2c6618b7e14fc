"""Incidents: failed checks that share a cause, told as one finding with a probable cause."""

from __future__ import annotations

from collections.abc import Iterable

from canary.dashboards import catalog
from canary.incidents.group import find_incidents
from canary.incidents.model import Incident
from canary.results import RunResult

__all__ = ["Incident", "find_incidents", "incidents_of"]


def incidents_of(runs: Iterable[RunResult]) -> list[Incident]:
    """Incidents of ``runs`` over the dashboards' tiles, most severe first."""
    return find_incidents(runs, catalog().tiles)
