"""Fast start: a warm ``make run`` on the bundled sample against importing ``canary.cli`` and
``great_expectations`` alone, measured in the same run.

    .venv/bin/python -m bench.start [--repeat 5]

Each figure is a fresh process, alternated so both see the same machine load; the medians
of wall and CPU time (user + system) are printed with their ratios. The target is a ratio
of at most 1.3. ``make run`` runs from the repository root on its own sample and store;
one run before the timed ones makes it warm (sample built, history stored, verdicts kept).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMPORTS = [sys.executable, "-c", "import canary.cli, great_expectations"]
MAKE_RUN = ["make", "--no-print-directory", "run"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (which must succeed)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=_env())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: a check failed, still a full run
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _env() -> dict[str, str]:
    return {**os.environ, "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    timed(MAKE_RUN)  # warm: the sample, the store's history, the verdicts
    imports: list[tuple[float, float]] = []
    runs: list[tuple[float, float]] = []
    for _ in range(args.repeat):
        imports.append(timed(IMPORTS))
        runs.append(timed(MAKE_RUN))
    load = os.getloadavg()[0]
    print(f"{args.repeat} runs each, alternated; load average {load:.1f}")
    for i, what in enumerate(("wall", "cpu")):
        base = statistics.median(t[i] for t in imports)
        run = statistics.median(t[i] for t in runs)
        print(
            f"{what}: import canary.cli + great_expectations {base:.2f} s, "
            f"warm make run {run:.2f} s, ratio {run / base:.2f}"
        )


if __name__ == "__main__":
    main()
