"""Incidents: each breakage and product change is told as one incident with its slug as the cause.

For each seed, every scenario is injected at several random weeks and every monitor is
replayed in a scratch store; the failed checks of a week are grouped into incidents.
Breakages are judged in their week (gradual rollouts a week later). A product change is
caught when a check fails within two weeks of its onset (the week a decline is complete),
and judged in the first of those weeks with a failed check. Targets: at most 1.2
incidents per breakage on average, the most severe one's cause is the scenario's slug in
at least 90% of cases, every breakage classed ``pipeline`` and every product change
``product`` (its most severe incident) in at least 90% of cases, each product change
caught in at least 90%, and clean weeks (the year end included) give none. Prints the
confusion matrix: scenario by the cause and class of each incident it gave ("none": no
incident at all), then the rates per scenario and whether each target is met.

    .venv/bin/python -m bench.incidents [--seeds 2] [--weeks 2] [--clean-weeks 6]
        [--scenario SLUG ...]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.incidents import Incident, incidents_of
from canary.pipeline import RunOptions, plan
from canary.replay import backtest
from canary.results import RunResult
from canary.sample.generator import generate, release_of
from canary.sample.scenarios import PAGE_VIEWS, PRODUCT_CHANGES, SCENARIOS, inject
from canary.sources.sample import sample_spec
from canary.sources.sample_config import SampleSourceConfig
from canary.store.db import Store
from canary.summary import ACTIVE
from canary.weeks import WEEK, as_of_datetime

REPO = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 28)
END = date(2026, 11, 16)
CLEAN_END = date(2026, 1, 19)  # the clean weeks before it span the year end
GRADUAL = {"version-field-drop", "version-undercount"}
RELEASE = "release-regression"
#: A release on fewer active instances than this in both weeks judged is told apart from a
#: week's noise by no rule: in clean years versions of 4-7 such instances fall as far
REACHABLE = 10
UNEXPLAINED = "unexplained"
NONE = "none"
TARGET = 0.9


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


def _short(cause: str) -> str:
    """Initials (``on`` for object-null), with more of the last word where two would share
    them (``udr`` usage-drop, ``ude`` usage-decline)."""
    if cause in (UNEXPLAINED, NONE):
        return {UNEXPLAINED: "?", NONE: "-"}[cause]
    words = cause.split("-")
    initials = "".join(w[0] for w in words)
    twins = [s for s in SCENARIOS if "".join(w[0] for w in s.split("-")) == initials]
    return initials if len(twins) == 1 else initials[:-1] + words[-1][:2]


def matrix_lines(rows: dict[str, Counter[tuple[str, str]]]) -> list[str]:
    """Scenarios down, (cause, class) across (every incident counted once), and the key."""
    seen = {key for counts in rows.values() for key in counts}
    order = {c: i for i, c in enumerate([*SCENARIOS, UNEXPLAINED, NONE])}
    columns = sorted(seen, key=lambda k: (order[k[0]], k[1]))
    label = {k: f"{_short(k[0])}/{k[1][:4]}" if k[1] else _short(k[0]) for k in columns}
    width = max(len(r) for r in rows)
    cell = max([len(v) for v in label.values()] + [4])
    lines = [f"{'scenario':<{width}} " + " ".join(f"{label[c]:>{cell}}" for c in columns)]
    for name, counts in rows.items():
        cells = " ".join(f"{counts.get(c, 0) or '.':>{cell}}" for c in columns)
        lines.append(f"{name:<{width}} {cells}")
    causes = sorted({k[0] for k in columns}, key=order.__getitem__)
    return [*lines, "columns: cause/class; " + ", ".join(f"{_short(c)}={c}" for c in causes)]


@dataclass
class Rates:
    """One scenario's cases: its slug as the most severe incident's cause, its class, caught."""

    cases: int = 0
    cause: int = 0
    classed: int = 0
    caught: int = 0

    def line(self, slug: str, want: str) -> str:
        def rate(n: int) -> str:
            return f"{n / self.cases:>4.0%}" if self.cases else "   -"

        caught = slug in PRODUCT_CHANGES
        met = self.classed >= TARGET * self.cases and (
            not caught or self.caught >= TARGET * self.cases
        )
        return (
            f"{slug:<20} {self.cases:>5} {rate(self.cause):>6} {rate(self.classed):>9} "
            f"{rate(self.caught) if caught else '   -':>7}  {want:<8} "
            f"{'met' if met else 'NOT met'}"
        )


def _reach(config: Config, slug: str, week: date) -> int:
    """Most active instances (``ACTIVE`` page views the week before, a value in the week) on
    the release out at ``week``, over ``week`` and the week after: how many can tell."""
    source = config.sources["sample"]
    assert isinstance(source, SampleSourceConfig)
    spec = sample_spec(source, as_of_datetime(AS_OF))
    frame = inject(generate(spec), slug, week, spec)
    counts = []
    for day in (week, week + WEEK):
        now, before = (frame[frame["week"] == d] for d in (day, day - WEEK))
        pair = now.merge(before, on="site_id", suffixes=("", "_before"))
        active = (pair[f"{PAGE_VIEWS}_before"] >= ACTIVE) & pair[PAGE_VIEWS].notna()
        counts.append(int((active & (pair["release_index"] >= release_of(week))).sum()))
    return max(counts)


def _judged(runs: list[RunResult], weeks: list[date]) -> date | None:
    """The first of ``weeks`` with a failed check (None: nothing failed)."""
    failed = {r.week for r in runs if any(c.status == "failed" for c in r.checks)}
    return next((w for w in weeks if w in failed), None)


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
    matrix: dict[str, Counter[tuple[str, str]]] = {slug: Counter() for slug in slugs}
    matrix["clean"] = Counter()
    rates = {slug: Rates() for slug in slugs}
    cases = right = clean_incidents = clean_weeks = 0
    breakage_cases = breakage_incidents = 0
    wrong: list[str] = []
    reach = Counter[tuple[bool, bool]]()  # (reachable, caught) of release regressions
    for seed in range(1, args.seeds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            if args.clean_weeks > 0:
                start = CLEAN_END - WEEK * (args.clean_weeks - 1)
                runs = replay(_config(seed, Path(tmp) / "clean"), start, CLEAN_END, None, ge)
                found = incidents_of(runs)
                clean_weeks += len({r.week for r in runs})
                clean_incidents += len(found)
                matrix["clean"].update((_cause(i), i.class_) for i in found)
            for slug in slugs:
                rng = random.Random(f"{seed}:{slug}")  # the same weeks whatever else runs
                product = slug in PRODUCT_CHANGES
                for _ in range(args.weeks):
                    week = END - WEEK * rng.randint(1, 20)
                    last = week + WEEK if slug in GRADUAL or product else week
                    # a sample of its own per case: a warehouse is built for one onset week
                    data = Path(tmp) / f"{slug}-{week}"
                    runs = replay(_config(seed, data), week, last, slug, ge)
                    judged = _judged(runs, [week, last]) if product else last
                    found = incidents_of([r for r in runs if r.week == judged])
                    cases += 1
                    if not product:
                        breakage_cases += 1
                        breakage_incidents += len(found)
                    matrix[slug].update([(_cause(i), i.class_) for i in found] or [(NONE, "")])
                    lead = found[0] if found else None
                    tally = rates[slug]
                    tally.cases += 1
                    tally.caught += judged is not None
                    told = ""
                    if slug == RELEASE:
                        active = _reach(_config(seed, data), slug, week)
                        reach[active >= REACHABLE, judged is not None] += 1
                        told = f" ({active} active instances on the release)"
                    want = "product" if product else "pipeline"
                    classed = lead is not None and lead.class_ == want
                    named = lead is not None and lead.cause == slug
                    tally.classed += classed
                    right += named
                    tally.cause += named
                    if not (named and classed):
                        told += f": {lead.class_}, {lead.class_evidence}" if lead else ""
                        wrong.append(
                            f"{slug}@{week} seed {seed}: {[_cause(i) for i in found]}{told}"
                        )
        print(f"seed {seed} done after {time.time() - started:.0f} s", flush=True)
    print()
    print("\n".join(matrix_lines(matrix)))
    print()
    print(f"{'scenario':<20} {'cases':>5} {'cause':>6} {'class':>9} {'caught':>7}  target")
    for slug in slugs:
        print(rates[slug].line(slug, "product" if slug in PRODUCT_CHANGES else "pipeline"))
    print(f"(class: the most severe incident's; targets: class and caught >= {TARGET:.0%})")
    for reachable in (True, False) if reach else ():
        total = reach[reachable, True] + reach[reachable, False]
        print(
            f"{RELEASE} on {'at least' if reachable else 'fewer than'} {REACHABLE} active "
            f"instances in a week judged: caught {reach[reachable, True]}/{total}"
        )
    print()
    if breakage_cases:
        per = breakage_incidents / breakage_cases
        print(f"incidents per breakage: {per:.2f} (target <= 1.2) over {breakage_cases} cases")
    print(f"cause is the scenario's slug: {right / cases:.0%} ({right}/{cases}; target >= 90%)")
    print(f"incidents in {clean_weeks} clean weeks (every monitor): {clean_incidents} (target 0)")
    print("wrong: " + ("; ".join(wrong) or "none"))
    print(f"{time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
