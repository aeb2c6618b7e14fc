"""A dataset's own row key, checked before anything is profiled or stored.

A pull missing a key or segment column, or a series repeating a key in any week, cannot be
profiled into one metric per week and segment: its dataset fails this check and its
history-aware checks and metrics wait until the export is whole again; the run goes on.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from canary.dashboards import Tile
from canary.results import CheckResult

CHECK = "row key"


def key_columns(tile: Tile) -> list[str]:
    """The columns that identify a row and the segments metrics are split by."""
    return list(dict.fromkeys([*tile.row_key, *tile.segments]))


def problem(tile: Tile, frame: pd.DataFrame) -> str | None:
    """What is wrong with the rows' key, or None when every row has one of its own."""
    columns = key_columns(tile)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        return f"key column{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing"
    if tile.shape != "series":
        return None  # a snapshot's repeats are its suite's "one row per key" check
    repeated = frame.duplicated(columns, keep=False)
    if not repeated.any():
        return None
    text = f"{int(repeated.sum())} rows repeat a key ({', '.join(columns)})"
    if tile.time_column in columns:
        weeks = sorted({str(w)[:10] for w in frame.loc[repeated, tile.time_column]})
        text += f" in week{'s' if len(weeks) > 1 else ''} {', '.join(weeks[:5])}"
        text += f" and {len(weeks) - 5} more" if len(weeks) > 5 else ""
    return text


def verdict(monitor: str, dataset: str, found: str | None, week: date) -> CheckResult:
    """The ``row key`` check given the problem found (None: every row has a key)."""
    if found is None:
        return CheckResult(
            monitor, dataset, CHECK, "passed", f"{dataset}, week {week}: one row per key."
        )
    return CheckResult(
        monitor,
        dataset,
        CHECK,
        "failed",
        f"{dataset}, week {week}: {found}; its metrics and history-aware checks wait "
        "until every row has a key of its own.",
        observed=found,
    )
