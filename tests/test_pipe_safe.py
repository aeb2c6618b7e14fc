"""A reader that goes away (``canary ... | head -1``) does not stop a command: its output
is dropped, its work (the store, alerts delivered) is finished."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from canary.report.pipe_safe import PipeSafe
from tests.conftest import REPO, write_config


def test_writes_after_the_reader_closed_are_dropped() -> None:
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w") as stream:
        out = PipeSafe(stream)
        assert out.write("x" * 100_000) == 100_000  # more than a pipe holds
        out.flush()
        assert out.broken
        assert out.write("more") == 4


def _closed_reader(*argv: str) -> subprocess.CompletedProcess[str]:
    """``canary argv`` writing to a pipe whose reader has gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from canary.cli import main; sys.exit(main())",
                *argv,
            ],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            check=False,
            timeout=300,
        )
    finally:
        os.close(write)


def test_a_listing_into_a_closed_pipe_exits_cleanly() -> None:
    done = _closed_reader("sample", "--list-scenarios")
    assert (done.returncode, done.stderr) == (0, "")


@pytest.mark.integration
def test_a_run_into_a_closed_pipe_records_and_delivers_its_week(tmp_path: Path) -> None:
    """The run's alerts go to the file outbox (no Slack configured) and are marked sent."""
    config = write_config(tmp_path)
    done = _closed_reader("run", "--config", str(config), "--scenario", "object-null", "--deliver")
    assert done.returncode == 1, done.stderr  # checks failed: a finished run
    assert "internal error" not in done.stderr and "Broken pipe" not in done.stderr
    assert list((tmp_path / ".canary" / "outbox").glob("*.md"))
