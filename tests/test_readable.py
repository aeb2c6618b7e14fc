"""Values as people read them: counts, shares, bounds and observed dicts."""

from __future__ import annotations

import math
from typing import Any

import pytest

from canary import readable
from canary.checks.reasons import reason


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (1198, "1,198"),
        (1198.0, "1,198"),
        (2074.625, "2,075"),
        (889.125, "889"),
        (0.2987042792598348, "0.299"),
        (55.4, "55"),
        (4.256, "4.26"),
        (0.5, "0.5"),
        (-3, "-3"),
        (math.nan, "—"),
        (math.inf, "∞"),
        (True, "true"),
    ],
)
def test_numbers_read_with_separators_and_three_significant_digits(x: float, shown: str) -> None:
    assert readable.number(x) == shown


@pytest.mark.parametrize(
    ("share", "shown"),
    [(1.0, "100%"), (0.2987, "29.9%"), (0.05, "5%"), (0.001, "0.1%"), (0.0001, "<0.1%"), (0, "0%")],
)
def test_shares_read_as_percentages(share: float, shown: str) -> None:
    assert readable.percent(share) == shown


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [
        (-0.5712, "-57%"),
        (0.03, "+3%"),
        (0.004, "±0%"),
        (-0.0049, "±0%"),
        (9.99, "+999%"),
        (12.5, ">+999%"),  # a huge rise is capped, not told in digits nobody reads
        (2.5e12, ">+999%"),
        (-1.0, "-100%"),
        (None, "—"),
        (math.nan, "—"),
    ],
)
def test_changes_read_as_whole_signed_percentages(fraction: float | None, shown: str) -> None:
    assert readable.change(fraction) == shown


def test_differences_carry_their_sign() -> None:
    assert [readable.signed(x) for x in (-1234.4, 56, 0.2, math.nan)] == [
        "-1,234",
        "+56",
        "±0",
        "—",
    ]


@pytest.mark.parametrize(
    ("low", "high", "shown"),
    [
        (4412.3, 18123.9, "4,400–18,200"),  # rounded outward
        (18112, 18149, "18,100–18,200"),
        (146.0, 263.9, "146–264"),
        (0.0123, 0.04567, "0.0123–0.0457"),
        (-310.5, 2041, "-320 to 2,050"),
        (3, None, "at least 3"),
        (None, 5, "at most 5"),
        (None, None, "—"),
        (5, math.inf, "at least 5"),
    ],
)
def test_ranges_are_rounded_for_people(low: float | None, high: float | None, shown: str) -> None:
    assert readable.span(low, high) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (903, "910–2,110"),  # below: the low end is not rounded down past it
        (2109, "900–2,100"),  # above: the high end is not rounded up past it
        (904, "900–2,110"),  # within: both ends outward
        (2108, "900–2,110"),
    ],
)
def test_a_rounded_range_never_contradicts_where_the_value_stands(value: float, shown: str) -> None:
    assert readable.span(903.75, 2108.4, value) == shown


def test_a_range_is_shown_finer_where_rounding_would_merge_its_ends() -> None:
    assert readable.span(18112, 18149, 18000) == "18,120–18,150"


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (950, "950"),
        (1234, "1.2k"),
        (18000, "18k"),
        (2.5e6, "2.5M"),
        (9e14, "900T"),
        (0.3, "0.3"),
        (0, "0"),
    ],
)
def test_axis_numbers_are_compact(x: float, shown: str) -> None:
    assert readable.compact(x) == shown


def test_observed_dicts_read_as_the_sentence_they_stand_for() -> None:
    failing = {"unexpected_count": 1, "unexpected_percent": 0.0834, "rows": 1198}
    assert readable.observed(failing, "not null") == "1 of 1,198 rows (0.1%)"
    none = {"unexpected_count": 0, "unexpected_percent": None, "rows": 0}
    assert readable.observed(none, "type") == "no rows"
    assert readable.observed({"missing_columns": ["a", "b"]}, "x") == "missing a, b"
    assert readable.observed(["week", "views"], "columns present") == "week, views"
    assert readable.observed(None, "level") == "—"
    assert "{" not in readable.observed({"values": [1, 2]}, "x")


def test_bounds_are_rounded_to_what_tells_them_apart() -> None:
    assert readable.expected({"min": None, "max": 0.2987042792598348}, "null rate") == (
        "at most 29.9%"
    )
    assert readable.observed(1.0, "null rate") == "100%"
    assert readable.expected({"min": 889.125, "max": 2074.625}, "level") == "889 to 2,075"
    assert readable.expected({"min": 1}, "latest week present") == "at least 1"
    assert readable.expected({"min": 0.50001, "max": 0.50002}, "x") == "0.50001 to 0.50002"
    assert readable.expected({"min": 0.1, "max": 0.1001}, "null rate") == "10% to 10.01%"
    assert readable.expected(None, "level") == "—"


@pytest.mark.parametrize(
    ("kind", "kwargs", "result", "said"),
    [
        (
            "expect_table_row_count_to_be_between",
            {"min_value": 1012.4, "max_value": 1388.25},
            {"observed_value": 2000},
            "2,000 rows; expected 1,012 to 1,388.",
        ),
        (
            "expect_column_values_to_be_between",
            {"column": "views", "min_value": 1.0},
            {"unexpected_count": 1, "element_count": 1, "partial_unexpected_list": [0]},
            "views below the minimum 1 on 1 of 1 rows; e.g. 0.",
        ),
        (
            "expect_column_values_to_not_be_null",
            {"column": "views", "mostly": 0.8},
            {"unexpected_count": 1198, "element_count": 1198, "unexpected_percent": 100.0},
            "views is null on 100% (1,198 of 1,198 rows); at most 20% allowed.",
        ),
    ],
)
def test_reasons_show_bounds_and_shares_for_people(
    kind: str, kwargs: dict[str, Any], result: dict[str, Any], said: str
) -> None:
    where = "page_views, week 2026-11-16"
    assert reason(kind, kwargs, result, False, where) == f"{where}: {said}"


@pytest.mark.parametrize(
    ("n", "noun", "shown"),
    [
        (1, "reply", "1 reply"),
        (2, "reply", "2 replies"),
        (0, "post", "0 posts"),
        (1200, "update", "1,200 updates"),
        (3, "day", "3 days"),
    ],
)
def test_counted_nouns_are_plural_unless_one(n: int, noun: str, shown: str) -> None:
    assert readable.counted(n, noun) == shown
