"""The weekly usage report as #code-insights shows it: ``canary report`` of the broken week
and of the week after, made from the store that the real runs of ``screens.slack_run``
filled, its Block Kit message followed by its chart."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from canary.cli import main as canary
from screens.slack_page import Message, Screen, Upload

MONITOR = "code-insights-all-instances"
CHANNEL = "code-insights"  # where its report goes (canary.yaml)
CHART_AFTER = timedelta(seconds=3)  # the chart follows the message (shown grouped under it)


def report_message(config: Path, week: date, out: Path, when: datetime) -> tuple[Message, ...]:
    """``canary report`` of ``week`` as Slack shows it: its blocks, then its chart."""
    args = ["report", "--config", str(config), "--monitor", MONITOR, "--week", week.isoformat()]
    code = canary([*args, "--out", str(out)])
    if code != 0:
        raise RuntimeError(f"canary report of week {week} exited {code}")
    stem = out / f"{MONITOR}-{week.isoformat()}"
    payload = json.loads(stem.with_name(f"{stem.name}-slack.json").read_text())
    message = Message(when, payload["text"], tuple(payload["blocks"]))
    chart = stem.with_suffix(".png")
    if not chart.exists():
        return (message,)
    return message, Message(when + CHART_AFTER, uploads=(Upload(chart.name, chart.read_bytes()),))


def report_screen(
    config: Path, week: date, day: date, when: datetime, workspace: str, channels: tuple[str, ...]
) -> Screen:
    """#code-insights on ``day``, holding the report of ``week`` posted at ``when``."""
    messages = report_message(config, week, config.parent / "reports", when)
    names = channels if CHANNEL in channels else tuple(sorted((*channels, CHANNEL)))
    return Screen(workspace, names, CHANNEL, day, messages)
