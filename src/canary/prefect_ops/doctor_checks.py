"""``canary doctor`` checks of a production deployment: where the store is, where secrets are."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from canary.errors import SecretError
from canary.prefect_ops.secret_blocks import secret_refs
from canary.secrets import resolve

if TYPE_CHECKING:
    from canary.doctor import Context, Finding

#: Check names of these findings start with one of these (the doctor's own checks do not).
PREFIXES = ("store", "secret ")


def _temporary(path: Path) -> bool:
    roots = {Path(tempfile.gettempdir()).resolve(), Path("/tmp"), Path("/var/tmp")}
    resolved = path.resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


def store_location(ctx: Context) -> Iterator[Finding]:
    """Warn about a store that would not survive: a relative or temporary SQLite path."""
    from canary.doctor import Finding

    raw = ctx.config.store_url(ctx.environ)
    try:
        url = make_url(raw)
    except ArgumentError:
        yield Finding("store", "fail", "the store URL is not a SQLAlchemy URL")
        return
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() != "sqlite":
        yield Finding("store", "ok", f"{shown}: shared by every worker")
        return
    database = url.database or ""
    if not database or database == ":memory:":
        yield Finding("store", "warn", f"{shown}: in memory, history is lost after each run")
    elif not Path(database).is_absolute():
        yield Finding(
            "store",
            "warn",
            f"{shown}: a relative path; a deployment run from a fresh clone or another "
            "directory forgets history, alert state and outbox. Use an absolute path or "
            "PostgreSQL (CANARY_STORE_URL)",
        )
    elif _temporary(Path(database)):
        yield Finding(
            "store",
            "warn",
            f"{shown}: in a temporary directory; history, alert state and outbox may vanish. "
            "Use a lasting absolute path or PostgreSQL (CANARY_STORE_URL)",
        )
    else:
        yield Finding("store", "ok", f"{shown}: SQLite at an absolute path (one machine only)")


def secret_origins(ctx: Context) -> Iterator[Finding]:
    """Where each secret the config names comes from (environment or Prefect block)."""
    from canary.doctor import Finding

    for name, ref in secret_refs(ctx.config).items():
        try:
            got = resolve(name, ref, ctx.environ)
        except SecretError as exc:
            yield Finding(f"secret {name}", "unreachable" if exc.transient else "warn", str(exc))
            continue
        yield Finding(f"secret {name}", "ok", f"from {got.origin}")
