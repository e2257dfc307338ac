"""billable metrics, backfills, event amendment columns, plan terms and timelines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from orbcore.storage.sql import _types as types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _document(name: str) -> sa.Column[object]:
    # SQLite adds a NOT NULL column only with a default; existing rows read {}.
    return sa.Column(name, types.Document(), server_default=sa.text("'{}'"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "backfills",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("timeframe_start", types.UtcDateTime(), nullable=False),
        sa.Column("timeframe_end", types.UtcDateTime(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("close_time", types.UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("external_customer_id", sa.String(length=255), nullable=True),
        sa.Column("replace_existing_events", sa.Boolean(), nullable=False),
        sa.Column("deprecation_filter", types.Document(), nullable=True),
        sa.Column("reflected_at", types.UtcDateTime(), nullable=True),
        sa.Column("reverted_at", types.UtcDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backfills")),
    )
    op.create_index(op.f("ix_backfills_created_at"), "backfills", ["created_at"], unique=False)
    op.create_index(op.f("ix_backfills_status"), "backfills", ["status"], unique=False)
    op.create_index(
        op.f("ix_backfills_timeframe_start"), "backfills", ["timeframe_start"], unique=False
    )
    op.create_table(
        "billable_metrics",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("event_name", sa.String(length=255), nullable=False),
        sa.Column("aggregation", sa.String(length=32), nullable=False),
        sa.Column("property", sa.String(length=255), nullable=True),
        sa.Column("filter", types.Document(), nullable=True),
        sa.Column("group_by", types.Document(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("metadata", types.Document(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billable_metrics")),
    )
    op.create_index(
        op.f("ix_billable_metrics_created_at"), "billable_metrics", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_billable_metrics_event_name"), "billable_metrics", ["event_name"], unique=False
    )
    op.add_column("events", sa.Column("amends", sa.String(length=255), nullable=True))
    op.add_column("events", sa.Column("replaced_by", sa.String(length=64), nullable=True))
    op.add_column("plans", _document("terms"))
    op.add_column("prices", _document("details"))
    op.add_column("subscriptions", _document("timeline"))

    with op.batch_alter_table("usage_rollups") as rollups:
        rollups.alter_column(
            "group_key", type_=sa.Text(), existing_type=sa.String(length=255), nullable=False
        )


def downgrade() -> None:
    op.drop_column("subscriptions", "timeline")
    op.drop_column("prices", "details")
    op.drop_column("plans", "terms")
    with op.batch_alter_table("usage_rollups") as rollups:
        rollups.alter_column(
            "group_key", type_=sa.String(length=255), existing_type=sa.Text(), nullable=False
        )
    op.drop_column("events", "replaced_by")
    op.drop_column("events", "amends")
    op.drop_index(op.f("ix_billable_metrics_event_name"), table_name="billable_metrics")
    op.drop_index(op.f("ix_billable_metrics_created_at"), table_name="billable_metrics")
    op.drop_table("billable_metrics")
    op.drop_index(op.f("ix_backfills_timeframe_start"), table_name="backfills")
    op.drop_index(op.f("ix_backfills_status"), table_name="backfills")
    op.drop_index(op.f("ix_backfills_created_at"), table_name="backfills")
    op.drop_table("backfills")
