"""Shared fixtures: isolated working directory and environment, fixed time, sample configs."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.dashboards import Dashboard, Tile
from canary.weeks import as_of_datetime

REPO = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 28)  # a Saturday: the latest complete week is 2026-11-16
NOW: datetime = as_of_datetime(AS_OF)
LATEST_WEEK = date(2026, 11, 16)
GOLDEN = REPO / "tests" / "golden"

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("SKIP_SLACK_SDK_WARNING", "1")
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

pytest_plugins = ["tests.slack_fake"]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs in its own empty directory, without canary or Looker/Slack settings."""
    for key in list(os.environ):
        if key.startswith(("CANARY", "LOOKERSDK_", "SLACK_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("CANARY_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_config(directory: Path, **changes: object) -> Path:
    """The repo's canary.yaml, copied into ``directory`` with top-level keys replaced.

    Its expectations point at the repo's suites; its data and store live in ``directory``.
    """
    raw = yaml.safe_load((REPO / "canary.yaml").read_text())
    raw["expectations_dir"] = str(REPO / "expectations")
    raw["data_dir"] = str(directory / ".canary")
    raw.update(changes)
    path = directory / "canary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


#: The canary dashboard's witness: page views a browser tracked of the same pages, from
#: another source than the pings (Amplitude in production), so not on the Looker dashboard.
WITNESS = "tracked_page_views"


def pings_tiles(dashboard: Dashboard) -> list[Tile]:
    """``dashboard``'s tiles of the pings (all but the witness)."""
    return [t for t in dashboard.tiles if t.dataset != WITNESS]


def pings_only(monitor: dict[str, Any]) -> dict[str, Any]:
    """A monitor of canary.yaml without its witness from another source (the datasets with a
    source of their own, and the cross checks over them): what a config built for one
    source of the pings (Looker, files, a warehouse) keeps."""
    own = {n for n, d in monitor["datasets"].items() if (d or {}).get("source")}
    kept = {k: v for k, v in monitor.items() if k != "cross_checks"}
    return {**kept, "datasets": {n: d for n, d in monitor["datasets"].items() if n not in own}}


def repo_monitor(name: str) -> dict[str, Any]:
    """Monitor ``name`` as the repo's canary.yaml has it, its pings only (``pings_only``)."""
    return pings_only(yaml.safe_load((REPO / "canary.yaml").read_text())["monitors"][name])


def write_files_config(
    directory: Path,
    monitor: str,
    datasets: Iterable[str] | None = None,
    path: str = "exports/{name}.csv",
    **changes: object,
) -> Path:
    """A config whose ``monitor`` (as the repo's canary.yaml has it) reads ``datasets``
    (default: all of its own) from the files ``path`` names (``{name}``: the dataset)."""
    monitor_def = repo_monitor(monitor)
    names = list(monitor_def["datasets"] if datasets is None else datasets)
    exports = {n: {"path": path.format(name=n)} for n in names}
    return write_config(
        directory,
        sources={"exports": {"kind": "files", "complete_after": "12h", "datasets": exports}},
        monitors={
            monitor: {**monitor_def, "source": "exports", "datasets": {n: {} for n in names}}
        },
        **changes,
    )


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture(scope="session")
def shared_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the healthy sample as of AS_OF, built once per session."""
    from canary.sample.warehouse import WarehouseSpec, ensure
    from canary.sources.sample import sample_spec
    from canary.sources.sample_config import SampleSourceConfig

    data_dir = tmp_path_factory.mktemp("sample")
    spec = sample_spec(SampleSourceConfig(kind="sample"), NOW)
    ensure(data_dir, WarehouseSpec(spec))
    return data_dir


def sample_exports(data_dir: Path, dashboard: str, datasets: tuple[str, ...]) -> dict[str, Any]:
    """Dataset -> its tile of ``dashboard`` over every week of the sample in ``data_dir``,
    as a dashboard export holds it (a DataFrame)."""
    from datetime import timedelta

    from canary.dashboards import catalog
    from canary.sample.warehouse import WarehouseSpec
    from canary.sources.sample import SampleWarehouseSource, sample_spec
    from canary.sources.sample_config import SampleSourceConfig

    board = catalog().dashboards[dashboard]
    spec = WarehouseSpec(sample_spec(SampleSourceConfig(kind="sample"), NOW))
    sql = SampleWarehouseSource(data_dir, spec, board, timedelta(days=1)).sql()
    return {
        t.dataset: sql.query(t, (None, LATEST_WEEK)).frame
        for t in board.tiles
        if t.dataset in datasets
    }


@pytest.fixture
def sample_data_dir(shared_sample: Path, tmp_path: Path) -> Path:
    """A private copy of the shared healthy sample (tests may write a store beside it)."""
    target = tmp_path / ".canary"
    shutil.copytree(shared_sample, target)
    return target


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> object:
    """Compare text with ``tests/golden/NAME``; ``--update-golden`` rewrites the file."""
    update = bool(request.config.getoption("--update-golden"))

    def compare(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(exist_ok=True)
            path.write_text(actual)
        assert path.exists(), f"{path} is missing: run pytest --update-golden"
        assert actual == path.read_text(), f"{name} differs: run pytest --update-golden and review"

    return compare


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden files in tests/golden/ from the current output",
    )


def property_settings(examples: int) -> settings:
    """Hypothesis settings of a property test: ``examples`` derandomized examples, or
    ``CANARY_PROPERTY_EXAMPLES`` random ones to explore (``make fuzz``)."""
    return settings(
        max_examples=int(os.environ.get("CANARY_PROPERTY_EXAMPLES", str(examples))),
        deadline=None,
        derandomize="CANARY_PROPERTY_EXAMPLES" not in os.environ,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def key_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a parsed document (a config, a suite): keys and list indexes."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += key_paths(value, (*prefix, i))
    return found


class FuzzTally:
    """What a property test tried: kinds of input generated and outcomes seen, counted.

    A test adds to it per example; at teardown its one-line summary goes into the test's
    report, and the terminal summary prints it even when the test passes (under xdist too).
    """

    def __init__(self) -> None:
        self.tried: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self.examples = 0

    def example(self, kinds: list[str], outcome: str) -> None:
        self.examples += 1
        self.tried.update(kinds)
        self.seen[outcome] += 1

    def line(self) -> str:
        def counts(c: Counter[str]) -> str:
            return ", ".join(f"{k} {n}" for k, n in sorted(c.items())) or "none"

        return f"{self.examples} examples; tried: {counts(self.tried)}; seen: {counts(self.seen)}"


@pytest.fixture
def fuzz_tally(request: pytest.FixtureRequest) -> Iterator[FuzzTally]:
    tally = FuzzTally()
    yield tally
    request.node.user_properties.append(("fuzz", tally.line()))


_FUZZ_LINES: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == "fuzz":
            _FUZZ_LINES[report.nodeid] = str(value)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FUZZ_LINES:
        terminalreporter.section("what the property tests tried")
        for nodeid, line in sorted(_FUZZ_LINES.items()):
            terminalreporter.write_line(f"{nodeid}: {line}")


@pytest.fixture(scope="module")
def ge() -> GreatExpectations:
    """One Great Expectations context for a test module."""
    return GreatExpectations()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """The repo's canary.yaml, loaded as a test of the sample would run it."""
    return load_config(write_config(tmp_path), environ={})
