"""Table definitions of the store (the migrations create exactly these)."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("monitor", String(200), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
)

metrics = Table(
    "metrics",
    metadata,
    Column("monitor", String(200), primary_key=True),
    Column("dataset", String(200), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("column_name", String(200), primary_key=True),
    Column("segment", String(500), primary_key=True),
    Column("metric", String(100), primary_key=True),
    Column("value", Float, nullable=True),
)

check_results = Table(
    "check_results",
    metadata,
    Column("monitor", String(200), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("check_id", String(32), primary_key=True),
    Column("dataset", String(200), nullable=False),
    Column("check_name", String(200), nullable=False),
    Column("column_name", String(500), nullable=True),
    Column("segment", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("observed", Text, nullable=True),
    Column("expected", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("first_failed_week", Date, nullable=True),
    Column("position", Integer, nullable=False),
)
