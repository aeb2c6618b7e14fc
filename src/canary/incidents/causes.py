"""The breakage catalog (DESIGN.md section 3) and product changes as rules over the failed
checks of one week.

Each rule looks for the checks that tell its cause apart (its trigger) and claims the
failures such a cause brings along. Rules read a check's family and its column's field role
(``canary.checks.families``) and what the data shows, never a check's or a field's name, so
they hold on any dashboard whose suites declare them. A product change (people using the
product more or less) is told by the ``usage change`` check, which fails only on a broad
change of whole data; its rule runs first. The breakage rules run from the most specific to
the broadest; a series broken against an independent witness comes last (a breakage of the
pings another rule names breaks that ratio too). What no rule claims stays an incident of
its own with no cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from canary import readable
from canary.anomaly.usage_change import DRIFT_TOLD
from canary.incidents.evidence import ROWS, Evidence
from canary.readable import percent

#: Families of checks that see a field null (or a counter gone to zero)
NULLISH = frozenset({"null_rate", "not_null", "dead_metric"})
#: Families of checks judging a level against its usual range
LEVELS = frozenset({"level", "row_count", "dead_metric"})
HALF = 0.5
FULLY_NULL = 0.9  # a counter null on this share of instances is gone, not degraded
MANY_FIELDS = 3  # this many counters gone at once: the whole usage object
MISSING_DATASETS = 2  # datasets without the week before it counts as missing


@dataclass(frozen=True)
class Cause:
    slug: str
    looks_like: str  # what it looks like, for the headline


CATALOG: dict[str, Cause] = {
    c.slug: c
    for c in (
        Cause("stale-missing", "the latest week is missing"),
        Cause("stale-copy", "the latest week is a copy of the week before"),
        Cause("object-null", "the usage object is null for every instance"),
        Cause("canary-silent", "the canary instance went quiet"),
        Cause("schema-rename", "a field renamed or removed upstream"),
        Cause("version-field-drop", "a field dropped on one new version"),
        Cause("double-count", "pings counted several times a week"),
        Cause("cumulative-counter", "a weekly counter became cumulative"),
        Cause("category-drift", "a label appeared or was renamed"),
        Cause("version-undercount", "a metric undercounted on newer versions"),
        Cause("ingestion-loss", "pings lost in ingestion"),
        Cause("pings-outage", "the pings lost what another source still sees"),
        Cause("tracking-outage", "another source lost what the pings still count"),
    )
}
#: Product changes: people use the product differently; the data is whole.
PRODUCT: dict[str, Cause] = {
    c.slug: c
    for c in (
        Cause("usage-drop", "people use it less on every instance"),
        Cause("usage-decline", "usage declining week after week on every instance"),
        Cause("adoption-surge", "people use it more on every instance"),
        Cause("release-regression", "instances on a new release use it less"),
    )
}
CAUSES = CATALOG | PRODUCT


@dataclass
class Match:
    """A rule's finding: the checks it explains, how sure it is, and which check leads."""

    slug: str
    confidence: float
    claimed: list[Evidence]
    lead: Evidence
    summary: str | None = None  # what the checks add up to, when the lead alone does not say


Rule = Callable[[list[Evidence]], Match | None]


def _fits(e: Evidence, wanted: str) -> bool:
    """``family`` fits a check of that family not about the watched instance itself;
    ``family/role`` one whose column has that role (``/label``: the watched instance)."""
    family, _, role = wanted.partition("/")
    return e.kind == family and (e.role == role if role else not e.watches_label)


def _level(e: Evidence) -> bool:
    return e.kind in LEVELS and not e.watches_label


def _match(
    slug: str,
    confidence: float,
    claimed: list[Evidence],
    lead_order: tuple[str, ...],
) -> Match | None:
    """``lead_order``: which checks lead, first first, as ``family`` or ``family/role``."""
    if not claimed:
        return None

    def rank(e: Evidence) -> int:
        return next((i for i, w in enumerate(lead_order) if _fits(e, w)), len(lead_order))

    lead = min(claimed, key=lambda e: (rank(e), e.segment is not None, e.single_instance))
    return Match(slug, confidence, claimed, lead)


def _null_families(found: list[Evidence], single_instance: bool = False) -> dict[str, float]:
    """Counter families null (or dead) on nearly every instance, with the null share; with
    ``single_instance``, those null on the one instance a monitor watches."""
    out: dict[str, float] = {}
    for e in found:
        if (
            e.single_instance != single_instance
            or e.segment is not None
            or e.family in (None, ROWS)
        ):
            continue
        share = e.observed
        if e.kind == "null_rate" and share is not None and share >= FULLY_NULL:
            out[str(e.family)] = max(out.get(str(e.family), 0.0), share)
        elif _fits(e, "not_null/counter") and "null on 100" in e.check.reason:
            out.setdefault(str(e.family), 1.0)
    return out


def _on_instances(gone: dict[str, float]) -> str:
    """How many instances the least null of the ``gone`` families is null on."""
    least = min(gone.values())
    if least >= 1:
        return " on every instance"
    shown = percent(least)
    return " on nearly every instance" if shown == "100%" else f" on at least {shown} of instances"


def _instance_count(e: Evidence) -> bool:
    """A count of the instances reporting (rows of a snapshot, distinct instances), not
    of what they report."""
    return not e.single_instance and e.family == ROWS and e.segment is None


def stale_missing(found: list[Evidence]) -> Match | None:
    gone = {e.dataset for e in found if _fits(e, "presence") and not e.single_instance}
    if len(gone) < MISSING_DATASETS:
        return None
    return _match("stale-missing", 0.95, list(found), ("presence",))


def stale_copy(found: list[Evidence]) -> Match | None:
    if not any(e.kind == "copy" for e in found):
        return None
    copied = ("copy", "history_rewritten", "cumulative")
    claimed = [e for e in found if e.kind in copied]
    return _match("stale-copy", 0.9, claimed, ("copy",))


def _watched_only(found: list[Evidence]) -> bool:
    """Only monitors watching one instance failed (the canary's monitor run alone): their
    findings then tell a breakage as a population monitor's would."""
    return all(e.single_instance for e in found)


def double_count(found: list[Evidence]) -> Match | None:
    watched = _watched_only(found)
    if not any(e.kind == "rows_per_key" and e.single_instance == watched for e in found):
        return None
    claimed = [
        e
        for e in found
        if e.kind == "rows_per_key"
        or e.direction == "rise"
        or (e.kind == "null_rate" and e.segment and (e.observed or 0) < FULLY_NULL)
    ]
    return _match("double-count", 0.9, claimed, ("rows_per_key",))


def object_null(found: list[Evidence]) -> Match | None:
    population = not _watched_only(found)
    gone = _null_families(found, single_instance=not population)
    if len(gone) < MANY_FIELDS:
        return None
    claimed = [
        e
        for e in found
        if e.kind in NULLISH
        or e.watches_label
        or _fits(e, "presence")
        or (e.direction == "drop" and not _instance_count(e))
    ]
    found_match = _match(
        "object-null", 0.9, claimed, ("null_rate", "not_null/counter", "dead_metric")
    )
    if found_match is not None:
        found_match.summary = (
            f"{len(gone)} counters null{_on_instances(gone) if population else ''}"
        )
    return found_match


def ingestion_loss(found: list[Evidence]) -> Match | None:
    if not any(_instance_count(e) and e.direction == "drop" for e in found):
        return None
    claimed = [e for e in found if e.direction == "drop" or e.single_instance or e.watches_label]
    return _match("ingestion-loss", 0.7, claimed, ("row_count", "level"))


def canary_silent(found: list[Evidence]) -> Match | None:
    absent = [e for e in found if _fits(e, "presence/label")]
    quiet = [e for e in found if e.single_instance and (_fits(e, "presence") or e.family == ROWS)]
    if not absent and not quiet:
        return None
    claimed = [e for e in found if e.single_instance or e.watches_label]
    return _match("canary-silent", 0.85, claimed, ("presence/label", "presence", "level"))


def schema_rename(found: list[Evidence]) -> Match | None:
    gone = _null_families(found)
    columns = [e for e in found if e.kind in ("schema", "schema_change")]
    if not columns and not (0 < len(gone) < MANY_FIELDS):
        return None
    claimed = columns + [
        e for e in found if (e.family in gone or e.compared & gone.keys()) and e not in columns
    ]
    return _match(
        "schema-rename",
        0.8,
        claimed,
        ("schema", "schema_change", "null_rate", "dead_metric"),
    )


def version_field_drop(found: list[Evidence]) -> Match | None:
    hit = [
        e
        for e in found
        if e.kind == "null_rate"
        and e.versions
        and (e.observed or 0) >= HALF
        and not e.single_instance
    ]
    if not hit:
        return None
    families = {str(e.family) for e in hit}
    claimed = [
        e
        for e in found
        if (
            e.family in families and (e.kind in NULLISH or e.watches_label or e.direction == "drop")
        )
        # Looker sums nothing to 0, not null: invariants comparing a dropped counter's sum
        # with another (unique <= total) fail along with it
        or e.compared & families
    ]
    return _match("version-field-drop", 0.8, claimed, ("null_rate", "not_null/counter", "level"))


def cumulative_counter(found: list[Evidence]) -> Match | None:
    grows = [e for e in found if e.kind == "cumulative"]
    if not grows:
        return None
    families = {e.family for e in grows}
    claimed = [e for e in found if e in grows or (e.family in families and e.direction == "rise")]
    return _match("cumulative-counter", 0.9, claimed, ("cumulative", "level"))


def category_drift(found: list[Evidence]) -> Match | None:
    labels = [e for e in found if e.kind == "category_set"]
    if not labels:
        return None
    datasets = {e.dataset for e in labels}
    claimed = [e for e in found if e in labels or e.dataset in datasets]
    return _match("category-drift", 0.9, claimed, ("category_set",))


def version_undercount(found: list[Evidence]) -> Match | None:
    # a total below its parts because one side went null (summed to 0) is a dropped field
    nulled = {e.family for e in found if e.kind in NULLISH}
    below = [
        e
        for e in found
        if e.kind in ("version_gap", "unique_within_total") and not e.compared & nulled
    ]
    if not below:
        return None
    # the counter undercounted: the one a version reports less of, or the total that fell
    # below its own unique count
    families = {e.left or e.family for e in below}
    claimed = [e for e in found if e in below or (e.family in families and e.direction == "drop")]
    return _match("version-undercount", 0.75, claimed, ("version_gap", "unique_within_total"))


def _product_slug(change: Evidence) -> str:
    if change.segment:
        return "release-regression"
    if change.direction == "rise":
        return "adoption-surge"
    return "usage-decline" if DRIFT_TOLD in change.check.reason else "usage-drop"


def usage_change(found: list[Evidence]) -> Match | None:
    """A product change: the usage change check failed, and it claims the checks moving
    the same way (lower or higher levels, a version below the others), never a null, a
    broken shape or a count of instances."""
    changes = [e for e in found if e.kind == "usage_change" and e.direction]
    if not changes:
        return None
    lead = min(changes, key=lambda e: e.segment is not None)
    slug = _product_slug(lead)
    versions = [tuple(e.segment.items()) for e in changes if e.segment]
    claimed = [
        e
        for e in found
        if e.kind == "usage_change"
        or (
            (_level(e) or e.kind == "version_gap")
            and e.direction == lead.direction
            and not _instance_count(e)
            and not (e.single_instance and e.family == ROWS)
            and (e.observed or 0) > 0
            and (not versions or not e.segment or tuple(e.segment.items()) in versions)
        )
    ]
    return _match(slug, 0.8, claimed, ("usage_change",))


def cross_source(found: list[Evidence]) -> Match | None:
    """A series broke against its witness (``canary.anomaly.cross_source``) and no other
    breakage explains it: the pipeline of the side that moved broke. It claims the
    failures of the dataset that moved, in its monitor, the same way."""
    breaks = [e for e in found if e.kind == "cross_source" and e.check.details.get("side") in SIDE]
    if not breaks:
        return None
    lead = breaks[0]
    details = lead.check.details
    side = str(details["side"])
    moved = lead.dataset if side == "measure" else str(details["witness"]).split(".")[0]
    steady = str(details["witness"]).split(".")[0] if side == "measure" else lead.dataset
    change = details.get(f"{side}_change")
    direction = "drop" if isinstance(change, int | float) and change < 0 else "rise"
    claimed = [
        e
        for e in found
        if e in breaks
        or (e.monitor == lead.monitor and e.dataset == moved and e.direction == direction)
    ]
    match = _match(SIDE[side], 0.85, claimed, ("cross_source",))
    if match is not None:
        held = details.get("witness_change" if side == "measure" else "measure_change")
        match.summary = (
            f"{moved} {readable.change(change if isinstance(change, float) else None)} while "
            f"{steady} moved "
            f"{readable.change(held if isinstance(held, float) else None)}"
        )
    return match


#: The cause of a cross check whose one side moved alone.
SIDE = {"measure": "pings-outage", "witness": "tracking-outage"}

RULES: tuple[Rule, ...] = (
    usage_change,
    stale_missing,
    stale_copy,
    double_count,
    object_null,
    ingestion_loss,
    canary_silent,
    schema_rename,
    version_field_drop,
    cumulative_counter,
    category_drift,
    version_undercount,
    cross_source,
)
