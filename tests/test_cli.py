"""The command line: sample building, exit codes 3 and 4, JSON written as far as it got."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from canary.cli import main
from tests.conftest import AS_OF, LATEST_WEEK, write_config


def test_sample_builds_once_at_scale_and_ends_at_the_latest_complete_week(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    args = [
        "sample",
        "--config",
        str(config_path),
        "--as-of",
        AS_OF.isoformat(),
        "--data-dir",
        str(data),
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "104 weeks" in out and str(LATEST_WEEK) in out
    path = data / "sample.duckdb"
    stamp = path.stat().st_mtime_ns
    assert main(args) == 0
    assert path.stat().st_mtime_ns == stamp  # reused, not rebuilt
    con = duckdb.connect(str(path), read_only=True)
    try:
        usage = con.execute(
            "SELECT code_insights_usage FROM pings WHERE code_insights_usage IS NOT NULL LIMIT 1"
        ).fetchone()
        counts = con.execute(
            "SELECT count(DISTINCT site_id) FROM pings WHERE week = ?", [LATEST_WEEK]
        ).fetchone()
    finally:
        con.close()
    assert usage is not None and json.loads(usage[0])["InsightsByType"][0]["name"]
    assert counts is not None and counts[0] >= 1000


def test_internal_error_exits_4_with_traceback_in_a_log(
    config_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import canary.pipeline
    import canary.replay  # binds pull_dataset on import: not to the bug below, for later tests

    calls = []
    real = canary.pipeline.pull_dataset

    def buggy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 3:  # a bug in the fourth dataset
            raise ZeroDivisionError("division by zero")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(canary.pipeline, "pull_dataset", buggy)
    out = tmp_path / "out.json"
    code = main(
        [
            "run",
            "--config",
            str(config_path),
            "--as-of",
            AS_OF.isoformat(),
            "--json",
            str(out),
            "--quiet",
        ]
    )
    assert code == 4
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("internal error: ZeroDivisionError")
    log = Path(err[0].rsplit("traceback in ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text()
    doc = json.loads(out.read_text())
    assert doc["schema"] == "canary.result/1" and doc["runs"] == []


def test_bad_week_argument_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "--week", "2026-11-17"])
    assert info.value.code == 2
    assert "Tuesday" in capsys.readouterr().err


def test_outside_the_sources_only_the_sample_writer_opens_duckdb() -> None:
    """Every read of a warehouse goes through the sql source (one code path for the sample
    and a real warehouse); the sample's generator writes it, which no source does."""
    import ast

    src = Path(__file__).resolve().parent.parent / "src" / "canary"
    opening = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "duckdb" for n in names):
                opening.add(path.relative_to(src).as_posix())
    outside = {p for p in opening if not p.startswith("sources/")}
    assert outside == {"sample/warehouse.py"}


def test_a_crash_log_goes_under_data_dir_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import canary.pipeline

    monkeypatch.delenv("CANARY_LOG_DIR")
    config = write_config(tmp_path, data_dir=str(tmp_path / "data"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    def buggy(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(canary.pipeline, "plan", buggy)
    assert main(["run", "--config", str(config), "--as-of", AS_OF.isoformat()]) == 4
    err = capsys.readouterr().err
    log = Path(err.rsplit("traceback in ", 1)[1].strip().rstrip(")"))
    assert log.parent == tmp_path / "data" / "logs" and "ZeroDivisionError" in log.read_text()
    assert list(elsewhere.iterdir()) == []


def test_ctrl_c_exits_130_saying_what_stays(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import canary.cli

    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(canary.cli.COMMANDS, "doctor", interrupted)
    assert main(["doctor", "--config", str(config_path)]) == 130
    assert "interrupted: weeks already stored stay stored" in capsys.readouterr().err
