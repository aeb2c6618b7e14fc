"""Property: no config file and no environment makes ``canary`` crash (exit 4) or touch the store.

Inputs are the repo's ``canary.yaml`` with random edits (values replaced by any YAML value,
keys removed, added or repeated, bytes inserted or cut, other encodings), or with one
targeted mistake (a bad duration, a bad URL, odd unicode in a key or value, a secret pasted
where its reference belongs), and random ``CANARY__*`` / ``CANARY_STORE_URL`` variables, run
through ``canary.cli.main``. A targeted mistake must be named by its key, and a pasted
secret never shown. The terminal summary says which edits were tried and what was seen.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from canary.cli import main
from canary.results import CheckResult, RunResult
from canary.store.db import Store
from tests.conftest import LATEST_WEEK, NOW, REPO, FuzzTally, key_paths, property_settings

TEXT = (REPO / "canary.yaml").read_text()
RAW = yaml.safe_load(TEXT)

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


PATHS = key_paths(RAW)


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


@dataclass
class Edited:
    """A config file's bytes, the edits that made it, and what its error must say."""

    data: bytes
    kinds: list[str]
    key: str | None = None  # a targeted mistake: its dotted key path must be named
    secret: str | None = None  # must never be shown


@st.composite
def random_edits(draw: st.DrawFn) -> Edited:
    """The repo's config, edited at the structure level, then perhaps at the byte level."""
    doc = yaml.safe_load(TEXT)
    kinds = []
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(PATHS))
        action = draw(st.sampled_from(["replace", "remove", "add"]))
        kinds.append(action)
        with contextlib.suppress(KeyError, IndexError, TypeError):
            doc = _edit(doc, path, action, draw(values))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    lines = text.splitlines(keepends=True)
    kind = draw(st.sampled_from(["none", "repeat line", "insert", "cut", "latin-1", "bytes"]))
    kinds.append(kind)
    if kind == "repeat line" and lines:
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(draw(st.integers(0, len(lines))), lines[i])
    elif kind == "insert":
        lines.insert(draw(st.integers(0, len(lines))), draw(st.text(max_size=30)))
    elif kind == "cut":
        return Edited("".join(lines)[: draw(st.integers(0, len(text)))].encode(), kinds)
    elif kind == "latin-1":
        data = ("".join(lines) + draw(st.text(max_size=10)) + "é").encode("latin-1", "replace")
        return Edited(data, kinds)
    elif kind == "bytes":
        return Edited(draw(st.binary(max_size=200)), kinds)
    return Edited("".join(lines).encode(), kinds)


DURATIONS = [("sources", "sample", "complete_after"), ("store", "lock_timeout")]
BAD_DURATIONS = ["3 days", "1y", "-1d", "1e9w", "", "1.5.2h", "d", "10 m s", "1d\u200b"]
URLS = [("store", "url"), ("slack", "base_url"), ("slack", "report_base_url"),
        ("slack", "workspace_url"), ("data_docs", "base_url")]  # fmt: skip
BAD_URLS = ["notaurl", "sqlite:", "://", "http//x/", "ftp://x/", "postgresql://h:99999999/db",
            "foo+bar://u:{pw}@h/db", "https://u:{pw}@h/x y"]  # fmt: skip
SECRETS = [("slack", "token"), ("slack", "webhook"), ("secrets", "looker")]
M = "code-insights-canary"
#: values that parse but could not work (check nothing, never judge, escape a folder)
REFUSED: list[tuple[tuple[str, ...], Any]] = [
    (("monitors",), {}),
    (("sources", "sample", "complete_after"), -5),
    (("sources", "sample", "seed"), True),
    (("monitors", M, "history", "sensitivity"), float("inf")),
    (("monitors", M, "history", "min_level"), float("-inf")),
    (("monitors", M, "history", "min_weeks"), 50),
    (("monitors", M, "history", "columns"), ["no_such_column"]),
    (("monitors", M, "suite_prefix"), "../../etc"),
    (("monitors", M, "datasets", "page_views", "suite"), "/etc/passwd"),
]
BAD_NAMES = ["", "a\nb", "a/b", "..", "$(id)", "x y"]
ODD = ["\u202eevil", "zero\u200bwidth", "🐤", "e\u0301", "\ufeffbom", "　", "\U0001f600" * 40]


@st.composite
def targeted(draw: st.DrawFn) -> Edited:
    """The repo's config with one mistake of a kind people make, and what must be named."""
    doc = yaml.safe_load(TEXT)
    kind = draw(
        st.sampled_from(
            ["bad duration", "bad url", "secret pasted", "odd unicode", "refused", "bad name"]
        )
    )
    secret = None
    if kind == "bad duration":
        path = draw(st.sampled_from(DURATIONS))
        value: Any = draw(st.sampled_from(BAD_DURATIONS))
    elif kind == "bad url":
        path = draw(st.sampled_from(URLS))
        secret = "pw" + draw(st.text(string.ascii_letters, min_size=8, max_size=8))
        value = draw(st.sampled_from(BAD_URLS)).format(pw=secret)
    elif kind == "secret pasted":
        path = draw(st.sampled_from(SECRETS))
        secret = "xoxb-" + draw(st.text(string.ascii_letters + string.digits, min_size=12))
        value = draw(st.sampled_from([secret, f"https://hooks.slack.com/services/{secret}"]))
    elif kind == "refused":
        path, value = draw(st.sampled_from(REFUSED))
    elif kind == "bad name":
        section = draw(st.sampled_from(["monitors", "sources"]))
        old = next(iter(doc[section]))
        doc[section][draw(st.sampled_from(BAD_NAMES))] = doc[section].pop(old)
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        return Edited(text.encode(), [kind], section)
    else:
        path = draw(st.sampled_from([p for p in PATHS if isinstance(p[-1], str)]))
        odd = draw(st.sampled_from(ODD))
        if draw(st.booleans()):
            value, path = draw(values), (*path[:-1], f"{path[-1]}{odd}")  # an unknown key
        else:
            value = odd
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else {}
    node[path[-1]] = value
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    key = ".".join(str(p) for p in path) if kind != "odd unicode" else None
    return Edited(text.encode(), [kind], key, secret)


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


@property_settings(100)
@given(edited=st.one_of(random_edits(), targeted()), env=environments)
def test_no_config_or_environment_crashes_canary_or_touches_the_store(
    tmp_path: Path, store: Path, fuzz_tally: FuzzTally, edited: Edited, env: dict[str, str]
) -> None:
    before = _digest(store)
    path = tmp_path / "canary.yaml"
    path.write_bytes(edited.data)
    (tmp_path / "expectations").mkdir(exist_ok=True)  # the folder the file names
    if edited.key is not None:
        env = {}  # the mistake in the file is the one to name
    env = {"CANARY_STORE_URL": f"sqlite:///{store}", **env}
    err = io.StringIO()
    with mock.patch.dict(os.environ, env), contextlib.redirect_stderr(err):
        code = main(["run", "--config", str(path), "--monitor", "no-such-monitor"])
    message = err.getvalue()
    valid = "--monitor 'no-such-monitor' is not" in message
    fuzz_tally.example(
        [*edited.kinds, *(["environment"] if len(env) > 1 else [])],
        f"exit {code} ({'valid' if valid else 'named'})",
    )
    assert code == 2, message
    assert "internal error" not in message and "Traceback" not in message
    named = (str(path), "environment variable")
    assert valid or any(n in message for n in named), message
    if edited.key is not None and not valid:
        assert str(path) in message and f"{edited.key}:" in message, message
    if edited.secret is not None:
        assert edited.secret not in message, message
    assert _digest(store) == before
