"""The Prefect flow under one session-wide test harness; artifacts read back from the API."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import AS_OF, LATEST_WEEK, REPO, write_config

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


async def _artifacts(flow_run_id: Any) -> list[Any]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
        )


def test_flow_publishes_table_and_summary_artifacts(prefect_api: None, tmp_path: Path) -> None:
    from flows.weekly_canary import weekly_canary

    from canary.statuses import STATUS_ORDER

    config = write_config(tmp_path, data_docs={"base_url": "https://docs.example.com/canary"})
    state = weekly_canary(
        monitor="code-insights-canary",
        config_path=str(config),
        as_of=AS_OF.isoformat(),
        return_state=True,
    )
    assert state.is_completed()
    doc = state.result()
    assert doc["runs"][0]["status"] == "passed"
    assert doc["runs"][0]["week"] == LATEST_WEEK.isoformat()

    artifacts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    by_key = {a.key: a for a in artifacts}
    table = by_key["canary-code-insights-canary-checks"]
    summary = by_key["canary-code-insights-canary-summary"]
    assert table.type == "markdown" and summary.type == "markdown"
    rows = [line for line in table.data.splitlines() if line.startswith("| ")][1:]
    counted = sum(int(m[1]) if (m := re.match(r"\| \S+ x(\d+) ", r)) else 1 for r in rows)
    assert counted == len(doc["runs"][0]["checks"])  # every check, alike ones counted together
    assert len(rows) < counted
    assert {r.split()[1] for r in rows} <= {"✅", "⏭️"}  # skipped: no history yet
    # a healthy run's summary tells the week's numbers, not only what was skipped
    assert "## Key numbers" in summary.data and "| Instances reporting | 1 |" in summary.data
    assert "code-insights-canary" in summary.data and "passed" in summary.data

    # GE Data Docs of this run: GE's validation pages plus an index, linked from artifacts
    (index,) = (tmp_path / ".canary" / "data-docs" / "code-insights-canary").glob("*/*/index.html")
    pages = sorted(p for p in index.parent.glob("*.html") if p.name != "index.html")
    assert len(pages) == 6  # a suite per dataset (5) and the history-aware checks
    assert "canary.page_views" in index.read_text()
    assert "Great Expectations" in pages[0].read_text()
    url = f"https://docs.example.com/canary/{index.relative_to(index.parents[3]).as_posix()}"
    assert url.startswith("https://docs.example.com/canary/code-insights-canary/2026-11-16/")
    assert f"[Data Docs]({url})" in summary.data
    links = by_key["canary-code-insights-canary-links"]
    assert links.type == "markdown" and f"| [Data Docs]({url}) |" in links.data
    assert "| link | where |" in links.data  # one table, not a link artifact each
    assert "file://" not in links.data + summary.data  # the sample's file is on the worker
    assert not [k for k in by_key if "-link-" in k]
    # the summary is the flow run's own artifact: the UI lists it before the tasks' ones
    assert summary.task_run_id is None and table.task_run_id is not None
    # pages render offline with canary's sheet beside them; Home leads to the run's index
    page = pages[1].read_text()
    assert not re.search(r'<(link|script)[^>]*(href|src)="https?://', page)
    assert (index.parent / "canary-data-docs.css").exists() and "canary-data-docs.css" in page
    assert 'href="index.html"' in page and "../index.html" not in page
    statuses = Counter(c["status"] for c in doc["runs"][0]["checks"])
    counts = " · ".join(f"{statuses[s]} {s}" for s in STATUS_ORDER if statuses[s])
    assert counts in summary.data and counts in index.read_text()  # the same counts


def test_flow_publishes_the_weekly_report_as_an_artifact(prefect_api: None, tmp_path: Path) -> None:
    import yaml
    from flows.weekly_canary import weekly_canary

    monitors = yaml.safe_load((REPO / "canary.yaml").read_text())["monitors"]
    monitors["code-insights-canary"]["report"] = {"channel": "#code-insights"}
    config = write_config(tmp_path, monitors=monitors)
    state = weekly_canary(
        monitor="code-insights-canary",
        config_path=str(config),
        as_of=AS_OF.isoformat(),
        return_state=True,
    )
    assert state.is_completed()
    artifacts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    [report] = [a for a in artifacts if a.key == "canary-code-insights-canary-report"]
    assert report.type == "markdown" and "16 Nov 2026" in report.data
    assert "Pipeline health" in report.data and "file://" not in report.data
    # delivered too: no Slack configured, so the file outbox has it with its chart
    outbox = tmp_path / ".canary" / "outbox"
    assert len(list(outbox.glob("*.md"))) == len(list(outbox.glob("*.png"))) == 1


def failing_config(tmp_path: Path, **changes: object) -> Path:
    """A config whose page_views check "canary uses Code Insights" fails (an edited suite)."""
    suites = tmp_path / "expectations"
    shutil.copytree(REPO / "expectations", suites)
    suite_file = suites / "canary.page_views.json"
    doc = json.loads(suite_file.read_text())
    for expectation in doc["expectations"]:
        if expectation["meta"]["check"] == "canary uses Code Insights":
            expectation["kwargs"]["min_value"] = 10**9  # edited suite: used on the next run
    suite_file.write_text(json.dumps(doc))
    return write_config(tmp_path, expectations_dir=str(suites), **changes)


def test_flow_shows_failures_and_retries_only_transient_errors(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.weekly_canary as module

    from canary import pipeline
    from canary.errors import SourceError, TransientSourceError

    config = failing_config(tmp_path)

    calls: list[str] = []
    real_pull = pipeline.pull_dataset

    def flaky_pull(p: Any, dataset: str) -> Any:
        calls.append(dataset)
        if dataset == "page_views" and calls.count(dataset) == 1:
            raise TransientSourceError("503 from the warehouse")
        if dataset == "creators":
            raise SourceError("creators: permission denied")
        return real_pull(p, dataset)

    monkeypatch.setattr(pipeline, "pull_dataset", flaky_pull)
    fast = module.pull_and_check.with_options(retry_delay_seconds=0)
    monkeypatch.setattr(module, "pull_and_check", fast)
    state = module.weekly_canary(
        monitor="code-insights-canary",
        config_path=str(config),
        as_of=AS_OF.isoformat(),
        return_state=True,
    )
    assert state.is_failed()  # fail_on="checks": a failed check fails the run, named
    assert "page_views: canary uses Code Insights (failed)" in (state.message or "")
    assert "creators: pull (error)" in (state.message or "")
    run = state.result(raise_on_failure=False).document["runs"][0]
    assert calls.count("page_views") == 2  # transient: retried once, then fine
    assert calls.count("creators") == 1  # terminal: never retried
    failed = [c for c in run["checks"] if c["status"] == "failed"]
    assert [(c["dataset"], c["check"]) for c in failed] == [
        ("page_views", "canary uses Code Insights")
    ]
    errors = [c for c in run["checks"] if c["status"] == "error"]
    assert [(c["dataset"], c["check"]) for c in errors] == [("creators", "pull")]
    assert "permission denied" in errors[0]["reason"]
    artifacts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    summary = next(a for a in artifacts if a.key == "canary-code-insights-canary-summary")
    assert "canary uses Code Insights" in summary.data and "creators" in summary.data


def test_secret_resolver_reads_a_prefect_block_when_an_api_is_set(prefect_api: None) -> None:
    from prefect.blocks.system import Secret

    from canary.config_base import SecretRef
    from canary.secrets import resolve

    Secret(value="looker-s3cret").save("canary-test-looker-secret", overwrite=True)
    ref = SecretRef(env="LOOKERSDK_CLIENT_SECRET", prefect_block="canary-test-looker-secret")
    got = resolve("looker", ref, {"PREFECT_API_URL": "set by the harness"})
    assert got.value.get_secret_value() == "looker-s3cret"
    assert got.origin == "prefect block canary-test-looker-secret"
    from_env = resolve("looker", ref, {"LOOKERSDK_CLIENT_SECRET": "from-env"})
    assert from_env.origin == "env LOOKERSDK_CLIENT_SECRET"
    for written in ("1.50", '"quoted"', "1e3"):  # read as JSON by Prefect's own get()
        Secret(value=written).save("canary-test-looker-secret", overwrite=True)
        assert resolve("looker", ref, {"PREFECT_API_URL": "x"}).value.get_secret_value() == written


def test_a_bigquery_key_from_a_prefect_block_reaches_the_url_the_driver_reads(
    prefect_api: None, tmp_path: Path
) -> None:
    import base64

    from prefect.blocks.system import Secret
    from sqlalchemy.engine import make_url

    from canary.config_base import SecretRef
    from canary.dashboards import catalog
    from canary.sources.registry import BuildContext
    from canary.sources.sql.config import SqlSourceConfig
    from canary.sources.sql.source import build
    from canary.url_secrets import safe_url

    key = '{"type": "service_account", "project_id": "p", "private_key": "k"}'
    Secret(value=key).save("canary-test-bigquery-key", overwrite=True)
    cfg = SqlSourceConfig(
        kind="sql",
        url="bigquery://p/analytics",
        credentials=SecretRef(env="CANARY_BIGQUERY_KEY", prefect_block="canary-test-bigquery-key"),
    )
    board = catalog().dashboards["all-instances"]
    environ = {"PREFECT_API_URL": "set by the harness"}
    source = build("bq", cfg, BuildContext(board, tmp_path, tmp_path, environ))
    sent = make_url(source.url).query["credentials_base64"]
    assert isinstance(sent, str) and base64.b64decode(sent).decode() == key
    assert "credentials_base64=***" in safe_url(source.url) and sent not in repr(source)


def test_prefect_yaml_deploys_both_monitors_weekly() -> None:
    import yaml

    from canary.config import load_config

    doc = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in doc["deployments"]}
    monitors = load_config(REPO / "canary.yaml", environ={}).monitors
    assert set(deployments) == set(monitors)
    for name, d in deployments.items():
        assert d["parameters"]["monitor"] == name
        assert d["schedules"][0]["timezone"] == "UTC"
        assert (
            d["schedules"][0]["cron"]
            == {  # the canary instance's first: its verdict classes the others' incidents
                "code-insights-canary": "0 9 * * 1",
                "code-insights-all-instances": "15 9 * * 1",
            }[name]
        )
        path, _, func = d["entrypoint"].partition(":")
        assert (REPO / path).exists() and func == "weekly_canary"
        assert d["work_pool"]["name"] == "canary"


def test_concurrent_flow_run_equals_the_sequential_cli_run(
    prefect_api: None, tmp_path: Path, sample_data_dir: Path
) -> None:
    from flows.weekly_canary import weekly_canary

    from canary.checks.validate import GreatExpectations
    from canary.config import load_config
    from canary.pipeline import RunOptions, plan, run_monitor
    from canary.replay import first_run
    from canary.report import json_result
    from canary.store.db import Store
    from tests.conftest import NOW

    flow_dir, cli_dir = tmp_path / "flow", tmp_path / "cli"
    for d in (flow_dir, cli_dir):
        shutil.copytree(sample_data_dir, d / ".canary")
    flow_config = write_config(flow_dir, data_dir=str(flow_dir / ".canary"))
    state = weekly_canary(
        monitor="code-insights-all-instances",
        config_path=str(flow_config),
        as_of=AS_OF.isoformat(),
        fail_on="never",
        return_state=True,
    )
    assert state.is_completed()
    config_file = write_config(cli_dir, data_dir=str(cli_dir / ".canary"))
    config = load_config(config_file)
    p = plan(config, "code-insights-all-instances", RunOptions(now=NOW), cli_dir)
    store = Store(config.store_url({}), home=config.data_dir)
    try:
        assert first_run(p, store) is not None  # as the flow did: an empty store backfills
        cli_run = run_monitor(p, store, GreatExpectations())
    finally:
        store.close()

    def verdicts(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(c["id"], c["status"], c["reason"]) for c in doc["runs"][0]["checks"]]

    cli_doc = json_result.document([cli_run])
    assert verdicts(state.result()) == verdicts(cli_doc)
    assert len(verdicts(cli_doc)) > 20


def test_undelivered_alerts_show_in_the_summary_and_a_delivery_pending_event(
    prefect_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.weekly_canary import weekly_canary
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter
    from prefect.events.worker import EventsWorker

    from canary.alerts.deliver import deliver
    from canary.store.db import Store
    from tests.alert_builders import W1, check, make_config, run_of
    from tests.slack_fake import ENV, TOKEN, running

    with running() as slack:
        config = make_config(tmp_path, slack)
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        slack.down = True  # an earlier run's alert is still queued, and Slack stays down
        store = Store(config.store_url({}), home=config.data_dir)
        deliver(config, store, [run_of(W1, check())], environ=ENV)
        store.close()
        state = weekly_canary(
            monitor="code-insights-canary",
            config_path=str(tmp_path / "canary.yaml"),
            as_of=AS_OF.isoformat(),
            return_state=True,
        )
    assert state.is_completed()  # the checks passed: the run is not failed for this
    artifacts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    summary = next(a for a in artifacts if a.key == "canary-code-insights-canary-summary")
    assert "## Alerts not delivered" in summary.data
    assert "2 waiting in the outbox for the next run" in summary.data
    assert "Slack unreachable" in summary.data

    EventsWorker.drain_all()
    wanted = EventFilter(event=EventNameFilter(name=["canary.delivery.pending"]))
    deadline = time.monotonic() + 30  # the server persists events in batches, a moment later
    with get_client(sync_client=True) as client:
        while not (events := client.read_events(wanted, limit=10).events):
            assert time.monotonic() < deadline, "no canary.delivery.pending event in 30 s"
            time.sleep(0.5)
    [event] = events
    assert event.resource.id == f"canary.delivery.code-insights-canary.{LATEST_WEEK}"
    assert event.payload["pending"] == 2 and event.payload["transport"] == "slack"
    assert any("Slack unreachable" in r for r in event.payload["reasons"])
    assert TOKEN not in json.dumps(event.payload)


DOCS_BASE = "https://docs.example.com/canary"


def _run_failing_week(tmp_path: Path) -> tuple[Any, str]:
    """The flow over a week whose checks fail; its state and its Data Docs' URL (built)."""
    from flows.weekly_canary import weekly_canary

    config = failing_config(tmp_path, data_docs={"base_url": DOCS_BASE})
    state = weekly_canary(
        monitor="code-insights-canary",
        config_path=str(config),
        as_of=AS_OF.isoformat(),
        return_state=True,
    )
    assert state.is_failed()
    (index,) = (tmp_path / ".canary" / "data-docs" / "code-insights-canary").glob("*/*/index.html")
    return state, f"{DOCS_BASE}/{index.relative_to(index.parents[3]).as_posix()}"


def _sent(tmp_path: Path) -> list[str]:
    return [p.read_text() for p in (tmp_path / ".canary" / "outbox").glob("*.md")]


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute(sql, [str(LATEST_WEEK)]).fetchone()[0])


def test_flow_records_the_run_with_its_alerts_and_links_its_data_docs(
    prefect_api: None, tmp_path: Path
) -> None:
    state, url = _run_failing_week(tmp_path)
    db = tmp_path / ".canary" / "store.db"
    assert _count(db, "SELECT count(*) FROM runs WHERE week = ?") == 1
    assert _count(db, "SELECT count(*) FROM alert_state WHERE 1 OR ? IS NULL") >= 1
    assert _count(db, "SELECT count(*) FROM outbox WHERE week = ? AND status = 'delivered'") >= 1
    alerts = [m for m in _sent(tmp_path) if "canary uses Code Insights" in m]
    assert alerts and all(url in m for m in alerts)  # the link of the Data Docs built
    page = f"/flow-runs/flow-run/{state.state_details.flow_run_id})"
    assert any(page in m for m in alerts)  # and the flow run's page, an http(s) address


def test_flow_run_whose_outbox_write_fails_is_not_recorded_without_its_alerts(
    prefect_api: None, tmp_path: Path
) -> None:
    """As with ``canary run``: the run and its alerts are written together or go, together,
    to the fallback store; the alerts still go out, linking the run's Data Docs."""
    from canary.store.db import Store

    db = tmp_path / ".canary" / "store.db"
    db.parent.mkdir()
    Store(f"sqlite:///{db}").close()  # the schema, to fault
    with sqlite3.connect(db) as con:
        con.execute(
            "CREATE TRIGGER full BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END"
        )
    state, url = _run_failing_week(tmp_path)
    run = state.result(raise_on_failure=False).document["runs"][0]
    (record,) = [c for c in run["checks"] if (c["dataset"], c["check"]) == ("store", "record")]
    assert record["status"] == "error" and "disk full" in record["reason"]
    assert _count(db, "SELECT count(*) FROM runs WHERE week = ?") == 0  # rolled back together
    assert _count(db, "SELECT count(*) FROM alert_state WHERE 1 OR ? IS NULL") == 0
    fallback = tmp_path / ".canary" / "fallback-store.db"
    assert _count(fallback, "SELECT count(*) FROM runs WHERE week = ?") == 1
    assert _count(fallback, "SELECT count(*) FROM outbox WHERE week = ?") >= 1
    alerts = [m for m in _sent(tmp_path) if "canary uses Code Insights" in m]
    assert alerts and all(url in m for m in alerts)
