"""``canary doctor``: login, dashboard found, tiles listed, no data pulled; exit 0, 2 or 3."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from canary.cli import main
from canary.config import load_config
from canary.doctor.base import Context, Finding
from canary.doctor.command import diagnose, exit_code
from canary.errors import ExitCode, SourceError
from canary.sample.warehouse import FILE_NAME
from tests.conftest import write_config
from tests.looker_fake import CLIENT_ID, MODEL, LookerFake, looker_config, serving


@pytest.fixture
def looker(shared_sample: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LookerFake]:
    with serving(shared_sample / FILE_NAME, monkeypatch) as fake:
        yield fake


def doctor(config: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["doctor", "--config", str(config), *extra])
    out, err = capsys.readouterr()
    return code, out + err


def test_lists_tiles_without_pulling_data(
    looker: LookerFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(looker_config(tmp_path, looker.base_url), capsys)
    assert code == ExitCode.OK
    assert f"looker-all: login: logged in to {looker.base_url} as Canary Bot" in out
    assert "'Code Insights usage (Sourcegraph (S2))': 9 tiles; filters Instance='Sourcegraph" in out
    assert "filter 'instance' (title 'Instance'): 'Sourcegraph (S2)'" in out
    assert "filter 'week_range' (title 'Week'): no value" in out
    assert "'Instances reporting' -> instances_reporting: code-insights-all-instances" in out
    assert "'Insights by type' -> insights_by_type: not monitored" in out
    assert "'About these numbers' -> about_these_numbers: skipped (text)" in out
    assert "unsupported (merged results)" in out
    assert looker.runs() == []  # no query was run
    assert looker.logins == 1 and looker.logouts == 1


def test_looks_and_queries(
    looker: LookerFake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"base_url": looker.base_url, "client_id": CLIENT_ID}
    sources: dict[str, Any] = {
        "looks": {"kind": "looker_look", "looks": {"creators": "203", "page_views": 999}, **base},
        "queries": {
            "kind": "looker_query",
            "queries": {
                "creators": {
                    "model": MODEL,
                    "view": "weekly_pings",
                    "fields": ["weekly_pings.week"],
                }
            },
            **base,
        },
    }
    monitor = {
        "source": "looks",
        "dashboard": "canary",
        "suite_prefix": "canary",
        "alerts": {"channel": "#code-insights"},
        "datasets": {"creators": {}, "page_views": {}},
    }
    config = write_config(tmp_path, sources=sources, monitors={"looks": monitor})
    code, out = doctor(config, capsys)
    assert "looks: look 203: 'Insight creators' -> creators" in out
    assert "looks: look 999: Looker look 999: reading it: Looker said: Not found" in out
    assert (
        "queries: queries: 1 inline queries" in out
        and "creators: code_insights/weekly_pings" in out
    )
    assert code == ExitCode.USAGE
    code, out = doctor(config, capsys, "--source", "queries")
    assert code == ExitCode.OK and "look 203" not in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dashboard_id": "77"}, "Looker dashboard 77: reading it: Looker said: Not found"),
        (
            {"filters": {"Instanse": "S2"}},
            "has no filter 'Instanse'; its filters: 'instance' (title 'Instance'), 'week_range'",
        ),
        ({"client_id": "someone-else"}, "Looker rejected the client id or secret"),
        ({"datasets": {"Insight creators": "makers"}}, "no query tile is dataset 'creators'"),
    ],
)
def test_config_problems_exit_2(
    looker: LookerFake,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    message: str,
) -> None:
    code, out = doctor(looker_config(tmp_path, looker.base_url, **change), capsys)
    assert code == ExitCode.USAGE
    assert message in " ".join(out.split())


def test_unreachable_looker_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOKERSDK_CLIENT_SECRET", "x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    config = looker_config(
        tmp_path, f"http://127.0.0.1:{port}", retries={"attempts": 1, "backoff": 0, "jitter": 0}
    )
    code, out = doctor(config, capsys)
    assert code == ExitCode.INCOMPLETE
    assert "unreachable" in out and "Looker did not answer POST /api/4.0/login" in " ".join(
        out.split()
    )


def test_config_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = looker_config(tmp_path, "http://127.0.0.1:9")
    code, out = doctor(config, capsys)  # no client secret anywhere
    assert code == ExitCode.USAGE
    assert "sources.looker-all.client_secret' is not set" in out
    code, out = doctor(config, capsys, "--source", "nope")
    assert code == ExitCode.USAGE and "--source nope is not in" in out
    (tmp_path / "bad.yaml").write_text("version: 1\nsources: {x: {kind: looker_dashboard}}\n")
    code, out = doctor(tmp_path / "bad.yaml", capsys)
    assert code == ExitCode.USAGE and "sources.x.dashboard_id: required key is missing" in out


def test_nothing_to_check_without_looker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = doctor(write_config(tmp_path), capsys)
    assert code == ExitCode.OK and "nothing to check" in out


def test_checks_are_a_list_that_later_checks_join(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))

    def store_ok(ctx: Context) -> list[Finding]:
        return [Finding("store", "ok", f"{len(ctx.config.monitors)} monitors")]

    def store_down(ctx: Context) -> list[Finding]:
        raise SourceError("store: connection refused", transient=True)

    findings = diagnose(Context(config, {}), [store_ok, store_down])
    assert [(f.check, f.status) for f in findings] == [
        ("store", "ok"),
        ("store_down", "unreachable"),
    ]
    assert exit_code(findings) == ExitCode.INCOMPLETE
    assert exit_code([*findings, Finding("x", "fail", "bad key")]) == ExitCode.USAGE
    assert exit_code([Finding("x", "warn", "merged tiles")]) == ExitCode.OK


def test_names_the_dialect_of_each_sql_source_and_what_runs_outside_it(
    shared_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monitor = {
        "source": "warehouse",
        "dashboard": "canary",
        "suite_prefix": "canary",
        "alerts": {"channel": "#code-insights"},
        "datasets": {"creators": {}},
    }
    url = f"duckdb:///{shared_sample / FILE_NAME}"
    config = write_config(
        tmp_path,
        sources={"warehouse": {"kind": "sql", "url": url, "complete_after": "1d"}},
        monitors={"pings": monitor},
    )
    code, out = doctor(config, capsys, "--source", "warehouse")
    flat = " ".join(out.split())
    assert code == ExitCode.OK, out
    assert (
        "warehouse: dialect: DuckDB: snapshot summaries (push-down) and GE's expectations as "
        "SQL run in the warehouse" in flat
    )
    assert "outside: series tiles (their rows are aggregates already) are pulled" in flat
