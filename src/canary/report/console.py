"""The console summary of a run (rich tables)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from canary.incidents import Incident, incidents_of
from canary.readable import counted
from canary.report.drill import banner
from canary.results import RunResult
from canary.statuses import STATUS_STYLE, STATUSES

if TYPE_CHECKING:
    from canary.pipeline import Plan
    from canary.store.db import Store


def summary_table(runs: list[RunResult]) -> Table:
    table = Table(title="canary run", title_justify="left")
    for column in ("monitor", "week", "status", *STATUSES):
        table.add_column(column, justify="right" if column in STATUS_STYLE else "left")
    for run in runs:
        counts = run.counts()
        table.add_row(
            run.monitor,
            run.week.isoformat(),
            f"[{STATUS_STYLE[run.status]}]{run.status}[/]",
            *(str(counts[s]) for s in STATUSES),
        )
    return table


def problems_table(runs: list[RunResult], limit: int = 40) -> Table | None:
    rows = [(run, c) for run in runs for c in run.problems() if c.status != "skipped"]
    if not rows:
        return None
    table = Table(title="checks that did not pass", title_justify="left", show_lines=False)
    for column in ("monitor", "check", "column", "status", "since"):
        table.add_column(column, overflow="fold", max_width=32)
    table.add_column("reason", overflow="fold", ratio=1, min_width=40)
    for run, check in rows[:limit]:
        table.add_row(
            run.monitor,
            check.check,
            check.column or "",
            f"[{STATUS_STYLE[check.status]}]{check.status}[/]",
            check.first_failed_week.isoformat() if check.first_failed_week else "",
            check.reason,
        )
    if len(rows) > limit:
        table.caption = f"and {len(rows) - limit} more (see --json)"
    return table


def backfill_first_run(console: Console, p: Plan, store: Store) -> None:
    """On a store without the monitor's history, backfill it first, with a progress bar and
    one summary line (nothing when history exists)."""
    from canary.replay import backfill_steps, first_run

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{p.monitor}: backfilling history", total=backfill_steps(p))
        done = first_run(p, store, tick=lambda _: progress.advance(task))
    if done is not None:
        console.print(done.summary())


def _why(incident: Incident) -> str:
    """The evidence for the incident's class, under its headline."""
    if not incident.class_evidence:
        return ""
    return f"\n[dim]{incident.class_}: {escape(incident.class_evidence)}[/]"


def incidents_table(incidents: list[Incident], limit: int = 20) -> Table | None:
    """One row per incident, most severe first: the first thing to read after a run."""
    if not incidents:
        return None
    table = Table(title="incidents", title_justify="left")
    table.add_column("cause", overflow="fold", max_width=20)
    table.add_column("confidence", justify="right")
    table.add_column("class")
    table.add_column("since")
    table.add_column("checks", justify="right")
    table.add_column("headline", overflow="fold", ratio=1, min_width=60)
    for incident in incidents[:limit]:
        table.add_row(
            f"[{STATUS_STYLE[incident.status]}]{incident.cause or 'unexplained'}[/]",
            f"{incident.confidence:.0%}" if incident.cause else "",
            incident.class_,
            incident.first_failed_week.isoformat(),
            str(len(incident.check_ids)),
            incident.headline + _why(incident),
        )
    if len(incidents) > limit:
        table.caption = f"and {len(incidents) - limit} more (see --json)"
    return table


def print_report(
    console: Console, runs: list[RunResult], incidents: list[Incident] | None = None
) -> None:
    """A drill's banner, incidents first, then the run counts and the checks that did not
    pass."""
    for run in runs:
        if run.drill:
            console.print(f"[bold yellow]{run.monitor}: {banner(run.drill)}[/]")
    table = incidents_table(incidents_of(runs) if incidents is None else incidents)
    if table is not None:
        console.print(table)
    console.print(summary_table(runs))
    problems = problems_table(runs)
    if problems is not None:
        console.print(problems)
    skipped = sum(run.counts()["skipped"] for run in runs)
    if skipped:
        console.print(
            f"{counted(skipped, 'check')} skipped; each reason says what would judge it (see --json)."
        )
