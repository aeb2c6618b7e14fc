"""kill -9 during a backfill (the command, or a first run's): the next run resumes it, and
the store ends as an uninterrupted run leaves it, table by table."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.backfill_exports import MONITOR, dump, files_setup, make_exports, store_path
from tests.conftest import AS_OF, REPO

pytestmark = pytest.mark.integration
CANARY = str(REPO / ".venv" / "bin" / "canary")
BACKFILL = ["backfill", "--monitor", MONITOR, "--from", "2025-11-17", "--to", "2026-11-16"]
RUN = ["run", "--monitor", MONITOR, "--quiet"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_exports(tmp_path_factory.mktemp("exports"))


def _args(config: Path, command: list[str]) -> list[str]:
    return [CANARY, *command, "--config", str(config), "--as-of", AS_OF.isoformat()]


def _finish(config: Path, command: list[str]) -> None:
    done = subprocess.run(_args(config, command), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def _stored_weeks(con: sqlite3.Connection) -> int:
    """Dataset-weeks in the store, read in a transaction: the writer cannot commit until it
    ends (a reader holds SQLite's shared lock), so what it counts is what a kill leaves."""
    con.execute("BEGIN")
    try:
        (n,) = con.execute("SELECT count(DISTINCT dataset || week) FROM metrics").fetchone()
    except sqlite3.OperationalError:  # the table is not there yet
        n = 0
    return int(n)


def _kill_after(config: Path, command: list[str], weeks: int) -> int:
    """Start ``command``, SIGKILL it once ``weeks`` dataset-weeks are stored; what it left."""
    store = store_path(config)
    proc = subprocess.Popen(
        _args(config, command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            assert proc.poll() is None, "finished before it was killed"
            if store.exists():
                con = sqlite3.connect(store, timeout=30, isolation_level=None)
                try:
                    stored = _stored_weeks(con)
                    if stored >= weeks:
                        os.kill(proc.pid, signal.SIGKILL)
                        proc.wait(30)
                        return stored
                finally:
                    con.close()
            time.sleep(0.005)
        raise AssertionError(f"{weeks} weeks were not stored in time")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


@pytest.fixture(scope="module")
def uninterrupted(
    exports: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, list[tuple[object, ...]]]]:
    """The store after each command ran once, without interruption."""
    out = {}
    for name, command in (("backfill", BACKFILL), ("first run", RUN)):
        config = files_setup(tmp_path_factory.mktemp(name.replace(" ", "-")), exports)
        _finish(config, command)
        out[name] = dump(store_path(config))
    return out


@pytest.mark.parametrize("weeks", [1, 30])
def test_a_killed_backfill_resumes_to_the_uninterrupted_store(
    tmp_path: Path, exports: Path, uninterrupted: dict[str, dict], weeks: int
) -> None:
    config = files_setup(tmp_path, exports)
    total = len({(r[1], r[2]) for r in uninterrupted["backfill"]["metrics"]})
    assert weeks <= _kill_after(config, BACKFILL, weeks) < total
    _finish(config, BACKFILL)
    assert dump(store_path(config)) == uninterrupted["backfill"]


@pytest.mark.parametrize("weeks", [1, 10])
def test_a_first_run_killed_while_it_backfills_resumes_the_backfill(
    tmp_path: Path, exports: Path, uninterrupted: dict[str, dict], weeks: int
) -> None:
    config = files_setup(tmp_path, exports)
    _kill_after(config, RUN, weeks)
    assert dump(store_path(config))["runs"] == []  # killed before it recorded its run
    _finish(config, RUN)
    assert dump(store_path(config)) == uninterrupted["first run"]
