"""One sentence per verdict, written for the data engineer who has to act on it."""

from __future__ import annotations

from typing import Any

from canary.jsonable import json_ready


def _pct(value: Any) -> str:
    return f"{float(value):.1f}%" if value is not None else "?"


def _examples(result: dict[str, Any]) -> str:
    values = json_ready(result.get("partial_unexpected_list") or [])
    shown = ", ".join(repr(tuple(v)) if isinstance(v, list) else repr(v) for v in values[:3])
    return f"; e.g. {shown}" if shown else ""


def reason(
    kind: str, kwargs: dict[str, Any], result: dict[str, Any], success: bool, where: str
) -> str:
    """Why a check passed or failed; ``where`` names dataset and week ("page_views, week ...")."""
    if success:
        return f"{where}: passed."
    column = kwargs.get("column")
    count = result.get("unexpected_count")
    total = result.get("element_count")
    share = _pct(result.get("unexpected_percent"))
    of = f"{count:,} of {total:,} rows" if count is not None and total else f"{count} rows"
    if kind == "expect_table_row_count_to_be_between":
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        bounds = f"{lo}..{hi}" if hi is not None else f"at least {lo}"
        return f"{where}: {result.get('observed_value')} rows; expected {bounds}."
    if kind == "expect_table_columns_to_match_set":
        columns = set(result.get("observed_value") or [])
        missing = [c for c in kwargs.get("column_set", []) if c not in columns]
        return f"{where}: columns missing: {', '.join(missing)}."
    if kind in ("expect_column_values_to_be_in_type_list", "expect_column_values_to_be_of_type"):
        allowed = ", ".join(kwargs.get("type_list") or [kwargs.get("type_", "?")])
        return f"{where}: {column} has type {result.get('observed_value')}; expected {allowed}."
    if kind == "expect_column_values_to_not_be_null":
        allowed = 100 * (1 - kwargs.get("mostly", 1.0))
        return f"{where}: {column} is null on {share} ({of}); at most {allowed:.0f}% allowed."
    if kind == "expect_column_values_to_be_between":
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        if hi is None:
            bounds = f"below the minimum {lo}"
        elif lo is None:
            bounds = f"above the maximum {hi}"
        else:
            bounds = f"outside [{lo}, {hi}]"
        return f"{where}: {column} {bounds} on {of}{_examples(result)}."
    if kind in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        key = column or ", ".join(kwargs.get("column_list", []))
        return f"{where}: {of} repeat a key ({key}); duplicated rows{_examples(result)}."
    if kind == "expect_column_pair_values_to_be_equal":
        a, b = kwargs.get("column_A"), kwargs.get("column_B")
        return f"{where}: {a} differs from {b} on {of}{_examples(result)}."
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs.get("column_A"), kwargs.get("column_B")
        return f"{where}: {a} is below {b} on {of}{_examples(result)}."
    if kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_match_regex"):
        return f"{where}: {column} has unexpected values on {of}{_examples(result)}."
    if kind == "expect_column_distinct_values_to_contain_set":
        present = set(result.get("observed_value") or [])
        missing = [v for v in kwargs.get("value_set", []) if v not in present]
        return f"{where}: {column} lacks {', '.join(map(repr, missing))}."
    observed = result.get("observed_value", share if count is not None else None)
    return f"{where}: {kind} failed on {column or 'the table'} (observed {observed})."
