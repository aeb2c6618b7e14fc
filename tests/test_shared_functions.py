"""A dialect package's functions do not replace the ones every dialect shares."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.sql import functions

import canary  # noqa: F401  (installs the guard)
from tests.test_store import pg_url  # noqa: F401  (a fixture)


def test_bigquerys_unnest_does_not_become_every_dialects_and_postgres_reflects(
    pg_url: str,  # noqa: F811
) -> None:
    import great_expectations  # noqa: F401  (imports sqlalchemy_bigquery when installed)
    import sqlalchemy_bigquery  # noqa: F401

    assert "unnest" not in functions._registry["_default"]
    assert type(sa.func.unnest(sa.column("x"))) is functions.Function
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as con:
            con.exec_driver_sql("CREATE TABLE reflected (id int, names text[])")
            table = sa.Table("reflected", sa.MetaData(), autoload_with=con)
            con.exec_driver_sql("DROP TABLE reflected")
    finally:
        engine.dispose()
    assert [c.name for c in table.columns] == ["id", "names"]


def test_other_functions_still_register() -> None:
    class canary_probe(functions.GenericFunction[int]):
        type = sa.Integer()
        inherit_cache = True

    assert functions._registry["_default"]["canary_probe"] is canary_probe
    del functions._registry["_default"]["canary_probe"]
