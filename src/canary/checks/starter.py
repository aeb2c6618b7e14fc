"""A starter GE suite from a tile's fields: columns, types, keys, non-negative counters.

The user edits it from there (thresholds, invariants, ``meta.null_by_design``); every
expectation carries a stable ``meta.check`` name like the bundled suites, and the family
and field role the incident rules read (``canary.checks.families``).
"""

from __future__ import annotations

from typing import Any

from canary.checks.families import Family, role_of
from canary.dashboards import Field, FieldRole, Tile

#: GE type expectations by field type, as the frames are typed (``frames.type_frame``).
_TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "date": ("expect_column_values_to_be_in_type_list", {"type_list": ["datetime64[ns]"]}),
    "string": ("expect_column_values_to_be_in_type_list", {"type_list": ["object", "str"]}),
    "integer": ("expect_column_values_to_be_of_type", {"type_": "int64"}),
    "number": ("expect_column_values_to_be_of_type", {"type_": "float64"}),
}


def _expectation(
    kind: str, check: str, family: Family, role: FieldRole | None = None, **kwargs: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"check": check, "family": family}
    if role is not None:
        meta["field_role"] = role
    return {"type": kind, "kwargs": kwargs, "meta": meta, "severity": "critical"}


def _counts(f: Field) -> bool:
    """Counters and measures count things: they are never negative."""
    return f.type in ("integer", "number") and (f.counter or f.kind == "measure")


def starter_suite(name: str, tile: Tile) -> dict[str, Any]:
    """The suite ``name`` for ``tile``: a plain GE 1.x suite document."""
    key = tile.row_key
    expectations = [
        _expectation(
            "expect_table_columns_to_match_set",
            "columns present",
            "schema",
            column_set=tile.columns,
            exact_match=False,
        ),
        _expectation(
            "expect_table_row_count_to_be_between", "latest week present", "presence", min_value=1
        ),
    ]
    for f in tile.fields:
        kind, kwargs = _TYPES[f.type]
        expectations.append(
            _expectation(kind, "type", "type", role_of(tile, f), column=f.column, **kwargs)
        )
    expectations.append(
        _expectation(
            "expect_column_values_to_be_unique",
            "one row per key",
            "rows_per_key",
            "key",
            column=key[0],
        )
        if len(key) == 1
        else _expectation(
            "expect_compound_columns_to_be_unique",
            "one row per key",
            "rows_per_key",
            "key",
            column_list=key,
        )
    )
    for column in key:
        expectations.append(
            _expectation(
                "expect_column_values_to_not_be_null",
                "not null",
                "not_null",
                role_of(tile, tile.field_for(column)),
                column=column,
            )
        )
    for f in tile.fields:
        if tile.shape == "snapshot" and f.counter:  # most instances report each counter
            expectations.append(
                _expectation(
                    "expect_column_values_to_not_be_null",
                    "usage reported",
                    "not_null",
                    "counter",
                    column=f.column,
                    mostly=0.8,
                )
            )
    for f in tile.fields:
        if _counts(f):
            expectations.append(
                _expectation(
                    "expect_column_values_to_be_between",
                    "non-negative",
                    "range",
                    role_of(tile, f),
                    column=f.column,
                    min_value=0,
                )
            )
    notes = f"Starter suite for tile {tile.title!r} ({tile.shape}); edit to taste."
    return {
        "name": name,
        "meta": {"notes": notes, "null_by_design": {}},
        "expectations": expectations,
    }
