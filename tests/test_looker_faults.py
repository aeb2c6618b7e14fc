"""Every fault switch of the Looker stand-in: retried faults succeed within their budget,
terminal ones become an ``error`` for that tile only, and the exit code follows DESIGN 4."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import requests
from looker_sdk.error import ErrorDocHelper

from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.dashboards import catalog
from canary.errors import ExitCode, SourceError, TransientSourceError, exit_code_for
from canary.pipeline import RunOptions, build_source, plan, run_monitor
from canary.results import RunResult
from canary.sample.warehouse import FILE_NAME
from canary.store.db import Store
from tests.conftest import LATEST_WEEK, NOW
from tests.looker_fake import (
    DOCS_ERRORS,
    DROPPED,
    SLOW,
    LookerFake,
    looker_config,
    serving,
    shared_ge,
    watching_egress,
)

pytestmark = pytest.mark.integration
CANARY = catalog().dashboards["canary"]
MONITOR = "code-insights-canary"
BUDGET = {"attempts": 2, "backoff": 0, "jitter": 0}


@pytest.fixture
def looker(shared_sample: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LookerFake]:
    with serving(shared_sample / FILE_NAME, monkeypatch) as fake:
        yield fake


@pytest.fixture
def ge() -> GreatExpectations:
    return shared_ge()


def canary_run(fake: LookerFake, tmp_path: Path, ge: GreatExpectations, **common: Any) -> RunResult:
    config_path = looker_config(tmp_path, fake.base_url, [MONITOR], **common)
    config = load_config(config_path)
    store = Store(config.store_url({}))
    try:
        return run_monitor(plan(config, MONITOR, RunOptions(now=NOW), tmp_path), store, ge)
    finally:
        store.close()


def pull(fake: LookerFake, tmp_path: Path, dataset: str, **common: Any) -> Any:
    config = load_config(looker_config(tmp_path, fake.base_url, [MONITOR], **common))
    source = build_source(config, config.monitors[MONITOR], RunOptions(now=NOW), tmp_path)
    return source.pull(CANARY.tile(dataset), LATEST_WEEK)


def statuses(fake: LookerFake) -> list[int]:
    return [status for _, _, status in fake.runs()]


@pytest.mark.parametrize(
    ("switch", "seen", "timeout"),
    [
        ({"rate_limited": 2}, [429, 429, 200], "30s"),
        ({"server_error": 2}, [503, 500, 200], "30s"),
        ({"dropped": 2}, [DROPPED, DROPPED, 200], "30s"),
        # the timeout must cut the slow answer short, yet let a busy machine answer the retry
        ({"slow": 1, "slow_seconds": 20}, [SLOW, 200], "4s"),
    ],
)
def test_transient_faults_are_retried_within_the_budget(
    looker: LookerFake, tmp_path: Path, switch: dict[str, Any], seen: list[int], timeout: str
) -> None:
    for key, value in switch.items():
        setattr(looker.faults, key, value)
    started = time.monotonic()
    got = pull(looker, tmp_path, "page_views", retries=BUDGET, timeout=timeout)
    assert len(got.frame) > 50
    assert statuses(looker) == seen
    assert time.monotonic() - started < 18  # no wait near the slow answer's 20 s


def test_a_hung_looker_spends_one_budget_per_run(
    looker: LookerFake, tmp_path: Path, ge: GreatExpectations
) -> None:
    """Three tries in a row without an answer and the run's other datasets are not tried."""
    looker.faults.slow, looker.faults.slow_seconds = 100, 1.0
    budget = {**BUDGET, "give_up_after": 3}
    started = time.monotonic()
    run = canary_run(looker, tmp_path, ge, retries=budget, timeout="0.3s")
    took = time.monotonic() - started
    errors = [c for c in run.checks if c.status == "error"]
    assert [c.dataset for c in errors] == [d.name for d in run.datasets]
    assert len(looker.runs(SLOW)) == 3  # the first dataset's tries; nothing after them
    first, *rest = [c.reason for c in errors]
    assert "timed out" in first and "stops calling it for the rest of this run" in first
    assert rest and all("not tried: Looker did not answer 3 tries in a row" in r for r in rest)
    assert took < 3 * 0.3 + 8  # the three timeouts, plus checking what was pulled
    looker.faults.slow = 0
    again = canary_run(looker, tmp_path, ge, retries=budget, timeout="30s")
    assert not [c for c in again.checks if c.status == "error"]  # a new run, a new budget


def test_an_unreachable_looker_gives_up_at_login(
    tmp_path: Path, ge: GreatExpectations, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    budget = {"attempts": 1, "backoff": 0, "jitter": 0, "give_up_after": 2}
    config = load_config(
        looker_config(tmp_path, f"http://127.0.0.1:{port}", [MONITOR], retries=budget)
    )
    store = Store(config.store_url({}))
    try:
        run = run_monitor(plan(config, MONITOR, RunOptions(now=NOW), tmp_path), store, ge)
    finally:
        store.close()
    first, *rest = [c.reason for c in run.checks if c.status == "error"]
    assert "did not answer POST /api/4.0/login" in first and "tries in a row" in first
    assert rest and all("POST /api/4.0/login not tried" in r for r in rest)


def test_retry_after_is_honoured(looker: LookerFake, tmp_path: Path) -> None:
    looker.faults.rate_limited, looker.faults.retry_after = 1, "1"
    started = time.monotonic()
    pull(looker, tmp_path, "creators", retries=BUDGET)
    assert time.monotonic() - started >= 1.0
    assert statuses(looker) == [429, 200]


def test_exhausted_budget_is_a_transient_error_of_that_tile_only(
    looker: LookerFake, tmp_path: Path, ge: GreatExpectations
) -> None:
    looker.faults.tile, looker.faults.rate_limited = "page_views", 10
    with pytest.raises(TransientSourceError, match=r"HTTP 429 .* after 2 retries: Too many"):
        pull(looker, tmp_path, "page_views", retries=BUDGET)
    assert statuses(looker) == [429, 429, 429]
    run = canary_run(looker, tmp_path, ge, retries=BUDGET)
    assert_only_errored(run, "page_views", "HTTP 429")


def test_other_4xx_are_not_retried(looker: LookerFake, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as err:
        pull(looker, tmp_path, "creators", dashboard_id="404", retries=BUDGET)
    assert not err.value.transient
    assert "Looker dashboard 404: reading it: Looker said: Not found" in str(err.value)
    assert [s for _, p, s in looker.log if "/dashboards/" in p] == [404]


def test_error_answers_never_send_the_sdk_beyond_the_base_url(
    looker: LookerFake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looker's error bodies link its docs; the SDK would fetch an error index for them."""
    with watching_egress(monkeypatch) as egress:
        answer = requests.get(f"{looker.base_url}/api/4.0/dashboards/2", timeout=5)
        link = answer.json()["documentation_url"]
        assert link == f"{DOCS_ERRORS}/401/get/dashboards/:id"
        assert ErrorDocHelper.pattern.match(link)  # what sets the SDK downloading
        with pytest.raises(SourceError, match="Looker said: Not found"):
            pull(looker, tmp_path, "creators", dashboard_id="404", retries=BUDGET)
        with pytest.raises(SourceError, match="Invalid date filter expression: 'soon'"):
            pull(looker, tmp_path, "creators", filters={"Week": "soon"}, date_filter=None)
    assert [s for _, p, s in looker.log if s >= 400] == [401, 404, 400]
    assert egress == []


def test_rejected_credentials_are_named_not_the_dashboard(
    looker: LookerFake, tmp_path: Path, ge: GreatExpectations
) -> None:
    run = canary_run(looker, tmp_path, ge, client_id="someone-else", retries=BUDGET)
    errors = [c for c in run.checks if c.status == "error"]
    assert [c.dataset for c in errors] == [d.name for d in run.datasets]
    for check in errors:
        assert (
            "Looker rejected the client id or secret (its login answered HTTP 404" in check.reason
        )
        assert "Looker said: Not found" not in check.reason
    assert {p for _, p, s in looker.log if s == 404} == {"/api/4.0/login"}


def test_an_expired_token_means_one_fresh_login(looker: LookerFake, tmp_path: Path) -> None:
    config = load_config(looker_config(tmp_path, looker.base_url, [MONITOR], retries=BUDGET))
    source = build_source(config, config.monitors[MONITOR], RunOptions(now=NOW), tmp_path)
    source.pull(CANARY.tile("creators"), LATEST_WEEK)
    source.pull(CANARY.tile("page_views"), LATEST_WEEK)
    assert looker.logins == 1  # the token is reused
    looker.expire_tokens()
    assert len(source.pull(CANARY.tile("instance_usage"), LATEST_WEEK).frame) == 2
    assert looker.logins == 2
    assert statuses(looker) == [200, 200, 401, 200]


def assert_only_errored(run: RunResult, dataset: str, text: str) -> None:
    """``dataset`` has one error check containing ``text``; every other dataset was checked."""
    errors = [c for c in run.checks if c.status == "error"]
    assert [(c.dataset, c.check) for c in errors] == [(dataset, "pull")]
    assert text in errors[0].reason
    assert "Looker dashboard 2, tile 'Insights page views' (element 202)" in errors[0].reason
    checked = {c.dataset for c in run.checks if c.status == "passed"}
    assert checked == {"instances_reporting", "creators", "instance_usage"}
    assert not [c for c in run.checks if c.status == "failed"]
    assert run.status == "error"
    assert exit_code_for([run.status]) == ExitCode.INCOMPLETE


@pytest.mark.parametrize(
    ("switch", "message"),
    [
        ({"truncated": True}, "the answer is not valid JSON"),
        (
            {"wrong_types": True},
            "total_insights_page_views should hold number values but has 'about",
        ),
        (
            {"renamed": {"weekly_pings.total_insights_page_views": "weekly_pings.page_views"}},
            "lacks field weekly_pings.total_insights_page_views",
        ),
    ],
)
def test_bad_bodies_are_an_error_of_that_tile_only(
    looker: LookerFake,
    tmp_path: Path,
    ge: GreatExpectations,
    switch: dict[str, Any],
    message: str,
) -> None:
    looker.faults.tile = "page_views"
    for key, value in switch.items():
        setattr(looker.faults, key, value)
    assert_only_errored(canary_run(looker, tmp_path, ge), "page_views", message)


def test_an_html_page_is_an_error_of_that_tile_only(
    looker: LookerFake, tmp_path: Path, ge: GreatExpectations
) -> None:
    looker.faults.tile, looker.faults.html = "page_views", True
    run = canary_run(looker, tmp_path, ge)
    assert_only_errored(run, "page_views", "the answer is an HTML page, not JSON")


def test_row_limit_hit_is_a_warning(looker: LookerFake, tmp_path: Path) -> None:
    got = pull(looker, tmp_path, "page_views", row_limit=10)
    assert len(got.frame) == 10
    assert got.frame["week"].max() == pd.Timestamp(LATEST_WEEK)  # the oldest weeks went
    [warning] = got.warnings
    assert "row limit hit" in warning and "returned 10 rows, its limit" in warning
    assert "sources.looker-canary.row_limit" in warning


def test_a_small_saved_limit_is_not_canarys_limit(
    looker: LookerFake, tmp_path: Path, ge: GreatExpectations
) -> None:
    """Tiles saved with a few rows and sorted oldest first are still read whole."""
    looker.faults.tile, looker.faults.row_limit = "instance_usage", 1
    run = canary_run(looker, tmp_path, ge)
    assert not [c for c in run.checks if c.status in ("failed", "error")]
    assert not [c for c in run.checks if "row limit" in c.reason]
    assert run.status == "passed" and exit_code_for([run.status]) == ExitCode.OK
