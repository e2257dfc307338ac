"""The SQL schema: one table per collection, plus invoice lines and the invoice number
counters. Migrations must produce exactly this (a test checks).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from orbcore.storage.sql._types import Document, ExactDecimal, UtcDateTime

__all__ = ["TABLES", "metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = 64
KEY = 255


def _key(length: int) -> String:
    """Text that identifies something. PostgreSQL compares it byte by byte ("C"), as
    SQLite and the memory store do, so every store pages through keys in one order."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _id(name: str = "id") -> Column[str]:
    return Column(name, _key(ID), primary_key=True)


def _ref(name: str, table: str, *, nullable: bool = False) -> Column[str]:
    return Column(name, _key(ID), ForeignKey(f"{table}.id"), nullable=nullable)


def _revision() -> Column[int]:
    return Column("revision", Integer, nullable=False)


def _document(name: str) -> Column[object]:
    """A JSON object column added after release: rows that predate it read ``{}``."""
    return Column(name, Document, nullable=False, server_default=text("'{}'"))


customers = Table(
    "customers",
    metadata,
    _id(),
    Column("external_customer_id", String(KEY), unique=True),
    Column("name", Text, nullable=False),
    Column("email", String(KEY)),
    Column("currency", String(32)),
    Column("timezone", String(64), nullable=False),
    Column("billing_address", Document),
    Column("tax_ids", Document, nullable=False),
    Column("metadata", Document, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    _revision(),
)

plans = Table(
    "plans",
    metadata,
    _id(),
    Column("external_plan_id", String(KEY), unique=True),
    Column("name", Text, nullable=False),
    Column("currency", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("plan_version", Integer, nullable=False),
    Column("net_terms", Integer, nullable=False),
    Column("metadata", Document, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    _revision(),
    _document("terms"),
)

prices = Table(
    "prices",
    metadata,
    _id(),
    _ref("plan_id", "plans"),
    Column("plan_version", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("model_type", String(64), nullable=False),
    Column("cadence", String(32), nullable=False),
    Column("currency", String(32), nullable=False),
    Column("price_type", String(32), nullable=False),
    Column("billing_mode", String(32), nullable=False),
    Column("billable_metric_id", String(ID)),
    Column("config", Document, nullable=False),
    Column("fixed_price_quantity", ExactDecimal),
    Column("created_at", UtcDateTime, nullable=False),
    _document("details"),
    Index(None, "plan_id", "plan_version"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    _ref("plan_id", "plans"),
    Column("plan_version", Integer, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("start_date", UtcDateTime, nullable=False, index=True),
    Column("end_date", UtcDateTime),
    Column("alignment", Document, nullable=False),
    Column("trial_end_date", UtcDateTime),
    Column("net_terms", Integer, nullable=False),
    Column("metadata", Document, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    _revision(),
    _document("timeline"),
    Index(None, "customer_id", "created_at"),
)

events = Table(
    "events",
    metadata,
    Column("timestamp", UtcDateTime, nullable=False),
    # Unique across all time: the primary key is what makes ingestion idempotent.
    Column("idempotency_key", _key(KEY), primary_key=True),
    Column("event_name", String(KEY), nullable=False),
    Column("customer_id", String(ID)),
    Column("external_customer_id", String(KEY)),
    Column("properties", Document, nullable=False),
    Column("ingested_at", UtcDateTime, nullable=False),
    Column("body_hash", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("backfill_id", String(ID)),
    Column("amends", String(KEY)),
    Column("replaced_by", String(ID)),
    Index(None, "customer_id", "timestamp"),
    Index(None, "external_customer_id", "timestamp"),
    Index(None, "timestamp", "idempotency_key"),  # a period across customers, in order
)

billable_metrics = Table(
    "billable_metrics",
    metadata,
    _id(),
    Column("name", String(KEY), nullable=False),
    Column("event_name", String(KEY), nullable=False, index=True),
    Column("aggregation", String(32), nullable=False),
    Column("property", String(KEY)),
    Column("filter", Document),
    Column("group_by", Document, nullable=False),
    Column("status", String(32), nullable=False),
    Column("metadata", Document, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

backfills = Table(
    "backfills",
    metadata,
    _id(),
    Column("timeframe_start", UtcDateTime, nullable=False, index=True),
    Column("timeframe_end", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    Column("close_time", UtcDateTime, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("customer_id", String(ID)),
    Column("external_customer_id", String(KEY)),
    Column("replace_existing_events", Boolean, nullable=False),
    Column("deprecation_filter", Document),
    Column("reflected_at", UtcDateTime),
    Column("reverted_at", UtcDateTime),
    _revision(),
)

usage_rollups = Table(
    "usage_rollups",
    metadata,
    _id(),
    Column("metric_id", String(ID), nullable=False),
    Column("customer_id", String(ID), nullable=False),
    Column("bucket_start", UtcDateTime, nullable=False),
    # Text: a group's values as JSON may be long (string properties reach 4,096 characters).
    Column("group_key", Text, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("sum", ExactDecimal, nullable=False),
    Column("min", ExactDecimal),
    Column("max", ExactDecimal),
    UniqueConstraint("metric_id", "customer_id", "bucket_start", "group_key"),
    Index(None, "customer_id", "bucket_start"),
)

invoices = Table(
    "invoices",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    _ref("subscription_id", "subscriptions", nullable=True),
    Column("plan_id", _key(ID)),
    Column("reissue", Integer, nullable=False, server_default=text("0")),
    Column("currency", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("period_start", UtcDateTime, nullable=False),
    Column("period_end", UtcDateTime, nullable=False),
    Column("invoice_date", UtcDateTime, nullable=False, index=True),
    Column("subtotal", ExactDecimal, nullable=False),
    Column("tax", ExactDecimal, nullable=False),
    Column("total", ExactDecimal, nullable=False),
    Column("amount_due", ExactDecimal, nullable=False),
    Column("number_prefix", String(64)),
    Column("number_sequence", BigInteger),
    Column("issued_at", UtcDateTime),
    Column("due_date", Date),
    Column("paid_at", UtcDateTime),
    Column("voided_at", UtcDateTime),
    Column("metadata", Document, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    _revision(),
    UniqueConstraint("subscription_id", "invoice_date", "plan_id", "kind", "reissue"),
    UniqueConstraint("number_prefix", "number_sequence"),
    Index(None, "customer_id", "invoice_date"),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    _id(),
    Column("invoice_id", _key(ID), ForeignKey("invoices.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("start_date", UtcDateTime, nullable=False),
    Column("end_date", UtcDateTime, nullable=False),
    Column("price_id", String(ID)),
    Column("sub_lines", Document, nullable=False),
    Column("adjustments", Document, nullable=False),
    UniqueConstraint("invoice_id", "position"),
)

invoice_sequences = Table(
    "invoice_sequences",
    metadata,
    Column("prefix", String(64), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)

credit_blocks = Table(
    "credit_blocks",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    Column("currency", String(32), nullable=False),
    Column("initial_balance", ExactDecimal, nullable=False),
    Column("balance", ExactDecimal, nullable=False),
    Column("effective_date", UtcDateTime, nullable=False),
    Column("expiry_date", UtcDateTime),
    Column("per_unit_cost_basis", ExactDecimal),
    Column("status", String(32), nullable=False),
    Column("source", String(32), nullable=False),
    Column("filters", Document, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    _revision(),
    Index(None, "customer_id", "currency", "expiry_date"),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    Column("currency", String(32), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("entry_type", String(32), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("starting_balance", ExactDecimal, nullable=False),
    Column("ending_balance", ExactDecimal, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("block_id", _key(ID), ForeignKey("credit_blocks.id")),
    Column("invoice_id", String(ID)),
    Column("price_id", String(ID)),
    Column("description", Text),
    UniqueConstraint("customer_id", "currency", "sequence"),
)

balance_transactions = Table(
    "balance_transactions",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    Column("currency", String(32), nullable=False),
    Column("action", String(32), nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("starting_balance", ExactDecimal, nullable=False),
    Column("ending_balance", ExactDecimal, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("invoice_id", String(ID)),
    Column("description", Text),
    Index(None, "customer_id", "created_at"),
)

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    _id(),
    Column("url", Text, nullable=False),
    Column("secret", String(KEY), nullable=False),
    Column("event_types", Document, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    _revision(),
)

outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("event_type", String(KEY), nullable=False),
    Column("payload", Document, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("available_at", UtcDateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("locked_by", String(KEY)),
    Column("locked_until", UtcDateTime),
    Column("last_error", Text),
    _revision(),
    Index(None, "status", "available_at"),
)

TABLES: dict[str, Table] = {
    name: metadata.tables[name]
    for name in (
        "customers",
        "plans",
        "prices",
        "subscriptions",
        "events",
        "billable_metrics",
        "backfills",
        "usage_rollups",
        "invoices",
        "credit_blocks",
        "ledger_entries",
        "balance_transactions",
        "webhook_endpoints",
        "outbox",
    )
}
"""The table of each collection, by collection name."""
