"""Product or pipeline: is an incident people using the product differently, or numbers the
pipeline broke? Read from the incident's own checks and what the week's other checks show.

A catalog cause, nulls or zeros, a broken invariant or shape, instances reporting moved or
the canary instance's numbers broken the same week make it ``pipeline``. A product change
the ``usage change`` check told (a product cause), or values merely lower (or higher)
across every segment, with instances reporting stable and the canary instance normal, make
it ``product``. The canary instance is a real instance too: its numbers merely moving like
everyone's (still reporting, no nulls, by about as much; a counter too small to survive
that fall at zero) is normal for a product change. Anything short of that is ``unclear``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from canary.incidents.causes import CATALOG, NULLISH, PRODUCT
from canary.incidents.evidence import Evidence, direction_of, tags_of
from canary.results import CheckResult, RunResult

Class = Literal["pipeline", "product", "unclear"]
#: families of checks counting the instances that reported this week
INSTANCE_COUNTS = frozenset({"row_count"})
#: families of checks of the data's shape: a failure is the pipeline whatever the numbers
SHAPE_CHECKS = frozenset(
    {
        "schema",
        "schema_change",
        "type",
        "rows_per_key",
        "presence",
        "copy",
        "history_rewritten",
        "cumulative",
        "range",
        "category_set",
    }
)
_CHANGE = {"drop": "lower", "rise": "higher"}
#: The canary instance moved "like everyone" when its change is within this factor of theirs.
ALIKE_FACTOR = 2.0
#: ... and a counter of it fell to zero where everyone's fall leaves under this much of its
#: usual count: a count that small is often zero (a mean of 3 is zero one week in twenty,
#: and a week's counts vary more than that)
ROUNDS_TO_ZERO = 3.0


@dataclass(frozen=True)
class WeekFacts:
    """What the monitors run in an incident's week show beside its own checks."""

    canary: str | None = None  # the monitor watching the canary instance, when it ran
    canary_broken: bool = False  # a check of that monitor failed this week
    instances: str | None = None  # "stable" or "moved" (out of range); None: not judged
    #: when every failure of the canary instance's monitor is a value merely lower or higher
    #: (still reporting, no nulls): the direction, each value against its usual, and the
    #: usual of each counter that fell to zero (a small count a fall rounds down to nothing)
    canary_moved: tuple[str, tuple[float, ...], tuple[float, ...]] | None = None
    #: cross checks (``canary.anomaly.cross_source``) judged this week: the witness series
    #: of those whose ratio held (the two sides agree), and of those where it broke
    witness_agrees: tuple[str, ...] = ()
    witness_disagrees: tuple[str, ...] = ()


def week_facts(runs: list[RunResult], scopes: Mapping[str, str]) -> WeekFacts:
    """The canary instance's verdict and the instances reporting, over one week's runs."""
    watched = [r for r in runs if r.monitor in scopes]
    instances = [
        c
        for r in runs
        if r.monitor not in scopes
        for c in r.checks
        if tags_of(c) == ("row_count", None)
        and c.segment is None
        and c.status in ("passed", "failed")
    ]
    counted = None
    if instances:
        counted = "moved" if any(c.status == "failed" for c in instances) else "stable"
    failed = [c for r in watched for c in r.checks if c.status == "failed"]
    cross = [
        c
        for r in runs
        for c in r.checks
        if tags_of(c)[0] == "cross_source" and c.status in ("passed", "failed")
    ]
    alone = [c for c in cross if c.status == "failed"]
    return WeekFacts(
        canary=min(r.monitor for r in watched) if watched else None,
        canary_broken=bool(failed),
        instances=counted,
        canary_moved=_merely_moved([c for c in failed if tags_of(c)[0] != "cross_source"]),
        witness_agrees=tuple(
            sorted({str(c.details.get("witness")) for c in cross if c not in alone})
        ),
        witness_disagrees=tuple(sorted({str(c.details.get("witness")) for c in alone})),
    )


def _merely_moved(
    failed: list[CheckResult],
) -> tuple[str, tuple[float, ...], tuple[float, ...]] | None:
    """The direction and relative values of checks that merely moved one way, if all did,
    and the usual counts of counters that fell to zero (not null)."""
    zeros = [c for c in failed if _zero(c)]
    moved = [c for c in failed if not _zero(c)]
    directions = {direction_of(c) for c in moved} | ({"drop"} if zeros else set())
    relative = [_relative(c) for c in moved]
    if not failed or len(directions) != 1 or None in directions or None in relative:
        return None
    if any(
        tags_of(c)[0] in NULLISH | SHAPE_CHECKS | INSTANCE_COUNTS
        or tags_of(c)[1] == "label"
        or c.column is None
        for c in moved
    ):
        return None
    usual = tuple(float(c.details["expected_centre"]) for c in zeros)
    return str(directions.pop()), tuple(r for r in relative if r is not None), usual


def _zero(check: CheckResult) -> bool:
    """A counter fallen to zero from a known usual count (a dead metric said not null;
    results stored before dead metrics said so count as null)."""
    return (
        tags_of(check)[0] == "dead_metric"
        and check.observed == 0
        and check.details.get("null") is False
        and isinstance(check.details.get("expected_centre"), int | float)
    )


def _relative(check: CheckResult) -> float | None:
    """A check's observed value against its usual (its expected centre, else the middle of
    its bounds); None when it is zero, null or has nothing to compare with."""
    observed = check.observed
    centre = check.details.get("expected_centre")
    if not isinstance(centre, int | float) or not centre:
        bounds = [
            b
            for b in (check.expected or {}).values()
            if isinstance(b, int | float) and abs(b) != float("inf")
        ]
        centre = sum(bounds) / len(bounds) if bounds else None
    if not isinstance(observed, int | float) or not observed or not centre:
        return None
    return float(observed) / float(centre)


def classify(
    cause: str | None, claimed: list[Evidence], scope: str, week: WeekFacts
) -> tuple[Class, str]:
    """The incident's class and the evidence for it, in one sentence."""
    canary = f"the canary instance's monitor ({week.canary}) failed the same week"
    if cause in CATALOG:
        also = f"; {canary} too" if week.canary_broken else ""
        return "pipeline", f"{cause} is a breakage of the data, not a change in usage{also}."
    if not any(e.check.status == "failed" for e in claimed):
        return "unclear", "its data could not be checked, so nothing tells product from pipeline."
    broken = _broken(claimed)
    if broken:
        return "pipeline", f"{broken}."
    if week.witness_disagrees:
        return "pipeline", (
            f"one side of a cross-source check moved beyond the other this week "
            f"({', '.join(week.witness_disagrees)} against the pings)."
        )
    alike = _canary_alike(claimed, week)
    if week.canary_broken and not alike:
        return "pipeline", f"{canary}."
    if week.instances == "moved":
        return "pipeline", "the count of instances reporting left its expected range this week."
    canary_state = (
        f"the canary instance ({week.canary}) moved like every other instance"
        if alike
        else f"the canary instance ({week.canary}) normal"
        if week.canary
        else "the canary instance's monitor did not run"
    )
    if week.witness_agrees:
        canary_state += f", and {', '.join(week.witness_agrees)} agreed with the pings"
    if cause in PRODUCT:
        return "product", (
            f"{cause} is a change in usage, not in the data: every counter moved alike, "
            f"instances reporting stable and {canary_state}."
        )
    moved = {_CHANGE.get(e.direction or "") for e in claimed}
    if None in moved:
        return "unclear", "its checks do not say whether values moved or broke."
    change = str(moved.pop()) if len(moved) == 1 else "changed"
    if scope == "overall":
        return "unclear", f"values {change} overall, with no segment judged to show how broad."
    if not _everywhere(scope):
        return "unclear", (
            f"values {change} on {scope}, not every segment alike: a release or a break "
            "confined there, nothing this week tells which."
        )
    missing = [
        what
        for what, known in (
            ("the canary instance's monitor did not run", week.canary is not None),
            ("instances reporting were not judged", week.instances is not None),
        )
        if not known
    ]
    if missing:
        return (
            "unclear",
            f"values merely {change} across every segment, but {' and '.join(missing)}.",
        )
    return "product", (
        f"values merely {change} across every segment, instances reporting stable and "
        f"{canary_state}."
    )


def _canary_alike(claimed: list[Evidence], week: WeekFacts) -> bool:
    """Whether the canary instance's numbers merely moved the incident's way, by about as
    much as everyone's (within ``ALIKE_FACTOR``): a real instance in a product change."""
    if week.canary_moved is None:
        return False
    direction, canary, zeros = week.canary_moved
    ours = [
        r
        for e in claimed
        if not e.single_instance and e.direction == direction
        if (r := _relative(e.check)) is not None
    ]
    if not ours:
        return False
    typical = sorted(ours)[len(ours) // 2]
    return all(1 / ALIKE_FACTOR <= r / typical <= ALIKE_FACTOR for r in canary) and all(
        usual * typical < ROUNDS_TO_ZERO for usual in zeros
    )


def _broken(claimed: list[Evidence]) -> str | None:
    """What in the incident's own checks shows broken numbers, if anything does: nulls or
    zeros first, then a broken invariant, then the data's shape."""
    failed = [e for e in claimed if e.check.status == "failed"]
    for e in failed:
        if e.kind in NULLISH or (e.direction == "drop" and e.observed == 0):
            column = e.check.column or e.dataset
            return f"{column} is null or zero ({e.name}), not merely lower"
    for e in failed:
        if e.compared:
            return f"the invariant {e.name} is broken on {e.dataset}"
    for e in failed:
        if e.kind in SHAPE_CHECKS:
            return f"the data's shape broke ({e.name} on {e.dataset})"
    return None


def _everywhere(scope: str) -> bool:
    """Whether the incident's scope is every segment alike (every value of each dimension)."""
    parts = scope.split("; ")
    return scope == "every segment alike" or all(p.startswith("every ") for p in parts)
