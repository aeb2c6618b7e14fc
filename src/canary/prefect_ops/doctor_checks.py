"""``canary doctor`` checks of a production deployment: where the store is, where secrets are."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from canary.config import duration_text
from canary.errors import SecretError
from canary.prefect_ops.schedules import scheduled_weeks
from canary.prefect_ops.secret_blocks import secret_refs
from canary.secrets import resolve

if TYPE_CHECKING:
    from canary.doctor import Context, Finding

#: Check names of these findings start with one of these (the doctor's own checks do not).
PREFIXES = ("store", "secret ", "schedule ")


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


def schedules(ctx: Context) -> Iterator[Finding]:
    """Which week each deployment's next scheduled run tests (``prefect.yaml`` beside the
    config): the week that has just ended, or a warning saying why not."""
    from canary.doctor import Finding

    path = ctx.config_dir / "prefect.yaml"
    if not path.is_file():
        return
    for s in scheduled_weeks(path, ctx.config, ctx.now):
        when = f"next run {s.fires:%a %Y-%m-%d %H:%M} {s.fires.tzname()}"
        check = f"schedule {s.deployment}"
        if s.behind <= 0:
            yield Finding(check, "ok", f"{when} tests week {s.tests}, the week that just ended")
            continue
        ended_at = datetime.combine(s.ended + timedelta(days=7), time(), UTC)
        yield Finding(
            check,
            "warn",
            f"{when} tests week {s.tests}, not week {s.ended} which has just ended: "
            f"monitor {s.monitor}'s sources count a week complete "
            f"{duration_text(s.complete_after)} after it ends. Set complete_after to at most "
            f"{duration_text(s.fires - ended_at)} or schedule the run later",
        )
