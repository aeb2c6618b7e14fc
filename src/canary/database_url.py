"""Whether a database URL can reach a database: the store's and a warehouse's alike."""

from __future__ import annotations


def database_url_problem(url: str, example: str) -> str | None:
    """Why ``url`` cannot reach a database (not a SQLAlchemy URL, or a database kind with no
    installed dialect); ``example`` shows a good one."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return f"not a database URL ({example})"
    try:
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, ImportError):  # NoSuchModuleError is an ArgumentError
        return f"no installed SQLAlchemy dialect reads {parsed.drivername!r} URLs ({example})"
    return None
