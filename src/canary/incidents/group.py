"""Group the failed checks of a week into incidents (pure: runs in, incidents out)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from canary.dashboards import Tile
from canary.incidents.causes import CAUSES, PRODUCT, RULES, Match
from canary.incidents.classify import WeekFacts, classify, week_facts
from canary.incidents.evidence import Evidence, evidence_of
from canary.incidents.model import Incident, incident_id
from canary.results import UNCHECKED, RunResult

EVERY = 0.8  # a dimension is hit "everywhere" when this share of its judged segments fail
_WHERE = re.compile(r"^[\w.-]+, week \d{4}-\d{2}-\d{2}: ")


def find_incidents(
    runs: Iterable[RunResult],
    tiles: Mapping[str, Tile],
    scopes: Mapping[str, str] | None = None,
) -> list[Incident]:
    """Incidents of every week of ``runs``, most severe first.

    Checks of the monitors run the same week are grouped together (one breakage of a shared
    source is one incident). ``scopes`` names the instances a monitor is filtered to (by
    default each run's ``scope``); those monitors watch one instance, not the population.
    """
    by_week: dict[date, list[RunResult]] = defaultdict(list)
    for run in runs:
        by_week[run.week].append(run)
    if scopes is None:
        scopes = {
            r.monitor: r.scope for week_runs in by_week.values() for r in week_runs if r.scope
        }
    out: list[Incident] = []
    for week, week_runs in sorted(by_week.items()):
        found = [
            e
            for run in week_runs
            for e in evidence_of(run.monitor, run.checks, tiles, run.monitor in scopes)
        ]
        by_onset: dict[date, list[Evidence]] = defaultdict(list)
        for e in found:
            by_onset[e.since or week].append(e)
        facts = week_facts(week_runs, scopes)
        found_now: list[Incident] = []
        for onset, evidence in sorted(by_onset.items()):
            found_now.extend(_incidents(week, onset, evidence, week_runs, scopes, facts))
        out.extend(_distinct(found_now))
    return sorted(out, key=lambda i: (i.rank, i.week, i.headline))


def _distinct(incidents: list[Incident]) -> list[Incident]:
    """One week's incidents with distinct ids: of two of a kind with different onsets, the
    one failing longest keeps the plain id, the other's id names its onset."""
    seen: set[str] = set()
    for incident in sorted(incidents, key=lambda i: i.first_failed_week):
        if incident.id in seen:
            incident.id = incident_id(incident.cause, incident.id, incident.first_failed_week)
        seen.add(incident.id)
    return incidents


def _incidents(
    week: date,
    onset: date,
    evidence: list[Evidence],
    runs: list[RunResult],
    scopes: Mapping[str, str],
    facts: WeekFacts,
) -> list[Incident]:
    incidents = []
    # a dataset that could not be read or checked tells no breakage: no rule claims it
    remaining = [e for e in evidence if e.name not in UNCHECKED]
    for rule in RULES:
        match = rule(remaining)
        if match is None:
            continue
        incidents.append(_incident(week, onset, match.slug, match.slug, match, runs, scopes, facts))
        claimed = {id(e) for e in match.claimed}
        remaining = [e for e in remaining if id(e) not in claimed]
    remaining += [e for e in evidence if e.name in UNCHECKED]
    groups: dict[tuple[str, str | None], list[Evidence]] = defaultdict(list)
    single = {e.family for e in remaining if not e.compared}
    for e in remaining:
        # a check comparing fields goes with the failures of a field it compares
        shared = sorted(e.compared & single)
        key = shared[0] if shared else e.family or f"{e.monitor}/{e.dataset}"
        groups[(key, e.direction)].append(e)
    for (key, direction), members in groups.items():
        lead = min(members, key=lambda e: (e.check.status != "failed", e.segment is not None))
        match = Match("", 0.0, members, lead)
        incidents.append(
            _incident(week, onset, None, f"{key}/{direction}", match, runs, scopes, facts)
        )
    return incidents


def _incident(
    week: date,
    onset: date,
    cause: str | None,
    key: str,
    match: Match,
    runs: list[RunResult],
    scopes: Mapping[str, str],
    facts: WeekFacts,
) -> Incident:
    claimed = match.claimed
    lead = match.lead
    scope = scope_of(match, runs, scopes)
    where = f"{lead.dataset}: " if cause else f"{lead.dataset} ({lead.name}): "
    text = _WHERE.sub(where, lead.check.reason).split("; ")[0].rstrip(".")
    lead_in = f"{match.summary}: " if match.summary else ""
    # no count of checks: the monitors sharing an incident each tell it (the first before
    # the other's checks are in), and both must tell the same story
    headline = f"{lead_in}{text}; since {onset} ({scope})"
    if cause:
        headline += f". Looks like: {CAUSES[cause].looks_like} ({cause})"
    failed = any(e.check.status == "failed" for e in claimed)
    class_, class_evidence = classify(cause, claimed, scope, facts)
    return Incident(
        id=incident_id(cause, key),
        week=week,
        cause=cause,
        confidence=match.confidence,
        headline=headline,
        scope=scope,
        check_ids=[e.check.id for e in claimed],
        first_failed_week=onset,
        monitors=sorted({e.monitor for e in claimed}),
        status="failed" if failed else "error",
        severity=min(
            (e.check.severity for e in claimed),
            key=lambda s: {"critical": 0, "warning": 1}.get(s, 2),
        ),
        observed=lead.check.observed,
        expected=lead.check.expected,
        headline_check=lead.check.id,
        datasets=sorted({e.dataset for e in claimed}),
        class_=class_,
        class_evidence=class_evidence,
    )


def scope_of(match: Match, runs: list[RunResult], scopes: Mapping[str, str]) -> str:
    """Where the incident shows: every segment alike, or the segments it is confined to.

    Read from the lead check's kind across segments (failing against judged), else from
    the attribution of the aggregate checks; a single-instance monitor's own findings are
    scoped to that instance.
    """
    population = [e for e in match.claimed if not e.single_instance and not e.watches_label]
    if match.slug in PRODUCT and match.lead.segment is None:
        return "every segment alike"  # what the usage change check judged before failing
    if not population:
        return f"{', '.join(sorted({scopes[e.monitor] for e in match.claimed if e.single_instance}))} only"
    kinds = {
        (e.monitor, e.dataset, e.name, e.check.column)
        for e in population
        if e.segment and e.name == match.lead.name
    }
    failing: dict[str, int] = defaultdict(int)
    judged: dict[str, int] = defaultdict(int)
    values: dict[str, set[str]] = defaultdict(set)
    for run in runs:
        for c in run.checks:
            if not c.segment or (run.monitor, c.dataset, c.check, c.column) not in kinds:
                continue
            for dim, value in c.segment.items():
                judged[dim] += c.status in ("passed", "failed")
                failing[dim] += c.status == "failed"
                if c.status == "failed":
                    values[dim].add(value)
    parts = []
    for dim in sorted(values):
        if judged[dim] > 1 and failing[dim] >= EVERY * judged[dim]:
            parts.append(f"every {dim}")
        else:
            shown = sorted(values[dim])
            more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
            parts.append(f"{dim} {', '.join(shown[:3])}{more} only")
    if parts:
        return "; ".join(parts)
    attributions = [
        e.check.details["attribution"] for e in population if "attribution" in e.check.details
    ]
    named = sorted(
        {f"{k} {v}" for shares in attributions for s in shares for k, v in s["segment"].items()}
    )
    if named:
        return "mostly " + ", ".join(named[:3])
    if attributions:
        return "every segment alike"
    return "overall"
