"""Fast start: a warm run reuses the verdicts of unchanged batches and never imports GE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from canary.cli import main
from tests.conftest import AS_OF

pytestmark = pytest.mark.integration
RUN = ["run", "--as-of", AS_OF.isoformat(), "--quiet", "--no-deliver"]


def test_a_warm_run_reuses_verdicts_and_gives_the_same_results(
    config_path: Path, sample_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canary.checks.validate import GreatExpectations

    calls: list[str] = []

    def counting(method: str) -> Any:
        real = getattr(GreatExpectations, method)

        def counted(self: GreatExpectations, suite: dict[str, Any], *args: Any) -> list[Any]:
            calls.append(str(suite["name"]))
            return real(self, suite, *args)

        return counted

    for method in ("run", "run_sql"):  # on pulled rows, and in DuckDB (the instance tiles)
        monkeypatch.setattr(GreatExpectations, method, counting(method))
    docs = []
    for name in ("cold", "warm"):
        out = tmp_path / f"{name}.json"
        assert main([*RUN, "--config", str(config_path), "--json", str(out)]) == 0
        docs.append(json.loads(out.read_text()))
        if name == "cold":
            assert len(calls) == 14  # a suite per dataset (12) and history per monitor (2)
            calls.clear()
    assert calls == []  # nothing changed: no batch validated again

    def verdicts(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
        fields = ("id", "status", "reason", "observed", "expected", "sample_rows")
        return [tuple(str(c[f]) for f in fields) for r in doc["runs"] for c in r["checks"]]

    assert verdicts(docs[0]) == verdicts(docs[1])

    suite = Path(tmp_path / "expectations")  # an edited suite is validated again
    suite.mkdir()
    from tests.conftest import REPO, write_config

    for f in (REPO / "expectations").glob("*.json"):
        (suite / f.name).write_text(f.read_text())
    edited = suite / "canary.page_views.json"
    doc = json.loads(edited.read_text())
    doc["expectations"][0]["meta"]["check"] = "renamed check"
    edited.write_text(json.dumps(doc))
    config = write_config(tmp_path, expectations_dir=str(suite))
    main([*RUN, "--config", str(config), "--monitor", "code-insights-canary"])
    assert calls == ["canary.page_views"]


def test_a_warm_run_imports_neither_great_expectations_nor_unused_clients(
    config_path: Path, sample_data_dir: Path
) -> None:
    probe = (
        "import sys; from canary.cli import main; "
        f"code = main({[*RUN, '--config', str(config_path)]!r}); "
        "print(code, *(m in sys.modules for m in ('great_expectations', 'prefect', 'looker_sdk')))"
    )

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        return done.stdout.strip().splitlines()[-1]

    # the first run validates; neither run loads Prefect or the SDK of a source it lacks
    assert run() == "0 True False False"
    assert run() == "0 False False False"  # the warm one has every verdict already
