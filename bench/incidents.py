"""Incidents: each catalog breakage is told as one incident with its slug as the cause.

For each seed, every catalog scenario is injected at several random weeks (gradual rollouts
are judged a week later) and every monitor is replayed for that week in a scratch store;
the failed checks of the week are grouped into incidents. Targets: at most 1.2 incidents
per scenario on average, the most severe one's cause is the scenario's slug in at least 90%
of cases, every breakage's incidents are classed ``pipeline`` in at least 90%, and clean
weeks (the year end included) give none. Prints the confusion matrix: scenario by the cause
of each incident it gave ("none": no incident at all), then scenario by class.

    .venv/bin/python -m bench.incidents [--seeds 2] [--weeks 2] [--clean-weeks 6]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.incidents import Incident, incidents_of
from canary.pipeline import RunOptions, plan
from canary.replay import backtest
from canary.results import RunResult
from canary.sample.scenarios import SCENARIOS
from canary.store.db import Store
from canary.weeks import WEEK, as_of_datetime

REPO = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 28)
END = date(2026, 11, 16)
CLEAN_END = date(2026, 1, 19)  # the clean weeks before it span the year end
GRADUAL = {"version-field-drop", "version-undercount"}
UNEXPLAINED = "unexplained"
NONE = "none"
CLASSES = ("pipeline", "product", "unclear")


def _config(seed: int, data_dir: Path) -> Config:
    config = load_config(REPO / "canary.yaml", environ={})
    sources = {k: v.model_copy(update={"seed": seed}) for k, v in config.sources.items()}
    return config.model_copy(update={"sources": sources, "data_dir": data_dir})


def replay(
    config: Config, start: date, end: date, scenario: str | None, ge: GreatExpectations
) -> list[RunResult]:
    """Every monitor replayed from ``start`` to ``end`` in a scratch store."""
    runs: list[RunResult] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/store.db", sole_writer=True)
        try:
            for monitor in config.monitors:
                options = RunOptions(week=start, now=as_of_datetime(AS_OF), scenario=scenario)
                first = replace(plan(config, monitor, options, REPO), week=start)
                runs += backtest(first, end, store, ge)
        finally:
            store.close()
    return runs


def _cause(incident: Incident) -> str:
    return incident.cause or UNEXPLAINED


def print_matrix(rows: dict[str, Counter[str]]) -> None:
    """Scenarios down, causes across (every incident counted once)."""
    columns = [*SCENARIOS, UNEXPLAINED, NONE]
    short = {c: "".join(word[0] for word in c.split("-")) for c in SCENARIOS}
    short |= {UNEXPLAINED: "?", NONE: "-"}
    width = max(len(r) for r in rows)
    print(f"{'scenario':<{width}} " + " ".join(f"{short[c]:>4}" for c in columns))
    for name, counts in rows.items():
        cells = " ".join(f"{counts.get(c, 0) or '.':>4}" for c in columns)
        print(f"{name:<{width}} {cells}")
    print("columns: " + ", ".join(f"{short[c]}={c}" for c in columns))


def print_classes(rows: dict[str, Counter[str]]) -> None:
    """Scenarios down, incident classes across."""
    width = max(len(r) for r in rows)
    print(f"{'scenario':<{width}} " + " ".join(f"{c:>8}" for c in CLASSES))
    for name, counts in rows.items():
        print(f"{name:<{width}} " + " ".join(f"{counts.get(c, 0) or '.':>8}" for c in CLASSES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--weeks", type=int, default=2, help="onset weeks per scenario and seed")
    parser.add_argument("--clean-weeks", type=int, default=6)
    parser.add_argument(
        "--scenario", action="append", choices=sorted(SCENARIOS), help="only these (repeatable)"
    )
    args = parser.parse_args()
    started = time.time()
    ge = GreatExpectations()
    slugs = args.scenario or list(SCENARIOS)
    matrix: dict[str, Counter[str]] = {slug: Counter() for slug in slugs}
    matrix["clean"] = Counter()
    classes: dict[str, Counter[str]] = {slug: Counter() for slug in slugs}
    cases = right = incidents = clean_incidents = clean_weeks = 0
    wrong: list[str] = []
    for seed in range(1, args.seeds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            if args.clean_weeks > 0:
                start = CLEAN_END - WEEK * (args.clean_weeks - 1)
                runs = replay(_config(seed, Path(tmp) / "clean"), start, CLEAN_END, None, ge)
                found = incidents_of(runs)
                clean_weeks += len({r.week for r in runs})
                clean_incidents += len(found)
                matrix["clean"].update(_cause(i) for i in found)
            for slug in slugs:
                rng = random.Random(f"{seed}:{slug}")  # the same weeks whatever else runs
                for _ in range(args.weeks):
                    week = END - WEEK * rng.randint(1, 20)
                    last = week + WEEK if slug in GRADUAL else week
                    # a sample of its own per case: a warehouse is built for one onset week
                    data = Path(tmp) / f"{slug}-{week}"
                    runs = replay(_config(seed, data), week, last, slug, ge)
                    found = incidents_of([r for r in runs if r.week == last])
                    cases += 1
                    incidents += len(found)
                    matrix[slug].update([_cause(i) for i in found] or [NONE])
                    classes[slug].update(i.class_ for i in found)
                    if found and found[0].cause == slug:
                        right += 1
                    else:
                        wrong.append(f"{slug}@{week} seed {seed}: {[_cause(i) for i in found]}")
        print(f"seed {seed} done after {time.time() - started:.0f} s", flush=True)
    print()
    print_matrix(matrix)
    print()
    print_classes(classes)
    classed = sum(classes.values(), Counter())
    told = sum(classed.values()) or 1
    print(f"breakage incidents classed pipeline: {classed['pipeline'] / told:.0%} (target >= 90%)")
    print()
    print(f"incidents per scenario: {incidents / cases:.2f} (target <= 1.2) over {cases} cases")
    print(f"cause is the scenario's slug: {right / cases:.0%} ({right}/{cases}; target >= 90%)")
    print(f"incidents in {clean_weeks} clean weeks (every monitor): {clean_incidents} (target 0)")
    print("wrong: " + ("; ".join(wrong) or "none"))
    print(f"{time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
