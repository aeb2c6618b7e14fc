"""Verdicts of validations already run: an unchanged batch under an unchanged suite is not
validated again (nor Great Expectations imported for it).

An entry's key is a hash of everything its verdicts depend on: the parts a caller names
(suite document, parameters, result format, monitor, dataset, week...), the batch's
content and dtypes, the installed GE version and the source of canary's modules that turn
GE's results into checks. Entries are JSON files under ``data_dir/cache/verdicts``; one not
read for ``KEEP`` is deleted by the first write of a later run.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

T = TypeVar("T")

#: How long an entry nobody reads is kept (a weekly run reads this week's and rewrites).
KEEP = timedelta(days=30)

#: Modules whose code shapes a cached verdict: editing one invalidates the cache.
SHAPING_MODULES = (
    "canary.checks.validate",
    "canary.checks.reasons",
    "canary.checks.suites",
    "canary.masking",
    "canary.display",
    "canary.jsonable",
    "canary.results",
)


@cache
def _code_fingerprint() -> bytes:
    import importlib.util

    digest = hashlib.sha256(metadata.version("great_expectations").encode())
    for name in SHAPING_MODULES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            digest.update(Path(spec.origin).read_bytes())
    return digest.digest()


def batch_digest(frame: pd.DataFrame | str) -> bytes | None:
    """A hash of a frame's columns, dtypes and values, or of a text that fingerprints rows
    validated where they live (their files' sizes and times); None when a value cannot be
    hashed (the batch is then validated every time)."""
    if isinstance(frame, str):
        return hashlib.sha256(frame.encode()).digest()
    try:
        values = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
    except TypeError:
        return None
    shape = json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode()
    return hashlib.sha256(shape + values).digest()


class VerdictCache:
    """JSON verdicts by key in ``directory`` (created on first write); without a directory
    nothing is kept and every verdict is computed."""

    def __init__(self, directory: Path | None = None, keep: timedelta = KEEP) -> None:
        self.directory = directory
        self.keep = keep
        self._pruned = False

    @property
    def keeps(self) -> bool:
        """Whether verdicts are kept (a run may then find them instead of validating)."""
        return self.directory is not None

    def key(self, parts: Any, batch: pd.DataFrame | str) -> str | None:
        """The entry of ``parts`` and ``batch``; None when nothing is kept or the batch
        cannot be hashed."""
        digest = batch_digest(batch) if self.directory is not None else None
        if digest is None:
            return None
        text = json.dumps(parts, sort_keys=True, default=str).encode()
        return hashlib.sha256(_code_fingerprint() + digest + text).hexdigest()

    def _path(self, key: str) -> Path:
        if self.directory is None:
            raise ValueError(f"verdict {key}: this cache keeps no verdicts (no directory)")
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        path = self._path(key)
        try:
            value = json.loads(path.read_text())
            os.utime(path)  # read: keep it another ``keep``
        except (OSError, ValueError):
            return None  # absent or unreadable: validate again
        return value

    def prune(self) -> int:
        """Delete entries not read or written for ``keep``; how many were deleted."""
        if self.directory is None:
            return 0
        cutoff = time.time() - self.keep.total_seconds()
        gone = 0
        for path in self.directory.glob("*/*.json"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    gone += 1
            except OSError:
                continue  # another run pruned it first
        return gone

    def put(self, key: str, value: Any) -> None:
        if not self._pruned:
            self._pruned = True
            self.prune()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            json.dump(value, out)
        os.replace(tmp, path)

    def remember(
        self,
        parts: Any,
        batch: pd.DataFrame | str,
        compute: Callable[[], T],
        to_json: Callable[[T], Any],
        from_json: Callable[[Any], T],
    ) -> T:
        """``compute()`` (which validates ``batch``: a frame, or the fingerprint of rows
        validated where they live), or what it returned for the same ``parts`` and batch
        before when verdicts are kept."""
        key = self.key(parts, batch)
        if key is not None and (got := self.get(key)) is not None:
            return from_json(got)
        value = compute()
        if key is not None:
            self.put(key, to_json(value))
        return value
