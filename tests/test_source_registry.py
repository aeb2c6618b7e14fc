"""Source kinds come from one registry: every config kind builds, scenarios only on samples."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import get_args

import pytest

from canary.config import Source, load_config
from canary.errors import ConfigError
from canary.pipeline import RunOptions, plan
from canary.sources.registry import KINDS
from tests.conftest import NOW, write_config


def test_every_config_kind_is_registered_with_a_builder() -> None:
    models = get_args(get_args(Source)[0])
    kinds = {k for m in models for k in get_args(m.model_fields["kind"].annotation)}
    assert kinds == set(KINDS)
    for kind in KINDS.values():
        assert callable(import_module(kind.module).build)


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
