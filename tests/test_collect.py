"""``pipeline.collect`` on the CLI path: one thread pulls the datasets one at a time (snapshot
tiles first), while the calling thread checks each pulled one; results in config order."""

from __future__ import annotations

import subprocess
import sys
import threading
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from canary import pipeline
from canary.errors import SourceError

DATASETS = ["first", "second", "third"]


def _plan(datasets: list[str], snapshots: tuple[str, ...] = ()) -> Any:
    """A plan of ``datasets``: tiles of a series each, but the ``snapshots``."""
    shape = {name: "snapshot" if name in snapshots else "series" for name in datasets}
    dashboard = SimpleNamespace(tile=lambda name: SimpleNamespace(shape=shape[name]))
    return SimpleNamespace(
        monitor="m", week=None, config=SimpleNamespace(datasets=datasets), dashboard=dashboard
    )


def test_the_next_pull_runs_while_a_dataset_is_checked_in_config_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    second_pulling = threading.Event()
    events: list[str] = []
    pulling: list[str] = []  # pulls under way now

    def pull(p: Any, name: str) -> Any:
        pulling.append(name)
        events.append(f"pull {name} ({len(pulling)} at once)")
        if name == "second":
            second_pulling.set()
        if name == "third":
            pulling.remove(name)
            raise SourceError("third: unreachable")
        pulling.remove(name)
        return SimpleNamespace(name=name, rows=1, link=None)

    def check(p: Any, ge: Any, data: Any) -> tuple[pd.DataFrame, list[Any]]:
        if data.name == "first":  # without a pull ahead, this waits in vain
            events.append(f"second pulled during the first check: {second_pulling.wait(10)}")
        events.append(f"check {data.name} on {threading.current_thread().name}")
        return pd.DataFrame(), []

    monkeypatch.setattr(pipeline, "pull_dataset", pull)
    monkeypatch.setattr(pipeline, "check_dataset", check)
    got = pipeline.collect(_plan(DATASETS), SimpleNamespace(), warm_ge=False)
    main = threading.current_thread().name
    assert [e for e in events if e.startswith("pull")] == [
        f"pull {name} (1 at once)" for name in DATASETS
    ]
    assert "second pulled during the first check: True" in events
    assert [e for e in events if e.startswith("check")] == [
        f"check first on {main}",
        f"check second on {main}",
    ]
    assert [(d.name, d.rows) for d in got.datasets] == [
        ("first", 1),
        ("second", 1),
        ("third", None),
    ]
    (error,) = got.checks
    assert error.dataset == "third" and error.status == "error" and "unreachable" in error.reason


def test_snapshot_tiles_are_pulled_first_and_results_keep_config_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The snapshot tile's pull summarises in the database, the longest of a run: pulled
    first, it is validated while the series are pulled."""
    pulled: list[str] = []

    def pull(p: Any, name: str) -> Any:
        pulled.append(name)
        if name == "versions":
            raise SourceError("versions: unreachable")
        return SimpleNamespace(name=name, rows=len(pulled), link=None)

    def check(p: Any, ge: Any, data: Any) -> tuple[pd.DataFrame, list[Any]]:
        return pd.DataFrame({"of": [data.name]}), [SimpleNamespace(dataset=data.name)]

    monkeypatch.setattr(pipeline, "pull_dataset", pull)
    monkeypatch.setattr(pipeline, "check_dataset", check)
    datasets = ["weekly", "versions", "instances", "creators"]
    plan = _plan(datasets, snapshots=("instances",))
    got = pipeline.collect(plan, SimpleNamespace(), warm_ge=False)
    assert pulled == ["instances", "weekly", "versions", "creators"]
    assert [(d.name, d.rows) for d in got.datasets] == [
        ("weekly", 2),
        ("versions", None),
        ("instances", 1),
        ("creators", 4),
    ]
    assert [c.dataset for c in got.checks] == ["weekly", "versions", "instances", "creators"]
    assert [m["of"][0] for m in got.metrics] == ["weekly", "instances", "creators"]

    submitted: list[str] = []

    def submit(p: Any, name: str) -> Any:  # as the Prefect flow starts a task per dataset
        submitted.append(name)
        data = SimpleNamespace(name=name, rows=1, link=None)
        return SimpleNamespace(result=lambda: pipeline.Checked(data, *check(p, None, data)))

    got = pipeline.collect(plan, SimpleNamespace(), submit=submit, warm_ge=False)
    assert submitted == ["instances", "weekly", "versions", "creators"]
    assert [d.name for d in got.datasets] == datasets


RACE = """
import sys, time
from types import SimpleNamespace
import pandas as pd
import sqlalchemy
from canary import pipeline
from canary.checks.validate import GreatExpectations

def pull(p, name):
    deadline = time.monotonic() + 2  # outlasts GE's import of SQLAlchemy's ORM
    while time.monotonic() < deadline:
        sqlalchemy.inspect(1, raiseerr=False)  # as compiling a DuckDB connection's ping does
    return SimpleNamespace(name=name, rows=1, link=None)

pipeline.pull_dataset = pull
pipeline.check_dataset = lambda p, ge, data: (pd.DataFrame(), [])
assert "sqlalchemy.orm" not in sys.modules
ge = GreatExpectations()
tile = SimpleNamespace(shape="series")
p = SimpleNamespace(
    monitor="m", week=None, config=SimpleNamespace(datasets=["first"]),
    dashboard=SimpleNamespace(tile=lambda name: tile),
)
got = pipeline.collect(p, ge)
ge._ready()
print([d.rows for d in got.datasets])
"""


@pytest.mark.integration
def test_a_pull_running_while_ge_is_imported_in_the_background_does_not_crash() -> None:
    """A fresh process: the pull thread compiles statements while GE imports in the background
    (GE imports SQLAlchemy's ORM, whose inspection hooks serve every statement)."""
    done = subprocess.run(
        [sys.executable, "-c", RACE], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[1]"
