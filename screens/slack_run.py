"""A breakage and its recovery as Slack shows them: real runs of ``canary run`` with the real
slack_sdk against the Slack stand-in (``tests.slack_fake``), captured as ``Screen``s, and
the weekly usage report of each week (``screens.slack_report``).

The warehouse is the bundled sample's, generated as ``canary sample`` does, with the usage
object null for every instance in one week (``object-null``) and healthy again the week
after: a real breakage, not a drill. The first run backfills the healthy weeks before it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from canary.cli import main as canary
from canary.sample.generator import generate
from canary.sample.scenarios import inject
from canary.sample.tracking import tracked_views
from canary.sample.warehouse import WarehouseSpec, write
from canary.sources.sample import sample_spec
from canary.sources.sample_config import SampleSourceConfig
from canary.weeks import WEEK, as_of_datetime
from screens.slack_page import Message, Screen, Upload
from screens.slack_report import report_screen
from tests.slack_fake import TOKEN, running

REPO = Path(__file__).resolve().parent.parent
BROKEN_WEEK = date(2026, 11, 9)
SCENARIO = "object-null"
WORKSPACE = "Acme Analytics"
CHANNEL = "code-insights-internal"  # where code-insights-all-instances alerts (canary.yaml)
POSTED = time(9, 0)  # the weekly run's messages are shown as posted at this time
#: The pictures: the broken week whole (its thread tells the incident), the week after in
#: a window of this height, its thread scrolled to the newest reply as Slack opens it.
PICTURES = {"slack-broken-week.png": None, "slack-healthy-week.png": 1000}
#: The weekly report of each week, as #code-insights shows it.
REPORTS = ("slack-report-broken.png", "slack-report-healthy.png")
ENV = {
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "SKIP_SLACK_SDK_WARNING": "1",
    "NO_PROXY": "127.0.0.1,localhost",
}


@dataclass(frozen=True)
class Snapshot:
    """What Slack held after one run: each channel's messages, the day they are shown on."""

    day: date
    channels: dict[str, list[dict[str, Any]]]


def as_of(week: date) -> date:
    """The day a week's run is shown on: the first day it is complete (``complete_after``
    one day)."""
    return week + timedelta(days=8)


def build_warehouse(path: Path, sample: Mapping[str, Any], healthy_week: date) -> None:
    """The sample warehouse (canary.yaml's seed and weeks) up to ``healthy_week``, broken by
    ``SCENARIO`` in ``BROKEN_WEEK`` only."""
    spec = sample_spec(SampleSourceConfig(**sample), as_of_datetime(as_of(healthy_week)))
    frame = generate(spec)
    broken = inject(frame, SCENARIO, BROKEN_WEEK, spec)
    healed = pd.concat(
        [broken[broken["week"] <= BROKEN_WEEK], frame[frame["week"] > BROKEN_WEEK]],
        ignore_index=True,
    )
    # the browser tracks what people did: its page views stay whole through the breakage
    write(
        healed,
        tracked_views(frame, spec.seed),
        path=path,
        spec=WarehouseSpec(spec, SCENARIO, BROKEN_WEEK),
    )


def write_config(root: Path, warehouse: Path, slack_url: str) -> Path:
    """The repo's canary.yaml, its monitors reading ``warehouse`` as a SQL source and
    alerting through the bot token to the stand-in at ``slack_url``."""
    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    raw["data_dir"] = str(root / ".canary")
    raw["expectations_dir"] = str(REPO / "expectations")
    raw["sources"] = {"warehouse": {"kind": "sql", "url": f"duckdb:///{warehouse}"}}
    for monitor in raw["monitors"].values():
        monitor["source"] = "warehouse"  # every dataset, the browser-tracked witness too
        for dataset in monitor["datasets"].values():
            dataset.pop("source", None)
    raw["slack"] = {
        "delivery": "bot",
        "base_url": slack_url,
        "report_base_url": "https://canary.example.com/results",
    }
    path = root / "canary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def run_weeks(root: Path) -> tuple[list[Snapshot], dict[str, bytes]]:
    """``canary run`` for the week before the broken one, the broken week, then the week
    after; what Slack held after each run, and the files uploaded (by file id)."""
    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    healthy_week = BROKEN_WEEK + WEEK
    warehouse = root / "warehouse.duckdb"
    build_warehouse(warehouse, raw["sources"]["sample"], healthy_week)
    snapshots = []
    with running() as fake, pytest.MonkeyPatch.context() as env:
        for key, value in {**ENV, "SLACK_BOT_TOKEN": TOKEN}.items():
            env.setenv(key, value)
        config = write_config(root, warehouse, fake.url)
        for week, expected in ((BROKEN_WEEK - WEEK, 0), (BROKEN_WEEK, 1), (healthy_week, 0)):
            day = as_of(week)
            code = canary(["run", "--config", str(config), "--as-of", day.isoformat(), "--quiet"])
            if code != expected:
                raise RuntimeError(f"canary run of week {week} exited {code}, not {expected}")
            channels = {c.name: copy.deepcopy(c.messages) for c in fake.channels.values()}
            snapshots.append(Snapshot(day, channels))
        files = {fid: bytes(f["data"]) for fid, f in fake.uploads.items() if "data" in f}
    return snapshots, files


def clocks(snapshots: list[Snapshot]) -> dict[str, datetime]:
    """When each message is shown posted: its run's day at ``POSTED`` plus the seconds
    since the run's first message (the stand-in's timestamps are the real clock's)."""
    shown: dict[str, datetime] = {}
    for snap in snapshots:
        fresh = sorted(
            float(m["ts"]) for ms in snap.channels.values() for m in ms if m["ts"] not in shown
        )
        for ts in fresh:
            start = datetime.combine(snap.day, POSTED)
            shown[f"{ts:.6f}"] = start + timedelta(seconds=round(ts - fresh[0]))
    return shown


def conversation(
    messages: list[dict[str, Any]], when: Callable[[str], datetime], files: Mapping[str, bytes]
) -> tuple[Message, ...]:
    """A channel's messages as the stand-in stored them, as top-level ``Message``s with
    their replies (an upload is a message whose ``files`` name what was uploaded)."""

    def message(m: dict[str, Any], replies: tuple[Message, ...] = ()) -> Message:
        uploads = tuple(
            Upload(f.get("title") or f["name"], files[f["id"]]) for f in m.get("files") or []
        )
        return Message(
            when(m["ts"]),
            m.get("text") or "",
            tuple(m.get("blocks") or ()),
            uploads,
            bool(m.get("edited")),
            replies,
        )

    top = [m for m in messages if m.get("thread_ts") in (None, m["ts"])]
    return tuple(
        message(
            parent,
            tuple(
                message(r)
                for r in messages
                if r.get("thread_ts") == parent["ts"] and r["ts"] != parent["ts"]
            ),
        )
        for parent in top
    )


def screens(root: Path) -> dict[str, Screen]:
    """The broken week and the healthy week after (by picture name), as #code-insights-internal
    shows them with the run's thread open; then the reports of the healthy week before and of
    the broken week in #code-insights (a healthy week's chart without the break in it)."""
    snapshots, files = run_weeks(root)
    shown = clocks(snapshots)
    names = tuple(snapshots[0].channels)
    out = {}
    for (name, height), snap in zip(PICTURES.items(), snapshots[1:], strict=True):
        messages = conversation(snap.channels[CHANNEL], shown.__getitem__, files)
        if not messages:
            raise RuntimeError(f"#{CHANNEL} holds no message after the run shown on {snap.day}")
        last = len(messages) - 1
        out[name] = Screen(WORKSPACE, names, CHANNEL, snap.day, messages, last, height)
    weeks = (BROKEN_WEEK, BROKEN_WEEK - WEEK)
    for name, snap, week in zip(REPORTS, (snapshots[1], snapshots[0]), weeks, strict=True):
        when = datetime.combine(snap.day, POSTED) + timedelta(minutes=1)
        out[name] = report_screen(root / "canary.yaml", week, snap.day, when, WORKSPACE, names)
    return out
