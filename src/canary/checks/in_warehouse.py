"""A suite validated where the week's rows live: GE's SQL engine runs its expectations as
SQL in the warehouse; type expectations are judged against the column types the warehouse
reports for the week's query (GE 1.24 cannot read the types of a query).

Only verdicts, counts and the failing rows GE samples (key and checked columns) leave the
database.
"""

from __future__ import annotations

from typing import Any

from canary.checks.sql_types import TYPE_EXPECTATIONS
from canary.checks.validate import GreatExpectations, in_suite_order
from canary.sources.sql_connection import column_types
from canary.summary import WarehouseRows


def in_warehouse(
    ge: GreatExpectations,
    suite: dict[str, Any],
    rows: WarehouseRows,
    parameters: dict[str, Any],
    result_format: str,
    index_columns: list[str],
) -> list[Any]:
    """GE's results for ``suite`` on ``rows``, in suite order (raises ``SourceError``)."""
    typed = [e for e in suite["expectations"] if e.get("type") in TYPE_EXPECTATIONS]
    others = [e for e in suite["expectations"] if e.get("type") not in TYPE_EXPECTATIONS]
    raw = (
        ge.run_sql(
            {**suite, "expectations": others}, rows, parameters, result_format, index_columns
        )
        if others
        else []
    )
    if typed:
        types = column_types(rows.url, rows.sql, rows.timeout, rows.where)
        raw += [ge.type_result(e, types) for e in typed]
    return in_suite_order(raw, suite)
