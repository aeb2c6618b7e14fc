"""The alert lifecycle, pure: new, ongoing, resolved or muted, keyed by a check's fingerprint.

A failure that has not been posted is new; one posted and still failing a later week is
ongoing (a thread reply, not a new alert); a posted one that passes again is resolved; one
that fails again after recovering is reopened (and shown as flapping when it keeps doing
so). Checks a run did not evaluate (a dataset that errored) keep their state; a week older
than the state's last week (a backfill) changes nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from typing import Literal

from canary.config import Mute
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


@dataclass
class Transition:
    """What a run means for one check's alert, and the state to store after it."""

    check: CheckResult
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


def _kind(check: CheckResult, before: Tracked | None, week: date, muted: bool) -> Kind:
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
    check: CheckResult, before: Tracked | None, week: date, mute: Mute | None
) -> Transition | None:
    """The lifecycle step of one check, or None when nothing is (or needs to be) tracked."""
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


def decide(
    run: RunResult, tracked: dict[str, Tracked], mutes: dict[str, Mute], today: date
) -> list[Transition]:
    """Every check's lifecycle step in ``run`` (checks with nothing to track are left out)."""
    out = []
    for check in run.checks:
        step = transition(check, tracked.get(check.id), run.week, active_mute(check, mutes, today))
        if step is not None:
            out.append(step)
    return out
