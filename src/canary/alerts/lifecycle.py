"""The alert lifecycle, pure: new, ongoing, resolved or muted, keyed by an incident's
fingerprint in its monitor.

An incident that has not been posted is new; one posted and still there a later week is
ongoing (a thread reply, not a new message); a posted one gone from a later run whose
checks were judged is resolved; one that comes back after recovering is reopened (and
shown as flapping when it keeps doing so). An incident whose checks a run did not evaluate
(a dataset that errored) keeps its state; a week older than the state's last week (a
backfill) changes nothing. An incident is muted when a mute names it or every one of its
checks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from typing import Literal, Protocol

from canary.alerts.policy import Mute
from canary.results import CheckResult, RunResult

ALERTING = ("failed", "error", "warning")
HISTORY_WEEKS = 12
FLAP_WINDOW = 8
Kind = Literal["new", "reopened", "ongoing", "resolved", "silent", "muted", "unchanged"]


@dataclass
class Tracked:
    """What the store remembers of one check's alert."""

    fingerprint: str
    monitor: str
    status: Literal["open", "resolved"]
    last_week: date
    posted: bool = False
    channel: str | None = None
    thread_key: str | None = None
    opened_week: date | None = None
    history: list[tuple[date, str]] = field(default_factory=list)


class Followable(Protocol):
    """What the lifecycle follows: an id in a monitor, with a status each run."""

    @property
    def id(self) -> str: ...
    @property
    def monitor(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def first_failed_week(self) -> date | None: ...


@dataclass(frozen=True)
class Followed:
    """An incident of one monitor's run (or one told earlier, as this run judged it)."""

    id: str  # the alert fingerprint (``canary.alerts.render.digest.fingerprint``)
    monitor: str
    status: str
    first_failed_week: date | None = None
    incident: str = ""  # the incident's own id, as the JSON result gives it
    check_ids: tuple[str, ...] = ()


@dataclass
class Transition:
    """What a run means for one incident's alert, and the state to store after it."""

    check: Followable
    kind: Kind
    before: Tracked | None
    after: Tracked
    mute: Mute | None = None

    @property
    def flapping(self) -> bool:
        return is_flapping([s for _, s in self.after.history])


def active_mute(check: CheckResult, mutes: dict[str, Mute], today: date) -> Mute | None:
    """The first mute covering ``check`` that has not expired by ``today``."""
    path = f"{check.monitor}/{check.dataset}/{check.check}/{check.column or ''}"
    for mute in mutes.values():
        if mute.until < today:
            continue
        if mute.fingerprint == check.id or (
            mute.pattern is not None and fnmatchcase(path, mute.pattern)
        ):
            return mute
    return None


def is_flapping(statuses: list[str]) -> bool:
    """Failed, then passed, then failed again within the last few evaluations."""
    seen_fail = seen_recovery = False
    for status in statuses[-FLAP_WINDOW:]:
        if status in ALERTING:
            if seen_recovery:
                return True
            seen_fail = True
        elif status == "passed" and seen_fail:
            seen_recovery = True
    return False


def _history(before: Tracked | None, week: date, status: str) -> list[tuple[date, str]]:
    past = [(w, s) for w, s in (before.history if before else []) if w != week]
    return sorted([*past, (week, status)])[-HISTORY_WEEKS:]


def _kind(check: Followable, before: Tracked | None, week: date, muted: bool) -> Kind:
    if check.status in ALERTING:
        if muted:
            return "muted"
        if before is None or before.status == "resolved":
            return "reopened" if before is not None and before.posted else "new"
        if not before.posted:
            return "new"
        return "ongoing" if before.last_week < week else "unchanged"
    if check.status == "passed" and before is not None and before.status == "open":
        if muted:
            return "muted"
        return "resolved" if before.posted else "silent"
    return "unchanged"


def transition(
    check: Followable, before: Tracked | None, week: date, mute: Mute | None
) -> Transition | None:
    """The lifecycle step of one subject, or None when nothing is (or needs to be) tracked."""
    if before is not None and before.last_week > week:
        return None
    kind = _kind(check, before, week, mute is not None)
    if before is None and check.status not in ALERTING:
        return None
    history = _history(before, week, check.status)
    base = before or Tracked(check.id, check.monitor, "open", week)
    if check.status in ALERTING:
        still_open = before is not None and before.status == "open"
        opened = base.opened_week if still_open else (check.first_failed_week or week)
        after = dataclasses.replace(
            base,
            status="open",
            last_week=week,
            opened_week=opened,
            history=history,
            posted=base.posted and still_open,
        )
    elif check.status == "passed":
        after = dataclasses.replace(base, status="resolved", last_week=week, history=history)
    else:
        after = dataclasses.replace(base, last_week=week, history=history)
    return Transition(check, kind, before, after, mute)


def incident_mute(
    incident: Followed, checks: list[CheckResult], mutes: dict[str, Mute], today: date
) -> Mute | None:
    """The mute naming the incident (its id or fingerprint), else the first mute of its
    checks when every one of them is muted."""
    for mute in mutes.values():
        if mute.until >= today and mute.fingerprint in (incident.id, incident.incident):
            return mute
    found = [active_mute(c, mutes, today) for c in checks]
    if not found or any(m is None for m in found):
        return None
    return found[0]


def _gone(run: RunResult, members: list[str] | None, datasets: Sequence[str] = ()) -> str:
    """How a run judged an incident it no longer shows: ``passed`` when any of its checks
    was judged (or its checks are unknown), or one of its ``datasets`` was read and checked
    (a dataset that could not be read has no ``pull`` check once it reads; one that errors
    again has only errors); ``skipped`` when none was."""
    if members is None:
        return "passed"
    judged = {c.id for c in run.checks if c.status in ("passed", *ALERTING)}
    read = {c.dataset for c in run.checks if c.status in ("passed", "failed", "warning")}
    return "passed" if judged & set(members) or read & set(datasets) else "skipped"


def decide(
    run: RunResult,
    incidents: list[Followed],
    tracked: dict[str, Tracked],
    members: dict[str, list[str]],
    mutes: dict[str, Mute],
    today: date,
    datasets: Mapping[str, Sequence[str]] | None = None,
) -> list[Transition]:
    """Every incident's lifecycle step in ``run``: the run's own, then those open before
    that it no longer shows (``members``: their checks, as far as known; ``datasets``:
    the datasets they were about).

    Checks still failing under another incident were regrouped, not resolved: a rerun of a
    week once more monitors of it are recorded can put them in one incident the monitors
    share. A new incident whose failing checks were all told by open incidents of the
    monitor takes over their thread (nothing is posted; its later news goes there); an
    incident whose failing checks moved elsewhere stays open until they pass.
    """
    by_id = {c.id: c for c in run.checks}
    failing = {c.id for c in run.checks if c.status in ALERTING}
    shown = {i.id for i in incidents}
    moved = {
        key: before
        for key, before in tracked.items()
        if key not in shown
        and before.monitor == run.monitor
        and before.status == "open"
        and failing & set(members.get(key) or ())
    }
    out = []
    for incident in incidents:
        checks = [by_id[i] for i in incident.check_ids if i in by_id]
        mute = incident_mute(incident, checks, mutes, today)
        step = transition(incident, tracked.get(incident.id), run.week, mute)
        if step is not None and step.kind == "new":
            step = _taken_over(step, incident, moved, members, failing)
        if step is not None:
            out.append(step)
    for key, before in sorted(tracked.items()):
        if key in shown or before.monitor != run.monitor or before.status != "open":
            continue
        gone = _gone(run, members.get(key), (datasets or {}).get(key, ()))
        status = "regrouped" if key in moved else gone
        step = transition(Followed(key, run.monitor, status), before, run.week, None)
        if step is not None:
            out.append(step)
    return out


def _taken_over(
    step: Transition,
    incident: Followed,
    moved: dict[str, Tracked],
    members: dict[str, list[str]],
    failing: set[str],
) -> Transition:
    """``step`` (a new incident) as the heir of the ``moved`` incidents told before, when
    they told every one of its failing checks: open, in the thread of the one that told
    most of them, since the earliest of them."""
    mine = failing & set(incident.check_ids)
    told = {key: mine & set(members.get(key) or ()) for key, t in moved.items() if t.posted}
    heirs = {key: checks for key, checks in told.items() if checks}
    if not mine or set().union(*heirs.values()) != mine:
        return step
    lead = moved[max(sorted(heirs), key=lambda key: len(heirs[key]))]
    opened = min((moved[k].opened_week or moved[k].last_week) for k in heirs)
    after = dataclasses.replace(
        step.after,
        posted=True,
        channel=lead.channel,
        thread_key=lead.thread_key,
        opened_week=min(opened, step.after.opened_week or opened),
    )
    return dataclasses.replace(step, kind="unchanged", after=after)
