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


def _key() -> sa.String:
    return sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")


def _replace_events(
    primary_key: Sequence[str], old_indexes: dict[str, list[str]], new_indexes: dict[str, list[str]]
) -> None:
    """Copy every event into a new ``events`` table with this primary key and these
    indexes. On PostgreSQL the new table is partitioned by month when its primary key
    holds the timestamp, with a partition for each month that has events; its primary key
    and indexes are built after the copy, each in one pass."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    partitioned = postgres and "timestamp" in primary_key
    for index in old_indexes:
        op.drop_index(index, table_name="events")
    op.rename_table("events", "events_old")
    if postgres:
        op.execute("ALTER TABLE events_old RENAME CONSTRAINT pk_events TO pk_events_old")
    options: dict[str, Any] = {}
    if partitioned:
        options["postgresql_partition_by"] = "RANGE (timestamp)"
    key = [] if postgres else [sa.PrimaryKeyConstraint(*primary_key, name="pk_events")]
    op.create_table(
        "events",
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
        *key,
        **options,
    )
    if partitioned:  # as the store made them: events_YYYY_MM, months in UTC
        months = bind.execute(
            sa.text(
                "SELECT DISTINCT date_trunc('month', timestamp AT TIME ZONE 'UTC') FROM events_old"
            )
        )
        for (month,) in months:
            year, number = month.year, month.month
            following = (year + (number == 12), number % 12 + 1)
            op.execute(
                f"CREATE TABLE events_{year:04d}_{number:02d} PARTITION OF events FOR VALUES"
                f" FROM ('{year:04d}-{number:02d}-01 00:00:00+00')"
                f" TO ('{following[0]:04d}-{following[1]:02d}-01 00:00:00+00')"
            )
    op.execute(f"INSERT INTO events ({_COLUMNS}) SELECT {_COLUMNS} FROM events_old")
    op.drop_table("events_old")  # and its partitions, on PostgreSQL
    if postgres:
        op.create_primary_key("pk_events", "events", list(primary_key))
    for index, columns in new_indexes.items():
        op.create_index(index, "events", columns, unique=False)


_BY_CUSTOMER = {
    "ix_events_customer_id_timestamp": ["customer_id", "timestamp"],
    "ix_events_external_customer_id_timestamp": ["external_customer_id", "timestamp"],
}
_BEFORE = _BY_CUSTOMER | {"ix_events_idempotency_key": ["idempotency_key"]}
_AFTER = _BY_CUSTOMER | {"ix_events_timestamp_idempotency_key": ["timestamp", "idempotency_key"]}


def upgrade() -> None:
    # The primary key on the key alone makes it unique across all time, as the key
    # register did beside the partitioned table, which could not be unique on it. The
    # index on (timestamp, key) serves what the old primary key did: reading a period
    # across customers, in order.
    _replace_events(["idempotency_key"], _BEFORE, _AFTER)
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
    _replace_events(["timestamp", "idempotency_key"], _AFTER, _BEFORE)
