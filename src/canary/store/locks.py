"""Serialising runs of one monitor and week, and migrations of a fresh store.

PostgreSQL: session advisory locks (the holder shows in ``pg_stat_activity`` by its
``application_name``). SQLite files: ``flock`` on a lock file beside the database, which
holds a line naming its holder. A second run waits up to a timeout, then fails naming the
holder. Other stores (in-memory SQLite, other backends) are not locked.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from canary.errors import StoreError
from canary.url_secrets import safe_url

POLL_SECONDS = 0.2


def lock_holder(what: str) -> str:
    """Who holds a lock, as others are told: what, process id, host and since when."""
    since = f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
    return f"{what} (pid {os.getpid()} on {socket.gethostname()}, since {since})"


def key_of(name: str) -> int:
    """A stable non-negative 63-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


def sqlite_file(engine: Engine | URL) -> Path | None:
    """The file of a SQLite store (none: another database, or in memory)."""
    url = engine.url if isinstance(engine, Engine) else engine
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    database = url.database.removeprefix("file:") if "uri" in url.query else url.database
    return Path(database)


@contextmanager
def file_lock(path: Path, holder: str, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created as needed), waiting up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            current = handle.read().strip() or "another process"
            handle.close()
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"{path}: held by {current}; gave up after {timeout:g}s (store.lock_timeout)",
                    transient=True,
                ) from None
            time.sleep(POLL_SECONDS)
            continue
        if not path.exists() or os.stat(path).st_ino != os.fstat(handle.fileno()).st_ino:
            handle.close()  # the file was replaced while we waited: lock the new one
            continue
        break
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(holder + "\n")
        handle.flush()
        yield
    finally:
        path.unlink(missing_ok=True)  # a waiter on this inode sees it gone and retries
        handle.close()


def _pg_holder(con: Connection, key: int) -> str:
    row = con.execute(
        text(
            "SELECT a.application_name, a.pid, a.client_addr, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1 "
            # advisory locks are per database: the same name in another store is not ours
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
    ).first()
    if row is None:
        return "another session"
    name, pid, client, start = row
    return (
        f"{name or 'a session'} (PostgreSQL backend {pid}, client {client or 'local socket'}, "
        f"connected {start:%Y-%m-%d %H:%M:%S %Z})"
    )


@contextmanager
def pg_lock(engine: Engine, name: str, holder: str, timeout: float) -> Iterator[None]:
    """Hold a session advisory lock on ``name`` on a connection of its own."""
    key = key_of(name)
    deadline = time.monotonic() + timeout
    with engine.connect() as con:
        con.execute(text("SELECT set_config('application_name', :n, false)"), {"n": holder[:63]})
        con.commit()
        while not con.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            con.commit()
            if time.monotonic() >= deadline:
                current = _pg_holder(con, key)
                where = safe_url(engine.url)
                raise StoreError(
                    f"store {where}: {name} is held by {current}; gave up after {timeout:g}s "
                    "(store.lock_timeout)",
                    transient=True,
                )
            time.sleep(POLL_SECONDS)
        con.commit()
        try:
            yield
        finally:
            try:
                con.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                con.commit()
            except (StoreError, SQLAlchemyError):  # the session is lost, its lock with it:
                con.invalidate()  # make sure of it rather than hide the run behind the fault


@contextmanager
def store_lock(engine: Engine, name: str, timeout: float) -> Iterator[None]:
    """Hold the lock called ``name`` on the store of ``engine`` (see the module doc)."""
    if engine.url.get_backend_name() == "postgresql":
        short = f"canary pid {os.getpid()} on {socket.gethostname()}"
        with pg_lock(engine, name, short, timeout):
            yield
        return
    database = sqlite_file(engine)
    if database is None:
        yield
        return
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    lock_file = database.with_name(f"{database.name}.{digest}.lock")
    with file_lock(lock_file, lock_holder(f"canary {name}"), timeout):
        yield
