"""Unreadable exports are input errors naming the file and line, never a breakage's story;
valid CSV the sniffer of DuckDB trips on is read."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from canary.cli import main
from canary.dashboards import Tile, catalog
from canary.errors import SourceError
from canary.sources.files import FilesSource
from canary.sources.files_config import FileDataset
from tests.conftest import AS_OF, LATEST_WEEK
from tests.test_files_source import export_tiles, files_config

CANARY = catalog().dashboards["canary"]
WEEKS = [LATEST_WEEK - timedelta(weeks=n) for n in range(3)]


def _frame(tile: Tile, per_week: int = 1) -> pd.DataFrame:
    """Rows of ``tile`` for a few weeks, every declared column filled (``per_week`` instances
    a week for a snapshot)."""
    rows = []
    for week in WEEKS:
        for i in range(per_week):
            row: dict[str, object] = {}
            for column, kind in tile.dtypes.items():
                if column == tile.time_column:
                    row[column] = week.isoformat()
                elif kind in ("integer", "number"):
                    row[column] = i % 7 + 1
                else:
                    row[column] = f"{column}-{i}"
            rows.append(row)
    return pd.DataFrame(rows)


def _source(tmp_path: Path, dataset: str, name: str) -> FilesSource:
    return FilesSource(tmp_path, {dataset: FileDataset(path=name)}, timedelta(hours=12))


def _error(tmp_path: Path, dataset: str, text: str) -> str:
    (tmp_path / f"{dataset}.csv").write_text(text)
    with pytest.raises(SourceError) as caught:
        _source(tmp_path, dataset, f"{dataset}.csv").query(CANARY.tile(dataset), (None, None))
    return str(caught.value)


def test_an_empty_export_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    message = _error(tmp_path, "page_views", "")
    assert f"{tmp_path / 'page_views.csv'} is empty" in message


def test_an_html_page_is_an_input_error_naming_the_file_and_line(tmp_path: Path) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head>\n<body>Bad Gateway</body></html>\n"
    message = _error(tmp_path, "page_views", page)
    assert f"{tmp_path / 'page_views.csv'}, line 1: the header names none" in message
    assert "502 Bad Gateway" in message


def test_a_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    lines = _frame(CANARY.tile("page_views")).to_csv(index=False).splitlines()
    lines[2] += ",7,8"
    message = _error(tmp_path, "page_views", "\n".join(lines) + "\n")
    assert f"{tmp_path / 'page_views.csv'}, line 3:" in message
    assert "7 fields where the header has 5" in message


@pytest.mark.parametrize("column", ["week", "site_id"])
def test_rows_without_their_key_are_an_input_error_naming_the_first_line(
    tmp_path: Path, column: str
) -> None:
    frame = _frame(CANARY.tile("instance_usage"), per_week=3)
    frame.loc[[4, 6], column] = None
    message = _error(tmp_path, "instance_usage", frame.to_csv(index=False))
    assert f"{tmp_path / 'instance_usage.csv'}, line 6: no value for the key" in message
    assert "in 2 rows of the export" in message


def test_parquet_rows_without_their_key_are_an_input_error_naming_the_file(
    tmp_path: Path,
) -> None:
    tile = CANARY.tile("instance_usage")
    frame = _frame(tile, per_week=3)
    frame.loc[[4, 6], "site_id"] = None
    frame.to_parquet(tmp_path / "instance_usage.parquet", index=False)
    with pytest.raises(SourceError) as caught:
        _source(tmp_path, "instance_usage", "instance_usage.parquet").query(tile, (None, None))
    assert f"2 rows of {tmp_path / 'instance_usage.parquet'} without a value for the key" in str(
        caught.value
    )


def test_a_weeks_read_checks_its_own_rows_for_their_key_and_every_row_for_its_week(
    tmp_path: Path,
) -> None:
    """A weekly run reads its weeks, not the export's history: a row without its instance
    in an older week is refused by a read of every week (a deep run, a backfill), not by
    the week's; a row without a week belongs to every read's export."""
    tile = CANARY.tile("instance_usage")
    frame = _frame(tile, per_week=3)
    frame.loc[frame.index[frame["week"] == WEEKS[-1].isoformat()][0], "site_id"] = None
    frame.to_parquet(tmp_path / "instance_usage.parquet", index=False)
    source = _source(tmp_path, "instance_usage", "instance_usage.parquet")
    week = source.query(tile, (WEEKS[0], WEEKS[0]))
    assert len(week.frame) == 3
    with pytest.raises(SourceError, match=r"1 row of .* without a value for the key"):
        source.query(tile, (None, None))
    frame.loc[0, "week"] = None
    frame.to_parquet(tmp_path / "instance_usage.parquet", index=False)
    with pytest.raises(SourceError, match=r"1 row of .* without a value for the key"):
        source.query(tile, (WEEKS[0], WEEKS[0]))


def test_a_quoted_line_break_past_the_sniffed_rows_is_read(tmp_path: Path) -> None:
    """DuckDB sniffs the dialect from its first rows: a label quoted for its line break
    further down was refused ("CSV Error on Line") though the file is valid CSV."""
    tile = CANARY.tile("instance_usage")
    frame = _frame(tile, per_week=10_000)
    frame["site_id"] = [f"site-{i}" for i in range(len(frame))]
    frame.loc[len(frame) - 1, "instance_label"] = "Sourcegraph\n(S2), the canary"
    frame.to_csv(tmp_path / "instance_usage.csv", index=False)
    got = _source(tmp_path, "instance_usage", "instance_usage.csv").query(tile, (None, None))
    assert len(got.frame) == len(frame)
    assert "Sourcegraph\n(S2), the canary" in set(got.frame["instance_label"])


def test_weeks_with_a_zone_are_their_utc_day(tmp_path: Path) -> None:
    tile = CANARY.tile("page_views")
    frame = _frame(tile)
    frame["week"] = frame["week"] + "T00:00:00Z"
    frame.to_csv(tmp_path / "page_views.csv", index=False)
    got = _source(tmp_path, "page_views", "page_views.csv").query(tile, (LATEST_WEEK, None))
    assert [d.date() for d in got.frame["week"]] == [LATEST_WEEK]


def test_a_bad_value_names_the_line_the_column_and_the_value(tmp_path: Path) -> None:
    """A week DuckDB cannot read: its explanation whole, with the line, column and value."""
    frame = _frame(CANARY.tile("page_views"))
    frame.loc[1, "week"] = "2026-02-30"
    message = _error(tmp_path, "page_views", frame.to_csv(index=False))
    assert "CSV Error on Line: 3" in message
    assert 'column "week"' in message and '"2026-02-30"' in message
    assert "delimiter = ," in message  # the dialect it read, from the end of its explanation


def test_a_counter_that_is_not_a_number_names_its_column_and_value(tmp_path: Path) -> None:
    """Cast where the week's rows are summarised: DuckDB's words, without its SQL."""
    tile = CANARY.tile("instance_usage")
    frame = _frame(tile, per_week=2)
    frame["weekly_insights_page_views"] = frame["weekly_insights_page_views"].astype(str)
    frame.loc[0, "weekly_insights_page_views"] = "twelve"  # in the week under test
    frame.to_csv(tmp_path / "instance_usage.csv", index=False)
    with pytest.raises(SourceError) as caught:
        _source(tmp_path, "instance_usage", "instance_usage.csv").summarize(tile, LATEST_WEEK)
    message = str(caught.value)
    assert "'twelve'" in message and "weekly_insights_page_views" in message
    assert "SELECT" not in message


def test_a_series_value_that_is_not_a_number_names_its_week(tmp_path: Path) -> None:
    """A series is pulled and typed: the message names the column, the value and its week."""
    tile = CANARY.tile("page_views")
    frame = _frame(tile)
    column = "total_insights_page_views"
    frame[column] = frame[column].astype(str)
    frame.loc[frame["week"] == str(LATEST_WEEK), column] = "13O0"
    frame.to_csv(tmp_path / "page_views.csv", index=False)
    with pytest.raises(SourceError) as caught:
        _source(tmp_path, "page_views", "page_views.csv").summarize(tile, LATEST_WEEK)
    assert (
        f"column {column!r} should hold integer values but has '13O0' in the row of week "
        f"{LATEST_WEEK}" in str(caught.value)
    )


def _stored(data_dir: Path) -> dict[str, list[str]]:
    """The store's history and schemas of page_views, and its whole outbox and alert state."""
    queries = {
        "metrics": "SELECT * FROM metrics WHERE dataset = 'page_views'",
        "dataset_schemas": "SELECT * FROM dataset_schemas WHERE dataset = 'page_views'",
        **{t: f"SELECT * FROM {t}" for t in ("outbox", "alert_state", "alert_messages")},
    }
    with sqlite3.connect(data_dir / "store.db") as con:
        return {t: sorted(map(repr, con.execute(q))) for t, q in queries.items()}


@pytest.mark.integration
def test_an_unreadable_export_exits_3_naming_the_file_with_no_cause_and_history_kept(
    tmp_path: Path,
) -> None:
    exports = export_tiles(tmp_path / "exports", "code-insights-canary")
    config = files_config(tmp_path, "exports/{name}.csv")
    before_week = date.fromordinal(AS_OF.toordinal() - 7).isoformat()
    args = ["run", "--config", str(config), "--quiet", "--no-deliver"]
    assert main([*args, "--as-of", before_week]) == 0
    stored = _stored(tmp_path / ".canary")
    (exports / "page_views.csv").write_text("<html><body>Bad Gateway</body></html>\n")
    out = tmp_path / "out.json"
    assert main([*args, "--as-of", AS_OF.isoformat(), "--json", str(out)]) == 3
    doc = json.loads(out.read_text())
    [error] = [c for c in doc["runs"][0]["checks"] if c["status"] == "error"]
    assert f"{exports / 'page_views.csv'}, line 1" in error["reason"]
    assert [i["cause"] for i in doc["incidents"]] == [None]
    assert _stored(tmp_path / ".canary") == stored


@pytest.mark.parametrize("path", ["exports", "exports/", "export*"])
def test_a_path_at_a_folder_is_refused_naming_the_key_and_the_folder(
    tmp_path: Path, path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder held every CSV in it (other datasets' exports, an old copy) read as one."""
    export_tiles(tmp_path / "exports", "code-insights-canary")
    config = files_config(tmp_path, "exports/{name}.csv")
    text = config.read_text().replace("exports/page_views.csv", path)
    config.write_text(text)
    code = main(["run", "--config", str(config), "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert code == 2
    assert "sources.exports.datasets.page_views.path" in err
    assert str(tmp_path / "exports") in err and "folder" in err


@pytest.mark.parametrize("dataset", ["page_views", "instance_usage"])
def test_a_byte_order_mark_before_the_first_column_name_is_dropped(
    tmp_path: Path, dataset: str
) -> None:
    """Some writers put U+FEFF before the first name: read as part of it, the week column
    was missing (a rename breakage) and the schema row kept the mark."""
    tile = CANARY.tile(dataset)
    frame = _frame(tile, per_week=2)
    first = frame.columns[0]
    marked = frame.rename(columns={first: "\ufeff" + first})
    marked[frame["week"] != WEEKS[0].isoformat()].to_parquet(tmp_path / "a.parquet", index=False)
    frame[frame["week"] == WEEKS[0].isoformat()].to_parquet(tmp_path / "b.parquet", index=False)
    source = _source(tmp_path, dataset, "*.parquet")
    got = source.query(tile, (None, None)).frame
    assert list(got.columns) == list(frame.columns) and len(got) == len(frame)
    summary = source.summarize(tile, LATEST_WEEK)
    assert not summary.warnings and summary.columns == list(frame.columns)
    with (tmp_path / "c.csv").open("w", encoding="utf-8-sig") as f:
        f.write('"' + frame.to_csv(index=False).replace(",", '",', 1))
    got = _source(tmp_path, dataset, "c.csv").query(tile, (None, None)).frame
    assert list(got.columns) == list(frame.columns) and len(got) == len(frame)
