"""Property: no export file makes a run crash (exit 4) or lose the history already stored.

Inputs are real exports of the canary dashboard's tiles with random edits (cells replaced
by any text or number, NaN or infinity, counters made negative; columns dropped, added,
renamed, retyped or blanked; rows dropped or repeated, a week removed (a gap) or one after
the week under test added; only the header left; bytes inserted or cut, a row with a field
too many or too few, a UTF-8 BOM, other encodings, random bytes, an empty file), written as
CSV or Parquet (whole, cut short, with bytes inserted, or empty), pulled by the files source
and run through the same per-monitor path as ``canary run`` against a store holding earlier
weeks. No run exits 4 or shows a traceback; a run that could not check its dataset (exit 3)
leaves the store's history, schemas, outbox and alert state as they were, row for row. The
terminal summary says which edits were tried and which exit codes seen.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tempfile
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.errors import ExitCode, exit_code_for
from canary.incidents import incidents_of
from canary.pipeline import RunOptions, plan, run_monitor
from canary.report.console import print_report
from canary.results import RunResult
from canary.store.db import Store
from canary.weeks import WEEK
from tests.conftest import LATEST_WEEK, NOW, FuzzTally, sample_exports, write_config

pytestmark = pytest.mark.integration
#: one monitor per shape, one dataset each: a series carries its history, a snapshot does not
MONITORS = {"canary-series": "page_views", "canary-snapshot": "instance_usage"}
SETTINGS = settings(
    max_examples=int(os.environ.get("CANARY_PROPERTY_EXAMPLES", "14")),
    deadline=None,
    derandomize="CANARY_PROPERTY_EXAMPLES" not in os.environ,  # set it to explore
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass(repr=False)  # failing examples print it: keep it short
class World:
    config: Config
    base: Path
    store: Path  # holds the week before the one under test; copied for each example
    ge: GreatExpectations
    good: dict[str, str]  # dataset -> the healthy export (CSV text)


@pytest.fixture(scope="module")
def world(shared_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    """Healthy exports, a config with both monitors, and a store holding the week before."""
    base = tmp_path_factory.mktemp("files")
    (base / "exports").mkdir()
    good = {
        dataset: frame.to_csv(index=False)
        for dataset, frame in sample_exports(
            shared_sample, "canary", tuple(MONITORS.values())
        ).items()
    }
    for dataset, text in good.items():
        (base / "exports" / f"{dataset}.csv").write_text(text)
    config = load_config(
        write_config(
            base,
            sources={
                "exports": {
                    "kind": "files",
                    "datasets": {d: {"path": f"exports/{d}.*"} for d in MONITORS.values()},
                }
            },
            monitors={
                name: {
                    "source": "exports",
                    "dashboard": "canary",
                    "suite_prefix": "canary",
                    "alerts": {"channel": "#code-insights-internal"},
                    "datasets": {dataset: {}},
                }
                for name, dataset in MONITORS.items()
            },
        ),
        environ={},
    )
    path = base / "history.db"
    store = Store(f"sqlite:///{path}")
    ge = GreatExpectations()
    for name in MONITORS:
        run_monitor(
            plan(config, name, RunOptions(week=LATEST_WEEK - WEEK, now=NOW), base), store, ge
        )
    store.close()
    return World(config, base, path, ge, good)


cells = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.floats().map(str),
    st.sampled_from(["", "NaN", "null", "1e309", "-1", "1.5", "2026-02-30", "0x1F", "5.28"]),
)
#: edits that may restate a past week with a number (which a run records, as designed)
RESTATING = {"cell", "blank", "insert", "cut"}


@dataclass
class Export:
    """One edited export: its file's suffix and bytes, and the edits that made it."""

    suffix: str
    data: bytes
    kinds: list[str]

    @property
    def restates(self) -> bool:
        return bool(RESTATING.intersection(self.kinds))


def _numbers(frame: pd.DataFrame) -> list[str]:
    return [
        c for c in frame.columns if c not in ("week", "site_id") and frame[c].str.isdigit().all()
    ]


@st.composite
def edited(draw: st.DrawFn, good: str) -> Export:
    """``good`` (a CSV export) with table-level edits, then perhaps byte-level ones."""
    frame = pd.read_csv(io.StringIO(good), dtype=str, keep_default_na=False)
    latest = frame["week"] == LATEST_WEEK.isoformat()
    numbers = _numbers(frame)
    kinds = []
    for _ in range(draw(st.integers(1, 3))):
        columns = list(frame.columns)
        edit = draw(
            st.sampled_from(
                [
                    "cell",
                    "drop",
                    "rename",
                    "blank",
                    "drop rows",
                    "repeat rows",
                    "extra",
                    "retype",
                    "nan/inf",
                    "negative",
                    "future week",
                    "gap",
                    "header only",
                ]
            )
        )
        kinds.append(edit)
        column = draw(st.sampled_from(columns)) if columns else None
        number = draw(st.sampled_from(numbers)) if numbers else None
        if edit == "cell" and column is not None and len(frame):
            frame.loc[draw(st.integers(0, len(frame) - 1)), column] = draw(cells)
        elif edit == "drop" and column is not None:
            frame = frame.drop(columns=column)
        elif edit == "rename" and column is not None:
            frame = frame.rename(columns={column: draw(st.text(max_size=8))})
        elif edit == "blank" and column is not None:
            frame[column] = draw(cells)
        elif edit == "drop rows" and len(frame):
            frame = frame.iloc[draw(st.integers(0, len(frame))) :]
        elif edit == "repeat rows" and len(frame):
            frame = pd.concat([frame, frame.sample(n=1, random_state=draw(st.integers(0, 9)))])
        elif edit == "extra":
            frame[draw(st.text(min_size=1, max_size=8)).strip() or "extra"] = draw(cells)
        elif edit == "retype" and number in frame.columns:
            frame[number] = frame[number] + draw(st.sampled_from([" views", ".5", "e400", "%"]))
        elif edit == "nan/inf" and column is not None and len(frame):
            cell = draw(st.sampled_from(["NaN", "nan", "inf", "-inf", "Infinity", ""]))
            frame.loc[draw(st.integers(0, len(frame) - 1)), column] = cell
        elif edit == "negative" and number in frame.columns:
            here = latest.reindex(frame.index, fill_value=False)
            frame.loc[here, number] = f"-{draw(st.integers(1, 10**6))}"
        elif edit == "future week" and "week" in frame.columns and len(frame):
            ahead = frame[frame["week"] == frame["week"].max()].copy()
            ahead["week"] = (LATEST_WEEK + WEEK * draw(st.integers(1, 60))).isoformat()
            frame = pd.concat([frame, ahead])
        elif edit == "gap" and "week" in frame.columns and len(frame):
            frame = frame[frame["week"] != draw(st.sampled_from(sorted(set(frame["week"]))))]
        elif edit == "header only":
            frame = frame.iloc[:0]
    if draw(st.booleans()) and len(frame.columns) == len(set(frame.columns)):
        typed = frame.apply(lambda c: pd.to_numeric(c, errors="ignore"))  # type: ignore[call-overload]
        out = io.BytesIO()
        typed.to_parquet(out, index=False)
        data = out.getvalue()
        raw = draw(st.sampled_from(["parquet", "parquet cut", "parquet insert", "parquet empty"]))
        kinds.append(raw)
        if raw == "parquet cut":
            data = data[: draw(st.integers(0, len(data) - 1))]
        elif raw == "parquet insert":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
        elif raw == "parquet empty":
            data = b""
        return Export("parquet", data, kinds)
    text = frame.to_csv(index=False)
    raw = draw(
        st.sampled_from(["csv", "bom", "insert", "cut", "latin-1", "bytes", "empty", "ragged"])
    )
    kinds.append(raw)
    if raw == "ragged":  # a row with a field too many or too few
        lines = text.splitlines() or [""]
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = lines[at] + ",x" if draw(st.booleans()) else lines[at].rpartition(",")[0]
        return Export("csv", "\n".join(lines).encode(), kinds)
    if raw == "bom":
        return Export("csv", ("\ufeff" + text).encode(), kinds)
    if raw == "insert":
        at = draw(st.integers(0, len(text)))
        return Export("csv", (text[:at] + draw(st.text(max_size=20)) + text[at:]).encode(), kinds)
    if raw == "cut":
        return Export("csv", text[: draw(st.integers(0, len(text)))].encode(), kinds)
    if raw == "latin-1":
        return Export("csv", (text + "café\n").encode("latin-1", "replace"), kinds)
    if raw == "bytes":
        return Export("csv", draw(st.binary(max_size=300)), kinds)
    return Export("csv", b"" if raw == "empty" else text.encode(), kinds)


def _history(store: Path, before: str, values: bool = False) -> set[tuple[object, ...]]:
    """Everything stored for weeks before ``before``: the keys, or with ``values`` the
    metrics' values too."""
    value = ", value" if values else ""
    with sqlite3.connect(store) as con:
        metrics = con.execute(
            f"SELECT monitor, dataset, week, column_name, segment, metric{value} FROM metrics "
            "WHERE week < ?",
            (before,),
        ).fetchall()
        runs = con.execute("SELECT monitor, week FROM runs WHERE week < ?", (before,)).fetchall()
        checks = con.execute(
            "SELECT monitor, week, check_id, status FROM check_results WHERE week < ?", (before,)
        ).fetchall()
    return (
        {("metric", *m) for m in metrics}
        | {("run", *r) for r in runs}
        | {("check", *c) for c in checks}
    )


#: what a run that could not check its dataset must leave as it was, row for row
KEPT = ("metrics", "dataset_schemas", "outbox", "alert_state", "alert_messages")


def _tables(store: Path) -> dict[str, list[str]]:
    """Every row of the store's history, schemas, outbox and alert state."""
    with sqlite3.connect(store) as con:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}"))) for t in KEPT}


def _write(world: World, dataset: str, suffix: str, data: bytes) -> Path:
    """The export of ``dataset`` as the only file its glob matches."""
    for old in (world.base / "exports").glob(f"{dataset}.*"):
        old.unlink()
    path = world.base / "exports" / f"{dataset}.{suffix}"
    path.write_bytes(data)
    return path


@SETTINGS
@given(data=st.data())
def test_no_export_crashes_a_run_or_loses_stored_history(
    world: World, fuzz_tally: FuzzTally, data: st.DataObject
) -> None:
    monitor = data.draw(st.sampled_from(sorted(MONITORS)))
    dataset = MONITORS[monitor]
    export = data.draw(edited(world.good[dataset]))
    _write(world, dataset, export.suffix, export.data)
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "store.db"
        shutil.copyfile(world.store, database)
        before = _history(database, LATEST_WEEK.isoformat(), values=not export.restates)
        tables = _tables(database)
        store = Store(f"sqlite:///{database}")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # as in production, a warning is no failure
                p = plan(world.config, monitor, RunOptions(week=LATEST_WEEK, now=NOW), world.base)
                run = run_monitor(p, store, world.ge)
        except Exception as exc:  # the CLI's exit code for it: 3 for canary's own errors
            code = exit_code_for((), exc)
            assert code != ExitCode.INTERNAL, "".join(traceback.format_exception(exc))
        else:
            assert run.checks and run.status in ("passed", "failed", "error")
            code = exit_code_for([run.status])
            console = Console(file=io.StringIO(), width=200)
            print_report(console, [run], incidents_of([run]))
            shown = console.file.getvalue()  # type: ignore[attr-defined]
            assert "Traceback" not in shown and 'File "' not in shown, shown[-2000:]
        finally:
            store.close()
            _write(world, dataset, "csv", world.good[dataset].encode())
        fuzz_tally.example([f"{monitor.split('-')[-1]} {k}" for k in export.kinds], f"exit {code}")
        after = _history(database, LATEST_WEEK.isoformat(), values=not export.restates)
        assert before <= after, sorted(before - after)[:5]
        if code == ExitCode.INCOMPLETE:
            kept = _tables(database)
            assert kept == tables, [t for t in KEPT if kept[t] != tables[t]]


def _run_series(world: World, frame: pd.DataFrame, database: Path) -> RunResult:
    """The series monitor's run of the week over ``frame`` as its page_views export, on a
    copy of the world's store at ``database``."""
    path = world.base / "exports" / "page_views.csv"
    path.write_text(frame.to_csv(index=False))
    shutil.copyfile(world.store, database)
    store = Store(f"sqlite:///{database}")
    try:
        p = plan(world.config, "canary-series", RunOptions(week=LATEST_WEEK, now=NOW), world.base)
        return run_monitor(p, store, world.ge)
    finally:
        store.close()
        path.write_text(world.good["page_views"])


def _in_window(frame: pd.DataFrame) -> int:
    """The row of an export's week three weeks before the week under test: inside the
    window whose fingerprints a weekly run compares, so a restated value there is re-read."""
    weeks = pd.to_datetime(frame["week"]).dt.date
    return int(frame.index[weeks == LATEST_WEEK - 3 * WEEK][0])


def test_a_pull_lacking_a_column_keeps_its_history_in_the_weeks_it_restates(
    world: World, tmp_path: Path
) -> None:
    """What the property found: a renamed field plus one restated old value erased the
    field's stored value of that week (the week is rewritten whole)."""
    frame = pd.read_csv(io.StringIO(world.good["page_views"]))
    frame = frame.drop(columns="total_insights_page_views")
    late = _in_window(frame)
    frame.loc[late, "total_standalone_dashboard_clicks"] += 100  # late data restates a week
    database = tmp_path / "store.db"
    before = _history(world.store, LATEST_WEEK.isoformat())
    run = _run_series(world, frame, database)
    assert any(c.check == "history rewritten" and c.status != "passed" for c in run.checks)
    assert before <= _history(database, LATEST_WEEK.isoformat())
    with sqlite3.connect(database) as con:
        [(clicks,)] = con.execute(
            "SELECT value FROM metrics WHERE week = ? AND column_name = ?",
            (str(frame.loc[late, "week"]), "total_standalone_dashboard_clicks"),
        ).fetchall()
    assert clicks == frame.loc[late, "total_standalone_dashboard_clicks"]  # restated, as pulled


def test_a_past_value_blanked_in_a_pull_keeps_its_stored_value(
    world: World, tmp_path: Path
) -> None:
    """A restated week is written, but a value the pull no longer has (a blank cell, NaN)
    never erases the number stored for it: a pull restates history, it never erases it."""
    frame = pd.read_csv(io.StringIO(world.good["page_views"]))
    frame["total_insights_page_views"] = frame["total_insights_page_views"].astype("float64")
    late = _in_window(frame)
    frame.loc[late, "total_insights_page_views"] = float("nan")
    frame.loc[late, "total_standalone_dashboard_clicks"] += 100  # the same week restated
    database = tmp_path / "store.db"
    run = _run_series(world, frame, database)
    assert any(c.check == "history rewritten" and c.status != "passed" for c in run.checks)
    with sqlite3.connect(database) as con:
        stored = dict(
            con.execute(
                "SELECT column_name, value FROM metrics WHERE week = ? AND column_name IN (?, ?)",
                (
                    str(frame.loc[late, "week"]),
                    "total_insights_page_views",
                    "total_standalone_dashboard_clicks",
                ),
            ).fetchall()
        )
    good = pd.read_csv(io.StringIO(world.good["page_views"])).loc[late]
    assert stored["total_insights_page_views"] == good["total_insights_page_views"]
    assert (
        stored["total_standalone_dashboard_clicks"]
        == frame.loc[late, "total_standalone_dashboard_clicks"]
    )
