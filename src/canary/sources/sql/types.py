"""Type expectations of a suite judged against a warehouse's column types.

Suites name the dtypes of a typed frame (``int64``, ``datetime64[ns]``, ``object``), as GE's
pandas engine reads them. In a warehouse each stands for a family of SQL types; a type the
suite names that is not a dtype is compared with the SQL type name itself.
"""

from __future__ import annotations

import re
from typing import Any

#: Expectation types about a column's type.
TYPE_EXPECTATIONS = frozenset(
    {"expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list"}
)

#: SQL type names (lower case, without their parameters) per family.
SQL_FAMILIES = {
    "integer": {
        "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "tinyint",
        "hugeint", "ubigint", "uinteger", "usmallint", "utinyint", "serial", "bigserial",
    },
    "number": {
        "real", "double precision", "double", "float", "float4", "float8", "numeric",
        "decimal",
    },
    "date": {
        "date", "timestamp", "timestamp without time zone", "timestamp with time zone",
        "timestamptz", "datetime",
    },
    "string": {
        "text", "varchar", "character varying", "char", "character", "bpchar", "string",
        "name", "uuid",
    },
    "boolean": {"boolean", "bool"},
}  # fmt: skip

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


def family(sql_type: str) -> str | None:
    """The family of a SQL type name; a decimal of scale 0 (``numeric(12,0)``) is integer."""
    found = _PARAMETERS.search(sql_type)
    base = _PARAMETERS.sub("", sql_type).strip().lower()
    if base in ("numeric", "decimal") and found and found.group(2) == "0":
        return "integer"
    return next((name for name, types in SQL_FAMILIES.items() if base in types), None)


def matches(expected: str, sql_type: str) -> bool:
    """Whether a column of ``sql_type`` is of the type a suite names (``expected``)."""
    wanted = DTYPE_FAMILIES.get(expected)
    if wanted is not None:
        return family(sql_type) == wanted
    return (
        _PARAMETERS.sub("", expected).strip().lower()
        == _PARAMETERS.sub("", sql_type).strip().lower()
    )


def verdict(kwargs: dict[str, Any], types: dict[str, str]) -> tuple[bool, str | None]:
    """A type expectation's success and the column's SQL type (None: no such column)."""
    observed = types.get(str(kwargs.get("column")))
    if observed is None:
        return False, None
    allowed = kwargs.get("type_list") or [kwargs.get("type_")]
    return any(matches(str(t), observed) for t in allowed if t is not None), observed
