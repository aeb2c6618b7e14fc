"""``canary backfill`` over stored weeks, empty and misdated exports, and whole weeks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from canary.cli import main
from canary.config import load_config
from canary.errors import StoreError
from canary.pipeline import RunOptions, plan
from canary.replay import backfill
from canary.store import db
from canary.store.db import Store
from canary.weeks import as_of_datetime
from tests.backfill_exports import MONITOR, dump, files_setup, make_exports, store_path

AS_OF = "2026-06-10"


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_exports(tmp_path_factory.mktemp("exports"))


@pytest.fixture
def config(tmp_path: Path, exports: Path) -> Path:
    return files_setup(tmp_path, exports)


def _backfill(config: Path, start: str, end: str, *more: str) -> int:
    args = ["backfill", "--config", str(config), "--monitor", MONITOR, "--as-of", AS_OF]
    return main([*args, "--from", start, "--to", end, *more])


def test_backfill_over_stored_weeks_changes_nothing(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Again, overlapping, or forced: exit 0 and the same store, plus only the new weeks."""
    assert _backfill(config, "2026-01-26", "2026-05-25") == 0
    first = dump(store_path(config))
    assert _backfill(config, "2026-01-26", "2026-05-25") == 0
    assert "instance_usage: 0 weeks written" in capsys.readouterr().out
    assert dump(store_path(config)) == first
    assert _backfill(config, "2026-01-26", "2026-05-25", "--force") == 0
    assert dump(store_path(config)) == first
    assert _backfill(config, "2026-05-04", "2026-06-01") == 0  # overlaps the end
    assert "instance_usage: 1 week written" in capsys.readouterr().out
    weeks = {row[2] for row in dump(store_path(config))["metrics"]}
    assert min(weeks) == "2026-01-26" and "2026-06-01" in weeks


@pytest.mark.parametrize("content", ["", "week,site_id\n"], ids=["0 bytes", "header only"])
def test_an_empty_export_writes_no_history_or_schema(
    config: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    assert _backfill(config, "2026-01-26", "2026-05-25") == 0
    before = dump(store_path(config))
    capsys.readouterr()
    for name in ("instance_usage", "page_views"):
        (config.parent / "exports" / f"{name}.csv").write_text(content)
    code = _backfill(config, "2026-01-26", "2026-05-25", "--force")
    printed = capsys.readouterr()
    assert dump(store_path(config)) == before
    if content:  # a header names the week column: its weeks have no rows
        assert code == 0, printed
        assert "instance_usage: 0 weeks written" in printed.out
    else:
        assert code == 3, printed
        assert "instance_usage.csv is empty" in printed.err
    assert "column0" not in str(before)


def _dated_sundays(config: Path) -> None:
    for name in ("instance_usage", "page_views"):
        path = config.parent / "exports" / f"{name}.csv"
        frame = pd.read_csv(path, dtype=str)
        frame["week"] = (pd.to_datetime(frame["week"]) - pd.Timedelta(days=1)).dt.strftime(
            "%Y-%m-%d"
        )
        frame.to_csv(path, index=False)


def test_weeks_not_dated_monday_are_refused_before_anything_is_stored(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dated_sundays(config)
    assert _backfill(config, "2026-01-26", "2026-05-25") == 3
    err = capsys.readouterr().err
    assert "instance_usage.csv" in err and "column 'week'" in err
    assert "a Sunday" in err and "Monday" in err
    args = ["run", "--config", str(config), "--as-of", AS_OF, "--quiet"]
    assert main(args) == 3  # the run refuses the weeks too
    stored = dump(store_path(config))
    assert stored["metrics"] == [] and stored["dataset_schemas"] == []


def test_a_week_is_written_whole_or_not_at_all(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails after a week's metrics leaves none of that week in the store."""
    cfg = load_config(config)
    p = plan(cfg, MONITOR, RunOptions(now=as_of_datetime(date(2026, 6, 10))), config.parent)
    store = Store(f"sqlite:///{store_path(config)}")
    replace_schemas = db._replace_schemas
    written: list[date] = []

    def failing_third(con, monitor, week, schemas):  # type: ignore[no-untyped-def]
        if len(written) == 2:
            raise StoreError("disk full")
        replace_schemas(con, monitor, week, schemas)
        written.append(week)

    monkeypatch.setattr(db, "_replace_schemas", failing_third)
    with pytest.raises(StoreError):
        backfill(p, store, date(2026, 1, 26), date(2026, 5, 25))
    assert store.metric_weeks(MONITOR, "instance_usage") == set(written)
    schemas = {row[2] for row in dump(store_path(config))["dataset_schemas"]}
    assert schemas == {w.isoformat() for w in written}
    store.close()
