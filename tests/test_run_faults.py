"""A run never hides what it found: broken exports, store faults and concurrent runs.

Every test goes through the real CLI with files exports of the sample, on real SQLite files
and the machine's PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

import canary.alerts.kept
import canary.pipeline
from canary.cli import main
from canary.report.json_result import validate
from canary.store.db import Store
from canary.weeks import WEEK
from tests.conftest import AS_OF, LATEST_WEEK, write_files_config
from tests.test_files_source import export_tiles
from tests.test_store import PG_ADMIN, pg_url  # noqa: F401  (pg_url: a fixture)
from tests.test_suites import PLACEHOLDER

pytestmark = pytest.mark.integration
MONITORS = {"code-insights-canary": "canary", "code-insights-all-instances": "all-instances"}
SQL_WORDS = ("[SQL: ", "SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE ")


@pytest.fixture(scope="module")
def shared_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both monitors' tiles as CSV exports of the healthy sample, made once."""
    root = tmp_path_factory.mktemp("exports")
    for monitor in MONITORS:
        export_tiles(root / monitor, monitor)
        shutil.rmtree(root / monitor / "warehouse")
    return root


def exports_config(tmp_path: Path, shared: Path, monitor: str = "code-insights-canary") -> Path:
    """A config whose ``monitor`` reads a private copy of the exports in ``tmp_path``."""
    shutil.copytree(shared / monitor, tmp_path / "exports")
    return write_files_config(tmp_path, monitor)


def run(config: Path, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["run", "--config", str(config), "--json", str(out), "--as-of", str(AS_OF), *extra])
    doc = json.loads(out.read_text())
    validate(doc)
    return code, doc


def checks(doc: dict[str, Any], **match: Any) -> list[dict[str, Any]]:
    return [c for r in doc["runs"] for c in r["checks"] if all(c[k] == v for k, v in match.items())]


def log_named(text: str) -> Path:
    found = re.search(r"details in (\S+\.log)", text)
    assert found, text
    return Path(found.group(1))


def stored_runs(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT monitor, week, status FROM runs ORDER BY week").fetchall()


def test_duplicate_row_in_a_series_export_is_a_failed_check(
    tmp_path: Path, shared_exports: Path
) -> None:
    config = exports_config(tmp_path, shared_exports)
    path = tmp_path / "exports" / "page_views.csv"
    frame = pd.read_csv(path)
    old = frame.iloc[[40]]  # a week long before the one under test: no suite looks there
    pd.concat([frame, old]).to_csv(path, index=False)
    code, doc = run(config, tmp_path / "out.json", "--quiet")
    assert code == 1
    (key,) = checks(doc, dataset="page_views", check="row key")
    assert key["status"] == "failed" and str(old["week"].iloc[0])[:10] in key["reason"]
    assert not checks(doc, status="error")  # not a store integrity error
    assert stored_runs(tmp_path / ".canary" / "store.db") == [
        ("code-insights-canary", str(LATEST_WEEK), "failed")
    ]
    others = checks(doc, dataset="creators", check="row key")
    assert [c["status"] for c in others] == ["passed"]


@pytest.mark.parametrize(
    ("monitor", "dataset", "column"),
    [
        ("code-insights-canary", "instance_usage", "site_id"),
        ("code-insights-canary", "instance_usage", "version_minor"),
        ("code-insights-all-instances", "insights_by_type", "insight_type"),
    ],
)
def test_missing_key_or_segment_column_fails_that_dataset_and_the_run_goes_on(
    tmp_path: Path, shared_exports: Path, monitor: str, dataset: str, column: str
) -> None:
    config = exports_config(tmp_path, shared_exports, monitor)
    path = tmp_path / "exports" / f"{dataset}.csv"
    pd.read_csv(path).drop(columns=column).to_csv(path, index=False)
    code, doc = run(config, tmp_path / "out.json", "--quiet")
    assert code == 1  # not 4: nothing crashed
    (key,) = checks(doc, dataset=dataset, check="row key")
    assert key["status"] == "failed" and f"key column {column} missing" in key["reason"]
    assert not checks(doc, status="error")
    named = [c for c in checks(doc, dataset=dataset) if column in (c["column"] or "").split(",")]
    assert named and {c["status"] for c in named} == {"failed"}, named
    assert all(f"column {column} is missing from {dataset};" in c["reason"] for c in named)
    assert not [c["reason"] for c in checks(doc) if PLACEHOLDER.search(c["reason"])]
    others = set(yaml.safe_load(config.read_text())["monitors"][monitor]["datasets"]) - {dataset}
    assert others == {c["dataset"] for c in checks(doc, check="row key", status="passed")}
    assert stored_runs(tmp_path / ".canary" / "store.db") == [(monitor, str(LATEST_WEEK), "failed")]


def read_only(db: Path) -> str:
    return f"sqlite:///file:{db}?mode=ro&uri=true"


def test_store_write_failure_keeps_table_json_alerts_and_the_next_run_catches_up(
    tmp_path: Path,
    shared_exports: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = exports_config(tmp_path, shared_exports)
    db = tmp_path / ".canary" / "store.db"
    before = str(LATEST_WEEK - WEEK)
    assert run(config, tmp_path / "first.json", "--week", before)[0] == 0
    path = tmp_path / "exports" / "instance_usage.csv"
    whole = path.read_bytes()
    pd.read_csv(path).drop(columns="version_minor").to_csv(path, index=False)
    capsys.readouterr()

    monkeypatch.setenv("CANARY_STORE_URL", read_only(db))  # reads work, every write fails
    code, doc = run(config, tmp_path / "out.json")
    assert code == 1  # a check failed: the store error does not hide it
    out, err = capsys.readouterr()
    assert "checks that did not pass" in out and "row key" in out
    (record,) = checks(doc, dataset="store", check="record")
    assert record["status"] == "error" and "readonly database" in record["reason"]
    assert "fallback-store.db" in record["reason"]
    assert len(checks(doc)) > 50 and checks(doc, check="row key", status="failed")
    assert not any(word in out + err + json.dumps(doc) for word in SQL_WORDS)
    log = log_named(record["reason"])
    assert "INSERT INTO" in log.read_text() or "DELETE FROM" in log.read_text()
    assert "alerts recorded in the fallback store" in err
    sent = list((tmp_path / ".canary" / "outbox").glob("*.md"))
    assert any("instance_usage" in p.read_text() for p in sent)  # the alerts went out
    assert stored_runs(db) == [("code-insights-canary", before, "passed")]

    monkeypatch.delenv("CANARY_STORE_URL")
    path.write_bytes(whole)
    assert run(config, tmp_path / "again.json", "--week", before)[0] == 0
    assert "rows the store could not take before were copied in" in capsys.readouterr().out
    assert not (tmp_path / ".canary" / "fallback-store.db").exists()
    assert stored_runs(db) == [
        ("code-insights-canary", before, "passed"),
        ("code-insights-canary", str(LATEST_WEEK), "failed"),
    ]
    with sqlite3.connect(db) as con:
        kept = con.execute(
            "SELECT count(*) FROM outbox WHERE week = ? AND status = 'delivered'",
            [str(LATEST_WEEK)],
        ).fetchone()[0]
        tracked = con.execute("SELECT count(*) FROM alert_state").fetchone()[0]
    assert kept >= 1 and tracked >= 1


def test_locked_sqlite_is_one_line_exit_3_with_the_sql_in_the_log(
    tmp_path: Path, shared_exports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = exports_config(tmp_path, shared_exports)
    assert run(config, tmp_path / "first.json", "--quiet")[0] == 0
    capsys.readouterr()
    holder = sqlite3.connect(tmp_path / ".canary" / "store.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code = main(["run", "--config", str(config), "--as-of", str(AS_OF), "--quiet"])
    finally:
        holder.close()
    assert code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "database is locked" in err[0], err
    assert not any(word in err[0] for word in SQL_WORDS)
    log = log_named(err[0])
    assert "[SQL: " in log.read_text()


def _pg_read_only(url: str, on: bool) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as con:
        con.execute(
            sa.text(
                f'ALTER DATABASE "{name}" SET default_transaction_read_only = {"on" if on else "off"}'
            )
        )
    admin.dispose()


def test_postgres_turning_read_only_mid_history_keeps_the_run_and_catches_up(
    tmp_path: Path,
    shared_exports: Path,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = exports_config(tmp_path, shared_exports)
    monkeypatch.setenv("CANARY_STORE_URL", pg_url)
    before = str(LATEST_WEEK - WEEK)
    assert run(config, tmp_path / "first.json", "--week", before, "--quiet")[0] == 0
    _pg_read_only(pg_url, True)
    capsys.readouterr()
    code, doc = run(config, tmp_path / "out.json", "--quiet")
    assert code == 3  # every check passed, but the run could not be recorded
    err = capsys.readouterr().err
    (record,) = checks(doc, dataset="store", check="record")
    assert "read-only transaction" in record["reason"]
    assert not any(word in err + json.dumps(doc) for word in SQL_WORDS)
    _pg_read_only(pg_url, False)
    assert run(config, tmp_path / "again.json", "--week", before, "--quiet")[0] == 0
    store = Store(pg_url)
    try:
        assert [(r["week"].isoformat(), r["status"]) for r in store.runs()] == [
            (before, "passed"),
            (str(LATEST_WEEK), "error"),
        ]
    finally:
        store.close()


def _hold_and_run(
    url: str, config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANARY_STORE_URL", url)
    monkeypatch.setenv("CANARY__STORE__LOCK_TIMEOUT", "1s")
    holder = Store(url)
    try:
        with holder.lock("code-insights-canary", LATEST_WEEK):
            code = main(["run", "--config", str(config), "--as-of", str(AS_OF), "--quiet"])
    finally:
        holder.close()
    assert code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"pid {os.getpid()}" in err[0] and "gave up after 1s" in err[0]
    assert f"run code-insights-canary {LATEST_WEEK}" in err[0] or ".lock" in err[0]


def test_a_second_run_of_a_week_exits_3_naming_the_holder_sqlite(
    tmp_path: Path,
    shared_exports: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = exports_config(tmp_path, shared_exports)
    _hold_and_run(f"sqlite:///{tmp_path / 'store.db'}", config, monkeypatch, capsys)


def test_a_second_run_of_a_week_exits_3_naming_the_holder_postgres(
    tmp_path: Path,
    shared_exports: Path,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = exports_config(tmp_path, shared_exports)
    _hold_and_run(pg_url, config, monkeypatch, capsys)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_concurrent_runs_on_a_fresh_store_wait_for_each_other(
    tmp_path: Path, shared_exports: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    config = exports_config(tmp_path, shared_exports)
    (tmp_path / "fresh").mkdir()  # a store outside data_dir: its folder must exist
    fresh = f"sqlite:///{tmp_path / 'fresh' / 'store.db'}"
    url = request.getfixturevalue("pg_url") if backend == "postgres" else fresh
    env = {**os.environ, "CANARY_STORE_URL": url, "CANARY_LOG_DIR": str(tmp_path / "logs")}
    command = [sys.executable, "-m", "canary.cli", "run", "--config", str(config)]
    command += ["--as-of", str(AS_OF), "--quiet", "--no-deliver"]
    procs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert results == [(0, "")] * 3
    store = Store(url)
    try:
        assert [r["status"] for r in store.runs()] == ["passed"]
    finally:
        store.close()


def test_alert_state_and_outbox_are_written_with_the_run_or_not_at_all(
    tmp_path: Path, shared_exports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An outbox write that fails takes the run's record with it; both go to the fallback."""
    config = exports_config(tmp_path, shared_exports)
    db = tmp_path / ".canary" / "store.db"
    before = str(LATEST_WEEK - WEEK)
    assert run(config, tmp_path / "first.json", "--week", before, "--quiet")[0] == 0
    path = tmp_path / "exports" / "instance_usage.csv"
    whole = path.read_bytes()
    pd.read_csv(path).drop(columns="version_minor").to_csv(path, index=False)
    with sqlite3.connect(db) as con:
        con.execute(
            "CREATE TRIGGER full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    code, doc = run(config, tmp_path / "out.json", "--quiet")
    assert code == 1
    (record,) = checks(doc, dataset="store", check="record")
    assert "disk full" in record["reason"]
    assert stored_runs(db) == [("code-insights-canary", before, "passed")]  # rolled back
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM alert_state").fetchone()[0] == 0
        con.execute("DROP TRIGGER full")
    assert "alerts recorded in the fallback store" in capsys.readouterr().err
    path.write_bytes(whole)
    assert run(config, tmp_path / "again.json", "--week", before, "--quiet")[0] == 0
    assert stored_runs(db)[-1] == ("code-insights-canary", str(LATEST_WEEK), "failed")
    with sqlite3.connect(db) as con:
        weeks = {w for (w,) in con.execute("SELECT DISTINCT week FROM outbox")}
    assert str(LATEST_WEEK) in weeks


def _lose(url: str, how: str) -> None:
    """Cut every session of the database at ``url`` (``terminate``) or drop it (``drop``)."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as con:
        if how == "drop":
            con.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        else:
            con.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
    admin.dispose()


@pytest.mark.parametrize(
    ("how", "when"),
    [
        ("terminate", "judge_and_finish"),
        ("drop", "judge_and_finish"),
        ("drop", "deliver_or_keep"),
    ],
)
def test_postgres_lost_late_in_a_run_keeps_the_table_a_store_check_and_the_exit_code(
    tmp_path: Path,
    shared_exports: Path,
    pg_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    how: str,
    when: str,
) -> None:
    """The store goes away once the data is checked, or once the run is recorded (the run
    lock held on a session that no longer exists): the run still shows its table, says the
    store failed, exits 1."""
    config = exports_config(tmp_path, shared_exports)
    monkeypatch.setenv("CANARY_STORE_URL", pg_url)
    before = str(LATEST_WEEK - WEEK)
    assert run(config, tmp_path / "first.json", "--week", before, "--quiet")[0] == 0
    path = tmp_path / "exports" / "instance_usage.csv"
    pd.read_csv(path).drop(columns="version_minor").to_csv(path, index=False)
    capsys.readouterr()
    module = canary.pipeline if when == "judge_and_finish" else canary.alerts.kept
    step = getattr(module, when)

    def store_lost(*args: Any, **kwargs: Any) -> Any:
        _lose(pg_url, how)
        return step(*args, **kwargs)

    monkeypatch.setattr(module, when, store_lost)
    code, doc = run(config, tmp_path / "out.json")
    out, err = capsys.readouterr()
    assert code == 1, err  # a check failed: the lost store does not hide it
    assert "checks that did not pass" in out and "row key" in out
    assert checks(doc, check="row key", status="failed")
    stored = checks(doc, dataset="store")
    if when == "judge_and_finish":
        assert stored and {c["status"] for c in stored} == {"error"}
    else:  # recorded before the store was lost: the alerts say they were not
        assert not stored and "alerts" in err
    assert "Traceback" not in out + err and "internal error" not in err
    assert not any(word in out + err + json.dumps(doc) for word in SQL_WORDS)
