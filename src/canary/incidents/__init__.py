"""Incidents: failed checks that share a cause, told as one finding with a probable cause."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from canary.dashboards import Tile, catalog
from canary.incidents.group import find_incidents
from canary.incidents.model import Incident
from canary.results import RunResult

__all__ = ["Incident", "find_incidents", "incidents_of"]


def incidents_of(
    runs: Iterable[RunResult], tiles: Mapping[str, Tile] | None = None
) -> list[Incident]:
    """Incidents of ``runs``, most severe first, over ``tiles`` (default: the tiles each run
    came from, over the bundled definitions)."""
    runs = list(runs)
    if tiles is None:
        tiles = {**catalog().tiles}
        for run in runs:
            tiles.update(run.tiles)
    return find_incidents(runs, tiles)
