"""``canary doctor`` on a files source: files matched, columns, keys and the latest week."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from canary.cli import main
from canary.config import load_config
from canary.doctor.base import Context, Finding
from canary.doctor.command import diagnose
from canary.errors import ExitCode
from tests.conftest import NOW
from tests.test_files_source import export_tiles, files_config


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_tiles(tmp_path_factory.mktemp("doctor") / "exports", "code-insights-canary")


def findings(config: Path, now: object = NOW) -> dict[str, Finding]:
    ctx = Context(load_config(config), {}, (), config.parent, now=now)  # type: ignore[arg-type]
    return {f.check: f for f in diagnose(ctx)}


def test_each_dataset_names_its_files_and_the_rows_of_the_latest_week(
    exports: Path, tmp_path: Path
) -> None:
    found = findings(files_config(tmp_path, f"{exports}/{{name}}.csv"))
    usage = found["exports: instance_usage"]
    assert usage.status == "ok"
    assert usage.detail.startswith(f"{exports}/instance_usage.csv: 1 file, ")
    assert "rows in week 2026-11-16" in usage.detail
    assert {f.status for c, f in found.items() if c.startswith("exports: ")} == {"ok"}


def test_a_later_week_the_exports_lack_is_a_warning_naming_their_latest(
    exports: Path, tmp_path: Path
) -> None:
    later = NOW + pd.Timedelta(weeks=3)
    found = findings(files_config(tmp_path, f"{exports}/{{name}}.csv"), later)
    views = found["exports: page_views"]
    assert views.status == "warn"
    assert "0 rows in week 2026-12-07, its latest week is 2026-11-16" in views.detail


def test_missing_files_columns_and_keys_fail_or_warn_by_what_they_break(
    exports: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    usage = pd.read_csv(exports / "instance_usage.csv")
    usage.drop(columns="weekly_insights_page_views").to_csv(
        broken / "instance_usage.csv", index=False
    )
    views = pd.read_csv(exports / "page_views.csv")
    views.drop(columns="week").to_csv(broken / "page_views.csv", index=False)
    (broken / "creators.csv").write_text("<html>Sign in</html>\n")
    found = findings(files_config(tmp_path, f"{broken}/{{name}}.csv"))
    assert found["exports: instance_usage"].status == "warn"
    assert "missing weekly_insights_page_views (their checks fail)" in (
        found["exports: instance_usage"].detail
    )
    assert found["exports: page_views"].status == "fail"
    assert "no column week" in found["exports: page_views"].detail
    assert found["exports: creators"].status == "fail"
    assert "header names none of the tile's columns" in found["exports: creators"].detail
    nothing = found["exports: instances_reporting"]
    assert nothing.status == "fail" and "no file matches" in nothing.detail


def test_the_command_exits_2_on_a_failed_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = files_config(tmp_path, "nowhere/{name}.csv")
    assert main(["doctor", "--config", str(config)]) == ExitCode.USAGE
    out = capsys.readouterr().out
    assert "exports: page_views" in out and "no file matches" in out
