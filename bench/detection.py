"""Detection quality: recall and false alerts of canary and the peers' rules, per generator.

The detectors were tuned on the project's sample generator (``canary.sample``); they are
reported on two independent ones, read through the files source like real exports:
``bench.calendar_usage`` (calendar holidays, summer lull, heavy-tailed instances, small
counts) and ``bench.holiday_usage`` (several countries' public holidays, shutdowns, shapes
drawn anew per seed). Thresholds are never tuned on a reporting generator.

For each generator and seed: a clean backtest (false alerts: failed checks, per
monitor-year), then every catalog scenario injected at a random week (its magnitude drawn by
the scenario's seeded generator) and the weeks around it replayed (recall: a failed check in
its first week; within two weeks for gradual rollouts and for a cumulative counter, which
first differs in its second week). Peers' rules on the same data: the static GE suites
alone, and mean +/- 3 standard deviations over the last two and twelve weeks of every
tracked series. Canary's false alerts are also counted per check name and ISO week of year,
and its causes per scenario: the most severe incident of the first week with a failed check
(the confusion matrix, and the share of breakages given their own slug).

    .venv/bin/python -m bench.detection [--seeds 2] [--first-seed 1] [--clean-weeks 52]
        [--generators sample,calendar,holiday] [--scenarios SLUG,...]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bench import calendar_usage, holiday_usage
from bench.incidents import NONE, UNEXPLAINED, matrix_lines
from bench.pings import GeneratorSpec
from canary.anomaly.detectors import HISTORY_CHECKS
from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.dashboards import catalog
from canary.incidents import incidents_of
from canary.pipeline import RunOptions, plan
from canary.replay import backtest, default_workers
from canary.results import RunResult
from canary.sample.scenarios import BREAKAGES, PRODUCT_CHANGES, SCENARIOS
from canary.sources.files_config import FileDataset, FilesSourceConfig
from canary.store.db import Store
from canary.weeks import WEEK, as_of_datetime

REPO = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 28)
END = date(2026, 11, 16)
TWO_WEEKS = {"version-field-drop", "version-undercount", "cumulative-counter"}
RULES = ("canary", "static GE suites", "mean+/-3sd, 2 weeks", "mean+/-3sd, 12 weeks")
TARGET_FALSE, TARGET_RECALL = 0.25, 0.97  # issue 24: per monitor-year, and recall


@dataclass
class Tally:
    detected: int = 0
    scenarios: int = 0
    false_alerts: int = 0
    monitor_weeks: int = 0
    missed: list[str] = field(default_factory=list)
    by_check: Counter[str] = field(default_factory=Counter)
    by_week: Counter[int] = field(default_factory=Counter)
    by_check_week: Counter[tuple[str, int]] = field(default_factory=Counter)
    causes: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)

    @property
    def recall(self) -> float:
        return self.detected / self.scenarios if self.scenarios else float("nan")

    @property
    def per_year(self) -> float:
        return self.false_alerts / (self.monitor_weeks / 52) if self.monitor_weeks else float("nan")

    def named(self, slugs: Iterable[str]) -> tuple[int, int]:
        """Cases of ``slugs`` whose most severe incident has the slug as its cause, and all."""
        rows = {s: self.causes[s] for s in slugs if s in self.causes}
        right = sum(n for s, row in rows.items() for (cause, _), n in row.items() if cause == s)
        return right, sum(row.total() for row in rows.values())


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


def _files_config(globs: dict[str, Path], folder: Path) -> tuple[Config, bool]:
    """canary.yaml's monitors reading a generator's exports (``globs``) through files sources
    (the witness too: the export holds the page views a browser tracked of its pings)."""
    config = load_config(REPO / "canary.yaml", environ={})
    sources = {}
    monitors = {}
    for name, monitor in config.monitors.items():
        pattern = str(globs[monitor.dashboard])
        tiles = [t.dataset for t in catalog().dashboards[monitor.dashboard].tiles]
        sources[name] = FilesSourceConfig(
            kind="files",
            complete_after=timedelta(days=1),
            datasets={d: FileDataset(path=pattern.format(dataset=d)) for d in tiles},
        )
        own = {d: c.model_copy(update={"source": None}) for d, c in monitor.datasets.items()}
        monitors[name] = monitor.model_copy(update={"source": name, "datasets": own})
    update = {"sources": sources, "monitors": monitors, "data_dir": folder}
    return config.model_copy(update=update), False


def _calendar_config(
    seed: int, folder: Path, scenario: str | None, week: date | None
) -> tuple[Config, bool]:
    spec = GeneratorSpec(end_week=END, seed=seed)
    return _files_config(calendar_usage.export(spec, folder, scenario, week), folder)


def _holiday_config(
    seed: int, folder: Path, scenario: str | None, week: date | None
) -> tuple[Config, bool]:
    spec = GeneratorSpec(end_week=END, seed=seed)
    return _files_config(holiday_usage.export(spec, folder, scenario, week), folder)


GENERATORS = {
    "sample": Generator("sample", "tuned on", _sample_config),
    "calendar": Generator("calendar", "reported on", _calendar_config),
    "holiday": Generator("holiday", "reported on", _holiday_config),
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
    """(check and dataset, week) of each failed check in ``weeks``; ``history`` picks a kind
    of check."""
    return [
        (f"{c.check} ({c.dataset})", r.week)
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


def _lead_cause(runs: list[RunResult], weeks: list[date]) -> tuple[str, str]:
    """Cause and class of the most severe incident in the first of ``weeks`` with a failed
    check (``NONE`` when nothing failed)."""
    for week in weeks:
        found = incidents_of([r for r in runs if r.week == week])
        if found:
            return found[0].cause or UNEXPLAINED, found[0].class_
    return NONE, ""


def measure(
    gen: Generator, seeds: range, clean_weeks: int, scenarios: list[str], started: float
) -> dict[str, Tally]:
    """Every rule's tally on one generator, over ``seeds``."""
    ge = GreatExpectations()
    tallies = {name: Tally() for name in RULES}
    for seed in seeds:
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
                tally.by_check_week.update((c, w.isocalendar().week) for c, w in failed)
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
                row = tallies["canary"].causes.setdefault(slug, Counter())
                row[_lead_cause(runs, [week, last])] += 1
        print(f"{gen.name} seed {seed} done after {time.time() - started:.0f} s", flush=True)
    return tallies


def report(results: dict[str, dict[str, Tally]]) -> list[str]:
    """The side-by-side table, per-check and per-week accounting, and the verdict."""
    names = list(results)
    head = f"{'':<22}" + "".join(f"  {n + ' (' + GENERATORS[n].role + ')':<44}" for n in names)
    lines = [head]
    for rule in RULES:
        cells = "".join(
            f"  {f'recall {t.recall:.2f} ({t.detected}/{t.scenarios}), false/yr {t.per_year:.2f}':<44}"
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
            f"{n}: canary false alerts per check and ISO week: {_check_weeks(canary)}",
            f"{n}: canary missed: {', '.join(canary.missed) or 'nothing'}",
        ]
        if canary.causes:
            right, cases = canary.named(BREAKAGES)
            named, changes = canary.named(PRODUCT_CHANGES)
            lines += [
                f"{n}: cause of the most severe incident, per scenario:",
                *matrix_lines(canary.causes),
                f"{n}: right cause for {right} of {cases} breakages"
                f" ({right / cases if cases else float('nan'):.0%}), {named} of {changes}"
                " product changes",
            ]
        peers = [results[n][r] for r in RULES[1:]]
        # ahead of a peer: never worse on recall or false alerts, better on at least one
        ahead = all(
            canary.recall >= p.recall
            and canary.per_year <= p.per_year
            and (canary.recall > p.recall or canary.per_year < p.per_year)
            for p in peers
        )
        met = canary.per_year <= TARGET_FALSE and canary.recall >= TARGET_RECALL
        lines.append(
            f"{n}: targets (false/yr <= {TARGET_FALSE}, recall >= {TARGET_RECALL}) "
            f"{'met' if met else 'NOT met'}; canary ahead of every peer rule: {'yes' if ahead else 'no'}"
        )
    return lines


def _check_weeks(tally: Tally) -> str:
    """Each check's false alerts per ISO week: ``level (page_views) W28 3, W29 1; ...``."""
    checks = sorted({c for c, _ in tally.by_check_week})
    return (
        "; ".join(
            f"{c} "
            + ", ".join(
                f"W{w:02d} {k}"
                for (check, w), k in sorted(tally.by_check_week.items())
                if check == c
            )
            for c in checks
        )
        or "none"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument(
        "--first-seed", type=int, default=1, help="seeds run from it (earlier ones measured)"
    )
    parser.add_argument("--clean-weeks", type=int, default=52, help="weeks of the clean backtest")
    parser.add_argument(
        "--generators",
        default="sample,calendar",
        help="comma-separated: " + ", ".join(f"{g.name} ({g.role})" for g in GENERATORS.values()),
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated catalog slugs to inject (default: all; '' for false alerts only)",
    )
    args = parser.parse_args()
    started = time.time()
    names = args.generators.split(",")
    slugs = [s for s in args.scenarios.split(",") if s]
    for flag, given, allowed in (
        ("--generators", names, GENERATORS),
        ("--scenarios", slugs, SCENARIOS),
    ):
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            parser.error(f"{flag}: unknown {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    chosen = [GENERATORS[g] for g in names]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    results = {g.name: measure(g, seeds, args.clean_weeks, slugs, started) for g in chosen}
    print()
    print("\n".join(report(results)))
    print(
        f"\nseeds {seeds.start}-{seeds.stop - 1}, {args.clean_weeks} clean weeks; "
        f"{time.time() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
