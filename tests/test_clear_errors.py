"""Bad command lines, configs and suites end in a clear error (exit 2 or 3), never exit 4."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from canary.checks.suites import load_suite
from canary.cli import main
from canary.errors import SuiteError
from tests.conftest import AS_OF, REPO, repo_monitor, write_config


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--week", "0001-01-01"], "--week"),
        (["--as-of", "0001-01-01"], "--as-of"),
        (["--as-of", "2999-12-31"], "--as-of"),
        (["--json", "."], "--json"),
        (["--json", "missing/out.json"], "--json"),
    ],
)
def test_a_bad_flag_is_a_usage_error_naming_it_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    config = write_config(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--config", str(config), *args])
    assert exit_.value.code == 2
    assert f"argument {named}:" in capsys.readouterr().err
    assert not (tmp_path / ".canary").exists() and not (tmp_path / "missing").exists()


def _monitor(**changes: object) -> dict[str, object]:
    return {"code-insights-canary": {**repo_monitor("code-insights-canary"), **changes}}


@pytest.mark.parametrize(
    ("changes", "environ", "said"),
    [
        ({"monitors": _monitor(datasets={})}, {}, "monitors.code-insights-canary.datasets"),
        ({"expectations_dir": "canary.yaml"}, {}, "expectations_dir: "),
        (
            {
                "sources": {"wh": {"kind": "sql", "url": {"env": "CANARY_WAREHOUSE_URL"}}},
                "monitors": _monitor(source="wh"),
            },
            {"CANARY_WAREHOUSE_URL": "postgresql://u@[::1"},
            "environment variable CANARY_WAREHOUSE_URL (sources.wh.url): not a database URL",
        ),
        (
            {
                "sources": {"wh": {"kind": "sql", "url": {"env": "CANARY_WAREHOUSE_URL"}}},
                "monitors": _monitor(source="wh"),
            },
            {"CANARY_WAREHOUSE_URL": "::not a url"},
            "environment variable CANARY_WAREHOUSE_URL (sources.wh.url): not a database URL",
        ),
    ],
)
def test_a_config_that_cannot_run_is_a_config_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    changes: dict[str, object],
    environ: dict[str, str],
    said: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = write_config(tmp_path, **changes)
    assert main(["run", "--config", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and "::1" not in err


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda p: p.write_bytes(b"\xff\xfe{}"), "not UTF-8 text (byte 0xff at offset 0)"),
        (lambda p: (p.unlink(), p.mkdir()), "a folder, not a suite file"),
    ],
)
def test_an_unreadable_suite_file_is_a_suite_error(
    tmp_path: Path, damage: Callable[[Path], object], said: str
) -> None:
    path = tmp_path / "canary.page_views.json"
    shutil.copy(REPO / "expectations" / path.name, path)
    damage(path)
    with pytest.raises(SuiteError, match=re.escape(said)):
        load_suite(tmp_path, "canary.page_views")


@pytest.mark.integration
def test_a_run_with_a_suite_not_in_utf8_cannot_check_that_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    suites = tmp_path / "expectations"
    shutil.copytree(REPO / "expectations", suites)
    (suites / "canary.page_views.json").write_bytes(b"\xff\xfe{}")
    config = write_config(
        tmp_path,
        expectations_dir=str(suites),
        monitors=_monitor(datasets={"page_views": {}}),
    )
    out = tmp_path / "out.json"
    code = main(["run", "--config", str(config), "--json", str(out), "--as-of", AS_OF.isoformat()])
    printed = capsys.readouterr()
    assert code == 3, printed
    assert "Traceback" not in printed.out + printed.err
    [error] = [
        c for c in json.loads(out.read_text())["runs"][0]["checks"] if c["status"] == "error"
    ]
    assert "not UTF-8" in error["reason"]
