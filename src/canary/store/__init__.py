"""The store: metrics per week, check results and runs, under Alembic migrations."""
