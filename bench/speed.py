"""Speed: expected ranges for 100,000 series x 104 weeks, and a 52-week backtest vs one run.

    .venv/bin/python -m bench.speed [--monitor code-insights-all-instances]

Prints wall times; the targets are under 5 s for the ranges and a backtest under 10 times
one weekly run (both measured as the command a person runs, from process start).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from canary.anomaly.baseline import expected_band

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-28"


def ranges(series: int = 100_000, weeks: int = 104) -> float:
    rng = np.random.default_rng(1)
    history = rng.gamma(4.0, 25.0, (series, weeks))
    history[rng.random(history.shape) < 0.05] = np.nan
    observed = rng.gamma(4.0, 25.0, series)
    started = time.perf_counter()
    expected_band(
        history,
        observed,
        window=12,
        min_weeks=6,
        sensitivity=5.0,
        min_abs_change=5.0,
        min_rel_change=0.25,
        min_rel_rise=0.75,
        counts=True,  # as the level check calls it
    )
    return time.perf_counter() - started


def _timed(args: list[str], cwd: Path) -> float:
    env = {**os.environ, "CANARY_STORE_URL": f"sqlite:///{cwd / 'store.db'}"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "canary.cli", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitor", default="code-insights-all-instances")
    args = parser.parse_args()
    seconds = ranges()
    print(f"expected ranges, 100,000 series x 104 weeks: {seconds:.2f} s (target < 5 s)")
    config = str(REPO / "canary.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        env_store = ["--config", config, "--as-of", AS_OF]
        _timed(["sample", *env_store], Path(tmp))  # build the sample first: not part of a run
        one = _timed(
            ["run", *env_store, "--monitor", args.monitor, "--quiet", "--no-deliver"], Path(tmp)
        )
        bt = _timed(
            [
                "backtest",
                *env_store,
                "--monitor",
                args.monitor,
                "--from",
                "2025-11-24",
                "--to",
                "2026-11-16",
            ],
            Path(tmp),
        )
    print(f"one weekly run of {args.monitor}: {one:.1f} s")
    print(f"52-week backtest: {bt:.1f} s = {bt / one:.1f} x one run (target < 10 x)")


if __name__ == "__main__":
    main()
