"""The history-aware stage of a run: gather inputs (store I/O), derive rows, judge with GE."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from canary.anomaly.attribution import attribute
from canary.anomaly.calendar import Calendar
from canary.anomaly.cross_source import CHECK as CROSS_CHECK
from canary.anomaly.cross_source import cross_source
from canary.anomaly.detectors import FAMILIES, LEVEL_CHECKS, derive
from canary.anomaly.inputs import HistoryInput, rows
from canary.anomaly.reads import copies_with_stored, labels_with_stored, with_stored
from canary.anomaly.typical import figures
from canary.checks.families import role_of
from canary.checks.suites import check_name, load_suite, suite_path
from canary.checks.validate import GreatExpectations
from canary.config import CrossCheck, MonitorConfig
from canary.results import CheckResult
from canary.statuses import Status
from canary.store import history as store_history
from canary.store.db import Store
from canary.summary import TileSummary
from canary.weeks import WEEK

SUITE = "history"
#: Where canary's own history suite lives; a ``history.json`` in ``expectations_dir``
#: replaces it (a team's own bounds checks).
BUNDLED = Path(__file__).parent
HISTORY_WEEKS = 70
FLAG_CHECKS = (*LEVEL_CHECKS, "null rate", CROSS_CHECK)


def gather(
    monitor: str,
    config: MonitorConfig,
    week: date,
    store: Store,
    pulled: list[TileSummary],
    metrics: list[pd.DataFrame],
    null_by_design: dict[str, set[str]],
    narrow: set[str] | None = None,
) -> list[HistoryInput]:
    """One ``HistoryInput`` per pulled dataset, with what the store remembers of it; a
    series read ``narrow`` (``canary.anomaly.reads``) gets the stored weeks it did not read."""
    current = pd.concat(metrics, ignore_index=True) if metrics else pd.DataFrame()
    accepted = store_history.accepted(store, monitor, week)
    calendar = Calendar(list(config.quiet_weeks), config.calendar)
    snapshots = [d.name for d in pulled if d.tile.shape == "snapshot"]
    typical = figures(current[current["dataset"].isin(snapshots)] if len(current) else current)
    inputs = []
    for data in pulled:
        # a year and a quarter back: the training window and last year's same holiday
        since = None if data.tile.shape == "series" else week - WEEK * HISTORY_WEEKS
        stored = store.metric_history(monitor, data.name, since=since, before=week)
        mine = current[current["dataset"] == data.name] if len(current) else current
        series_values = None
        if data.tile.shape == "series" and len(stored):
            series_values = stored[stored["metric"] == "value"][
                ["week", "column_name", "segment", "value"]
            ]
        summary = data
        if data.tile.shape == "series" and data.name in (narrow or set()):
            history = with_stored(mine, series_values, data.name)
            summary = labels_with_stored(data, series_values, week)
            summary = copies_with_stored(summary, mine, series_values, week)
        elif data.tile.shape == "series":
            history = mine  # a full read carries its own history
        else:
            history = pd.concat([stored, mine], ignore_index=True) if len(stored) else mine
        inputs.append(
            HistoryInput(
                monitor=monitor,
                dataset=data.name,
                tile=data.tile,
                week=week,
                summary=summary,
                metrics=history[["week", "column_name", "segment", "metric", "value"]]
                if len(history)
                else pd.DataFrame(columns=["week", "column_name", "segment", "metric", "value"]),
                settings=config.history_for(data.name),
                calendar=calendar,
                flagged=store_history.flagged_weeks(store, monitor, data.name, FLAG_CHECKS, week),
                accepted=accepted,
                stored_values=series_values,
                last_schema=store_history.last_schema(store, monitor, data.name, week),
                null_by_design=null_by_design.get(data.name, set()),
                typical=typical,
            )
        )
    return inputs


def changed_weeks_only(rows: pd.DataFrame, stored: pd.DataFrame | None, week: date) -> pd.DataFrame:
    """A series' metric rows of the weeks worth writing: new or changed since the last pull,
    and the week under test (rewriting 104 identical weeks every run is waste).

    A week is written whole, so a column or segment this pull lacks (a renamed field), or
    a past value it has as null (a blanked cell), keeps its stored value there: a pull
    restates history, it never erases it.
    """
    if stored is None or stored.empty or rows.empty:
        return rows
    keys = ["week", "column_name", "segment"]
    merged = rows.merge(stored, on=keys, how="left", suffixes=("", "_stored"), indicator=True)
    a, b = merged["value"], merged["value_stored"]
    erased = a.isna() & b.notna() & (merged["week"] != week)
    differs = ((merged["_merge"] == "left_only") | ~((a == b) | (a.isna() & b.isna()))) & ~erased
    weeks = set(merged.loc[differs.to_numpy(), "week"]) | {week}
    restated = merged.assign(value=a.where(~erased, b))[rows.columns]
    written = restated[restated["week"].isin(weeks)]
    past = stored[stored["week"].isin(weeks)].merge(
        written[keys], on=keys, how="left", indicator=True
    )
    kept = past[past["_merge"] == "left_only"].assign(
        dataset=rows["dataset"].iloc[0], metric="value"
    )
    return pd.concat([written, kept[written.columns]], ignore_index=True) if len(kept) else written


def schemas_of(pulled: list[TileSummary]) -> dict[str, dict[str, str]]:
    """Dataset -> column -> dtype of each pull (recorded with the run)."""
    return {data.name: dict(data.schema) for data in pulled}


def _number(value: Any) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _same(indexes: list[int]) -> list[int]:
    return indexes


def judge(
    monitor: str,
    week: date,
    ge: GreatExpectations,
    expectations_dir: Any,
    inputs: list[HistoryInput],
    cross_checks: Mapping[str, CrossCheck] | None = None,
) -> list[CheckResult]:
    """Derive every dataset's rows and the ``cross_checks``' (``canary.anomaly.cross_source``),
    then let the ``history`` suite judge them in one pass."""
    parts = [derive(h) for h in inputs] + [rows(cross_source(inputs, cross_checks or {}))]
    frame = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else None
    )
    if frame is None:
        return []
    own = suite_path(expectations_dir, SUITE).exists()
    suite = load_suite(expectations_dir if own else BUNDLED, SUITE)
    broken = ge.unbuildable(suite["expectations"])
    if broken:  # a history suite short of one of its checks would judge wrongly
        return [
            CheckResult(
                monitor,
                h.dataset,
                check_name(suite["expectations"][i]),
                "error",
                f"{h.dataset}, week {week}: the history checks could not run: suite {SUITE} "
                f"expectations[{i}]: {why}.",
            )
            for i, why in broken.items()
            for h in inputs
        ]
    judged = frame[["observed", "lower", "upper"]]

    def validate() -> list[int]:
        return sorted(
            i
            for result in ge.run(suite, judged, {}, "COMPLETE")
            for i in (result.result or {}).get("unexpected_index_list") or []
            if isinstance(i, int)
        )

    indexes: list[int] = ge.cache.remember(["history", suite], judged, validate, _same, _same)
    failing = set(indexes)
    tiles = {h.dataset: h.tile for h in inputs}
    out = []
    for i, row in frame.iterrows():
        segment = json.loads(row["segment"]) if row["segment"] else None
        skipped = np.isnan(row["lower"]) and np.isnan(row["upper"])
        status: Status = "skipped" if skipped else ("failed" if i in failing else "passed")
        if status == "failed" and row["severity"] != "critical":
            status = "warning"
        reason = f"{row['dataset']}, week {week}: {row['detail']}."
        details: dict[str, Any] = {
            "expected_centre": _number(row["expected"]),
            "training_weeks": int(row["training_weeks"]),
        }
        if row["check"] == "dead metric":  # judged as 0 either way: which it was
            details["null"] = bool(row["null"])
        if isinstance(row["details"], dict):
            details.update(row["details"])
        if (
            status == "failed"
            and segment is None
            and row["check"] in LEVEL_CHECKS
            and row["column"]
        ):
            text, shares = attribute(row, inputs)
            if text:
                reason = reason[:-1] + f"; {text}."
                details["attribution"] = shares
        column = row["column"] if isinstance(row["column"], str) else None
        tile = tiles[row["dataset"]]
        field = next((f for f in tile.fields if f.column == column), None)
        out.append(
            CheckResult(
                monitor,
                row["dataset"],
                row["check"],
                status,
                reason,
                column=column,
                segment=segment,
                observed=_number(row["observed"]),
                expected=None
                if skipped
                else {"min": _number(row["lower"]), "max": _number(row["upper"])},
                severity=str(row["severity"]),
                details=details,
                family=FAMILIES.get(str(row["check"])),
                field_role=role_of(tile, field) if field is not None else None,
            )
        )
    return out
