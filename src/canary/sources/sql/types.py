"""Type expectations of a suite judged against a warehouse's column types.

Suites name the dtypes of a typed frame (``int64``, ``datetime64[ns]``, ``object``), as GE's
pandas engine reads them. In a warehouse each stands for a family of SQL types, whose names
each dialect's record lists (``dialects``); a type the suite names that is not a dtype is
compared with the SQL type name itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Expectation types about a column's type.
TYPE_EXPECTATIONS = frozenset(
    {"expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list"}
)

Families = Mapping[str, frozenset[str]]

#: SQL type names (lower case, without their parameters) per family, as standard SQL names
#: them; a dialect's record widens them with its own (``families``).
STANDARD_TYPES: Families = {
    "integer": frozenset({"smallint", "integer", "bigint", "int"}),
    "number": frozenset({"real", "double precision", "float", "numeric", "decimal"}),
    "date": frozenset(
        {"date", "timestamp", "timestamp without time zone", "timestamp with time zone"}
    ),
    "string": frozenset({"text", "varchar", "character varying", "char", "character"}),
    "boolean": frozenset({"boolean"}),
}


def families(**extra: set[str]) -> Families:
    """The standard families, each widened by the names ``extra`` gives it (lower case)."""
    unknown = set(extra) - set(STANDARD_TYPES)
    if unknown:
        raise ValueError(f"no type family {sorted(unknown)}; families: {sorted(STANDARD_TYPES)}")
    return {name: types | extra.get(name, set()) for name, types in STANDARD_TYPES.items()}


#: The family each dtype name of a typed frame stands for.
DTYPE_FAMILIES = {
    "int64": "integer",
    "Int64": "integer",
    "int32": "integer",
    "Int32": "integer",
    "float64": "number",
    "Float64": "number",
    "datetime64[ns]": "date",
    "object": "string",
    "str": "string",
    "string": "string",
    "bool": "boolean",
    "boolean": "boolean",
}

_PARAMETERS = re.compile(r"\s*\((\d+)(?:\s*,\s*(\d+))?\)")


def family(sql_type: str, types: Families) -> str | None:
    """The family of a SQL type name among ``types`` (a dialect's); a decimal of scale 0
    (``numeric(12,0)``, Snowflake's ``NUMBER(38,0)``) is integer."""
    found = _PARAMETERS.search(sql_type)
    base = _PARAMETERS.sub("", sql_type).strip().lower()
    if base in ("numeric", "decimal", "number") and found and found.group(2) == "0":
        return "integer"
    return next((name for name, names in types.items() if base in names), None)


def matches(expected: str, sql_type: str, types: Families) -> bool:
    """Whether a column of ``sql_type`` is of the type a suite names (``expected``), with the
    type families ``types`` of the column's dialect."""
    wanted = DTYPE_FAMILIES.get(expected)
    if wanted is not None:
        return family(sql_type, types) == wanted
    return (
        _PARAMETERS.sub("", expected).strip().lower()
        == _PARAMETERS.sub("", sql_type).strip().lower()
    )


def verdict(
    kwargs: dict[str, Any], columns: Mapping[str, str], types: Families
) -> tuple[bool, str | None]:
    """A type expectation's success and the column's SQL type among ``columns`` (None: no
    such column), with the type families ``types`` of their dialect."""
    observed = columns.get(str(kwargs.get("column")))
    if observed is None:
        return False, None
    allowed = kwargs.get("type_list") or [kwargs.get("type_")]
    return any(matches(str(t), observed, types) for t in allowed if t is not None), observed
