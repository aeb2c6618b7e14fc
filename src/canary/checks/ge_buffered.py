"""GE's SQL engine with its query results buffered before their connection closes.

GE 1.24's ``SqlAlchemyExecutionEngine.execute_query`` runs a query inside
``with self.get_connection()`` and returns the cursor result after the block has closed
the connection; the metric code fetches from it afterwards. psycopg has fetched every row
by then (a client-side cursor); DuckDB's driver has not, and the result of a closed
connection holds no row, so every metric of a suite fails ("list index out of range").

``buffer_results`` makes one engine fetch each result while its connection is open, by
wrapping ``_execute_query_with_recovery``, the call both ``execute_query`` and
``execute_query_in_transaction`` make inside that block. It is written for one GE version
and refuses any other: GE's internals may have moved, or the fix may be GE's own.
"""

from __future__ import annotations

from typing import Any

#: The GE release whose engine this was written against (and tested on).
GE_VERSION = "1.24.1"


class UnsupportedGE(RuntimeError):
    """The installed GE is not the release ``buffer_results`` was written for."""


def check_release() -> None:
    """Raise ``UnsupportedGE`` unless the installed GE is the release the shim is for."""
    import great_expectations as gx

    if gx.__version__ != GE_VERSION:
        raise UnsupportedGE(
            f"canary.checks.ge_buffered is written for great_expectations {GE_VERSION}, and "
            f"{gx.__version__} is installed: check that its SqlAlchemyExecutionEngine still "
            "reads a query's result after closing its connection, then update GE_VERSION "
            "(or drop the shim if GE fetches the rows itself)"
        )


def buffer_results(engine: Any) -> Any:
    """Make ``engine`` (GE's ``SqlAlchemyExecutionEngine``) return buffered results; returns it.

    Results that return rows are fetched into memory (``freeze()``) before the connection
    closes: GE's queries return aggregates and a few sample rows, never a whole table.
    Raises ``UnsupportedGE`` on another GE release."""
    check_release()
    run = engine._execute_query_with_recovery

    def buffered(connection: Any, query: Any) -> Any:
        result = run(connection, query)
        return result.freeze()() if result.returns_rows else result

    engine._execute_query_with_recovery = buffered
    return engine
