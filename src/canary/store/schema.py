"""Table definitions of the store (the migrations create exactly these)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

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
    Column("family", String(40), nullable=True),  # migration 0005
    Column("field_role", String(20), nullable=True),  # migration 0005
)

# Alert lifecycle and delivery (canary.alerts; migration 0002).

alert_state = Table(
    "alert_state",
    metadata,
    Column("fingerprint", String(32), primary_key=True),
    Column("monitor", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("posted", Integer, nullable=False),
    Column("channel", String(200), nullable=True),
    Column("thread_key", String(64), nullable=True),
    Column("opened_week", Date, nullable=True),
    Column("last_week", Date, nullable=False),
    Column("history", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

alert_messages = Table(
    "alert_messages",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("monitor", String(200), nullable=False),
    Column("week", Date, nullable=False),
    Column("model", Text, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("transport", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("channel", String(200), nullable=False),
    Column("parent_key", String(64), nullable=True),
    Column("monitor", String(200), nullable=False),
    Column("week", Date, nullable=False),
    Column("payload", Text, nullable=False),
    Column("blob", LargeBinary, nullable=True),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("claimed_at", Float, nullable=True),
    Column("claimed_by", String(200), nullable=True),  # migration 0004
    Column("lease_until", Float, nullable=True),  # migration 0004
    Column("channel_id", String(32), nullable=True),
    Column("ts", String(32), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("delivered_at", Float, nullable=True),
)
Index("ix_outbox_status", outbox.c.status, outbox.c.id)

accepted_shifts = Table(
    "accepted_shifts",
    metadata,
    Column("monitor", String(200), primary_key=True),
    Column("check_id", String(32), primary_key=True),
    Column("from_week", Date, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("accepted_by", String(200), nullable=False),
    Column("accepted_at", DateTime(timezone=True), nullable=False),
)

dataset_schemas = Table(
    "dataset_schemas",
    metadata,
    Column("monitor", String(200), primary_key=True),
    Column("dataset", String(200), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("columns", Text, nullable=False),
)

week_fingerprints = Table(  # migration 0006
    "week_fingerprints",
    metadata,
    Column("monitor", String(200), primary_key=True),
    Column("dataset", String(200), primary_key=True),
    Column("week", Date, primary_key=True),
    Column("fingerprint", Text, nullable=False),
)
