"""What the store keeps: one ``Collection`` per record type, shared by every adapter."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from orbcore.billing import (
    BalanceTransaction,
    CreditBlock,
    Customer,
    Invoice,
    LedgerEntry,
    Plan,
    Price,
    Subscription,
)
from orbcore.events import Backfill, BillableMetric, Event, UsageRollup
from orbcore.webhooks import OutboxMessage, WebhookEndpoint

__all__ = ["COLLECTIONS", "Collection"]

R = TypeVar("R")


@dataclass(frozen=True)
class Collection(Generic[R]):
    """How one record type is stored and queried, whatever the backend.

    Attributes:
        name: the table (or map) name.
        record: the record class.
        key: the field that identifies a record.
        unique: further field tuples no two records may share (``None`` values exempt).
        filters: fields a list query may filter on.
        sorts: fields a list query may order by; the first is the default.
        mutable: whether records may be updated after they are added.
    """

    name: str
    record: type[R]
    key: str = "id"
    unique: tuple[tuple[str, ...], ...] = ()
    filters: frozenset[str] = frozenset()
    sorts: tuple[str, ...] = ("created_at",)
    mutable: bool = True

    @property
    def fields(self) -> tuple[str, ...]:
        """The record's field names, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(self.record))  # type: ignore[arg-type]

    @property
    def versioned(self) -> bool:
        """Whether updates are checked against a ``revision`` (optimistic locking)."""
        return "revision" in self.fields

    def key_of(self, record: R) -> str:
        """The key of ``record``."""
        value: Any = getattr(record, self.key)
        return str(value)


def _c(*names: str) -> frozenset[str]:
    return frozenset(names)


_ALL: list[Collection[Any]] = [
    Collection(
        "customers",
        Customer,
        unique=(("external_customer_id",),),
        filters=_c("external_customer_id", "email", "currency", "created_at"),
    ),
    Collection(
        "plans",
        Plan,
        unique=(("external_plan_id",),),
        filters=_c("external_plan_id", "status", "currency", "created_at"),
    ),
    Collection(
        "prices",
        Price,
        filters=_c("plan_id", "plan_version", "billable_metric_id", "price_type", "cadence"),
        mutable=False,
    ),
    Collection(
        "subscriptions",
        Subscription,
        filters=_c("customer_id", "plan_id", "status", "start_date", "end_date"),
        sorts=("created_at", "start_date"),
    ),
    Collection(
        "events",
        Event,
        key="idempotency_key",
        filters=_c(
            "customer_id",
            "external_customer_id",
            "event_name",
            "timestamp",
            "status",
            "backfill_id",
            "amends",
            "replaced_by",
        ),
        sorts=("timestamp", "ingested_at"),
    ),
    Collection(
        "billable_metrics",
        BillableMetric,
        filters=_c("event_name"),
    ),
    Collection(
        "backfills",
        Backfill,
        filters=_c("status", "customer_id", "external_customer_id", "timeframe_start"),
        sorts=("created_at", "timeframe_start"),
    ),
    Collection(
        "usage_rollups",
        UsageRollup,
        unique=(("metric_id", "customer_id", "bucket_start", "group_key"),),
        filters=_c("metric_id", "customer_id", "bucket_start", "group_key"),
        sorts=("bucket_start",),
    ),
    Collection(
        "invoices",
        Invoice,
        unique=(
            ("subscription_id", "invoice_date", "plan_id", "kind", "reissue"),
            ("number_prefix", "number_sequence"),
        ),
        filters=_c("customer_id", "subscription_id", "status", "kind", "currency", "invoice_date"),
        sorts=("invoice_date", "created_at"),
    ),
    Collection(
        "credit_blocks",
        CreditBlock,
        filters=_c("customer_id", "currency", "status", "expiry_date"),
        sorts=("effective_date", "created_at"),
    ),
    Collection(
        "ledger_entries",
        LedgerEntry,
        unique=(("customer_id", "currency", "sequence"),),
        filters=_c("customer_id", "currency", "block_id", "entry_type", "invoice_id"),
        sorts=("sequence", "created_at"),
        mutable=False,
    ),
    Collection(
        "balance_transactions",
        BalanceTransaction,
        filters=_c("customer_id", "currency", "action", "invoice_id"),
        mutable=False,
    ),
    Collection("webhook_endpoints", WebhookEndpoint, filters=_c("enabled")),
    Collection(
        "outbox",
        OutboxMessage,
        filters=_c("status", "event_type", "available_at"),
        sorts=("available_at", "created_at"),
    ),
]

COLLECTIONS: dict[str, Collection[Any]] = {c.name: c for c in _ALL}
"""Every collection, by name."""
