"""Segment labels (deploy type, version) are data: masked like values wherever shown."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from canary.alerts.deliver import deliver
from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.pipeline import RunOptions, plan, run_monitor
from canary.report.artifacts import summary_markdown
from canary.report.checks_table import checks_markdown
from canary.report.console import print_report
from canary.report.json_result import document, validate
from canary.store.db import Store
from tests.conftest import LATEST_WEEK, NOW, sample_exports, write_config, write_files_config
from tests.slack_fake import ENV, SlackFake

pytestmark = pytest.mark.integration
MONITOR = "code-insights-all-instances"
DATASETS = ("page_views", "usage_by_deploy_type", "usage_by_version")
IP, IP2, EMAIL, KEY = "10.20.30.40", "10.20.30.41", "ops@acme.example", "LK-AB12-CD34-EF56"


def _exports(shared_sample: Path, directory: Path) -> None:
    """The three tiles from the sample, with personal data in their segment labels.

    The biggest deploy type becomes an IP address and its page views vanish in the week
    under test (so the aggregate drop is attributed to it); another becomes a second IP; a
    third is renamed to an email that week only (a new label); the top version to a
    license key, its page views vanishing too.
    """
    frames = sample_exports(shared_sample, "all-instances", DATASETS)
    directory.mkdir()
    deploy = frames["usage_by_deploy_type"]
    latest = deploy["week"] == pd.Timestamp(LATEST_WEEK)
    ranked = deploy[latest].sort_values("total_insights_page_views", ascending=False)
    big, other, renamed = ranked["deploy_type"].iloc[:3]
    lost = int(ranked["total_insights_page_views"].iloc[0])
    deploy.loc[latest & (deploy["deploy_type"] == big), "total_insights_page_views"] = 0
    deploy.loc[latest & (deploy["deploy_type"] == renamed), "deploy_type"] = EMAIL
    deploy["deploy_type"] = deploy["deploy_type"].replace({big: IP, other: IP2})
    views = frames["page_views"]
    now = views["week"] == pd.Timestamp(LATEST_WEEK)
    for column in ("total_insights_page_views", "total_insights_unique_page_views"):
        views.loc[now, column] = (views.loc[now, column] - lost).clip(lower=0) // 2
    version = frames["usage_by_version"]
    latest = version["week"] == pd.Timestamp(LATEST_WEEK)
    top = version[latest].sort_values("total_insights_page_views")["version_minor"].iloc[-1]
    version.loc[latest & (version["version_minor"] == top), "total_insights_page_views"] = 0
    version["version_minor"] = version["version_minor"].replace({top: KEY})
    for name, frame in frames.items():
        frame.to_csv(directory / f"{name}.csv", index=False)


def test_personal_data_in_segment_labels_is_masked_everywhere_it_is_shown(
    shared_sample: Path, tmp_path: Path, slack: SlackFake
) -> None:
    _exports(shared_sample, tmp_path / "exports")
    config = load_config(
        write_files_config(
            tmp_path,
            MONITOR,
            DATASETS,
            slack={"delivery": "bot", "base_url": slack.url, "max_details": 40},
        )
    )
    store = Store(config.store_url({}))
    options = RunOptions(week=LATEST_WEEK, now=NOW)
    run = run_monitor(plan(config, MONITOR, options, tmp_path), store, GreatExpectations())
    assert deliver(config, store, [run], now=NOW, environ=ENV).ok
    store.close()

    doc = document([run])
    validate(doc)
    console = Console(record=True, width=200)
    print_report(console, [run])
    shown = {
        "json": json.dumps(doc),
        "console": console.export_text(),
        "artifacts": summary_markdown(run) + checks_markdown(run),
        "slack": json.dumps([r.body for r in slack.requests]),
    }
    for where, text in shown.items():
        assert not [s for s in (IP, IP2, EMAIL, KEY) if s in text], where

    checks = doc["runs"][0]["checks"]
    segments = [c["segment"] for c in checks if c["segment"]]
    assert {"deploy_type": "***.***.***.***"} in segments
    assert {"deploy_type": "***@***"} in segments
    new = next(c for c in checks if c["check"] == "new label" and c["segment"])
    assert new["status"] == "failed" and "'***@***' never seen" in new["reason"]
    [level] = [
        c for c in checks if c["dataset"] == "page_views" and c["details"].get("attribution")
    ]
    shares = [(s["dataset"], s["segment"]) for s in level["details"]["attribution"]]
    assert ("usage_by_deploy_type", {"deploy_type": "***.***.***.***"}) in shares
    assert ("usage_by_version", {"version_minor": "LK-****-****-****"}) in shares
    assert "is on deploy_type ***.***.***.***" in level["reason"]
    assert "is on version_minor LK-****-****-****" in level["reason"]
    assert len({c["id"] for c in checks}) == len(checks)  # two IPs masked alike, still two checks
    assert "***.***.***.***" in shown["slack"] and "***@***" in shown["slack"]


def test_personal_data_in_an_error_reason_is_masked_everywhere_it_is_shown(
    shared_sample: Path, tmp_path: Path, slack: SlackFake
) -> None:
    """One policy: the reason of a check that could not run (here a missing export whose
    path holds an email, an IP and a license key) is masked on the console, in the JSON
    result, the Prefect artifacts, Slack and the file outbox alike."""
    _exports(shared_sample, tmp_path / "exports")
    missing = f"exports/{EMAIL} {IP} {KEY}/page_views.csv"
    paths = {n: f"exports/{n}.csv" for n in DATASETS} | {"page_views": missing}
    shown: dict[str, str] = {}
    (tmp_path / "outbox").mkdir()
    for delivery in ("slack", "outbox"):
        slack_settings = {"delivery": "bot", "base_url": slack.url}
        config = load_config(
            write_config(
                tmp_path / delivery if delivery == "outbox" else tmp_path,
                sources={
                    "exports": {
                        "kind": "files",
                        "datasets": {n: {"path": str(tmp_path / p)} for n, p in paths.items()},
                    }
                },
                monitors={
                    MONITOR: {
                        "source": "exports",
                        "dashboard": "all-instances",
                        "suite_prefix": "all_instances",
                        "alerts": {"channel": "#code-insights"},
                        "datasets": {n: {} for n in DATASETS},
                    }
                },
                **({"slack": slack_settings} if delivery == "slack" else {}),
            )
        )
        store = Store(config.store_url({}))
        options = RunOptions(week=LATEST_WEEK, now=NOW)
        run = run_monitor(plan(config, MONITOR, options, tmp_path), store, GreatExpectations())
        environ = ENV if delivery == "slack" else {}
        assert deliver(config, store, [run], now=NOW, environ=environ).ok
        store.close()
        [error] = [c for c in run.checks if c.status == "error"]
        assert "could not be checked" in error.reason
        console = Console(record=True, width=200)
        print_report(console, [run])
        shown["console"] = console.export_text()
        shown["json"] = json.dumps(document([run]))
        shown["artifacts"] = summary_markdown(run) + checks_markdown(run)
    shown["slack"] = json.dumps([r.body for r in slack.requests])
    outbox = tmp_path / "outbox" / ".canary" / "outbox"
    shown["outbox"] = "".join(p.read_text() for p in outbox.rglob("*") if p.is_file())
    for where, text in shown.items():
        assert "***@***" in text and "***.***.***.***" in text, where
        assert not [s for s in (IP, EMAIL, KEY) if s in text], where
