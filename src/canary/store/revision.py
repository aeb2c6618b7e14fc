"""What a store's schema is before canary migrates it: new, at a revision canary knows, from a
newer canary, or half made (canary's tables without a revision row, as a first migration
stopped by a full disk left them before migrations ran in one transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, Table, inspect, literal_column, select, table

from canary.store.schema import metadata

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = "alembic_version"


def known_revisions() -> list[str]:
    """The schema revisions this canary knows, oldest first."""
    scripts = ScriptDirectory(str(MIGRATIONS))
    return [s.revision for s in reversed(list(scripts.walk_revisions()))]


@dataclass(frozen=True)
class Found:
    """A store's schema as found: its revision rows (None: no revision table), canary's
    tables in it and, without a revision row, whether any of them holds a row."""

    revisions: tuple[str, ...] | None
    tables: tuple[str, ...]
    holds_rows: bool

    @property
    def half_made(self) -> bool:
        """Canary's tables without a revision row, all empty: safe to make again."""
        return not self.revisions and bool(self.tables) and not self.holds_rows


def found(con: Connection) -> Found:
    """The schema of the store ``con`` is connected to (its rows looked for only when it has
    no revision: what tells a half-made store from one that lost its revision)."""
    names = set(inspect(con).get_table_names())
    tables = tuple(t for t in metadata.tables if t in names)
    revisions = None
    if VERSIONS in names:
        versions = Table(VERSIONS, MetaData(), autoload_with=con)
        revisions = tuple(str(r) for (r,) in con.execute(select(versions.c.version_num)))
    holds = not revisions and any(
        con.execute(select(literal_column("1")).select_from(table(t)).limit(1)).first()
        for t in tables
    )
    return Found(revisions, tables, holds)


def trouble(state: Found, where: str, known: list[str]) -> str | None:
    """Why canary must not migrate the store ``where`` names, and what to do; None when it may
    (a new store, a known revision, a half-made store without rows, which is made again)."""
    unknown = [r for r in state.revisions or () if r not in known]
    if unknown:
        return (
            f"{where} was written by a newer canary (schema revision {', '.join(unknown)}; "
            f"this canary knows up to {known[-1]}): upgrade canary, or point the store URL "
            "(CANARY_STORE_URL or store.url) at another store"
        )
    if state.revisions or not state.tables or state.half_made:
        return None
    table = "is empty" if state.revisions is not None else "is missing"
    return (
        f"{where} holds canary's tables and rows but no schema revision (its {VERSIONS} "
        f"table {table}), so canary cannot tell how to migrate it and leaves it as it is: "
        "restore it from a backup, or move it aside to start a new store"
    )
