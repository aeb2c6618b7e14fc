"""``canary doctor`` checks of a production deployment: where the store is, where secrets are."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from canary.config_base import duration_text
from canary.doctor.base import Context, Finding
from canary.errors import SecretError, StoreError
from canary.prefect_ops.schedules import scheduled_weeks
from canary.prefect_ops.secret_blocks import secret_refs
from canary.secrets import resolve
from canary.store import revision
from canary.store.db import may_make
from canary.store.faults import first_line, translate
from canary.url_secrets import safe_url

#: Check names of these findings start with one of these (the doctor's own checks do not).
PREFIXES = ("store", "data_dir", "secret ", "schedule ")


def _temporary(path: Path) -> bool:
    roots = {Path(tempfile.gettempdir()).resolve(), Path("/tmp"), Path("/var/tmp")}
    resolved = path.resolve()
    return any(resolved == r or r in resolved.parents for r in roots)


def store_location(ctx: Context) -> Iterator[Finding]:
    """Warn about a store that would not survive: a relative or temporary SQLite path."""
    raw = ctx.config.store_url(ctx.environ)
    try:
        url = make_url(raw)
    except ArgumentError:
        yield Finding("store", "fail", "the store URL is not a SQLAlchemy URL")
        return
    shown = safe_url(url)
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


def _unwritable(folder: Path) -> str | None:
    """Why canary cannot write a file in ``folder`` (made on first use if missing), if so."""
    existing = next(p for p in (folder, *folder.parents) if p.exists() or p == p.parent)
    if not existing.is_dir():
        return f"{existing} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"cannot write in {existing} ({exc.strerror or type(exc).__name__})"
    return None


def writable_places(ctx: Context) -> Iterator[Finding]:
    """Canary can write where it writes: ``data_dir`` (logs, caches, outbox, the default
    store) and a SQLite store's folder, which must exist unless canary may make it."""
    data_dir = ctx.config.data_dir.absolute()
    problem = _unwritable(data_dir)
    yield Finding("data_dir", "fail" if problem else "ok", problem or f"{data_dir}: writable")
    try:
        url = make_url(ctx.config.store_url(ctx.environ))
    except ArgumentError:
        return  # store_location says so
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    folder = Path(url.database).absolute().parent
    if folder.exists() or may_make(folder, data_dir):
        problem = _unwritable(folder)
    else:
        problem = f"{folder} does not exist; create it or point the store URL elsewhere"
    yield Finding("store: folder", "fail" if problem else "ok", problem or f"{folder}: writable")
    file = Path(url.database).absolute()
    if file.is_file():
        problem = _damaged(file)
        yield Finding("store: file", "fail" if problem else "ok", problem or f"{file}: intact")


def _damaged(file: Path) -> str | None:
    """Why the SQLite file cannot serve as the store (unwritable, damaged), if so."""
    if not os.access(file, os.W_OK):
        return f"canary cannot write {file}: allow it to"
    try:
        with contextlib.closing(sqlite3.connect(f"{file.as_uri()}?mode=ro", uri=True)) as db:
            verdict = str(db.execute("PRAGMA quick_check").fetchone()[0])
    except sqlite3.Error as exc:
        verdict = str(exc)
    if verdict == "ok":
        return None
    return f"{file} is damaged ({verdict}): move it aside or restore it from a backup"


def store_schema(ctx: Context) -> Iterator[Finding]:
    """Connect to the store, read-only: it is reachable, and its schema is one this canary
    can migrate (not from a newer canary, not half made, not rows without a revision)."""
    raw = ctx.config.store_url(ctx.environ)
    try:
        url = make_url(raw)
    except ArgumentError:
        return  # store_location says so
    where = safe_url(raw)
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return
        file = Path(url.database).absolute()
        if not file.is_file() or _damaged(file):
            return  # a new store, or writable_places says what is wrong
        where = str(file)
        url = URL.create("sqlite", database=f"{file.as_uri()}?mode=ro", query={"uri": "true"})
    engine = create_engine(url, hide_parameters=True, **_connect_timeout(url))
    translate(engine, raw)
    try:
        with engine.connect() as con:
            state = revision.found(con)
    except StoreError as exc:
        yield Finding("store: schema", "unreachable" if exc.transient else "fail", str(exc))
        return
    except SQLAlchemyError as exc:
        yield Finding("store: schema", "fail", f"store {where}: {first_line(exc)}")
        return
    finally:
        engine.dispose()
    known = revision.known_revisions()
    problem = revision.trouble(state, where, known)
    if problem:
        yield Finding("store: schema", "fail", problem)
    elif state.half_made:
        yield Finding(
            "store: schema",
            "warn",
            f"{where} is half made (canary's tables, all empty, without a schema revision, "
            "as a full disk leaves a first run): the next run makes it again",
        )
    elif not state.revisions:
        yield Finding("store: schema", "ok", f"{where}: reachable; the first run makes its tables")
    else:
        at = ", ".join(state.revisions)
        later = "" if at == known[-1] else f"; the next run upgrades it to {known[-1]}"
        yield Finding("store: schema", "ok", f"{where}: reachable, schema revision {at}{later}")


def _connect_timeout(url: URL) -> dict[str, dict[str, int]]:
    """A server that does not answer is unreachable after 10s, not after the OS's minutes."""
    return (
        {"connect_args": {"connect_timeout": 10}} if url.get_backend_name() == "postgresql" else {}
    )


def secret_origins(ctx: Context) -> Iterator[Finding]:
    """Where each secret the config names comes from (environment or Prefect block)."""
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
