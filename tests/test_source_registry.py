"""Source kinds come from one registry: every config kind builds, scenarios only on samples."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import get_args

import pytest

from canary.config import load_config
from canary.errors import ConfigError
from canary.pipeline import RunOptions, plan
from canary.sources.registry import KINDS
from tests.conftest import NOW, write_config


def test_every_kind_names_its_own_config_model_builder_and_doctor() -> None:
    for name, kind in KINDS.items():
        assert get_args(kind.config.model_fields["kind"].annotation) == (name,)
        assert callable(import_module(kind.module).build)
        if kind.doctor is not None:
            assert callable(import_module(kind.doctor).check)
        for key in kind.secrets:
            assert key in kind.config.model_fields


def _config(tmp_path: Path, source: dict[str, object]) -> Path:
    return write_config(
        tmp_path,
        sources={"src": source},
        monitors={
            "m": {
                "source": "src",
                "dashboard": "canary",
                "suite_prefix": "canary",
                "alerts": {"channel": "#c"},
                "datasets": {"creators": {}},
            }
        },
    )


@pytest.mark.parametrize(
    ("source", "built"),
    [
        ({"kind": "sample"}, "SampleWarehouseSource"),
        ({"kind": "files", "datasets": {"creators": {"path": "c.csv"}}}, "FilesSource"),
        ({"kind": "sql", "url": "duckdb:///w.duckdb", "complete_after": "12h"}, "SqlSource"),
    ],
)
def test_plan_builds_the_source_of_its_kind(
    tmp_path: Path, source: dict[str, object], built: str
) -> None:
    config = load_config(_config(tmp_path, source))
    p = plan(config, "m", RunOptions(now=NOW), tmp_path)
    assert type(p.source).__name__ == built
    assert p.source.complete_after == config.sources["src"].complete_after


def test_a_scenario_needs_a_kind_that_can_inject_one(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, {"kind": "sql", "url": "duckdb:///w.duckdb"}))
    with pytest.raises(
        ConfigError, match="--scenario needs a monitor on a sample source; src is sql"
    ):
        plan(config, "m", RunOptions(now=NOW, scenario="object-null"), tmp_path)
