"""Check families and field roles: what a check measures and what its column is, as data.

A check's name is the user's to choose; its **family** says what kind of fact it judges
(a level, a null rate, rows per key, an invariant between two counters...) and its **field
role** what the column is to the data (a counter, a key, a segment, the version, the label
naming the watched instance). Suite expectations declare both in their ``meta``
(``{"family": "not_null", "field_role": "counter"}``); the history detectors declare their
family in their registry (``canary.anomaly.detectors.FAMILIES``). The incident rules read
these, never check or column names.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from canary.dashboards import Field, FieldRole, Tile

Family = Literal[
    "level",  # a counter's sum or value against its usual range
    "row_count",  # rows or instances reporting against their usual count
    "dead_metric",  # a counter that fell to zero or null from a usual count
    "null_rate",  # the share of instances reporting a field null, against its usual
    "not_null",  # a field must not be null (on a share of rows)
    "presence",  # the week under test has rows at all
    "rows_per_key",  # one row per key (an instance reports once a week)
    "copy",  # the week repeats the week before value for value
    "history_rewritten",  # past weeks changed since they were first pulled
    "cumulative",  # a weekly counter that only grows, instance by instance
    "invariant",  # one counter at least another (creators at least first-time creators)
    "unique_within_total",  # a total at least its own unique count: below it, undercounted
    "range",  # values within fixed bounds (non-negative counters)
    "category_set",  # labels of a segment from a known set
    "format",  # values match a pattern
    "schema",  # the columns present
    "schema_change",  # the columns against last week's
    "type",  # a column's type
    "version_gap",  # instances on a new version report less than those that stayed
    "usage_change",  # usage moved on every instance alike (a product change)
    "cross_source",  # a series against the same usage seen through another pipeline
]
Role = FieldRole
FAMILIES: frozenset[str] = frozenset(get_args(Family))
ROLES: frozenset[str] = frozenset(get_args(Role))

#: The families and roles of the checks the bundled and starter suites name, for results
#: that carry none: stored before checks carried their family, or written by hand.
NAMED: dict[str, tuple[Family, Role | None]] = {
    "columns present": ("schema", None),
    "latest week present": ("presence", None),
    "type": ("type", None),
    "one row per key": ("rows_per_key", "key"),
    "one ping per instance": ("rows_per_key", "key"),
    "not null": ("not_null", None),
    "usage reported": ("not_null", "counter"),
    "non-negative": ("range", "counter"),
    "instances reporting": ("row_count", None),
    "known insight types": ("category_set", "segment"),
    "known deploy types": ("category_set", "segment"),
    "version format": ("format", "version"),
    "unique <= total": ("unique_within_total", "counter"),
    "first-time <= creators": ("invariant", "counter"),
    "standalone <= total": ("invariant", "counter"),
    "orgs with dashboard <= dashboards": ("invariant", "counter"),
    "users <= reporting": ("invariant", "counter"),
    "canary present": ("presence", "label"),
    "canary reporting": ("presence", "label"),
    "canary uses Code Insights": ("level", "label"),
    "row key": ("rows_per_key", "key"),
}


def declared(meta: dict[str, Any] | None, where: str) -> tuple[str | None, str | None]:
    """The family and field role an expectation's ``meta`` declares (None where it does not);
    ``ValueError`` names ``where`` and the allowed words for one that is not known."""
    meta = meta or {}
    family, role = meta.get("family"), meta.get("field_role")
    if family is not None and family not in FAMILIES:
        raise ValueError(
            f"{where}: meta.family {family!r} is not a check family; "
            f"allowed: {', '.join(sorted(FAMILIES))}"
        )
    if role is not None and role not in ROLES:
        raise ValueError(
            f"{where}: meta.field_role {role!r} is not a field role; "
            f"allowed: {', '.join(sorted(ROLES))}"
        )
    return family, role


def role_of(tile: Tile, field: Field, label: str | None = None) -> Role | None:
    """What ``field`` is to ``tile``'s data: the field's declared role, else a key column, a
    segment, or a counter (a counting dimension or a measure); ``label`` names the dimension
    the watched instance is filtered on."""
    if field.role is not None:
        return field.role
    if label is not None and field.name == label:
        return "label"
    if field.column in tile.key:
        return "key"
    if field.column in tile.segments:
        return "segment"
    if field.counter or field.summed:
        return "counter"
    return None
