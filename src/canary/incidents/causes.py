"""The breakage catalog (DESIGN.md section 3) and product changes as rules over the failed
checks of one week.

Each rule looks for the checks that tell its cause apart (its trigger) and claims the
failures such a cause brings along. A product change (people using the product more or
less) is told by the ``usage change`` check, which fails only on a broad change of whole
data; its rule runs first. The breakage rules run from the most specific to the broadest;
what no rule claims stays an incident of its own with no cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from canary.anomaly.usage_change import CHECK as USAGE_CHANGE
from canary.anomaly.usage_change import DRIFT_TOLD
from canary.incidents.evidence import ROWS, Evidence

NULLISH = frozenset({"null rate", "usage reported", "not null", "dead metric"})
LEVELS = frozenset({"level", "volume", "dead metric", "instances reporting"})
CANARY_CHECKS = frozenset({"canary present", "canary reporting", "canary uses Code Insights"})
LABEL_CHECKS = frozenset({"new label", "known insight types", "known deploy types"})
DUPLICATE_CHECKS = frozenset({"one row per key", "one ping per instance"})
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


def _match(
    slug: str,
    confidence: float,
    claimed: list[Evidence],
    lead_order: tuple[str, ...],
) -> Match | None:
    if not claimed:
        return None
    rank = {name: i for i, name in enumerate(lead_order)}
    lead = min(
        claimed,
        key=lambda e: (rank.get(e.name, len(rank)), e.segment is not None, e.single_instance),
    )
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
        if e.name == "null rate" and share is not None and share >= FULLY_NULL:
            out[str(e.family)] = max(out.get(str(e.family), 0.0), share)
        elif e.name == "usage reported" and "null on 100" in e.check.reason:
            out.setdefault(str(e.family), 1.0)
    return out


def _instance_count(e: Evidence) -> bool:
    """A count of the instances reporting (rows of a snapshot, distinct instances), not
    of what they report."""
    return not e.single_instance and e.family == ROWS and e.segment is None


def stale_missing(found: list[Evidence]) -> Match | None:
    gone = {e.dataset for e in found if e.name == "latest week present" and not e.single_instance}
    if len(gone) < MISSING_DATASETS:
        return None
    return _match("stale-missing", 0.95, list(found), ("latest week present",))


def stale_copy(found: list[Evidence]) -> Match | None:
    if not any(e.name == "copy of last week" for e in found):
        return None
    copied = ("copy of last week", "history rewritten", "cumulative counter")
    claimed = [e for e in found if e.name in copied]
    return _match("stale-copy", 0.9, claimed, ("copy of last week",))


def _watched_only(found: list[Evidence]) -> bool:
    """Only monitors watching one instance failed (the canary's monitor run alone): their
    findings then tell a breakage as a population monitor's would."""
    return all(e.single_instance for e in found)


def double_count(found: list[Evidence]) -> Match | None:
    watched = _watched_only(found)
    if not any(e.name in DUPLICATE_CHECKS and e.single_instance == watched for e in found):
        return None
    claimed = [
        e
        for e in found
        if e.name in DUPLICATE_CHECKS
        or e.direction == "rise"
        or (e.name == "null rate" and e.segment and (e.observed or 0) < FULLY_NULL)
    ]
    return _match("double-count", 0.9, claimed, ("one row per key", "one ping per instance"))


def object_null(found: list[Evidence]) -> Match | None:
    population = not _watched_only(found)
    gone = _null_families(found, single_instance=not population)
    if len(gone) < MANY_FIELDS:
        return None
    claimed = [
        e
        for e in found
        if e.name in NULLISH
        or e.name in CANARY_CHECKS
        or e.name == "latest week present"
        or (e.direction == "drop" and not _instance_count(e))
    ]
    found_match = _match(
        "object-null", 0.9, claimed, ("null rate", "usage reported", "dead metric")
    )
    if found_match is not None:
        where = " on nearly every instance" if population else ""
        found_match.summary = f"{len(gone)} counters null{where}"
    return found_match


def ingestion_loss(found: list[Evidence]) -> Match | None:
    if not any(_instance_count(e) and e.direction == "drop" for e in found):
        return None
    claimed = [
        e for e in found if e.direction == "drop" or e.single_instance or e.name in CANARY_CHECKS
    ]
    return _match("ingestion-loss", 0.7, claimed, ("volume", "level"))


def canary_silent(found: list[Evidence]) -> Match | None:
    absent = [e for e in found if e.name in ("canary present", "canary reporting")]
    quiet = [
        e
        for e in found
        if e.single_instance and (e.name == "latest week present" or e.family == ROWS)
    ]
    if not absent and not quiet:
        return None
    claimed = [e for e in found if e.single_instance or e.name in CANARY_CHECKS]
    return _match(
        "canary-silent",
        0.85,
        claimed,
        ("canary reporting", "canary present", "latest week present", "level"),
    )


def schema_rename(found: list[Evidence]) -> Match | None:
    gone = _null_families(found)
    columns = [e for e in found if e.name in ("columns present", "schema change")]
    if not columns and not (0 < len(gone) < MANY_FIELDS):
        return None
    claimed = columns + [
        e for e in found if (e.family in gone or e.compared & gone.keys()) and e not in columns
    ]
    return _match(
        "schema-rename",
        0.8,
        claimed,
        ("columns present", "schema change", "null rate", "dead metric"),
    )


def _version_dims(found: list[Evidence]) -> set[str]:
    return {k for e in found for k in (e.segment or {}) if "version" in k}


def version_field_drop(found: list[Evidence]) -> Match | None:
    dims = _version_dims(found)
    hit = [
        e
        for e in found
        if e.name == "null rate"
        and e.segment
        and set(e.segment) & dims
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
            e.family in families
            and (e.name in NULLISH or e.name in CANARY_CHECKS or e.direction == "drop")
        )
        # Looker sums nothing to 0, not null: checks comparing a dropped counter's sum with
        # another ("unique <= total") fail along with it
        or e.compared & families
    ]
    return _match("version-field-drop", 0.8, claimed, ("null rate", "usage reported", "level"))


def cumulative_counter(found: list[Evidence]) -> Match | None:
    grows = [e for e in found if e.name == "cumulative counter"]
    if not grows:
        return None
    families = {e.family for e in grows}
    claimed = [e for e in found if e in grows or (e.family in families and e.direction == "rise")]
    return _match("cumulative-counter", 0.9, claimed, ("cumulative counter", "level"))


def category_drift(found: list[Evidence]) -> Match | None:
    labels = [e for e in found if e.name in LABEL_CHECKS]
    if not labels:
        return None
    datasets = {e.dataset for e in labels}
    claimed = [e for e in found if e in labels or e.dataset in datasets]
    return _match("category-drift", 0.9, claimed, ("new label", "known insight types"))


def version_undercount(found: list[Evidence]) -> Match | None:
    # a total below its parts because one side went null (summed to 0) is a dropped field
    nulled = {e.family for e in found if e.name in NULLISH}
    below = [
        e
        for e in found
        if e.name in ("versions below others", "unique <= total") and not e.compared & nulled
    ]
    if not below:
        return None
    families = {e.family for e in below} | {"weekly_insights_page_views"}
    claimed = [e for e in found if e in below or (e.family in families and e.direction == "drop")]
    return _match("version-undercount", 0.75, claimed, ("versions below others", "unique <= total"))


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
    changes = [e for e in found if e.name == USAGE_CHANGE and e.direction]
    if not changes:
        return None
    lead = min(changes, key=lambda e: e.segment is not None)
    slug = _product_slug(lead)
    versions = [tuple(e.segment.items()) for e in changes if e.segment]
    claimed = [
        e
        for e in found
        if e.name == USAGE_CHANGE
        or (
            e.name in LEVELS | {"versions below others"}
            and e.direction == lead.direction
            and not _instance_count(e)
            and not (e.single_instance and e.family == ROWS)
            and (e.observed or 0) > 0
            and (not versions or not e.segment or tuple(e.segment.items()) in versions)
        )
    ]
    return _match(slug, 0.8, claimed, (USAGE_CHANGE,))


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
)
