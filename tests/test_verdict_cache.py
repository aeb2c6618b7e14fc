"""The verdict cache keeps what runs read and deletes what nobody has read for a while."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from canary.checks.verdict_cache import VerdictCache

BATCH = pd.DataFrame({"week": ["2026-11-16"], "views": [3]})


def _remember(cache: VerdictCache, parts: object, value: int) -> int:
    return cache.remember(parts, BATCH, lambda: value, lambda v: v, int)


def test_an_entry_nobody_reads_is_deleted_by_a_later_runs_first_write(tmp_path: Path) -> None:
    cache = VerdictCache(tmp_path, keep=timedelta(days=30))
    assert _remember(cache, "old", 1) == 1
    assert _remember(cache, "kept", 2) == 2
    (old,) = [p for p in tmp_path.glob("*/*.json") if p.read_text() == "1"]
    month_ago = time.time() - timedelta(days=31).total_seconds()
    for path in tmp_path.glob("*/*.json"):
        os.utime(path, (month_ago, month_ago))

    later = VerdictCache(tmp_path, keep=timedelta(days=30))
    assert _remember(later, "kept", 99) == 2  # read: cached, and its clock restarts
    assert _remember(later, "new", 3) == 3  # the first write prunes
    assert not old.exists()
    assert sorted(p.read_text() for p in tmp_path.glob("*/*.json")) == ["2", "3"]


def test_a_cache_without_a_directory_computes_every_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cache = VerdictCache()
    assert not cache.keeps
    assert _remember(cache, "same", 1) == 1
    assert _remember(cache, "same", 2) == 2  # not the first answer: nothing was kept
    assert cache.key("same", BATCH) is None
    assert cache.prune() == 0
    assert not any(tmp_path.iterdir())
