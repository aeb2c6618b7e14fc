"""SQL functions every dialect shares stay SQLAlchemy's own.

A dialect package may register a ``GenericFunction`` under a common name, and SQLAlchemy's
registry is one for all dialects: sqlalchemy-bigquery's ``unnest`` (imported by GE whenever
it is installed, so in every run) then replaces ``func.unnest`` everywhere, and PostgreSQL's
own reflection (the store reading its tables) builds BigQuery's construct and fails. Canary
writes BigQuery's SQL as text, so those registrations are refused, before any import.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql import functions

#: Packages whose functions may not take a name every dialect uses.
FOREIGN = ("sqlalchemy_bigquery",)


class SharedFunctions(dict[str, Any]):
    """SQLAlchemy's default function registry, refusing a dialect package's ``FOREIGN``
    registration of a name."""

    def __setitem__(self, name: str, fn: Any) -> None:
        if str(getattr(fn, "__module__", "")).startswith(FOREIGN):
            return
        super().__setitem__(name, fn)


def keep_shared_functions() -> None:
    """Install the guard on the default registry (idempotent)."""
    registry = functions._registry
    if not isinstance(registry["_default"], SharedFunctions):
        registry["_default"] = SharedFunctions(registry["_default"])
