"""One sentence per verdict, written for the data engineer who has to act on it."""

from __future__ import annotations

import math
from collections.abc import Iterable
from difflib import get_close_matches
from typing import Any

from canary import readable
from canary.jsonable import json_ready


def _known(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _shown(value: Any) -> str:
    """A value as a sentence shows it: None and NaN read "no value"."""
    return readable.value(value) if _known(value) else "no value"


def _rows(count: Any, total: Any) -> str:
    """ "12 of 1,000 rows", "12 rows", or "some rows" when GE gave no count."""
    if not _known(count):
        return "some rows"
    return (
        f"{readable.count(count)} of {readable.count(total)} rows"
        if _known(total) and total
        else f"{readable.count(count)} rows"
    )


def _null_share(percent: Any, of: str) -> str:
    return f"{readable.percent(float(percent) / 100)} ({of})" if _known(percent) else of


def _fold(name: str) -> str:
    """A column name without case or separators, to match renames like ``siteId``."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def missing_columns(absent: list[str], where: str, dataset: str, new: Iterable[str]) -> str:
    """Why a check whose columns are not in the pull failed: what is gone and which of the
    ``new`` columns (in the pull, not in the dataset's definition) may have replaced it."""
    names = ", ".join(absent)
    plural = "s" if len(absent) > 1 else ""
    folded = {_fold(c): c for c in map(str, new)}
    hints = [
        folded[m[0]]
        for c in absent
        if (m := get_close_matches(_fold(c), list(folded), n=1, cutoff=0.75))
    ]
    instead = (
        f"; the pull has {', '.join(dict.fromkeys(hints))} instead (renamed upstream?)"
        if hints
        else ""
    )
    return (
        f"{where}: column{plural} {names} {'are' if plural else 'is'} missing from {dataset}"
        f"{instead}; restore {'them' if plural else 'it'} in the source or update the suite."
    )


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
    of = _rows(count, total)
    if kind == "expect_table_row_count_to_be_between":
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        given = {k: v for k, v in (("min", lo), ("max", hi)) if _known(v)}
        observed = result.get("observed_value")
        counted = f"{_shown(observed)} rows" if _known(observed) else "no row count"
        return f"{where}: {counted}; expected {readable.bounds(given)}."
    if kind == "expect_table_columns_to_match_set":
        columns = set(result.get("observed_value") or [])
        missing = [c for c in kwargs.get("column_set", []) if c not in columns]
        return f"{where}: columns missing: {', '.join(missing)}."
    if kind in ("expect_column_values_to_be_in_type_list", "expect_column_values_to_be_of_type"):
        types = [t for t in kwargs.get("type_list") or [kwargs.get("type_")] if _known(t)]
        allowed = ", ".join(map(str, types)) or "the suite's type"
        observed = result.get("observed_value")
        has = f"has type {observed}" if _known(observed) else "has no type GE could read"
        return f"{where}: {column} {has}; expected {allowed}."
    if kind == "expect_column_values_to_not_be_null":
        allowed = 100 * (1 - kwargs.get("mostly", 1.0))
        share = _null_share(result.get("unexpected_percent"), of)
        return f"{where}: {column} is null on {share}; at most {allowed:.0f}% allowed."
    if kind == "expect_column_values_to_be_between":
        lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
        if hi is None:
            bounds = f"below the minimum {_shown(lo)}"
        elif lo is None:
            bounds = f"above the maximum {_shown(hi)}"
        else:
            bounds = f"outside {readable.bounds({'min': lo, 'max': hi})}"
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
    observed = result.get("observed_value")
    if not _known(observed) and _known(count):
        observed = _null_share(result.get("unexpected_percent"), of)
    return f"{where}: {kind} failed on {column or 'the table'} (observed {_shown(observed)})."
