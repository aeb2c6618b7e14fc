"""Detection quality: recall and false alerts of canary against two baselines, on one run.

For each seed: a clean sample is replayed week by week (false alerts: failed checks in
weeks without a breakage, per monitor-year); then every catalog scenario is injected at a
random week (its magnitude drawn by the scenario's seeded generator) and the weeks around it
are replayed (recall: a failed check in its first week, within two for gradual rollouts).
Each seed draws its own rollout speed (the generator's upgrade lag) and each scenario its
own magnitude (share of pings lost, copies, undercount factor...).
Baselines on the same data: the static GE suites alone, and mean +/- 3 standard deviations
over the last two weeks of every tracked series (Elementary's weekly default).

    .venv/bin/python -m bench.detection [--seeds 3] [--clean-weeks 26]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from canary.anomaly.detectors import HISTORY_CHECKS
from canary.checks.validate import GreatExpectations
from canary.config import Config, load_config
from canary.pipeline import RunOptions, plan
from canary.replay import backtest, default_workers
from canary.results import RunResult
from canary.sample.scenarios import SCENARIOS
from canary.store.db import Store
from canary.weeks import WEEK, as_of_datetime

REPO = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 28)
END = date(2026, 11, 16)
CLEAN_END = date(2026, 5, 25)  # 26 weeks back from here start in the year-end weeks
GRADUAL = {"version-field-drop", "version-undercount"}


@dataclass
class Tally:
    detected: int = 0
    scenarios: int = 0
    false_alerts: int = 0
    monitor_weeks: int = 0
    missed: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        recall = self.detected / self.scenarios if self.scenarios else float("nan")
        per_year = (
            self.false_alerts / (self.monitor_weeks / 52) if self.monitor_weeks else float("nan")
        )
        return f"{name:<22} recall {recall:5.2f} ({self.detected}/{self.scenarios})   false alerts per monitor-year {per_year:6.2f}"


def _config(seed: int, data_dir: Path) -> Config:
    config = load_config(REPO / "canary.yaml", environ={})
    sources = {k: v.model_copy(update={"seed": seed}) for k, v in config.sources.items()}
    return config.model_copy(update={"sources": sources, "data_dir": data_dir})


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


def _failed(runs: list[RunResult], weeks: set[date], history: bool | None) -> int:
    return sum(
        1
        for r in runs
        if r.week in weeks
        for c in r.checks
        if c.status == "failed" and (history is None or (c.check in HISTORY_CHECKS) == history)
    )


def elementary_flags(metrics: pd.DataFrame) -> pd.DataFrame:
    """Series-weeks outside mean +/- 3 sd of the two weeks before (Elementary's weekly default)."""
    m = metrics[metrics["metric"].isin(["value", "sum", "row_count"])]
    m = m[(m["metric"] == "value") | (m["segment"] == "")]
    wide = m.pivot_table(
        index=["monitor", "dataset", "column_name", "segment", "metric"],
        columns="week",
        values="value",
        aggfunc="last",
    )
    values = wide.to_numpy(dtype="float64")
    prev = np.stack([np.roll(values, 1, axis=1), np.roll(values, 2, axis=1)])
    prev[:, :, :2] = np.nan
    mean, sd = np.nanmean(prev, axis=0), np.nanstd(prev, axis=0, ddof=1)
    flagged = np.abs(values - mean) > 3 * sd
    out = pd.DataFrame(flagged, index=wide.index, columns=wide.columns)
    return out.T  # weeks x series


def _elementary(metrics: pd.DataFrame, weeks: set[date]) -> int:
    flags = elementary_flags(metrics)
    return int(flags.loc[[w for w in flags.index if w in weeks]].to_numpy().sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--clean-weeks", type=int, default=26)
    parser.add_argument(
        "--clean-end",
        type=date.fromisoformat,
        default=CLEAN_END,
        help="last clean week replayed (default: spans the year end and spring)",
    )
    args = parser.parse_args()
    started = time.time()
    ge = GreatExpectations()
    tallies = {name: Tally() for name in ("canary", "static GE suites", "mean+/-3sd, 2 weeks")}
    for seed in range(1, args.seeds + 1):
        rng = random.Random(seed)
        with tempfile.TemporaryDirectory() as tmp:
            config = _config(seed, Path(tmp) / "clean")
            start = args.clean_end - WEEK * (args.clean_weeks - 1)
            runs, metrics = _replay(config, start, args.clean_end, None, None, ge)
            weeks = {r.week for r in runs}
            for name, n in (
                ("canary", _failed(runs, weeks, None)),
                ("static GE suites", _failed(runs, weeks, False)),
                ("mean+/-3sd, 2 weeks", _elementary(metrics, weeks)),
            ):
                tallies[name].false_alerts += n
                tallies[name].monitor_weeks += len(runs)
            for slug in SCENARIOS:
                week = END - WEEK * rng.randint(2, 20)
                config = _config(seed, Path(tmp) / slug)
                last = week + WEEK if slug in GRADUAL else week
                runs, metrics = _replay(config, week, last, slug, week, ge)
                window = {week, last}
                for name, hit in (
                    ("canary", _failed(runs, window, None)),
                    ("static GE suites", _failed(runs, window, False)),
                    ("mean+/-3sd, 2 weeks", _elementary(metrics, window)),
                ):
                    tallies[name].scenarios += 1
                    tallies[name].detected += int(hit > 0)
                    if not hit:
                        tallies[name].missed.append(f"{slug}@{week}(seed {seed})")
            print(f"seed {seed} done after {time.time() - started:.0f} s", flush=True)
    print()
    for name, tally in tallies.items():
        print(tally.line(name))
    print(f"\ncanary missed: {', '.join(tallies['canary'].missed) or 'nothing'}")
    print(
        f"targets: recall >= 0.95, at most 1 false alert per monitor-year; {time.time() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
