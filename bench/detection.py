"""Detection quality: recall and false alerts of canary and the peers' rules, on two generators.

The detectors were tuned on the project's sample generator (``canary.sample``); they are
reported on an independent one (``bench.calendar_usage``: calendar holidays, summer lull,
heavy-tailed instances, small counts), read through the files source like real exports.
Thresholds are never tuned on the reporting generator.

For each generator and seed: a clean backtest (false alerts: failed checks, per
monitor-year), then every catalog scenario injected at a random week (its magnitude drawn by
the scenario's seeded generator) and the weeks around it replayed (recall: a failed check in
its first week; within two weeks for gradual rollouts and for a cumulative counter, which
first differs in its second week). Peers' rules on the same data: the static GE suites
alone, and mean +/- 3 standard deviations over the last two and twelve weeks of every
tracked series. False alerts are also counted per check name and per ISO week of year.

    .venv/bin/python -m bench.detection [--seeds 2] [--clean-weeks 52]
        [--generators sample,calendar] [--scenarios SLUG,...]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench.calendar_usage import CalendarSpec, export
from canary.anomaly.detectors import HISTORY_CHECKS
from canary.checks.validate import GreatExpectations
from canary.config import Config, FileDataset, FilesSource, load_config
from canary.dashboards import catalog
from canary.pipeline import RunOptions, plan
from canary.replay import backtest, default_workers
from canary.results import RunResult
from canary.sample.scenarios import SCENARIOS
from canary.store.db import Store
from canary.weeks import WEEK, as_of_datetime

REPO = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 28)
END = date(2026, 11, 16)
TWO_WEEKS = {"version-field-drop", "version-undercount", "cumulative-counter"}
RULES = ("canary", "static GE suites", "mean+/-3sd, 2 weeks", "mean+/-3sd, 12 weeks")
TARGET_FALSE, TARGET_RECALL = 0.5, 0.97


@dataclass
class Tally:
    detected: int = 0
    scenarios: int = 0
    false_alerts: int = 0
    monitor_weeks: int = 0
    missed: list[str] = field(default_factory=list)
    by_check: Counter[str] = field(default_factory=Counter)
    by_week: Counter[int] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.detected / self.scenarios if self.scenarios else float("nan")

    @property
    def per_year(self) -> float:
        return self.false_alerts / (self.monitor_weeks / 52) if self.monitor_weeks else float("nan")


#: Builds a seed's config, with ``scenario`` injected from ``week`` if given, under a folder.
Configure = Callable[[int, Path, str | None, date | None], tuple[Config, bool]]


@dataclass(frozen=True)
class Generator:
    name: str
    role: str
    configure: Configure  # -> config, and whether the scenario is passed as a run option


def _sample_config(
    seed: int, folder: Path, scenario: str | None, week: date | None
) -> tuple[Config, bool]:
    config = load_config(REPO / "canary.yaml", environ={})
    sources = {k: v.model_copy(update={"seed": seed}) for k, v in config.sources.items()}
    return config.model_copy(update={"sources": sources, "data_dir": folder}), True


def _calendar_config(
    seed: int, folder: Path, scenario: str | None, week: date | None
) -> tuple[Config, bool]:
    """canary.yaml's monitors reading the independent generator's exports (files source)."""
    globs = export(CalendarSpec(end_week=END, seed=seed), folder, scenario, week)
    config = load_config(REPO / "canary.yaml", environ={})
    sources = {}
    monitors = {}
    for name, monitor in config.monitors.items():
        pattern = str(globs[monitor.dashboard])
        tiles = [t.dataset for t in catalog().dashboards[monitor.dashboard].tiles]
        sources[name] = FilesSource(
            kind="files",
            complete_after=timedelta(days=1),
            datasets={d: FileDataset(path=pattern.format(dataset=d)) for d in tiles},
        )
        monitors[name] = monitor.model_copy(update={"source": name})
    update = {"sources": sources, "monitors": monitors, "data_dir": folder}
    return config.model_copy(update=update), False


GENERATORS = {
    "sample": Generator("sample", "tuned on", _sample_config),
    "calendar": Generator("calendar", "reported on", _calendar_config),
}


def _replay(
    config: Config,
    start: date,
    end: date,
    scenario: str | None,
    week: date | None,
    ge: GreatExpectations,
) -> tuple[list[RunResult], pd.DataFrame]:
    """Replay every monitor from start to end; returns runs and the metrics they stored."""
    runs: list[RunResult] = []
    metrics = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/store.db", sole_writer=True)
        for monitor in config.monitors:
            options = RunOptions(week=week or start, now=as_of_datetime(AS_OF), scenario=scenario)
            first = replace(plan(config, monitor, options, REPO), week=start)
            runs += backtest(first, end, store, ge, workers=default_workers())
            metrics.append(store.metric_history(monitor).assign(monitor=monitor))
        store.close()
    return runs, pd.concat(metrics, ignore_index=True)


def _failures(
    runs: list[RunResult], weeks: set[date], history: bool | None
) -> list[tuple[str, date]]:
    """(check, week) of each failed check in ``weeks``; ``history`` picks a kind of check."""
    return [
        (c.check, r.week)
        for r in runs
        if r.week in weeks
        for c in r.checks
        if c.status == "failed" and (history is None or (c.check in HISTORY_CHECKS) == history)
    ]


def sd_flags(metrics: pd.DataFrame, weeks: int) -> pd.DataFrame:
    """Series-weeks outside mean +/- 3 sd of the ``weeks`` weeks before (weeks x series)."""
    m = metrics[metrics["metric"].isin(["value", "sum", "row_count"])]
    m = m[(m["metric"] == "value") | (m["segment"] == "")]
    wide = m.pivot_table(
        index=["monitor", "dataset", "column_name", "segment", "metric"],
        columns="week",
        values="value",
        aggfunc="last",
    )
    values = wide.to_numpy(dtype="float64")
    prev = np.stack([np.roll(values, k, axis=1) for k in range(1, weeks + 1)])
    prev[:, :, :weeks] = np.nan
    with np.errstate(all="ignore"):
        mean, sd = np.nanmean(prev, axis=0), np.nanstd(prev, axis=0, ddof=1)
    flagged = np.abs(values - mean) > 3 * sd
    return pd.DataFrame(flagged, index=wide.index, columns=wide.columns).T


def _sd_failures(metrics: pd.DataFrame, weeks: set[date], span: int) -> list[tuple[str, date]]:
    flags = sd_flags(metrics, span)
    chosen = flags.loc[[w for w in flags.index if w in weeks]]
    return [("level", w) for w, n in chosen.sum(axis=1).items() for _ in range(int(n))]


def _by_rule(runs: list[RunResult], metrics: pd.DataFrame, weeks: set[date]) -> dict[str, list]:
    return {
        "canary": _failures(runs, weeks, None),
        "static GE suites": _failures(runs, weeks, False),
        "mean+/-3sd, 2 weeks": _sd_failures(metrics, weeks, 2),
        "mean+/-3sd, 12 weeks": _sd_failures(metrics, weeks, 12),
    }


def measure(
    gen: Generator, seeds: int, clean_weeks: int, scenarios: list[str], started: float
) -> dict[str, Tally]:
    """Every rule's tally on one generator."""
    ge = GreatExpectations()
    tallies = {name: Tally() for name in RULES}
    for seed in range(1, seeds + 1):
        rng = random.Random(seed)
        with tempfile.TemporaryDirectory() as tmp:
            config, _ = gen.configure(seed, Path(tmp) / "clean", None, None)
            start = END - WEEK * (clean_weeks - 1)
            runs, metrics = _replay(config, start, END, None, None, ge)
            weeks = {r.week for r in runs}
            for name, failed in _by_rule(runs, metrics, weeks).items():
                tally = tallies[name]
                tally.false_alerts += len(failed)
                tally.monitor_weeks += len(runs)
                tally.by_check.update(check for check, _ in failed)
                tally.by_week.update(w.isocalendar().week for _, w in failed)
            for slug in SCENARIOS:
                week = END - WEEK * rng.randint(2, 20)  # drawn for every slug: same weeks
                if slug not in scenarios:
                    continue
                config, as_option = gen.configure(seed, Path(tmp) / slug, slug, week)
                last = week + WEEK if slug in TWO_WEEKS else week
                option = slug if as_option else None
                runs, metrics = _replay(config, week, last, option, week, ge)
                for name, failed in _by_rule(runs, metrics, {week, last}).items():
                    tallies[name].scenarios += 1
                    tallies[name].detected += int(bool(failed))
                    if not failed:
                        tallies[name].missed.append(f"{slug}@{week} (seed {seed})")
        print(f"{gen.name} seed {seed} done after {time.time() - started:.0f} s", flush=True)
    return tallies


def report(results: dict[str, dict[str, Tally]]) -> list[str]:
    """The side-by-side table, per-check and per-week accounting, and the verdict."""
    names = list(results)
    head = f"{'':<22}" + "".join(f"{n + ' (' + GENERATORS[n].role + ')':>40}" for n in names)
    lines = [head]
    for rule in RULES:
        cells = "".join(
            f"{f'recall {t.recall:.2f} ({t.detected}/{t.scenarios}), false/yr {t.per_year:.2f}':>40}"
            for t in (results[n][rule] for n in names)
        )
        lines.append(f"{rule:<22}{cells}")
    for n in names:
        canary = results[n]["canary"]
        checks = ", ".join(f"{c} {k}" for c, k in canary.by_check.most_common()) or "none"
        weeks = ", ".join(f"W{w:02d} {k}" for w, k in sorted(canary.by_week.items())) or "none"
        lines += [
            f"\n{n}: canary false alerts per check: {checks}",
            f"{n}: canary false alerts per ISO week: {weeks}",
            f"{n}: canary missed: {', '.join(canary.missed) or 'nothing'}",
        ]
        peers = [results[n][r] for r in RULES[1:]]
        ahead = all(canary.recall >= p.recall and canary.per_year <= p.per_year for p in peers)
        met = canary.per_year <= TARGET_FALSE and canary.recall >= TARGET_RECALL
        lines.append(
            f"{n}: targets (false/yr <= {TARGET_FALSE}, recall >= {TARGET_RECALL}) "
            f"{'met' if met else 'NOT met'}; canary ahead of every peer rule: {'yes' if ahead else 'no'}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--clean-weeks", type=int, default=52, help="weeks of the clean backtest")
    parser.add_argument(
        "--generators",
        default="sample,calendar",
        help="comma-separated: sample (tuned on), calendar (reported on)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated catalog slugs to inject (default: all; '' for false alerts only)",
    )
    args = parser.parse_args()
    started = time.time()
    chosen = [GENERATORS[g] for g in args.generators.split(",")]
    slugs = [s for s in args.scenarios.split(",") if s]
    unknown = sorted(set(slugs) - set(SCENARIOS))
    if unknown:
        parser.error(f"--scenarios: unknown {', '.join(unknown)}; allowed: {', '.join(SCENARIOS)}")
    results = {g.name: measure(g, args.seeds, args.clean_weeks, slugs, started) for g in chosen}
    print()
    print("\n".join(report(results)))
    print(f"\n{args.seeds} seeds, {args.clean_weeks} clean weeks; {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
