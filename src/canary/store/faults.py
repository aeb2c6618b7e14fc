"""Database faults as one-line ``StoreError``s; the statement goes to the log file only."""

from __future__ import annotations

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError

from canary.errors import StoreError
from canary.url_secrets import safe_url


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: SQLite's words for a fault and what to do about it (``{file}`` is the store's file).
_SQLITE_ADVICE = (
    (
        ("malformed", "not a database"),
        "{file} is damaged: move it aside (or restore it from a backup), then run canary doctor",
    ),
    (("readonly", "read-only"), "canary cannot write {file}: allow it to, then run canary doctor"),
    (("disk is full", "disk full"), "the disk holding {file} is full: free space and rerun"),
    (
        ("unable to open",),
        "{file} cannot be opened: check its folder exists and is writable (canary doctor)",
    ),
)


def advice(url: str, fault: str) -> str:
    """What to do about ``fault`` of the store at ``url`` (a SQLite file's known faults), as
    ``"; ..."`` to end its message, or nothing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return ""
    text = fault.lower()
    return next(
        ("; " + what.format(file=parsed.database) for words, what in _SQLITE_ADVICE
         if any(w in text for w in words)),
        "",
    )  # fmt: skip


def translate(engine: Engine, url: str) -> None:
    """Make every database error of ``engine`` a ``StoreError`` naming the store and the fault.

    Connection losses, locks and read-only files are transient; the message never holds SQL.
    """

    @event.listens_for(engine, "handle_error")
    def _raise(context: ExceptionContext) -> None:
        original = context.original_exception
        error = context.sqlalchemy_exception or original
        fault = first_line(original)
        raise StoreError(
            f"store {safe_url(url)}: {type(original).__name__}: {fault}{advice(url, fault)}",
            transient=isinstance(error, OperationalError) or context.is_disconnect,
            detail=str(error),
        ) from original
