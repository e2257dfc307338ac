"""events: one table, unique by idempotency key; no key register, no monthly partitions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from orbcore.storage.sql import _types as types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    "timestamp, idempotency_key, event_name, customer_id, external_customer_id, properties,"
    " ingested_at, body_hash, status, backfill_id, amends, replaced_by"
)
_INDEXES = {
    "ix_events_customer_id_timestamp": ["customer_id", "timestamp"],
    "ix_events_external_customer_id_timestamp": ["external_customer_id", "timestamp"],
}


def _key() -> sa.String:
    return sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def _events_table(name: str, primary_key: Sequence[str], **options: Any) -> None:
    op.create_table(
        name,
        sa.Column("timestamp", types.UtcDateTime(), nullable=False),
        sa.Column("idempotency_key", _key(), nullable=False),
        sa.Column("event_name", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("external_customer_id", sa.String(length=255), nullable=True),
        sa.Column("properties", types.Document(), nullable=False),
        sa.Column("ingested_at", types.UtcDateTime(), nullable=False),
        sa.Column("body_hash", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("backfill_id", sa.String(length=64), nullable=True),
        sa.Column("amends", sa.String(length=255), nullable=True),
        sa.Column("replaced_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint(*primary_key, name=f"pk_{name}"),
        **options,
    )


def _replace_events(primary_key: Sequence[str], **options: Any) -> None:
    """Copy every event into a new ``events`` table of this shape, indexes rebuilt."""
    for index in _INDEXES:
        op.drop_index(index, table_name="events")
    _events_table("events_new", primary_key, **options)
    if options:  # partitioned by month on PostgreSQL: a partition for each month held
        months = op.get_bind().execute(
            sa.text("SELECT DISTINCT date_trunc('month', timestamp AT TIME ZONE 'UTC') FROM events")
        )
        for (month,) in months:
            name = f"events_{month:%Y_%m}"
            following = f"{month.year + (month.month == 12):04d}-{month.month % 12 + 1:02d}"
            op.execute(
                f"CREATE TABLE {name} PARTITION OF events_new FOR VALUES"
                f" FROM ('{month:%Y-%m}-01 00:00:00+00') TO ('{following}-01 00:00:00+00')"
            )
    op.execute(f"INSERT INTO events_new ({_COLUMNS}) SELECT {_COLUMNS} FROM events")
    op.drop_table("events")  # and its partitions, on PostgreSQL
    op.rename_table("events_new", "events")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE events RENAME CONSTRAINT pk_events_new TO pk_events")
    for index, columns in _INDEXES.items():
        op.create_index(index, "events", columns, unique=False)


def upgrade() -> None:
    # The primary key on the key alone makes it unique across all time, as the key
    # register did beside the partitioned table, which could not be unique on it.
    op.drop_index("ix_events_idempotency_key", table_name="events")
    _replace_events(["idempotency_key"])
    op.drop_table("event_keys")


def downgrade() -> None:
    op.create_table(
        "event_keys",
        sa.Column("idempotency_key", _key(), nullable=False),
        sa.Column("body_hash", sa.Text(), nullable=False),
        sa.Column("timestamp", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name="pk_event_keys"),
    )
    op.execute(
        "INSERT INTO event_keys (idempotency_key, body_hash, timestamp)"
        " SELECT idempotency_key, body_hash, timestamp FROM events"
    )
    partitioned = op.get_bind().dialect.name == "postgresql"
    options = {"postgresql_partition_by": "RANGE (timestamp)"} if partitioned else {}
    _replace_events(["timestamp", "idempotency_key"], **options)
    op.create_index("ix_events_idempotency_key", "events", ["idempotency_key"], unique=False)
