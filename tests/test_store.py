"""The store: migrations from the first table, reruns replace, any SQLAlchemy URL."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
import sqlalchemy as sa

from canary.cli import main
from canary.errors import ExitCode, StoreError
from canary.results import CheckResult, RunResult
from canary.store.db import Store
from canary.weeks import WEEK
from tests.conftest import write_config

W = date(2026, 11, 16)
PG_ADMIN = os.environ.get("CANARY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _run(status: str = "failed") -> tuple[RunResult, pd.DataFrame]:
    run = RunResult("m", W, [CheckResult("m", "d", "c", status, "why", "col")])  # type: ignore[arg-type]
    metrics = pd.DataFrame(
        [
            {
                "dataset": "d",
                "week": W,
                "column_name": "",
                "segment": "",
                "metric": "row_count",
                "value": 3.0,
            },
            {
                "dataset": "d",
                "week": W,
                "column_name": "x",
                "segment": "",
                "metric": "sum",
                "value": float("nan"),
            },
        ]
    )
    return run, metrics


def _exercise(store: Store) -> None:
    run, metrics = _run()
    now = datetime.now(UTC)
    store.record_run(run, metrics, now)
    store.record_run(run, metrics, now)  # a rerun of the week replaces
    history = store.metric_history("m")
    assert len(history) == 2 and history["value"].isna().sum() == 1
    assert [r["status"] for r in store.runs("m")] == ["failed"]
    later = date(2026, 11, 23)
    past = store.past_checks("m", later, [run.checks[0].id])
    assert past[run.checks[0].id].status == "failed" and past[run.checks[0].id].week == W
    assert store.past_checks("m", W, [run.checks[0].id]) == {}


def test_sqlite_store_migrates_and_replaces(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'store.db'}"
    store = Store(url, home=tmp_path)  # its folder is made under data_dir
    _exercise(store)
    with store.engine.connect() as con:
        assert con.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() is not None
    store.close()
    reopened = Store(url)  # reopening an up-to-date store migrates nothing and loses nothing
    assert len(reopened.metric_history("m")) == 2
    reopened.close()


def _weekly(week: date, value: float, segments: int = 2) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "dataset": "d",
                "week": week,
                "column_name": "x",
                "segment": f"s{i}",
                "metric": "sum",
                "value": value + i,
            }
            for i in range(segments)
        ]
    )


def test_past_checks_are_the_latest_result_before_the_week(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    check = CheckResult("m", "d", "c", "failed", "why", "col")
    for i, status in enumerate(["passed", "failed", "passed"]):
        store.record_run(
            RunResult("m", W + i * WEEK, [replace(check, status=status)]),  # type: ignore[arg-type]
            _weekly(W + i * WEEK, 1.0),
            datetime.now(UTC),
        )
    assert store.past_checks("m", W + 2 * WEEK, [check.id])[check.id].week == W + WEEK
    assert store.past_checks("m", W + 2 * WEEK, [check.id])[check.id].status == "failed"
    assert store.past_checks("m", W + 9 * WEEK, [check.id])[check.id].status == "passed"


def test_stored_verdicts_keep_their_check_family_and_field_role(tmp_path: Path) -> None:
    """Incidents grouped from stored verdicts read families and roles, not check names: a
    team's own check name comes back with what it judges."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    own = CheckResult("m", "d", "team: pv reported", "failed", "why", "pv_week")
    own = replace(own, family="null_rate", field_role="counter")
    bundled = CheckResult("m", "d", "c", "passed", "why", "col")
    store.record_run(RunResult("m", W, [own, bundled]), _weekly(W, 1.0), datetime.now(UTC))  # type: ignore[arg-type]
    back = store.week_checks(W, ["m"])["m"]
    assert [(c.check, c.family, c.field_role) for c in back] == [
        ("team: pv reported", "null_rate", "counter"),
        ("c", None, None),
    ]
    store.close()


def test_a_sole_writer_store_reads_what_a_plain_store_reads(tmp_path: Path) -> None:
    """The kept history follows every write: new weeks, replaced weeks, other datasets."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    plain, kept = Store(url), Store(url, sole_writer=True)
    writes = [
        _weekly(W, 1.0),
        _weekly(W + WEEK, 2.0),
        _weekly(W, 5.0, segments=3),  # a rewritten week: a segment more
        _weekly(W + 2 * WEEK, float("nan")).assign(dataset="e"),
    ]
    assert kept.metric_history("m", "d").empty  # read (and kept) before anything is written
    for i, rows in enumerate(writes):
        if i % 2:
            kept.record_history("m", rows, rows["week"].iloc[0], {})
        else:
            kept.record_run(RunResult("m", rows["week"].iloc[0], []), rows, datetime.now(UTC))
        for dataset in ("d", "e"):
            for since, before in ((None, None), (W + WEEK, None), (None, W + WEEK)):
                got = kept.metric_history("m", dataset, since=since, before=before)
                want = plain.metric_history("m", dataset, since=since, before=before)
                key = ["week", "segment"]
                pd.testing.assert_frame_equal(
                    got.sort_values(key, ignore_index=True),
                    want.sort_values(key, ignore_index=True),
                )
    assert len(kept.metric_history("m", "d")) == 5


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway database on the machine's PostgreSQL."""
    name = f"canary_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_held_lock_names_its_holder_in_this_database_not_another(pg_url: str) -> None:
    from canary.store.locks import key_of, pg_lock

    name = "run m 2026-11-16"
    other = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")  # another store's database
    ours = sa.create_engine(pg_url)
    try:
        with other.connect() as con:
            con.execute(sa.text("SELECT set_config('application_name', 'elsewhere', false)"))
            con.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key_of(name)})
            with (
                pg_lock(ours, name, "ours", 5.0),
                pytest.raises(StoreError) as info,
                pg_lock(ours, name, "waiter", 0.3),
            ):
                pass
    finally:
        ours.dispose()
        other.dispose()
    assert "held by ours (PostgreSQL backend" in str(info.value)


def test_postgres_store(pg_url: str) -> None:
    store = Store(pg_url)
    _exercise(store)
    store.close()


def test_unreachable_store_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreError) as info:
        Store("postgresql://canary:s3cr3t-pw@127.0.0.1:1/nowhere")
    text = str(info.value)
    assert "s3cr3t-pw" not in text and "127.0.0.1:1" in text and "cannot open" in text
    assert info.value.transient


def test_a_bad_rerun_keeps_the_numbers_of_the_week_and_a_clean_one_replaces_them(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    good, metrics = _run("passed")
    now = datetime.now(UTC)
    store.record_run(good, metrics, now, {"d": {"x": "int64"}})
    bad = RunResult("m", W, [CheckResult("m", "d", "c", "failed", "column x is missing")])
    lost = metrics.iloc[:1].assign(value=0.0)  # the rerun's export lost column x, rows gone
    for _ in range(2):  # however often it is rerun
        store.record_run(bad, lost, now, {"d": {}})
        kept = store.metric_history("m")
        assert len(kept) == 2 and kept["value"].iloc[0] == 3.0  # the good week's numbers
        assert [r["status"] for r in store.runs("m")] == ["failed"]  # the rerun's verdict
    store.record_run(good, lost, now)  # a clean rerun: its numbers are the week's
    assert store.metric_history("m")["value"].tolist() == [0.0]
    first = RunResult("m", W + WEEK, bad.checks)  # a week's first run records what it has
    store.record_run(first, lost.assign(week=W + WEEK), now)
    assert len(store.metric_history("m")) == 2
    store.close()


def test_a_sqlite_store_makes_no_folder_outside_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store URL naming a missing folder elsewhere (a typo, an unmounted disk) is a store
    error saying what to do; canary creates no folder there (it made them at the disk's
    root), nor under a file such as /dev/null."""
    missing = tmp_path / "nonexistent" / "dir"
    with pytest.raises(StoreError, match=f"{missing} does not exist; create it"):
        Store(f"sqlite:///{missing / 'store.db'}", home=tmp_path / "data")
    assert not (tmp_path / "nonexistent").exists()
    with pytest.raises(StoreError, match="/dev/null is not a folder"):
        Store("sqlite:////dev/null/store.db", home=tmp_path)
    config = write_config(tmp_path)
    with mock.patch.dict(os.environ, {"CANARY_STORE_URL": f"sqlite:///{missing / 'store.db'}"}):
        code = main(["run", "--config", str(config), "--as-of", "2026-11-28"])
    assert code == ExitCode.INCOMPLETE
    assert "does not exist; create it" in capsys.readouterr().err
    assert not (tmp_path / "nonexistent").exists()


def test_a_sqlite_store_under_the_home_directory_makes_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deployments keep their store in ~/.local/share/canary, outside data_dir."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    durable = tmp_path / "home" / ".local" / "share" / "canary"
    Store(f"sqlite:///{durable / 'store.db'}", home=tmp_path / "data").close()
    assert (durable / "store.db").is_file()


def test_a_damaged_sqlite_store_says_which_file_and_what_to_do(tmp_path: Path) -> None:
    """ "file is not a database" and "database disk image is malformed" name the file, say
    to move it aside or restore it, then run canary doctor (which then says so too)."""
    path = tmp_path / "store.db"
    store = Store(f"sqlite:///{path}")
    store.close()
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # the header intact, the pages not
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as damaged:
        Store(f"sqlite:///{path}")
    path.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError) as foreign:
        Store(f"sqlite:///{path}")
    for info in (damaged, foreign):
        assert f"{path} is damaged: move it aside (or restore it from a backup), then run " in (
            str(info.value)
        )


def _full_disk_at(table: str) -> mock._patch[object]:
    """Store engines whose statement creating ``table`` fails as on a full disk."""
    real = sa.create_engine

    def engine(*args: object, **kwargs: object) -> sa.Engine:
        made = real(*args, **kwargs)  # type: ignore[call-overload]

        @sa.event.listens_for(made, "do_execute")  # as the driver raises it
        def full(cursor: object, statement: str, *rest: object) -> None:
            if f"CREATE TABLE {table}" in statement:
                raise sqlite3.OperationalError("database or disk is full")

        return made

    return mock.patch("canary.store.db.create_engine", engine)


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as con:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_full_disk_during_the_first_migration_leaves_no_half_made_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with _full_disk_at("check_results"), pytest.raises(StoreError, match="free space and rerun"):
        Store(f"sqlite:///{path}")
    assert _tables(path) == set()  # the migration is one transaction
    store = Store(f"sqlite:///{path}")  # space freed: the next run makes the store
    _exercise(store)
    store.close()


@pytest.mark.parametrize("versions", ["missing", "empty"])
def test_a_half_made_store_without_rows_is_made_again(tmp_path: Path, versions: str) -> None:
    """As a full disk left a first migration before it ran in one transaction."""
    path = tmp_path / "store.db"
    with sqlite3.connect(path) as con:
        if versions == "empty":
            con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        con.execute("CREATE TABLE runs (monitor TEXT)")
        con.execute("CREATE TABLE metrics (monitor TEXT)")
    store = Store(f"sqlite:///{path}")
    _exercise(store)
    store.close()


@pytest.mark.parametrize("versions", ["missing", "empty"])
def test_a_store_with_rows_but_no_schema_revision_is_left_as_it_is(
    tmp_path: Path, versions: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ".canary" / "store.db"
    store = Store(f"sqlite:///{path}", home=tmp_path)
    store.record_run(*_run(), datetime.now(UTC))
    store.close()
    with sqlite3.connect(path) as con:
        con.execute(
            "DROP TABLE alembic_version" if versions == "missing" else "DELETE FROM alembic_version"
        )
    before = path.read_bytes()
    config = write_config(tmp_path)
    code = main(["run", "--config", str(config), "--as-of", "2026-11-28", "--no-deliver"])
    assert code == ExitCode.INCOMPLETE
    err = capsys.readouterr().err
    assert f"{path} holds canary's tables and rows but no schema revision" in " ".join(err.split())
    assert "restore it from a backup" in " ".join(err.split())
    assert path.read_bytes() == before  # no table added, no row touched


def test_a_store_from_a_newer_canary_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / ".canary" / "store.db"
    Store(f"sqlite:///{path}", home=tmp_path).close()
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = '0007'")
    config = write_config(tmp_path)
    code = main(["run", "--config", str(config), "--as-of", "2026-11-28", "--no-deliver"])
    assert code == ExitCode.INCOMPLETE
    err = " ".join(capsys.readouterr().err.split())
    assert (
        f"{path} was written by a newer canary (schema revision 0007; this canary knows up to "
        "0006): upgrade canary, or point the store URL" in err
    )


def test_a_half_made_fallback_store_no_longer_fails_every_run(tmp_path: Path) -> None:
    """The fallback store a full disk half made is made again, found empty and deleted."""
    fallback = tmp_path / "fallback-store.db"
    with _full_disk_at("check_results"), pytest.raises(StoreError):
        Store(f"sqlite:///{fallback}")
    with sqlite3.connect(fallback) as con:  # as migrations not in one transaction left it
        con.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        con.execute("CREATE TABLE runs (monitor TEXT)")
    store = Store(f"sqlite:///{tmp_path / 'store.db'}", fallback=fallback)
    assert store.caught_up == 0 and not fallback.exists()
    _exercise(store)
    store.close()
