"""Database faults as one-line ``StoreError``s; the statement goes to the log file only."""

from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError

from canary.errors import StoreError


def redacted(url: str) -> str:
    """The URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def translate(engine: Engine, url: str) -> None:
    """Make every database error of ``engine`` a ``StoreError`` naming the store and the fault.

    Connection losses, locks and read-only files are transient; the message never holds SQL.
    """

    @event.listens_for(engine, "handle_error")
    def _raise(context: ExceptionContext) -> None:
        original = context.original_exception
        error = context.sqlalchemy_exception or original
        raise StoreError(
            f"store {redacted(url)}: {type(original).__name__}: {first_line(original)}",
            transient=isinstance(error, OperationalError) or context.is_disconnect,
            detail=str(error),
        ) from original
