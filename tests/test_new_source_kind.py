"""A new source kind is one config model, one class and one registry entry, all declared
here: ``canary run`` pulls through it, ``canary doctor`` checks it and names its secret,
and its config errors read like a bundled kind's. Nothing in canary's modules changes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import pandas as pd
import pytest
from pydantic import Field

from canary.cli import main
from canary.config import load_config
from canary.config_base import SecretRef
from canary.dashboards import Tile
from canary.dataset import Dataset
from canary.doctor.base import Context, Finding
from canary.errors import ConfigError, ExitCode
from canary.frames import type_frame
from canary.prefect_ops.secret_blocks import secret_refs
from canary.sources.base import week_range
from canary.sources.registry import KINDS, BuildContext, SourceKind, register
from canary.sources.source_config import SourceConfig
from canary.summary import TileSummary, summary_of
from tests.conftest import AS_OF, LATEST_WEEK, write_config

WEEKS = 60


class SteadySourceConfig(SourceConfig):
    """Weekly series at one level, optionally falling to ``dropped_to`` from a week on."""

    kind: Literal["steady"]
    level: int = Field(ge=0)
    dropped_to: int | None = None
    drop_from: date | None = None
    token: SecretRef = SecretRef(env="STEADY_TOKEN")


@dataclass
class SteadySource:
    """Series tiles: every week ``level`` in each measure, or the dropped value."""

    name: str
    cfg: SteadySourceConfig
    complete_after: timedelta

    def pull(self, tile: Tile, week: date) -> Dataset:
        first, last = week_range(tile, week)  # a run reads the weeks it asks for, no more
        weeks = [last - timedelta(weeks=n) for n in reversed(range(WEEKS))]
        weeks = [w for w in weeks if first is None or w >= first]
        drop = self.cfg.drop_from or date.max
        values = [self.cfg.dropped_to if w >= drop else self.cfg.level for w in weeks]
        frame = pd.DataFrame({tile.time_column: pd.to_datetime(weeks)})
        for column in tile.columns:
            if column != tile.time_column:
                frame[column] = values
        return Dataset(tile.dataset, tile, type_frame(frame, tile, f"source {self.name}"))

    def summarize(self, tile: Tile, week: date) -> TileSummary:
        return summary_of(self.pull(tile, week), week)


def build(name: str, cfg: SteadySourceConfig, ctx: BuildContext) -> SteadySource:
    return SteadySource(name, cfg, cfg.complete_after)


def check(ctx: Context, name: str, cfg: SteadySourceConfig) -> Iterator[Finding]:
    yield Finding(f"{name}: level", "ok" if cfg.level else "warn", f"every week {cfg.level}")


@pytest.fixture
def steady() -> Iterator[None]:
    register("steady", SourceKind(SteadySourceConfig, __name__, __name__, secrets=("token",)))
    yield
    del KINDS["steady"]


def _config(tmp_path: Path, **source: object) -> Path:
    return write_config(
        tmp_path,
        sources={"flat": {"kind": "steady", **source}},
        monitors={
            "m": {
                "source": "flat",
                "dashboard": "canary",
                "suite_prefix": "canary",
                "alerts": {"channel": "#c"},
                "datasets": {"creators": {}},
            }
        },
    )


def _run(config: Path, tmp_path: Path) -> tuple[int, dict[str, object]]:
    out = tmp_path / "result.json"
    code = main(["run", "--config", str(config), "--as-of", AS_OF.isoformat(), "--json", str(out)])
    return code, json.loads(out.read_text())["runs"][0]


@pytest.mark.usefixtures("steady")
def test_canary_run_pulls_through_a_kind_registered_outside_canary(tmp_path: Path) -> None:
    code, run = _run(_config(tmp_path, level=40), tmp_path)
    assert code == ExitCode.OK and run["status"] == "passed"
    assert {c["dataset"] for c in run["checks"]} == {"creators"}  # type: ignore[attr-defined]

    dropped = _config(tmp_path, level=40, dropped_to=0, drop_from=LATEST_WEEK.isoformat())
    code, run = _run(dropped, tmp_path)
    assert code == ExitCode.CHECKS_FAILED and run["status"] == "failed"
    failed = [c for c in run["checks"] if c["status"] == "failed"]  # type: ignore[attr-defined]
    assert failed and all(c["dataset"] == "creators" for c in failed)


@pytest.mark.usefixtures("steady")
def test_canary_doctor_runs_the_kinds_checks_and_finds_its_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, level=40)
    assert secret_refs(load_config(config))["sources.flat.token"] == SecretRef(env="STEADY_TOKEN")
    monkeypatch.setenv("STEADY_TOKEN", "t0ken-value")
    assert main(["doctor", "--config", str(config)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "flat: level: every week 40" in out
    assert "secret sources.flat.token: from env STEADY_TOKEN" in " ".join(out.split())
    assert "t0ken-value" not in out


@pytest.mark.usefixtures("steady")
def test_a_registered_kinds_config_errors_name_its_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(_config(tmp_path, level=-1, levle=3))
    text = str(err.value)
    assert "sources.flat.level: Input should be greater than or equal to 0 (got -1)" in text
    assert "sources.flat.levle: unknown key 'levle' (did you mean 'level'?)" in text
    with pytest.raises(ConfigError, match="'steady'"):
        load_config(_config(tmp_path, kind="stedy", level=1))


def test_a_kind_whose_config_model_names_another_kind_is_refused() -> None:
    with pytest.raises(
        ValueError, match=re.escape("SteadySourceConfig.kind must be Literal['flat']")
    ):
        register("flat", SourceKind(SteadySourceConfig, __name__))
    assert "flat" not in KINDS
