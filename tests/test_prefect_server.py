"""Canary deployed on a real Prefect server: `prefect server start`, a process work pool,
`prefect deploy --all` from prefect.yaml, a worker, and everything read back through the API.

One server per module (both tests share it: the xdist group keeps them on one worker).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from screens.browser import chromium
from tests.conftest import AS_OF, REPO

pytestmark = [pytest.mark.xdist_group("prefect_server"), pytest.mark.timeout(480)]

BIN = Path(sys.executable).parent
HEALTHY = "code-insights-canary"
BROKEN = "code-insights-all-instances"  # run with scenario object-null
#: The canary instance's monitor first: its verdict classes the all-instances incidents.
CRONS = {HEALTHY: "0 9 * * 1", BROKEN: "15 9 * * 1"}
TOKEN = "xoxb-canary-test-token-4711"  # must never appear in output, artifacts or events


# What Prefect's own client retries: a SQLite-backed server answers 503 while its
# database is locked by its background services, which happens on a busy machine.
TRANSIENT = {429, 502, 503, 504}


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    """One API call, retried with backoff on transient answers like PrefectClient does."""
    for delay in (0.25, 0.5, 1, 2, 4, 5, 5):
        try:
            response = httpx.request(method, url, json=body, timeout=30)
        except httpx.TransportError:
            pass
        else:
            if response.status_code not in TRANSIENT:
                break
        time.sleep(delay)
    else:  # the last try: whatever it answers is the test's answer
        response = httpx.request(method, url, json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    env: dict[str, str]
    work: Path
    runs: dict[str, str] = field(default_factory=dict)  # deployment -> flow run id
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return _call("POST", f"{self.api}{path}", body)

    def get(self, path: str) -> Any:
        return _call("GET", f"{self.api}{path}")

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: int = 120) -> str:
        done = subprocess.run(
            args,
            cwd=self.work,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        out = done.stdout + done.stderr
        assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{out}"
        return out

    def artifacts(self, flow_run_id: str) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = self.post(
            "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}}
        )
        return got

    def logs(self, flow_run_id: str) -> list[dict[str, Any]]:
        """The run's logs once its engine has reported its final state (they arrive late)."""
        deadline = time.monotonic() + 30
        while True:
            got: list[dict[str, Any]] = self.post(
                "/logs/filter",
                {
                    "logs": {"flow_run_id": {"any_": [flow_run_id]}},
                    "sort": "TIMESTAMP_ASC",
                    "limit": 200,
                },
            )
            if any("Finished in state" in g["message"] for g in got):
                return got
            assert time.monotonic() < deadline, [g["message"] for g in got]
            time.sleep(1)

    def events(self, prefix: str) -> list[dict[str, Any]]:
        """Every event whose name starts with ``prefix`` (following the pages)."""
        page = self.post(
            "/events/filter",
            {"filter": {"event": {"prefix": [prefix]}, "order": "ASC"}, "limit": 50},
        )
        events: list[dict[str, Any]] = page["events"]
        while page.get("next_page"):
            page = _call("GET", page["next_page"])
            events += page["events"]
        return events


def _work_copy(root: Path, sample: Path) -> Path:
    """A clone-like copy of the repo whose canary.yaml keeps Slack alerts in a file outbox."""
    work = root / "clone"
    work.mkdir()
    for name in ("flows", "expectations"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "prefect.yaml", work)
    shutil.copytree(sample, work / ".canary")
    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    raw["slack"] = {
        "delivery": "file",
        "token": {"env": "SLACK_BOT_TOKEN", "prefect_block": "canary-slack-token"},
        "report_base_url": "https://canary.example.com/results",
    }
    (work / "canary.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return work


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, shared_sample: Path) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    home = root / "home"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "CANARY", "SLACK_", "LOOKERSDK_"))
    }
    env.update(
        PREFECT_HOME=str(root / "prefect-home"),
        PREFECT_API_URL=f"{url}/api",
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_UI_URL=url,
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="false",
        NO_PROXY="127.0.0.1,localhost",
        HOME=str(home),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    work = _work_copy(root, shared_sample)
    env["PWD"] = str(work)  # what `{{ $PWD }}` in prefect.yaml reads
    log = (root / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (root / "server.log").read_text()
            assert time.monotonic() < deadline, "prefect server did not start in 90 s"
            time.sleep(0.5)
        srv = Server(url, env, work)
        _deploy_and_run(srv)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _deploy_and_run(srv: Server) -> None:
    prefect = str(BIN / "prefect")
    srv.cli(prefect, "work-pool", "create", "canary", "--type", "process")
    srv.outputs["deploy"] = srv.cli(prefect, "--no-prompt", "deploy", "--all")
    parameters = {
        HEALTHY: {"as_of": AS_OF.isoformat()},
        BROKEN: {"as_of": AS_OF.isoformat(), "scenario": "object-null"},
    }
    for name, params in parameters.items():
        deployment = srv.get(f"/deployments/name/weekly-canary/{name}")
        run = srv.post(f"/deployments/{deployment['id']}/create_flow_run", {"parameters": params})
        srv.runs[name] = run["id"]
    deadline = time.monotonic() + 300
    worker_out = []
    while True:
        worker_out.append(
            srv.cli(prefect, "worker", "start", "--pool", "canary", "--run-once", timeout=300)
        )
        states = {n: srv.get(f"/flow_runs/{i}")["state"] for n, i in srv.runs.items()}
        if all(
            s["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states.values()
        ):
            break
        assert time.monotonic() < deadline, f"runs did not finish: {states}\n{worker_out}"
        time.sleep(1)
    srv.outputs["worker"] = "\n".join(worker_out)


def _wait_for_events(srv: Server, prefix: str, wanted: set[str]) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        events = srv.events(prefix)
        if wanted <= {e["event"] for e in events} or time.monotonic() > deadline:
            return events
        time.sleep(1)


@pytest.mark.prefect_server
def test_deployed_runs_end_in_states_with_artifacts_and_events(server: Server) -> None:
    deployments = server.post("/deployments/filter", {})
    by_name = {d["name"]: d for d in deployments}
    assert set(by_name) == {HEALTHY, BROKEN}
    for name, d in by_name.items():  # what prefect.yaml asked for
        assert d["schedules"][0]["schedule"]["cron"] == CRONS[name]
        assert d["schedules"][0]["schedule"]["timezone"] == "UTC"
        assert d["work_pool_name"] == "canary"
        assert d["global_concurrency_limit"]["limit"] == 1
        assert d["pull_steps"][0]["prefect.deployments.steps.set_working_directory"] == {
            "directory": str(server.work)
        }
        assert d["job_variables"]["env"]["CANARY_STORE_URL"].startswith("sqlite:////")

    healthy = server.get(f"/flow_runs/{server.runs[HEALTHY]}")
    assert healthy["state"]["type"] == "COMPLETED", healthy["state"]
    assert healthy["state"]["message"] == f"{HEALTHY} week 2026-11-16: passed"
    assert healthy["name"] == f"{HEALTHY} 2026-11-16" and "drill" not in healthy["tags"]
    arts = {a["key"]: a for a in server.artifacts(healthy["id"])}
    assert set(arts) == {f"canary-{HEALTHY}-{kind}" for kind in ("summary", "checks", "links")}
    table = arts[f"canary-{HEALTHY}-checks"]
    assert table["type"] == "markdown" and "instances_reporting" in table["data"]
    summary = arts[f"canary-{HEALTHY}-summary"]
    assert summary["task_run_id"] is None  # the flow run's own: listed before the tasks'
    assert summary["data"].startswith(f"# ✅ {HEALTHY} — week 2026-11-16: passed")
    assert "## Key numbers" in summary["data"] and "| Insights page views |" in summary["data"]
    report = f"https://canary.example.com/results/{HEALTHY}/2026-11-16/"
    assert f"[Full results]({report})" in summary["data"]
    links = arts[f"canary-{HEALTHY}-links"]["data"]
    assert f"| [Full results]({report}) |" in links
    # Data Docs are not served here: written in the clone's data_dir, not linked as file://
    assert "file://" not in links + summary["data"]
    assert list((server.work / ".canary/data-docs" / HEALTHY).glob("2026-11-16/*/index.html"))
    # the store is where prefect.yaml put it: outside the clone, at an absolute path
    assert (Path(server.env["HOME"]) / ".local/share/canary/store.db").exists()

    # the object-null scenario is a drill, and marked as one everywhere
    broken = server.get(f"/flow_runs/{server.runs[BROKEN]}")
    assert broken["state"]["type"] == "FAILED", broken["state"]
    assert broken["name"] == f"{BROKEN} 2026-11-16 (DRILL object-null)"
    assert "drill" in broken["tags"] and f"monitor:{BROKEN}" in broken["tags"]
    message = broken["state"]["message"]
    assert message.startswith(f"DRILL object-null: {BROKEN} week 2026-11-16: ")
    assert "(failed" in message
    tasks = server.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [broken["id"]]}}})
    assert tasks and all("drill" in t["tags"] for t in tasks)
    arts = {a["key"]: a for a in server.artifacts(broken["id"])}
    drill_key = f"canary-{BROKEN}-drill-object-null"
    kinds = ("summary", "checks", "links", "report")  # a drill's report: a preview, not sent
    assert set(arts) == {f"{drill_key}-{kind}" for kind in kinds}
    assert "DRILL" in arts[f"{drill_key}-report"]["data"].splitlines()[0]
    assert not [
        a for a in server.post("/artifacts/filter", {}) if a["key"] == f"canary-{BROKEN}-summary"
    ]
    text = arts[f"{drill_key}-summary"]["data"]
    assert text.startswith(f"# ❌ DRILL object-null: {BROKEN} — week 2026-11-16: failed")
    assert "> 🧪 **DRILL object-null:" in text
    # the incidents open the summary; the failed checks follow as evidence
    assert "## Incidents\n\n1. **object-null** (90%), pipeline, since" in text
    assert "*pipeline:* object-null is a breakage of the data, not a change in usage" in text
    assert text.index("## Incidents") < text.index("fields failed")
    assert all("canary-scenario-" not in str(a["data"]) for a in arts.values())
    assert all("file://" not in str(a["data"]) for a in arts.values())  # no path on the worker
    # Data Docs are kept although the scenario's data is not
    (index,) = (server.work / ".canary" / "data-docs" / BROKEN).glob("2026-11-16/*/index.html")
    assert "failed" in index.read_text()
    # a data failure is not a crash: the logs end with the state, without a traceback
    logs = [g["message"] for g in server.logs(broken["id"])]
    assert not [m for m in logs if "Traceback" in m or "ChecksFailed" in m], logs
    assert not [m for m in logs if "boolean value of NA" in m]
    assert any(m.startswith("Finished in state Failed(") for m in logs)

    events = _wait_for_events(
        server, "canary.", {"canary.drill.check.failed", "canary.run.completed"}
    )
    completed = [e for e in events if e["event"] == "canary.run.completed"]
    assert {e["payload"]["monitor"]: e["payload"]["status"] for e in completed} == {
        HEALTHY: "passed"
    }
    assert not [e for e in events if e["event"] == "canary.check.failed"]
    drill = [e for e in events if e["event"].startswith("canary.drill.")]
    assert {e["payload"]["drill"] for e in drill} == {"object-null"}
    assert {e["payload"]["monitor"] for e in drill} == {BROKEN}
    failed = [e for e in drill if e["event"] == "canary.drill.check.failed"]
    first = failed[0]
    roles = {r["prefect.resource.role"]: r["prefect.resource.id"] for r in first["related"]}
    assert roles["monitor"] == f"canary.monitor.{BROKEN}"
    assert roles["dataset"] == f"canary.dataset.{BROKEN}.{first['payload']['dataset']}"
    assert roles["flow-run"] == f"prefect.flow-run.{broken['id']}"
    assert first["resource"]["prefect.resource.id"].startswith("canary.check.")


@pytest.mark.prefect_server
def test_secret_blocks_doctor_and_dead_mans_switch(server: Server) -> None:
    canary = str(BIN / "canary")
    pushed = server.cli(canary, "secrets", "push", env={"SLACK_BOT_TOKEN": TOKEN})
    assert "slack.token -> block canary-slack-token: saved from env SLACK_BOT_TOKEN" in pushed
    doctor = server.cli(canary, "doctor")
    assert "secret slack.token: from prefect block canary-slack-token" in doctor
    assert "store: sqlite:///" in doctor
    from_env = server.cli(canary, "doctor", env={"SLACK_BOT_TOKEN": TOKEN})
    assert "secret slack.token: from env SLACK_BOT_TOKEN" in from_env
    assert TOKEN not in pushed + doctor + from_env

    make_block = (
        "from prefect.blocks.notifications import SlackWebhook;"
        "SlackWebhook(url='http://127.0.0.1:9/hook').save('canary-ops', overwrite=True)"
    )
    server.cli(sys.executable, "-c", make_block)
    out = server.cli(canary, "deploy", "--notify-block", "slack-webhook/canary-ops")
    assert f"dead-man's switch of {HEALTHY}: created" in out
    again = server.cli(canary, "deploy", "--notify-block", "slack-webhook/canary-ops")
    assert f"dead-man's switch of {HEALTHY}: replaced" in again
    automations = server.post("/automations/filter", {})
    mine = {a["name"]: a for a in automations if a["name"].startswith("canary dead-man")}
    assert len(mine) == 2  # one per deployment, replaced rather than duplicated
    deployment = server.get(f"/deployments/name/weekly-canary/{HEALTHY}")
    switch = mine[f"canary dead-man's switch: {HEALTHY}"]
    trigger = switch["trigger"]
    assert trigger["posture"] == "Proactive" and trigger["within"] == 8 * 86400
    assert trigger["expect"] == ["prefect.flow-run.Completed"]
    assert trigger["match_related"]["prefect.resource.id"] == (
        f"prefect.deployment.{deployment['id']}"
    )
    assert switch["actions"][0]["type"] == "send-notification"
    # without --notify-block: a slack-webhook block made from the config's webhook secret
    hook = "http://127.0.0.1:9/canary-hook-secret"
    webhook_env = {"CANARY__SLACK__WEBHOOK__ENV": "SLACK_WEBHOOK_URL", "SLACK_WEBHOOK_URL": hook}
    out = server.cli(canary, "deploy", env=webhook_env)
    assert f"dead-man's switch of {HEALTHY}: replaced" in out and hook not in out
    block = server.get(
        "/block_types/slug/slack-webhook/block_documents/name/canary-dead-mans-switch"
    )
    automations = server.post("/automations/filter", {})
    switch = next(a for a in automations if a["name"] == f"canary dead-man's switch: {HEALTHY}")
    assert switch["actions"][0]["block_document_id"] == block["id"]

    for run_id in server.runs.values():  # the secret never reaches artifacts or events
        assert all(TOKEN not in str(a["data"]) for a in server.artifacts(run_id))
    assert all(TOKEN not in str(e) for e in server.events("canary."))


# `make screenshot` refreshes the README's pictures; other runs keep theirs in a temp dir.
# Read at import: the tests' isolated environment drops CANARY_* variables.
SCREENSHOT = os.environ.get("CANARY_UI_SCREENSHOT")


@pytest.mark.prefect_ui
def test_flow_run_page_shows_the_canary_artifacts(server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    shot = Path(SCREENSHOT or tmp_path / "failed-run.png")
    run_id = server.runs[BROKEN]
    arts = {a["key"]: a for a in server.artifacts(run_id)}
    drill_key = f"canary-{BROKEN}-drill-object-null"
    summary, checks = arts[f"{drill_key}-summary"], arts[f"{drill_key}-checks"]
    (docs,) = (server.work / ".canary/data-docs" / BROKEN).glob("2026-11-16/*/index.html")
    with chromium(tmp_path / "chromium-profile", 1400, 1000) as browser:
        page = browser.new_page()
        page.goto(f"{server.url}/runs/flow-run/{run_id}")
        run_name = f"{BROKEN} 2026-11-16 (DRILL object-null)"
        expect(page.get_by_text(run_name).first).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Failed").first).to_be_visible()
        expect(page.get_by_text("Finished in state").first).to_be_visible(timeout=30_000)
        logs = page.locator("body").inner_text()  # the Logs tab opens first
        assert "Traceback" not in logs and "ChecksFailed" not in logs
        page.get_by_role("tablist").get_by_text("Artifacts").click()
        expect(page.get_by_text(f"{drill_key}-summary").first).to_be_visible(timeout=30_000)
        page.goto(f"{server.url}/artifacts/artifact/{checks['id']}")
        table = page.get_by_role("table").first
        expect(table).to_be_visible(timeout=30_000)
        for column in ("check", "column · segment", "observed", "reason"):
            expect(table.get_by_role("columnheader", name=column)).to_be_in_viewport(ratio=1)
        sideways = page.locator(".p-table").first.evaluate("e => e.scrollWidth - e.clientWidth")
        assert sideways <= 0  # the whole table shows in 1400 px, nothing scrolled off
        # reasons wrap: a cell's <br> breaks its line (the UI never wraps a cell itself)
        breaks = table.locator("td br").count()
        assert breaks > 100, breaks
        reason = table.locator("tbody tr").first.locator("td").last
        assert reason.evaluate("e => e.getBoundingClientRect().height") > 40
        if SCREENSHOT:
            page.screenshot(path=str(shot.with_name("prefect-ui-checks.png")), full_page=False)
        page.goto(f"{server.url}/artifacts/artifact/{summary['id']}")
        heading = page.get_by_role(
            "heading", name=f"❌ DRILL object-null: {BROKEN} — week 2026-11-16: failed"
        )
        expect(heading).to_be_visible(timeout=30_000)
        expect(page.get_by_role("heading", name="Incidents")).to_be_in_viewport()
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)

        # Data Docs offline: no request leaves the machine, the pages keep their styling
        page.route("http*://**/*", lambda route: route.abort())
        page.goto(docs.as_uri())
        expect(page.get_by_role("heading", name="Checks by dataset")).to_be_visible()
        page.get_by_role("link", name="all_instances.instance_usage").click()
        border = page.locator("table.table td").first.evaluate(
            "e => getComputedStyle(e).borderTopStyle"
        )
        assert border == "solid"  # canary's sheet, not a CDN's, styles GE's tables
        page.get_by_role("link", name="Home").first.click()
        assert page.url == docs.as_uri()
    assert shot.stat().st_size > 10_000
