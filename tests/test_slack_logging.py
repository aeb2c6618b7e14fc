"""slack_sdk's own log lines: in canary's log file, scrubbed of secrets, never on the console."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from canary.alerts.channels.redact import Redactor
from canary.alerts.channels.slack.sdk_logging import slack_logger
from canary.alerts.deliver import deliver
from canary.store.db import Store
from tests.alert_builders import W1, check, make_config, open_store, run_of
from tests.conftest import AS_OF
from tests.slack_fake import ENV, TOKEN, WEBHOOK_PATH, SlackFake

NOW = datetime.combine(W1 + timedelta(days=8), time(), UTC)


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    logs = tmp_path / "logs"
    monkeypatch.setenv("CANARY_LOG_DIR", str(logs))
    return logs


@pytest.mark.integration
def test_a_dropped_connection_is_logged_to_the_file_not_the_console(
    slack: SlackFake, tmp_path: Path, sample_data_dir: Path, log_dir: Path
) -> None:
    config = make_config(tmp_path, slack)
    store = Store(config.store_url({}))
    slack.down = True  # every request's connection is dropped
    deliver(config, store, [run_of(W1, check())], now=NOW, environ=ENV)
    store.close()
    (log_dir / "slack.log").unlink(missing_ok=True)

    env = {**os.environ, **ENV, "CANARY_LOG_DIR": str(log_dir)}
    args = ["run", "--config", str(tmp_path / "canary.yaml"), "--as-of", AS_OF.isoformat()]
    done = subprocess.run(
        [sys.executable, "-m", "canary.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "alerts not delivered via slack: " in done.stderr  # canary's own summary
    assert "Failed to send a request" not in done.stderr + done.stdout
    logged = (log_dir / "slack.log").read_text()
    assert "ERROR canary.slack.web: Failed to send a request to Slack API server" in logged
    assert TOKEN not in logged + done.stderr + done.stdout


def test_no_webhook_url_reaches_the_log_file(
    slack: SlackFake, tmp_path: Path, log_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config(tmp_path, slack, delivery="webhook", webhook={"env": "HOOK"})
    slack.inject("webhook", "500")  # retried: slack_sdk logs the request with its URL
    store = open_store(tmp_path)
    report = deliver(
        config, store, [run_of(W1, check())], now=NOW, environ={"HOOK": slack.webhook_url}
    )
    assert report.ok and len(slack.webhook_messages) == 1
    logged = (log_dir / "slack.log").read_text()
    assert "A retry handler found: ServerErrorRetryHandler for POST ***" in logged
    assert WEBHOOK_PATH not in logged and "webhooksecret" not in logged
    assert "webhooksecret" not in "".join(capsys.readouterr())
    store.close()


def test_every_secret_a_client_was_given_is_scrubbed_tracebacks_included(log_dir: Path) -> None:
    slack_logger("canary.slack.web", Redactor(["xoxb-first-secret"]))
    log = slack_logger("canary.slack.webhook", Redactor(["https://hooks.example/services/T/B/x1"]))
    try:
        raise ValueError("refused xoxb-first-secret at /services/T/B/x1")
    except ValueError:
        log.exception("sending to https://hooks.example/services/T/B/x1 failed")
    logged = (log_dir / "slack.log").read_text()
    assert "ValueError: refused *** at ***" in logged
    assert "sending to *** failed" in logged
    assert "xoxb-first-secret" not in logged and "/services/T/B/x1" not in logged
