"""Pure parts of canary on Prefect: final-state messages, events, doctor findings."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from canary.cli import main
from canary.config import load_config
from canary.doctor.base import Context
from canary.doctor.prefect import (
    schedules,
    secret_origins,
    store_location,
    store_schema,
    writable_places,
)
from canary.errors import ConfigError, ExitCode
from canary.prefect_ops.events import run_events
from canary.prefect_ops.schedules import scheduled_weeks
from canary.prefect_ops.secret_blocks import secret_refs
from canary.prefect_ops.states import ChecksFailed, failure_message
from canary.results import CheckResult, DatasetInfo, PastCheck, RunResult
from canary.store.db import Store
from canary.weeks import week_start
from tests.conftest import REPO, write_config

WEEK = date(2026, 11, 16)


def _run(*statuses: str) -> RunResult:
    checks = [
        CheckResult("mon", f"ds{i % 2}", f"check {i}", status, "why")  # type: ignore[arg-type]
        for i, status in enumerate(statuses)
    ]
    return RunResult("mon", WEEK, checks, [DatasetInfo("ds0", 3), DatasetInfo("ds1", None)])


def test_failure_message_follows_fail_on() -> None:
    run = _run("passed", "failed", "error", "warning")
    assert failure_message(run, "checks") == (
        "mon week 2026-11-16: 2 checks did not pass: ds1: check 1 (failed); ds0: check 2 (error)"
    )
    assert failure_message(run, "errors") == (
        "mon week 2026-11-16: 1 check did not pass: ds0: check 2 (error)"
    )
    assert failure_message(run, "never") is None
    assert failure_message(_run("passed", "warning", "skipped"), "checks") is None
    with pytest.raises(ValueError, match="allowed: checks, errors, never"):
        failure_message(run, "sometimes")  # type: ignore[arg-type]


def test_failure_message_groups_segments_and_caps_its_length() -> None:
    run = _run(*["failed"] * 20)
    for c in run.checks[:4]:
        c.dataset, c.check = "ds0", "level"
    message = failure_message(run, "checks", limit=3)
    assert message == (
        "mon week 2026-11-16: 20 checks did not pass: ds0: check 10 (failed); "
        "ds0: check 12 (failed); ds0: check 14 (failed); and 14 more kinds"
    )
    assert "; ds0: level (failed x4); ds1: check 11 (failed);" in str(
        failure_message(run, "checks", limit=20)
    )


def test_checks_failed_keeps_its_document_through_pickling() -> None:
    import pickle

    exc = pickle.loads(pickle.dumps(ChecksFailed("2 checks failed", {"runs": []})))
    assert str(exc) == "2 checks failed" and exc.document == {"runs": []}


def test_events_failed_resolved_and_completed() -> None:
    run = _run("failed", "passed", "passed", "passed")
    last_week = date(2026, 11, 9)
    past = {
        run.checks[1].id: PastCheck(last_week, "failed", last_week),  # resolved now
        run.checks[2].id: PastCheck(date(2026, 10, 26), "failed", None),  # not last week
        run.checks[3].id: PastCheck(last_week, "passed", None),
    }
    events = run_events(run, past)
    assert [e.event for e in events] == [
        "canary.check.failed",
        "canary.check.resolved",
        "canary.run.completed",
    ]
    failed = events[0]
    assert failed.resource["prefect.resource.id"] == f"canary.check.{run.checks[0].id}"
    assert failed.related == [
        {
            "prefect.resource.id": "canary.monitor.mon",
            "prefect.resource.role": "monitor",
            "prefect.resource.name": "mon",
        },
        {
            "prefect.resource.id": "canary.dataset.mon.ds0",
            "prefect.resource.role": "dataset",
            "prefect.resource.name": "ds0",
        },
    ]
    assert failed.payload["week"] == "2026-11-16" and failed.payload["status"] == "failed"
    assert events[1].payload["check"] == "check 1"
    done = events[2]
    assert done.payload["status"] == "failed" and done.payload["counts"]["passed"] == 3
    assert [r["prefect.resource.id"] for r in done.related] == [
        "canary.monitor.mon",
        "canary.dataset.mon.ds0",
        "canary.dataset.mon.ds1",
    ]


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("sqlite:///relative/store.db", "warn", "a relative path"),
        ("sqlite:////tmp/canary/store.db", "warn", "temporary directory"),
        ("sqlite:///:memory:", "warn", "in memory"),
        ("sqlite:////var/lib/canary/store.db", "ok", "absolute path"),
        ("postgresql+psycopg://canary:hunter2@db/canary", "ok", "shared by every worker"),
        ("not a url", "fail", "not a SQLAlchemy URL"),
    ],
)
def test_doctor_warns_about_a_store_that_forgets(
    tmp_path: Path, url: str, status: str, says: str
) -> None:
    config = load_config(write_config(tmp_path))
    (finding,) = store_location(Context(config, {"CANARY_STORE_URL": url}))
    assert (finding.check, finding.status) == ("store", status)
    assert says in finding.detail and "hunter2" not in finding.detail


def test_doctor_says_where_each_secret_comes_from_never_its_value(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        slack={
            "token": {"env": "SLACK_BOT_TOKEN", "prefect_block": "canary-slack-token"},
            "webhook": {"env": "SLACK_WEBHOOK_URL"},
        },
        secrets={"warehouse": {"prefect_block": "canary-warehouse"}},
    )
    config = load_config(path)
    assert list(secret_refs(config)) == ["slack.token", "slack.webhook", "secrets.warehouse"]
    from prefect.settings import PREFECT_API_URL, temporary_settings

    environ = {"SLACK_BOT_TOKEN": "xoxb-s3cret-value"}
    with temporary_settings(restore_defaults={PREFECT_API_URL}):  # no API: blocks skipped
        findings = {f.check: f for f in secret_origins(Context(config, environ))}
    assert findings["secret slack.token"].status == "ok"
    assert findings["secret slack.token"].detail == "from env SLACK_BOT_TOKEN"
    assert findings["secret slack.webhook"].status == "warn"
    assert "looked in: env SLACK_WEBHOOK_URL" in findings["secret slack.webhook"].detail
    assert "skipped: no PREFECT_API_URL" in findings["secret secrets.warehouse"].detail
    assert all("s3cret" not in f.detail for f in findings.values())


def test_summary_groups_failed_checks_by_field_before_listing_them() -> None:
    from datetime import timedelta

    from canary.report.artifacts import broken_fields, summary_markdown

    run = _run("failed", "failed", "failed", "failed", "passed", "failed")
    for c, (dataset, check, column) in zip(
        run.checks,
        [
            ("creators", "level", "total"),
            ("creators", "level", "total"),  # another segment of the same series
            ("creators", "dead metric", "total"),
            ("creators", "row count", None),
            ("creators", "level", "total"),  # passed: not a failure
            ("views", "not null", "views"),
        ],
        strict=True,
    ):
        c.dataset, c.check, c.column = dataset, check, column
        c.first_failed_week = WEEK
    run.checks[2].first_failed_week = WEEK - timedelta(weeks=1)
    fields = broken_fields(run)
    assert [(f.dataset, f.column, f.checks, f.failed, f.since) for f in fields] == [
        ("creators", "total", "dead metric, level x2", 3, "2026-11-09"),
        ("creators", "(table)", "row count", 1, "2026-11-16"),
        ("views", "views", "not null", 1, "2026-11-16"),
    ]
    text = summary_markdown(run)
    assert "## 3 fields failed" in text
    assert "| creators | total | dead metric, level x2 | 2026-11-09 |" in text
    assert text.index("## 3 fields failed") < text.index("## Checks") < text.index("| ❌ |")
    assert "fields failed" not in summary_markdown(_run("failed", "passed"))  # one field: no


def test_summary_shows_attribution_and_links() -> None:
    from canary.report.artifacts import summary_markdown

    run = _run("failed", "passed")
    run.checks[0].details["attribution"] = [
        {"segment": {"version": "5.3"}, "share": 0.62},
        {"segment": {"deploy_type": "helm"}, "share": 0.3},
    ]
    text = summary_markdown(run, links={"Data Docs": "https://docs.example.com/x/index.html"})
    assert "## Attribution\n- ds0 / check 0: 62% on version 5.3; 30% on deploy_type helm\n" in text
    assert text.endswith("## Links\n- [Data Docs](https://docs.example.com/x/index.html)\n")
    assert "## Attribution" not in summary_markdown(_run("failed"))


def test_the_bundled_schedules_test_the_week_that_just_ended() -> None:
    """prefect.yaml's next scheduled run of each monitor tests the week that ended before it,
    from any moment of the week."""
    config = load_config(REPO / "canary.yaml")
    for hours in range(0, 24 * 7, 5):
        after = datetime(2026, 12, 7, tzinfo=UTC) + timedelta(hours=hours)
        found = scheduled_weeks(REPO / "prefect.yaml", config, after)
        assert {s.monitor for s in found} == set(config.monitors)
        for s in found:
            assert s.fires > after and s.fires.weekday() == 0
            assert s.tests == s.ended == week_start(s.fires.date()) - timedelta(weeks=1)


def test_doctor_warns_when_a_schedule_tests_the_week_before_last(tmp_path: Path) -> None:
    (tmp_path / "prefect.yaml").write_text((REPO / "prefect.yaml").read_text())
    config = load_config(write_config(tmp_path, sources={"sample": {"kind": "sample"}}))
    monday = datetime(2026, 12, 7, 8, tzinfo=UTC)
    findings = list(schedules(Context(config, {}, config_dir=tmp_path, now=monday)))
    assert [f.status for f in findings] == ["warn", "warn"]
    assert findings[1].detail == (
        "next run Mon 2026-12-07 09:00 UTC tests week 2026-11-23, not week 2026-11-30 which "
        "has just ended: monitor code-insights-canary's sources count a week complete "
        "1d after it ends. Set complete_after to at most 9h or schedule the run later"
    )
    config = load_config(write_config(tmp_path))  # the bundled 6h
    findings = list(schedules(Context(config, {}, config_dir=tmp_path, now=monday)))
    assert [f.status for f in findings] == ["ok", "ok"]
    assert "tests week 2026-11-30, the week that just ended" in findings[1].detail


def test_a_bad_schedule_names_the_file_the_deployment_and_the_cron(tmp_path: Path) -> None:
    text = (REPO / "prefect.yaml").read_text().replace('"15 9 * * 1"', '"61 9 * * 1"')
    (tmp_path / "prefect.yaml").write_text(text)
    config = load_config(write_config(tmp_path))
    with pytest.raises(ConfigError) as caught:
        scheduled_weeks(tmp_path / "prefect.yaml", config, datetime(2026, 12, 7, tzinfo=UTC))
    message = str(caught.value)
    assert (
        f"{tmp_path / 'prefect.yaml'}: deployments.code-insights-all-instances.schedules:"
        in message
    )
    assert "cron '61 9 * * 1' is not valid" in message


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("sqlite:////dev/null/store.db", "fail", "/dev/null is not a folder"),
        ("sqlite:///{tmp}/missing/store.db", "fail", "missing does not exist; create it"),
        ("sqlite:///{tmp}/store.db", "ok", "writable"),
        ("sqlite:///{tmp}/.canary/new/store.db", "ok", "writable"),  # made under data_dir
    ],
)
def test_doctor_checks_it_can_write_the_store_and_data_dir(
    tmp_path: Path, url: str, status: str, says: str
) -> None:
    config = load_config(write_config(tmp_path))
    env = {"CANARY_STORE_URL": url.format(tmp=tmp_path)}
    data_dir, folder = writable_places(Context(config, env))
    assert (data_dir.check, data_dir.status) == ("data_dir", "ok")
    assert (folder.check, folder.status) == ("store: folder", status) and says in folder.detail
    (tmp_path / "file").write_text("")
    blocked = config.model_copy(update={"data_dir": tmp_path / "file" / "data"})
    data_dir, _ = writable_places(Context(blocked, env))
    assert data_dir.status == "fail" and "file is not a folder" in data_dir.detail


def test_doctor_fails_for_a_store_under_dev_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANARY_STORE_URL", "sqlite:////dev/null/store.db")
    assert main(["doctor", "--config", str(write_config(tmp_path))]) == ExitCode.USAGE
    assert "store: folder: /dev/null is not a folder" in capsys.readouterr().out


def test_doctor_finds_a_damaged_store_file(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    (tmp_path / "store.db").write_bytes(b"not sqlite at all" * 100)
    env = {"CANARY_STORE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    *_, file = writable_places(Context(config, env))
    assert (file.check, file.status) == ("store: file", "fail")
    assert "store.db is damaged (file is not a database): move it aside" in file.detail


def _schema(tmp_path: Path, url: str) -> Any:
    config = load_config(write_config(tmp_path))
    (finding,) = store_schema(Context(config, {"CANARY_STORE_URL": url}))
    assert finding.check == "store: schema"
    return finding


def test_doctor_connects_to_a_server_store_without_showing_its_password(tmp_path: Path) -> None:
    down = _schema(tmp_path, "postgresql://canary:hunter2@127.0.0.1:1/nowhere")
    assert down.status == "unreachable" and "hunter2" not in down.detail
    assert "store postgresql://canary:***@127.0.0.1:1/nowhere: OperationalError" in down.detail
    up = _schema(tmp_path, "postgresql://postgres:hunter2@127.0.0.1:5432/test")
    assert up.status == "ok" and "hunter2" not in up.detail
    assert up.detail.startswith("postgresql://postgres:***@127.0.0.1:5432/test: reachable")


def test_doctor_flags_a_store_canary_cannot_migrate(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    url = f"sqlite:///{path}"
    Store(url).close()
    fine = _schema(tmp_path, url)
    assert (fine.status, fine.detail) == ("ok", f"{path}: reachable, schema revision 0006")
    with sqlite3.connect(path) as con:
        con.execute("UPDATE alembic_version SET version_num = '0007'")
    newer = _schema(tmp_path, url)
    assert newer.status == "fail" and f"{path} was written by a newer canary" in newer.detail
    with sqlite3.connect(path) as con:
        con.execute("DELETE FROM alembic_version")
    half = _schema(tmp_path, url)
    assert (
        half.status == "warn" and "half made" in half.detail and "next run makes it" in half.detail
    )
    with sqlite3.connect(path) as con:
        con.execute("INSERT INTO accepted_shifts VALUES ('m', 'c', '2026-11-16', 'r', 'a', 'x')")
    kept = _schema(tmp_path, url)
    assert kept.status == "fail" and "rows but no schema revision" in kept.detail
    assert "restore it from a backup" in kept.detail
