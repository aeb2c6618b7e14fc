"""kill -9 in the middle of a delivery, then the next run: every message and every chart
is in Slack exactly once (counted on the stand-in). The delivery runs alone in a process
(``tests.delivery_child``), and once as part of a real ``canary run``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from canary.alerts.outbox import records
from tests.alert_builders import make_config, open_store, seed_history
from tests.conftest import AS_OF
from tests.delivery_child import COLUMNS
from tests.slack_fake import TOKEN, SlackFake

REPO = Path(__file__).resolve().parents[1]


def _start(directory: Path, *command: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CANARY_LOG_DIR": str(directory / "logs"), "NO_PROXY": "127.0.0.1"}
    env["SLACK_BOT_TOKEN"] = TOKEN
    return subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _deliver(directory: Path) -> subprocess.Popen[str]:
    return _start(directory, sys.executable, "-m", "tests.delivery_child", str(directory))


def _kill_when_held(slack: SlackFake, child: subprocess.Popen[str], store: Path) -> None:
    """SIGKILL ``child`` once the stand-in holds its answer; then its leases (in the store
    in folder ``store``) lapse."""
    assert slack.held.wait(120), child.communicate()
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    slack.release()
    _lapse_leases(store)


def _lapse_leases(directory: Path) -> None:
    """What a minute does to the claims of a run that died: their leases run out."""
    store = open_store(directory)
    with store.engine.begin() as con:
        con.execute(update(records.outbox).values(lease_until=0.0))
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

    _kill_when_held(slack, _deliver(tmp_path), tmp_path)

    child = _deliver(tmp_path)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, out + err

    entries = records.entries(open_store(tmp_path).engine)
    assert {e.status for e in entries} == {"delivered"}
    messages = [e.key for e in entries if e.kind in ("post", "reply")]
    charts = [e.ts for e in entries if e.kind == "upload"]
    assert len(messages) == 3 and len(charts) == 2  # a post, two replies, two charts
    assert sorted(slack.stored_keys()) == sorted(messages)
    assert sorted(slack.shared_files()) == sorted(charts)


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_canary_run_killed_while_a_chart_completes_shares_it_once_after_the_rerun(
    slack: SlackFake, tmp_path: Path
) -> None:
    make_config(tmp_path, slack)
    slack.share_delay = 5.0
    slack.inject("files.completeUploadExternal", "hold")
    config = tmp_path / "canary.yaml"
    command = [str(REPO / ".venv" / "bin" / "canary"), "run", "--config", str(config)]
    command += ["--as-of", AS_OF.isoformat(), "--quiet"]
    command += ["--scenario", "object-null", "--deliver"]  # a drill, to the real channels
    _kill_when_held(slack, _start(tmp_path, *command), tmp_path / ".canary")

    rerun = _start(tmp_path, *command)
    out, err = rerun.communicate(timeout=240)
    assert rerun.returncode == 1, out + err  # the drill's checks fail, everything is sent

    entries = records.entries(open_store(tmp_path / ".canary").engine)
    assert {e.status for e in entries} == {"delivered"}
    assert sorted(slack.stored_keys()) == sorted(e.key for e in entries if e.kind != "upload")
    assert sorted(slack.shared_files()) == sorted(e.ts for e in entries if e.kind == "upload")
    assert len(slack.shared_files()) == 2  # a chart in each channel's thread
