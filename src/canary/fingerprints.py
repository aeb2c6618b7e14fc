"""A series week's fingerprint: its rows and the sums of its counters, as one short text.

Stored with each run (``canary.store.fingerprints``) and compared at the next one
(``canary.anomaly.reads``): a past week whose fingerprint changed was rewritten.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date

import pandas as pd


def fingerprint(rows: int, sums: Mapping[str, object]) -> str:
    """One week's fingerprint as stored: its rows and counter sums (10 significant digits,
    so that sums added up in another order compare equal)."""
    shown: dict[str, float | None] = {}
    for column, value in sorted(sums.items()):
        number = None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]
        shown[column] = (
            None if number is None or not math.isfinite(number) else float(f"{number:.10g}")
        )
    return json.dumps({"rows": int(rows), "sums": shown}, sort_keys=True)


def fingerprints_of(
    frame: pd.DataFrame, time_column: str, counters: list[str], since: date | None = None
) -> dict[date, str]:
    """Week -> fingerprint of rows already in hand (the weeks from ``since`` on): rows per
    week and sums of ``counters``."""
    if time_column not in frame.columns or frame.empty:
        return {}
    present = [c for c in counters if c in frame.columns]
    weeks = pd.to_datetime(frame[time_column]).dt.date
    if since is not None:
        frame, weeks = frame[(weeks >= since).to_numpy()], weeks[weeks >= since]
    out = {}
    for week, rows in frame.groupby(weeks, sort=True):
        sums = {c: rows[c].astype("float64").sum(min_count=1) for c in present}
        out[week] = fingerprint(len(rows), sums)
    return out
