"""Long segment labels: masked in linear time, cut for display, the run stays quick."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from canary.display import LABEL_LIMIT, REASON_LIMIT, cut, shown_reason
from canary.masking import mask_text
from tests.conftest import AS_OF, LATEST_WEEK, sample_exports, write_files_config

MONITOR = "code-insights-all-instances"
DATASETS = (
    "instances_reporting",
    "page_views",
    "creators",
    "insights_by_type",
    "usage_by_version",
    "usage_by_deploy_type",
    "instance_usage",
)
_H = "[0-9a-fA-F]{1,4}"
#: The patterns masking used before it was made linear (IPv6 compressed or not, and long
#: hex keys: the patterns of the alphabet below): a reference for the rewrite.
FORMER = (
    (re.compile(r"[\w.+-]+@([\w-]+\.)+[\w-]+"), "***@***"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "***.***.***.***"),
    (
        re.compile(
            rf"(?<![\w:])(?:(?:{_H}:){{2,7}}{_H}|{_H}(?::{_H}){{0,6}}::(?:{_H}(?::{_H}){{0,6}})?"
            rf"|::{_H}(?::{_H}){{0,6}})(?![\w:])"
        ),
        "****:****",
    ),
    (re.compile(r"\bLK(?:-[0-9A-Z]{4}){3}\b"), "LK-****-****-****"),
    (re.compile(r"\b(?=[a-fA-F]*\d)(?=\d*[a-fA-F])[0-9a-fA-F]{32,}\b"), "****"),
)


@given(st.text(alphabet="ab.+-@ 1:0LKA_é", max_size=60))
def test_text_is_masked_exactly_as_the_quadratic_patterns_masked_it(text: str) -> None:
    former = text
    for pattern, mask in FORMER:
        former = pattern.sub(mask, former)
    assert mask_text(text) == former


def test_masking_long_labels_takes_linear_time() -> None:
    labels = ["x" * 10_000, "a." * 5_000, "b" * 9_990 + "@c", "d@" * 5_000, "a:" * 5_000]
    labels += ["1a" * 5_000 + "g", "xoxb-" * 2_000, "ghp_" * 2_500, "sk-" * 3_000]
    started = time.perf_counter()
    for _ in range(50):
        for label in labels:
            mask_text(label)
    assert time.perf_counter() - started < 5  # quadratic: about 0.6 s for each label


def test_long_reasons_are_cut_keeping_their_ends_and_masked_first() -> None:
    label = "y" * 3_000 + " ops@acme.example"
    reason = shown_reason(f"insight_type '{label}' never seen in the weeks before.")
    assert len(reason) <= REASON_LIMIT and "ops@" not in reason
    assert reason.endswith("***@***' never seen in the weeks before.")
    assert max(len(w) for w in reason.split()) <= LABEL_LIMIT
    assert shown_reason(reason) == reason
    assert len(shown_reason("z " * 2_000)) == REASON_LIMIT
    assert cut("10.20.30.40", 5) != "10.20.30.40" and cut("short", 5) == "short"


@pytest.mark.integration
def test_a_week_of_long_labels_is_judged_quickly_and_shown_short(
    shared_sample: Path, tmp_path: Path
) -> None:
    """1,134 new insight types of 3,541 characters each, an email in each: once a run of
    more than ten minutes; now a run of a few, its output a readable size."""
    frames = sample_exports(shared_sample, "all-instances", DATASETS)
    types = frames["insights_by_type"]
    one = types[types["week"] == pd.Timestamp(LATEST_WEEK)].iloc[0].to_dict()
    long = [
        {**one, "insight_type": f"type{i}-" + "x" * 3_520 + f" ops{i}@acme.example"}
        for i in range(1_134)
    ]
    frames["insights_by_type"] = pd.concat([types, pd.DataFrame(long)])
    (tmp_path / "exports").mkdir()
    for name, frame in frames.items():
        frame.to_csv(tmp_path / "exports" / f"{name}.csv", index=False)
    config = write_files_config(tmp_path, MONITOR, DATASETS)
    out = tmp_path / "result.json"
    args = ["run", "--config", str(config), "--as-of", AS_OF.isoformat(), "--json", str(out)]
    done = subprocess.run(
        [str(Path(sys.executable).parent / "canary"), *args],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert len(done.stdout) < 100_000
    checks = json.loads(out.read_text())["runs"][0]["checks"]
    new = [c for c in checks if c["check"] == "new label" and c["status"] == "failed"]
    assert len(new) == 1_134
    assert max(len(c["reason"]) for c in checks) <= REASON_LIMIT
    assert max(len(v) for c in new for v in c["segment"].values()) <= LABEL_LIMIT
    assert len({c["id"] for c in new}) == 1_134  # cut alike, still one check per label
    written = (tmp_path / ".canary" / "outbox").rglob("*.*")
    outbox = "".join(p.read_text() for p in written if p.suffix != ".png")  # charts: pixels
    for shown in (done.stdout, out.read_text(), outbox):
        assert "@acme.example" not in shown
