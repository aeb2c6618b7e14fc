"""A run's delivery in a process of its own, for the kill -9 tests (``python -m``).

``python -m tests.delivery_child DIR`` delivers the alerts of week W1 with the config and
store in ``DIR`` (the Slack stand-in's URL in its config): two failing checks of columns
with history, so two incidents, each with a detail reply and a chart. Exit 0 when all
went out.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from canary.alerts.deliver import deliver
from canary.config import load_config
from tests.alert_builders import W1, check, open_store, run_of
from tests.slack_fake import ENV

COLUMNS = ("total_insights_page_views", "total_insights_unique_page_views")
NOW = datetime.combine(W1 + timedelta(days=8), time(), UTC)


def main(directory: Path) -> int:
    config = load_config(directory / "canary.yaml")
    store = open_store(directory)
    run = run_of(W1, check(column=COLUMNS[0]), check("sum drop", column=COLUMNS[1]))
    report = deliver(config, store, [run], now=NOW, environ=ENV)
    store.close()
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
