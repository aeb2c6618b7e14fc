"""Prefect artifact content for a run, as pure data: a table of checks and a markdown summary."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from canary.alerts.render.model import is_web
from canary.incidents import incidents_of
from canary.incidents.render import incidents_markdown
from canary.report.drill import banner
from canary.report.key_numbers import key_numbers_markdown
from canary.results import CheckResult, RunResult
from canary.statuses import STATUS_ICON
from canary.weekly.body import Headline

FIELDS_SHOWN = 15


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")


def artifact_key(monitor: str, kind: str, drill: str | None = None) -> str:
    """A stable key (lowercase letters, digits, dashes) so the UI keeps each monitor's history.

    A drill's artifacts have keys of their own (``canary-<monitor>-drill-<scenario>-<kind>``),
    so a drill never becomes the monitor's latest summary.
    """
    middle = f"{_slug(monitor)}-drill-{_slug(drill)}" if drill else _slug(monitor)
    return f"canary-{middle}-{kind}"


def links_markdown(run: RunResult, links: Mapping[str, str]) -> str:
    """Every link of a run in one table: Data Docs, results, Slack threads, datasets (those
    with an http(s) address: a path on the worker opens nowhere else)."""
    rows = [(label, url) for label, url in links.items() if is_web(url)]
    if run.drill is None:  # a drill's sample lived in a deleted temporary folder
        rows += [(f"dataset {d.name}", d.link) for d in run.datasets if d.link and is_web(d.link)]
    lines = [f"# Links: {run.monitor}, week {run.week.isoformat()}", ""]
    if not rows:
        return "\n".join([*lines, "No links for this run."]) + "\n"
    lines += ["| link | where |", "|---|---|"]
    lines += [f"| [{label}]({url}) | {url} |" for label, url in rows]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class BrokenField:
    dataset: str
    column: str  # "(table)" for checks on the whole table
    checks: str  # "dead metric, level x3, not null" (as the state message counts)
    failed: int
    since: str  # the earliest first failed week


def broken_fields(run: RunResult) -> list[BrokenField]:
    """Failed checks grouped by dataset and column, the most failed checks first."""
    groups: dict[tuple[str, str], list[CheckResult]] = defaultdict(list)
    for c in run.checks:
        if c.status == "failed":
            groups[(c.dataset, c.column or "(table)")].append(c)
    fields = []
    for (dataset, column), checks in groups.items():
        names = Counter(c.check for c in checks)
        weeks = [c.first_failed_week for c in checks if c.first_failed_week]
        fields.append(
            BrokenField(
                dataset,
                column,
                ", ".join(f"{n} x{k}" if k > 1 else n for n, k in sorted(names.items())),
                len(checks),
                min(weeks).isoformat() if weeks else "",
            )
        )
    return sorted(fields, key=lambda f: (-f.failed, f.dataset, f.column))


def summary_markdown(
    run: RunResult,
    limit: int = 30,
    links: Mapping[str, str] | None = None,
    numbers: list[Headline] | None = None,
    others: list[RunResult] | None = None,
) -> str:
    """What a person reads first in the Prefect UI: status, counts, the incidents, the
    week's key ``numbers``, then the failures as evidence, and the links last.

    Incidents are found with ``others``, the other monitors' runs of the week (as Slack
    finds them), so a breakage they share and its class read the same in both."""
    counts = run.counts()
    drill = f"DRILL {run.drill}: " if run.drill else ""
    lines = [
        f"# {STATUS_ICON[run.status]} {drill}{run.monitor} — week {run.week.isoformat()}: "
        f"{run.status}",
        "",
        *([f"> 🧪 **{banner(run.drill)}**", ""] if run.drill else []),
        " · ".join(f"{n} {status}" for status, n in counts.items() if n),
        "",
    ]
    found = incidents_of([run, *(others or [])])
    incidents = incidents_markdown([i for i in found if run.monitor in i.monitors])
    if incidents:  # what broke, told once per cause, before the evidence
        lines += [incidents.rstrip("\n"), ""]
    if numbers:
        lines += [*key_numbers_markdown(numbers), ""]
    problems = run.problems()
    fields = broken_fields(run)
    if len(fields) > 1:  # one breakage often fails many checks: the fields first
        lines += [
            f"## {len(fields)} fields failed",
            "",
            "| dataset | field | failed checks | since |",
            "|---|---|---|---|",
            *(
                f"| {f.dataset} | {f.column} | {f.checks} | {f.since} |"
                for f in fields[:FIELDS_SHOWN]
            ),
        ]
        if len(fields) > FIELDS_SHOWN:
            lines.append(f"\nand {len(fields) - FIELDS_SHOWN} more fields.")
        lines += ["", "## Checks", ""]
    if problems:
        lines += ["| | dataset | check | column | since | reason |", "|---|---|---|---|---|---|"]
        for c in problems[:limit]:
            since = c.first_failed_week.isoformat() if c.first_failed_week else ""
            reason = c.reason.replace("|", "\\|")
            lines.append(
                f"| {STATUS_ICON[c.status]} | {c.dataset} | {c.check} | {c.column or ''} "
                f"| {since} | {reason} |"
            )
        if len(problems) > limit:
            lines.append(f"\nand {len(problems) - limit} more in the checks table.")
    else:
        lines.append("Every check passed.")
    attributed = [
        f"- {c.dataset} / {c.check}: {attribution_text(c.details['attribution'])}"
        for c in problems[:limit]
        if c.details.get("attribution")
    ]
    if attributed:
        lines += ["", "## Attribution", *attributed]
    dataset_links = [
        f"- [{d.name}]({d.link})" for d in run.datasets if is_web(d.link) and not run.drill
    ]
    if dataset_links:
        lines += ["", "## Datasets", *dataset_links]
    if links:
        shown = [f"- [{label}]({url})" for label, url in links.items() if is_web(url)]
        lines += ["", "## Links", *shown] if shown else []
    return "\n".join(lines) + "\n"


def attribution_text(shares: Any, top: int = 3) -> str:
    """``[{"segment": {"version": "5.3"}, "share": 0.6}, ...]`` as "60% on version 5.3"."""
    parts = []
    for item in list(shares)[:top]:
        segment = ", ".join(f"{k} {v}" for k, v in (item.get("segment") or {}).items())
        share = item.get("share")
        parts.append(f"{share:.0%} on {segment}" if isinstance(share, int | float) else segment)
    return "; ".join(parts)
