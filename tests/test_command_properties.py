"""Property: no suite file and no command line makes ``canary`` crash or touch stored history.

A one-dataset monitor (the canary dashboard's page views, from a CSV export) runs once to
fill a store. Then, through ``canary.cli.main`` with ``--no-deliver``:

- suites: its suite file replaced by one that is not JSON, not UTF-8, a folder, empty or
  missing, of the wrong shape (a list, no ``expectations``, an expectation that is not an
  object, no ``type``), of unknown expectation types, or with bad kwargs (an unknown column
  or kwarg, a bound of the wrong type, a ``$PARAMETER`` nobody sets), or with any value
  replaced anywhere; the run exits 0, 1 or 3;
- command lines: ``run``, ``backfill``, ``backtest``, ``accept``, ``doctor``, ``suite``,
  ``sample`` and unknown commands, with random flags and values and at least one mistake
  (an unknown flag or monitor, a bad date or week, a config that is a folder or not YAML,
  a range backwards).

Never exit 4 nor a traceback, and every row of the stored history, schemas, alert state,
outbox and accepted shifts stays as it was (a run may add a week not stored yet); a usage
error, exit 2, leaves the store file unchanged byte for byte. Each example starts from the
same store and suites.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
import sqlite3
import string
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from canary.cli import main
from canary.weeks import WEEK
from tests.conftest import (
    AS_OF,
    LATEST_WEEK,
    REPO,
    FuzzTally,
    key_paths,
    property_settings,
    sample_exports,
)

MONITOR = "pings"
DATASET = "page_views"
SUITE = f"canary.{DATASET}.json"
#: What no bad suite or command line may change, whatever the run records of itself.
PROTECTED = ("metrics", "dataset_schemas", "alert_state", "alert_messages", "outbox",
             "accepted_shifts")  # fmt: skip


@dataclass(repr=False)  # failing examples print it: keep it short
class World:
    base: Path
    config: Path
    expectations: Path
    store: Path
    good_suite: str
    pristine: dict[str, bytes]  # expectations_dir's files
    stored: bytes  # the store file after the first run

    def restore(self) -> None:
        """Put the store and expectations_dir back as they were: each example starts alike."""
        self.store.write_bytes(self.stored)
        shutil.rmtree(self.expectations, ignore_errors=True)
        if self.expectations.exists():
            self.expectations.unlink()
        self.expectations.mkdir()
        for name, data in self.pristine.items():
            (self.expectations / name).write_bytes(data)


@pytest.fixture(scope="module")
def world(shared_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    """A config of one files monitor, its suites, and a store holding its first run."""
    base = tmp_path_factory.mktemp("commands")
    (base / "exports").mkdir()
    for dataset, frame in sample_exports(shared_sample, "canary", (DATASET,)).items():
        (base / "exports" / f"{dataset}.csv").write_text(frame.to_csv(index=False))
    expectations = base / "expectations"
    shutil.copytree(REPO / "expectations", expectations)
    raw = {
        "data_dir": "data",
        "expectations_dir": "expectations",
        "sources": {
            "exports": {"kind": "files", "datasets": {DATASET: {"path": f"exports/{DATASET}.csv"}}}
        },
        "monitors": {
            MONITOR: {
                "source": "exports",
                "dashboard": "canary",
                "suite_prefix": "canary",
                "alerts": {"channel": "#code-insights-internal"},
                "datasets": {DATASET: {}},
            }
        },
    }
    config = base / "canary.yaml"
    config.write_text(yaml.safe_dump(raw))
    code, out = _canary(
        ["run", "--config", str(config), "--as-of", AS_OF.isoformat(), "--no-deliver"]
    )
    assert code == 0, out
    pristine = {p.name: p.read_bytes() for p in expectations.iterdir()}
    store = base / "data" / "store.db"
    return World(
        base, config, expectations, store, (expectations / SUITE).read_text(), pristine,
        store.read_bytes(),
    )  # fmt: skip


def _canary(argv: list[str]) -> tuple[int, str]:
    """``canary ARGV`` in this process: its exit code and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # as in production, a warning is no failure
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue() + err.getvalue()


def _protected(store: Path) -> dict[str, set[tuple[Any, ...]]]:
    """The rows of the tables no bad input may change."""
    with contextlib.closing(sqlite3.connect(store)) as con:
        return {t: set(map(tuple, con.execute(f"SELECT * FROM {t}"))) for t in PROTECTED}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check(world: World, argv: list[str], tally: FuzzTally, kinds: list[str]) -> int:
    """Run ``argv``; hold it to: no exit 4, no traceback, every stored
    row kept as it was (a run may add the rows of a week not stored yet), and after a usage
    error the store file unchanged."""
    before, digest = _protected(world.store), _digest(world.store)
    try:
        code, out = _canary(argv)
        after, changed = _protected(world.store), _digest(world.store) != digest
    finally:
        world.restore()
    tally.example(kinds, f"exit {code}")
    assert code != 4 and "Traceback" not in out and "internal error" not in out, (argv, out)
    for table, rows in before.items():
        assert rows <= after[table], (argv, table, sorted(rows - after[table], key=repr)[:3])
    assert code != 2 or not changed, argv
    return code


# --- suites -----------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "week", "nope", "expect_nonsense", "$PARAMETER", "2026-02-30"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
SHAPES: list[Any] = [[], 0, "suite", None, {}, {"expectations": {}}, {"expectations": "x"},
                     {"expectations": [1]}, {"expectations": [{}]}, {"expectations": [{"type": 3}]},
                     {"expectations": [{"type": "expect_column_to_exist", "kwargs": []}]},
                     {"expectations": [{"type": "expect_column_to_exist", "meta": "x"}]}]  # fmt: skip
TYPES = ["expect_nonsense", "", "expect_column_values_to_be_between ", "EXPECT_COLUMN_TO_EXIST",
         "expect_column_values_to_match_regex"]  # fmt: skip
KWARGS: list[dict[str, Any]] = [{"column": "no_such_column"}, {"min_value": "ten"},
    {"max_value": [1, 2]}, {"mostly": 7}, {"mostly": "most"}, {"no_such_kwarg": 1},
    {"column": None}, {"column": ["week"]}, {"column": 3}, {"column_list": [1, None]}, {"min_value": {"$PARAMETER": "nobody_sets_it"}},
    {"min_value": {"$PARAMETER": "bad name!"}}, {"regex": "("}, {"value_set": "abc"}]  # fmt: skip


@st.composite
def suites(draw: st.DrawFn, good: str) -> tuple[bytes | None, list[str]]:
    """A suite file's bytes (None: a folder in its place; b"-": no file) and the edits
    that made it."""
    doc = json.loads(good)
    kind = draw(st.sampled_from(["not json", "not utf-8", "folder", "empty", "missing",
                                 "shape", "type", "kwargs", "replace", "repeat"]))  # fmt: skip
    if kind == "not json":
        text = json.dumps(doc, indent=1)
        cut = text[: draw(st.integers(0, len(text) - 1))] + draw(st.text(max_size=10))
        return cut.encode(), [kind]
    if kind == "not utf-8":
        return (json.dumps(doc) + "\n").encode().replace(b"}", b"\xff}", 1), [kind]
    if kind == "folder":
        return None, [kind]
    if kind in ("empty", "missing"):
        return (b"" if kind == "empty" else b"-"), [kind]
    if kind == "shape":
        doc = draw(st.sampled_from(SHAPES))
    else:
        expectations = doc["expectations"]
        i = draw(st.integers(0, len(expectations) - 1))
        if kind == "type":
            expectations[i]["type"] = draw(st.sampled_from(TYPES))
        elif kind == "kwargs":
            expectations[i].setdefault("kwargs", {}).update(draw(st.sampled_from(KWARGS)))
        elif kind == "repeat":
            expectations.append(expectations[i])
        else:
            path = draw(st.sampled_from(key_paths(doc)))
            node = doc
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = draw(json_values)
    return json.dumps(doc).encode(), [kind]


@property_settings(16)
@given(data=st.data())
def test_no_suite_file_crashes_canary_or_touches_the_store(
    world: World, fuzz_tally: FuzzTally, data: st.DataObject
) -> None:
    content, kinds = data.draw(suites(world.good_suite))
    path = world.expectations / SUITE
    path.unlink()
    if content is None:
        path.mkdir()
    elif content != b"-":
        path.write_bytes(content)
    argv = ["run", "--config", str(world.config), "--as-of", AS_OF.isoformat(), "--no-deliver"]
    code = _check(world, [*argv, "--quiet"], fuzz_tally, kinds)
    assert code in (0, 1, 3)


# --- command lines ----------------------------------------------------------------

#: weeks (after the first, good one) that parse first: they reach deepest
WEEKS = [LATEST_WEEK.isoformat(), "1900-01-01", "2999-12-30", "2020-01-06", "2026-11-17",
         "2026-02-30", "", "last week", "0001-01-01", "9999-12-27", "20261116",
         "2026-11-16T00:00"]  # fmt: skip
DAYS = [AS_OF.isoformat(), "2020-01-01", "2999-12-31", "1900-01-01", "2026-13-01", "",
        "0001-01-01", "tomorrow"]  # fmt: skip
MONITORS = [MONITOR, "nope", "", f"{MONITOR}\n", f"../{MONITOR}", "code-insights-canary"]


def _configs(world: World) -> list[str]:
    binary = world.base / "binary.yaml"
    binary.write_bytes(b"\x00\xff\xfe" * 10)
    return [str(world.config), str(world.base / "missing.yaml"), str(world.base), "/dev/null",
            str(world.base / "exports" / f"{DATASET}.csv"), str(binary)]  # fmt: skip


def _flags(world: World, command: str) -> dict[str, tuple[list[list[str]], list[list[str]]]]:
    """The flags of ``command``: for each, good values and bad ones, as command-line parts."""
    out, folder, missing = world.base / "out.json", world.base, world.base / "no" / "out.json"
    as_of = ([["--as-of", AS_OF.isoformat()]], [["--as-of", d] for d in DAYS[1:]])
    monitor = ([["--monitor", MONITOR]], [["--monitor", m] for m in MONITORS[1:]])
    json_ = ([["--json", str(out)]], [["--json", str(folder)], ["--json", str(missing)]])
    start = ([["--from", "2026-06-01"]], [["--from", w] for w in WEEKS[1:]])
    end = ([["--to", LATEST_WEEK.isoformat()]], [["--to", w] for w in WEEKS[1:]])
    by_command: dict[str, dict[str, tuple[list[list[str]], list[list[str]]]]] = {
        "run": {"--as-of": as_of, "--monitor": monitor, "--json": json_,
                "--week": ([["--week", LATEST_WEEK.isoformat()]], [["--week", w] for w in WEEKS[1:]]),
                "--scenario": ([], [["--scenario", v] for v in ("nope", "", "../x")]),
                "--quiet": ([["--quiet"]], []), "--deliver": ([], [["--deliver"]])},
        "backfill": {"--as-of": as_of, "--monitor": monitor, "--from": start, "--to": end,
                     "--force": ([["--force"]], [])},
        "backtest": {"--as-of": as_of, "--monitor": monitor, "--json": json_,
                     "--from": ([["--from", (LATEST_WEEK - 2 * WEEK).isoformat()]], start[1]),
                     "--to": end},
        "accept": {"fingerprint": ([["0123456789abcdef"]], [["nope"], [""]]), "--from": start,
                   "--reason": ([["--reason", "new normal"]], [["--reason", ""]]),
                   "--by": ([["--by", "ops"]], [["--by", ""]]), "--list": ([["--list"]], [])},
        "doctor": {"--source": ([["--source", "exports"]], [["--source", "nope"], ["--source", ""]])},
        "sample": {"--as-of": as_of, "--list-scenarios": ([["--list-scenarios"]], []),
                   "--data-dir": ([["--data-dir", str(world.base / "sample")]],
                                  [["--data-dir", "/dev/null"]])},
        "suite": {"init": ([["init", MONITOR]], [["init"], ["init", "nope"], ["nope"],
                                                 ["init", MONITOR, "nope"]]),
                  "--force": ([["--force"]], [])},
    }  # fmt: skip
    return by_command.get(command, {"--as-of": as_of})


#: the first ones reach deepest (hypothesis favours the first of a list)
MISTAKES = ["bad value", "bad week", "bad day", "backwards range", "unknown monitor",
            "random token", "bad config", "unknown flag", "unknown command"]  # fmt: skip


@st.composite
def command_lines(draw: st.DrawFn, world: World) -> tuple[list[str], list[str]]:
    """A command line with random flags and at least one mistake, and the kinds of its
    parts."""
    command = draw(st.sampled_from(["run", "backfill", "backtest", "accept", "doctor", "suite",
                                    "sample", "report"]))  # fmt: skip
    flags = _flags(world, command)
    goods = sorted(f for f, (good, _) in flags.items() if good)
    chosen = draw(st.lists(st.sampled_from(goods), max_size=4, unique=True))
    parts = [draw(st.sampled_from(flags[f][0])) for f in chosen]
    parts.append(["--config", str(world.config)])
    if command == "run":
        parts.append(["--no-deliver"])
    mistake = draw(st.sampled_from(MISTAKES))
    bad = [part for _, (_, wrong) in sorted(flags.items()) for part in wrong]
    if mistake == "bad value" and bad:
        parts.append(draw(st.sampled_from(bad)))
    elif mistake == "unknown flag" or mistake == "bad value":
        parts.append([draw(st.sampled_from(["--nope", "--weeks", "-x", "--monitor=", "--"]))])
    elif mistake == "unknown monitor":
        parts.append(["--monitor", draw(st.sampled_from(MONITORS[1:]))])
    elif mistake == "bad week":
        parts.append(
            [draw(st.sampled_from(["--week", "--from", "--to"])), draw(st.sampled_from(WEEKS[1:]))]
        )
    elif mistake == "bad day":
        parts.append(["--as-of", draw(st.sampled_from(DAYS[1:]))])
    elif mistake == "bad config":
        parts.append(["--config", draw(st.sampled_from(_configs(world)[1:]))])
    elif mistake == "backwards range":
        parts.append(["--from", LATEST_WEEK.isoformat(), "--to", "2026-01-05"])
    elif mistake == "random token":
        parts.append([draw(st.text(string.printable, max_size=12))])
    else:
        command = draw(st.sampled_from(["report", "", "RUN", "run;", "--help-me"]))
    order = draw(st.permutations(parts))
    argv = [command, *(token for part in order for token in part)]
    return argv, [command or "(none)", mistake]


@property_settings(60)
@given(data=st.data())
def test_no_command_line_crashes_canary_or_touches_the_store(
    world: World, fuzz_tally: FuzzTally, data: st.DataObject
) -> None:
    argv, kinds = data.draw(command_lines(world))
    _check(world, argv, fuzz_tally, kinds)
