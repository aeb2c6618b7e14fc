"""kill -9 in the middle of a delivery, then the next run: every message and every chart
is in Slack exactly once (counted on the stand-in)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from canary.alerts import outbox
from tests.alert_builders import make_config, open_store, seed_history
from tests.delivery_child import COLUMNS
from tests.slack_fake import SlackFake

REPO = Path(__file__).resolve().parents[1]


def _deliver(directory: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "CANARY_LOG_DIR": str(directory / "logs"), "NO_PROXY": "127.0.0.1"}
    command = [sys.executable, "-m", "tests.delivery_child", str(directory)]
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _lapse_leases(directory: Path) -> None:
    """What a minute does to the claims of a run that died: their leases run out."""
    store = open_store(directory)
    with store.engine.begin() as con:
        con.execute(update(outbox.outbox).values(lease_until=0.0))
    store.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("method", "nth"),
    [
        ("chat.postMessage", 1),  # the run's message is posted, its answer never arrives
        ("chat.postMessage", 2),  # a detail reply, likewise
        ("upload", 1),  # a chart's bytes sent, the upload never completed
        ("files.completeUploadExternal", 1),  # a chart completed (shared a moment later)
        ("files.completeUploadExternal", 2),  # the second chart, likewise
    ],
)
def test_a_delivery_killed_mid_way_is_finished_by_the_next_run_once(
    slack: SlackFake, tmp_path: Path, method: str, nth: int
) -> None:
    make_config(tmp_path, slack)
    store = open_store(tmp_path)
    for column in COLUMNS:
        seed_history(store, column)
    store.close()
    slack.share_delay = 5.0  # the next run looks before Slack shares a completed chart
    if nth > 1:
        slack.inject(method, "pass", times=nth - 1)
    slack.inject(method, "hold")

    child = _deliver(tmp_path)
    assert slack.held.wait(60), child.communicate()
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    slack.release()
    _lapse_leases(tmp_path)

    child = _deliver(tmp_path)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, out + err

    entries = outbox.entries(open_store(tmp_path).engine)
    assert {e.status for e in entries} == {"delivered"}
    messages = [e.key for e in entries if e.kind in ("post", "reply")]
    charts = [e.ts for e in entries if e.kind == "upload"]
    assert len(messages) == 3 and len(charts) == 2  # a post, two replies, two charts
    assert sorted(slack.stored_keys()) == sorted(messages)
    assert sorted(slack.shared_files()) == sorted(charts)
