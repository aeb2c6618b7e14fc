"""Property: no config file and no environment makes ``canary`` crash (exit 4) or touch the store.

Inputs are the repo's ``canary.yaml`` with random edits (values replaced by any YAML value,
keys removed, added or repeated, bytes inserted or cut, other encodings) and random
``CANARY__*`` / ``CANARY_STORE_URL`` variables, run through ``canary.cli.main``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import string
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canary.cli import main
from canary.results import CheckResult, RunResult
from canary.store.db import Store
from tests.conftest import LATEST_WEEK, NOW, REPO

TEXT = (REPO / "canary.yaml").read_text()
RAW = yaml.safe_load(TEXT)
SETTINGS = settings(
    max_examples=int(os.environ.get("CANARY_PROPERTY_EXAMPLES", "50")),
    deadline=None,
    derandomize="CANARY_PROPERTY_EXAMPLES" not in os.environ,  # set it to explore
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        ["", "sample", "files", "1d", "99999999999w", "0s", "#chan", "C0123456789", "2026-02-30"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(string.ascii_lowercase + "_", max_size=12), inner, max_size=3),
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in a parsed YAML document."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*prefix, i))
    return found


PATHS = _paths(RAW)


def _edit(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "remove" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    return doc


@st.composite
def config_texts(draw: st.DrawFn) -> bytes:
    """The repo's config, edited at the structure level, then perhaps at the byte level."""
    doc = yaml.safe_load(TEXT)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(PATHS))
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        with contextlib.suppress(KeyError, IndexError, TypeError):
            doc = _edit(doc, path, action, draw(values))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    lines = text.splitlines(keepends=True)
    kind = draw(st.sampled_from(["none", "repeat line", "insert", "cut", "latin-1", "bytes"]))
    if kind == "repeat line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(0, len(lines))), lines[i])
    elif kind == "insert":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=30)))
    elif kind == "cut":
        return "".join(lines)[: draw(st.integers(0, len(text)))].encode()
    elif kind == "latin-1":
        return ("".join(lines) + draw(st.text(max_size=10)) + "é").encode("latin-1", "replace")
    elif kind == "bytes":
        return draw(st.binary(max_size=200))
    return "".join(lines).encode()


env_values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["notaurl", "sqlite:///x.db", "foo://h/db", "[", "{a: 1, a: 2}", "2026-02-30"]),
)
env_names = st.one_of(
    st.just("CANARY_STORE_URL"),
    st.sampled_from(
        ["__".join(str(p).upper() for p in path) for path in PATHS if len(path) < 5]
    ).map(lambda name: f"CANARY__{name}"),
    st.text(string.ascii_uppercase + "_", min_size=1, max_size=20).map(lambda n: f"CANARY__{n}"),
)
environments = st.dictionaries(env_names, env_values, max_size=2).map(
    lambda env: {k: v.replace("\x00", "") for k, v in env.items()}
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store holding one recorded run: the history no bad config may touch."""
    path = tmp_path_factory.mktemp("store") / "store.db"
    db = Store(f"sqlite:///{path}")
    check = CheckResult("code-insights-canary", "page_views", "level", "passed", "fine.")
    db.record_run(RunResult("code-insights-canary", LATEST_WEEK, [check]), pd.DataFrame(), NOW)
    db.close()
    return path


@SETTINGS
@given(text=config_texts(), env=environments)
def test_no_config_or_environment_crashes_canary_or_touches_the_store(
    tmp_path: Path, store: Path, text: bytes, env: dict[str, str]
) -> None:
    before = _digest(store)
    path = tmp_path / "canary.yaml"
    path.write_bytes(text)
    env = {"CANARY_STORE_URL": f"sqlite:///{store}", **env}
    err = io.StringIO()
    with mock.patch.dict(os.environ, env), contextlib.redirect_stderr(err):
        code = main(["run", "--config", str(path), "--monitor", "no-such-monitor"])
    message = err.getvalue()
    assert code == 2, message
    assert "internal error" not in message and "Traceback" not in message
    named = (str(path), "environment variable", "--monitor 'no-such-monitor' is not")
    assert any(n in message for n in named), message
    assert _digest(store) == before
