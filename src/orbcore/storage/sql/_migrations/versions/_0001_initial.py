"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from orbcore.storage.sql import _types as types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("external_customer_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("billing_address", types.Document(), nullable=True),
        sa.Column("tax_ids", types.Document(), nullable=False),
        sa.Column("metadata", types.Document(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("external_customer_id", name=op.f("uq_customers_external_customer_id")),
    )
    op.create_index(op.f("ix_customers_created_at"), "customers", ["created_at"], unique=False)
    op.create_table(
        "event_keys",
        sa.Column(
            "idempotency_key",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("body_hash", sa.Text(), nullable=False),
        sa.Column("timestamp", types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_event_keys")),
    )
    op.create_table(
        "events",
        sa.Column("timestamp", types.UtcDateTime(), nullable=False),
        sa.Column(
            "idempotency_key",
            sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("event_name", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("external_customer_id", sa.String(length=255), nullable=True),
        sa.Column("properties", types.Document(), nullable=False),
        sa.Column("ingested_at", types.UtcDateTime(), nullable=False),
        sa.Column("body_hash", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("backfill_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("timestamp", "idempotency_key", name=op.f("pk_events")),
        postgresql_partition_by="RANGE (timestamp)",
    )
    op.create_index(
        op.f("ix_events_customer_id_timestamp"),
        "events",
        ["customer_id", "timestamp"],
        unique=False,
    )
    op.create_index(
        op.f("ix_events_external_customer_id_timestamp"),
        "events",
        ["external_customer_id", "timestamp"],
        unique=False,
    )
    op.create_index(op.f("ix_events_idempotency_key"), "events", ["idempotency_key"], unique=False)
    op.create_table(
        "invoice_sequences",
        sa.Column("prefix", sa.String(length=64), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_invoice_sequences")),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("payload", types.Document(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("available_at", types.UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.String(length=255), nullable=True),
        sa.Column("locked_until", types.UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        op.f("ix_outbox_status_available_at"), "outbox", ["status", "available_at"], unique=False
    )
    op.create_table(
        "plans",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("external_plan_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("net_terms", sa.Integer(), nullable=False),
        sa.Column("metadata", types.Document(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("external_plan_id", name=op.f("uq_plans_external_plan_id")),
    )
    op.create_index(op.f("ix_plans_created_at"), "plans", ["created_at"], unique=False)
    op.create_table(
        "usage_rollups",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("metric_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("bucket_start", types.UtcDateTime(), nullable=False),
        sa.Column("group_key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("sum", types.ExactDecimal(), nullable=False),
        sa.Column("min", types.ExactDecimal(), nullable=True),
        sa.Column("max", types.ExactDecimal(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_rollups")),
        sa.UniqueConstraint(
            "metric_id",
            "customer_id",
            "bucket_start",
            "group_key",
            name=op.f("uq_usage_rollups_metric_id_customer_id_bucket_start_group_key"),
        ),
    )
    op.create_index(
        op.f("ix_usage_rollups_customer_id_bucket_start"),
        "usage_rollups",
        ["customer_id", "bucket_start"],
        unique=False,
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("event_types", types.Document(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "balance_transactions",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("amount", types.ExactDecimal(), nullable=False),
        sa.Column("starting_balance", types.ExactDecimal(), nullable=False),
        sa.Column("ending_balance", types.ExactDecimal(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_balance_transactions_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_transactions")),
    )
    op.create_index(
        op.f("ix_balance_transactions_customer_id_created_at"),
        "balance_transactions",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "credit_blocks",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=32), nullable=False),
        sa.Column("initial_balance", types.ExactDecimal(), nullable=False),
        sa.Column("balance", types.ExactDecimal(), nullable=False),
        sa.Column("effective_date", types.UtcDateTime(), nullable=False),
        sa.Column("expiry_date", types.UtcDateTime(), nullable=True),
        sa.Column("per_unit_cost_basis", types.ExactDecimal(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("filters", types.Document(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_credit_blocks_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_blocks")),
    )
    op.create_index(
        op.f("ix_credit_blocks_customer_id_currency_expiry_date"),
        "credit_blocks",
        ["customer_id", "currency", "expiry_date"],
        unique=False,
    )
    op.create_table(
        "prices",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "plan_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("model_type", sa.String(length=64), nullable=False),
        sa.Column("cadence", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=32), nullable=False),
        sa.Column("price_type", sa.String(length=32), nullable=False),
        sa.Column("billing_mode", sa.String(length=32), nullable=False),
        sa.Column("billable_metric_id", sa.String(length=64), nullable=True),
        sa.Column("config", types.Document(), nullable=False),
        sa.Column("fixed_price_quantity", types.ExactDecimal(), nullable=True),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_prices_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
    )
    op.create_index(
        op.f("ix_prices_plan_id_plan_version"), "prices", ["plan_id", "plan_version"], unique=False
    )
    op.create_table(
        "subscriptions",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "plan_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("start_date", types.UtcDateTime(), nullable=False),
        sa.Column("end_date", types.UtcDateTime(), nullable=True),
        sa.Column("alignment", types.Document(), nullable=False),
        sa.Column("trial_end_date", types.UtcDateTime(), nullable=True),
        sa.Column("net_terms", sa.Integer(), nullable=False),
        sa.Column("metadata", types.Document(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_subscriptions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_subscriptions_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(
        op.f("ix_subscriptions_created_at"), "subscriptions", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_subscriptions_customer_id_created_at"),
        "subscriptions",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_subscriptions_start_date"), "subscriptions", ["start_date"], unique=False
    )
    op.create_index(op.f("ix_subscriptions_status"), "subscriptions", ["status"], unique=False)
    op.create_table(
        "invoices",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "subscription_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("currency", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("period_start", types.UtcDateTime(), nullable=False),
        sa.Column("period_end", types.UtcDateTime(), nullable=False),
        sa.Column("invoice_date", types.UtcDateTime(), nullable=False),
        sa.Column("subtotal", types.ExactDecimal(), nullable=False),
        sa.Column("tax", types.ExactDecimal(), nullable=False),
        sa.Column("total", types.ExactDecimal(), nullable=False),
        sa.Column("amount_due", types.ExactDecimal(), nullable=False),
        sa.Column("number_prefix", sa.String(length=64), nullable=True),
        sa.Column("number_sequence", sa.BigInteger(), nullable=True),
        sa.Column("issued_at", types.UtcDateTime(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("paid_at", types.UtcDateTime(), nullable=True),
        sa.Column("voided_at", types.UtcDateTime(), nullable=True),
        sa.Column("metadata", types.Document(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invoices_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_invoices_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "number_prefix",
            "number_sequence",
            name=op.f("uq_invoices_number_prefix_number_sequence"),
        ),
        sa.UniqueConstraint(
            "subscription_id",
            "period_start",
            "period_end",
            "kind",
            name=op.f("uq_invoices_subscription_id_period_start_period_end_kind"),
        ),
    )
    op.create_index(
        op.f("ix_invoices_customer_id_invoice_date"),
        "invoices",
        ["customer_id", "invoice_date"],
        unique=False,
    )
    op.create_index(op.f("ix_invoices_invoice_date"), "invoices", ["invoice_date"], unique=False)
    op.create_index(op.f("ix_invoices_status"), "invoices", ["status"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=32), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("entry_type", sa.String(length=32), nullable=False),
        sa.Column("amount", types.ExactDecimal(), nullable=False),
        sa.Column("starting_balance", types.ExactDecimal(), nullable=False),
        sa.Column("ending_balance", types.ExactDecimal(), nullable=False),
        sa.Column("created_at", types.UtcDateTime(), nullable=False),
        sa.Column(
            "block_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.Column("price_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["block_id"],
            ["credit_blocks.id"],
            name=op.f("fk_ledger_entries_block_id_credit_blocks"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_ledger_entries_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint(
            "customer_id",
            "currency",
            "sequence",
            name=op.f("uq_ledger_entries_customer_id_currency_sequence"),
        ),
    )
    op.create_table(
        "invoice_lines",
        sa.Column(
            "id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "invoice_id",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("quantity", types.ExactDecimal(), nullable=False),
        sa.Column("amount", types.ExactDecimal(), nullable=False),
        sa.Column("start_date", types.UtcDateTime(), nullable=False),
        sa.Column("end_date", types.UtcDateTime(), nullable=False),
        sa.Column("price_id", sa.String(length=64), nullable=True),
        sa.Column("sub_lines", types.Document(), nullable=False),
        sa.Column("adjustments", types.Document(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint(
            "invoice_id", "position", name=op.f("uq_invoice_lines_invoice_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("invoice_lines")
    op.drop_table("ledger_entries")
    op.drop_index(op.f("ix_invoices_status"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_invoice_date"), table_name="invoices")
    op.drop_index(op.f("ix_invoices_customer_id_invoice_date"), table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_subscriptions_status"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_start_date"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_customer_id_created_at"), table_name="subscriptions")
    op.drop_index(op.f("ix_subscriptions_created_at"), table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index(op.f("ix_prices_plan_id_plan_version"), table_name="prices")
    op.drop_table("prices")
    op.drop_index(
        op.f("ix_credit_blocks_customer_id_currency_expiry_date"), table_name="credit_blocks"
    )
    op.drop_table("credit_blocks")
    op.drop_index(
        op.f("ix_balance_transactions_customer_id_created_at"), table_name="balance_transactions"
    )
    op.drop_table("balance_transactions")
    op.drop_table("webhook_endpoints")
    op.drop_index(op.f("ix_usage_rollups_customer_id_bucket_start"), table_name="usage_rollups")
    op.drop_table("usage_rollups")
    op.drop_index(op.f("ix_plans_created_at"), table_name="plans")
    op.drop_table("plans")
    op.drop_index(op.f("ix_outbox_status_available_at"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("invoice_sequences")
    op.drop_index(op.f("ix_events_idempotency_key"), table_name="events")
    op.drop_index(op.f("ix_events_external_customer_id_timestamp"), table_name="events")
    op.drop_index(op.f("ix_events_customer_id_timestamp"), table_name="events")
    op.drop_table("events")
    op.drop_table("event_keys")
    op.drop_index(op.f("ix_customers_created_at"), table_name="customers")
    op.drop_table("customers")
