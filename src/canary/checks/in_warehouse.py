"""A suite validated where the week's rows live: GE's SQL engine runs its expectations as
SQL in the warehouse, but for two kinds canary judges with a query of its own:

- type expectations, against the column types the warehouse reports for the week's query
  (GE 1.24 cannot read the types of a query);
- ``expect_column_distinct_values_to_contain_set`` with a literal set, by asking which of
  its values the column holds (GE fetches every distinct value: a million instance labels).

Only verdicts, counts and the failing rows GE samples (key and checked columns) leave the
database.
"""

from __future__ import annotations

from typing import Any

from canary.checks.validate import GreatExpectations, in_suite_order, require_url
from canary.sources.sql.connection import column_types, values_present
from canary.sources.sql.dialects import dialect_of
from canary.sources.sql.types import TYPE_EXPECTATIONS, verdict
from canary.summary import WarehouseRows

CONTAINS = "expect_column_distinct_values_to_contain_set"


def _own(expectation: dict[str, Any]) -> bool:
    """Whether canary judges ``expectation`` itself (a set given as a parameter: GE does)."""
    kind = expectation.get("type")
    kwargs = expectation.get("kwargs") or {}
    return kind in TYPE_EXPECTATIONS or (
        kind == CONTAINS and isinstance(kwargs.get("value_set"), list)
    )


def in_warehouse(
    ge: GreatExpectations,
    suite: dict[str, Any],
    rows: WarehouseRows,
    parameters: dict[str, Any],
    result_format: str,
    index_columns: list[str],
) -> list[Any]:
    """GE's results for ``suite`` on ``rows``, in suite order (raises ``SourceError``)."""
    require_url(rows)
    own = [e for e in suite["expectations"] if _own(e)]
    others = [e for e in suite["expectations"] if not _own(e)]
    raw = (
        ge.run_sql(
            {**suite, "expectations": others}, rows, parameters, result_format, index_columns
        )
        if others
        else []
    )
    types = (
        column_types(rows.url, rows.sql, rows.timeout, rows.where)
        if any(e["type"] in TYPE_EXPECTATIONS for e in own)
        else {}
    )
    families = dialect_of(rows.url).types
    for expectation in own:
        kwargs = expectation.get("kwargs") or {}
        if expectation["type"] in TYPE_EXPECTATIONS:
            raw.append(ge.own_result(expectation, *verdict(kwargs, types, families)))
            continue
        wanted = list(kwargs["value_set"])
        present = values_present(
            rows.url, rows.sql, str(kwargs["column"]), wanted, rows.timeout, rows.where
        )
        ok = all(v in present for v in wanted)
        raw.append(ge.own_result(expectation, ok, [v for v in wanted if v in present]))
    return ge.record(suite, in_suite_order(raw, suite))
