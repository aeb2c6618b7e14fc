"""canary: a data-pipeline canary and anomaly monitor for pings-based usage data."""

from sqlalchemy.dialects import registry

from canary.sources.sql.shared_functions import keep_shared_functions

__version__ = "0.1.0"

# A ``postgresql://`` URL without a driver means psycopg (3), the driver canary installs, as
# in SQLAlchemy 2.1; canary pins SQLAlchemy 2.0, whose default would be psycopg2, because the
# Snowflake dialect that runs on the Snowflake connector fakesnow serves (4.x) needs 2.0.
registry.register("postgresql", "sqlalchemy.dialects.postgresql.psycopg", "dialect")
keep_shared_functions()
