"""One factory per record type: valid records with unique ids, exact amounts, aware times.

Every call takes the next serial number, so ids, keys and default times never repeat and
grow in the order records were made. Keyword arguments override any field.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from orbcore.billing import (
    BalanceTransaction,
    CreditBlock,
    Customer,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Plan,
    Price,
    PriceRef,
    Subscription,
    SubscriptionTimeline,
    apply_coupon,
    cancel_subscription,
    change_fixed_fee_quantity,
)
from orbcore.calendar import Cadence
from orbcore.events import (
    Aggregation,
    Backfill,
    BillableMetric,
    Event,
    UsageRollup,
    filter_from_json,
)
from orbcore.webhooks import OutboxMessage, WebhookEndpoint

BASE = datetime(2024, 3, 1, tzinfo=UTC)
AMOUNT = Decimal("123456789.123456789012")
SMALL_AMOUNT = Decimal("0.000000000001")
RATE = Decimal("98765.432109876543")

_serial = itertools.count(1)


def serial() -> int:
    """The next number of the serial all factories share."""
    return next(_serial)


def at(hours: int = 0, minutes: int = 0) -> datetime:
    """An aware UTC instant ``hours`` and ``minutes`` after :data:`BASE`."""
    return BASE + timedelta(hours=hours, minutes=minutes)


def customer(**fields: Any) -> Customer:
    n = serial()
    values: dict[str, Any] = {
        "id": f"cus_{n:06d}",
        "name": f"Customer {n}",
        "created_at": at(minutes=n),
        "external_customer_id": f"ext_cus_{n:06d}",
        "email": f"billing{n}@example.com",
        "currency": "USD",
        "timezone": "Europe/Berlin",
        "billing_address": {"line1": "1 Main St", "country": "DE", "unit": None},
        "tax_ids": [{"type": "eu_vat", "value": "DE123456789"}],
        "metadata": {"segment": "enterprise"},
    }
    return Customer(**(values | fields))


def plan(**fields: Any) -> Plan:
    n = serial()
    values: dict[str, Any] = {
        "id": f"pln_{n:06d}",
        "name": f"Plan {n}",
        "currency": "USD",
        "created_at": at(minutes=n),
        "external_plan_id": f"ext_pln_{n:06d}",
        "net_terms": 30,
        "metadata": {"family": "api"},
        "terms": {
            "default_invoice_memo": "Thank you",
            "trial_config": {"trial_period": 14, "trial_period_unit": "days"},
            "adjustments": [
                {"adjustment_type": "percentage_discount", "percentage_discount": RATE}
            ],
        },
    }
    return Plan(**(values | fields))


def price(**fields: Any) -> Price:
    n = serial()
    values: dict[str, Any] = {
        "id": f"pri_{n:06d}",
        "plan_id": f"pln_{n:06d}",
        "plan_version": 1,
        "name": f"API calls {n}",
        "model_type": "tiered",
        "cadence": "monthly",
        "currency": "USD",
        "created_at": at(minutes=n),
        "billable_metric_id": f"met_{n:06d}",
        "config": {
            "tiers": [
                {"first_unit": 0, "last_unit": 1000, "unit_amount": "0.000123456789"},
                {"first_unit": 1000, "last_unit": None, "unit_amount": "0.0001"},
            ],
            "prorate": True,
        },
        "fixed_price_quantity": RATE,
        "details": {"position": 0, "item_id": f"item_{n:06d}", "plan_terms": {"memo": None}},
    }
    return Price(**(values | fields))


def subscription(**fields: Any) -> Subscription:
    n = serial()
    values: dict[str, Any] = {
        "id": f"sub_{n:06d}",
        "customer_id": f"cus_{n:06d}",
        "plan_id": f"pln_{n:06d}",
        "plan_version": 1,
        "start_date": at(hours=n),
        "created_at": at(minutes=n),
        "end_date": at(hours=n + 24 * 365),
        "alignment": {"type": "billing_cycle_day", "day": 15},
        "trial_end_date": at(hours=n + 24 * 14),
        "metadata": {"source": "sales"},
        "timeline": timeline_json(at(hours=n)),
    }
    return Subscription(**(values | fields))


def timeline_json(start: datetime) -> dict[str, Any]:
    """The JSON form of a timeline with a fractional quantity change, a coupon and an end."""
    timeline = SubscriptionTimeline.create(
        start,
        [PriceRef.fixed_fee("seats", Cadence.monthly(), quantity="2.50")],
        timezone="America/Santiago",
        trial_days=14,
    )
    timeline = change_fixed_fee_quantity(
        timeline, "seats", SMALL_AMOUNT, effective=start + timedelta(days=20)
    )
    timeline = apply_coupon(timeline, "WELCOME", as_of=start, duration_in_months=3)
    ends = start + timedelta(days=90)
    return cancel_subscription(
        timeline, "requested_date", as_of=start, cancellation_date=ends
    ).to_json()


def event(**fields: Any) -> Event:
    n = serial()
    values: dict[str, Any] = {
        "idempotency_key": f"evt_{n:06d}",
        "event_name": "api_call",
        "timestamp": at(minutes=n),
        "ingested_at": at(minutes=n + 1),
        "body_hash": f"sha256:{n:064x}",
        "customer_id": f"cus_{n:06d}",
        "external_customer_id": f"ext_cus_{n:06d}",
        "properties": {"bytes": Decimal("12.500"), "region": "us-east-1", "ok": True},
    }
    return Event(**(values | fields))


def billable_metric(**fields: Any) -> BillableMetric:
    n = serial()
    values: dict[str, Any] = {
        "id": f"met_{n:06d}",
        "name": f"Metric {n}",
        "event_name": "api_call",
        "aggregation": Aggregation.SUM,
        "property": "bytes",
        "filter": filter_from_json(
            {
                "or": [
                    {"property": "region", "op": "in", "value": ["us", "eu"]},
                    {"property": "bytes", "op": ">", "value": Decimal("0.5")},
                ]
            }
        ),
        "group_by": ("region",),
        "created_at": at(minutes=n),
        "metadata": {"team": "api"},
    }
    return BillableMetric(**(values | fields))


def backfill(**fields: Any) -> Backfill:
    n = serial()
    values: dict[str, Any] = {
        "id": f"bf_{n:06d}",
        "timeframe_start": at(hours=n),
        "timeframe_end": at(hours=n + 24),
        "created_at": at(minutes=n),
        "close_time": at(hours=n + 48),
        "customer_id": f"cus_{n:06d}",
        "deprecation_filter": {"property": "region", "op": "=", "value": "us"},
    }
    return Backfill(**(values | fields))


def usage_rollup(**fields: Any) -> UsageRollup:
    n = serial()
    values: dict[str, Any] = {
        "id": f"rol_{n:06d}",
        "metric_id": "met_000001",
        "customer_id": f"cus_{n:06d}",
        "bucket_start": at(hours=n),
        "group_key": "region=us-east-1",
        "count": 3,
        "sum": AMOUNT,
        "min": SMALL_AMOUNT,
        "max": RATE,
    }
    return UsageRollup(**(values | fields))


def invoice_line(invoice_id: str, position: int, **fields: Any) -> InvoiceLine:
    n = serial()
    values: dict[str, Any] = {
        "id": f"lin_{n:06d}",
        "invoice_id": invoice_id,
        "position": position,
        "name": f"Line {n}",
        "quantity": RATE,
        "amount": AMOUNT,
        "start_date": at(hours=n),
        "end_date": at(hours=n + 24 * 30),
        "price_id": f"pri_{n:06d}",
        "sub_lines": [{"tier": 1, "quantity": "1000", "amount": "0.123456789", "last": False}],
        "adjustments": [{"type": "minimum", "amount": "5.00"}],
    }
    return InvoiceLine(**(values | fields))


def invoice(**fields: Any) -> Invoice:
    n = serial()
    invoice_id = fields.get("id", f"inv_{n:06d}")
    values: dict[str, Any] = {
        "id": invoice_id,
        "customer_id": f"cus_{n:06d}",
        "currency": "USD",
        "kind": "subscription",
        "period_start": at(hours=n),
        "period_end": at(hours=n + 24 * 30),
        "invoice_date": at(hours=n + 24 * 30),
        "created_at": at(minutes=n),
        "subscription_id": f"sub_{n:06d}",
        "subtotal": AMOUNT,
        "tax": SMALL_AMOUNT,
        "total": AMOUNT + SMALL_AMOUNT,
        "amount_due": AMOUNT,
        "due_date": date(2024, 4, 30),
        "lines": (invoice_line(invoice_id, 1), invoice_line(invoice_id, 2)),
        "metadata": {"po": f"PO-{n}"},
    }
    return Invoice(**(values | fields))


def credit_block(**fields: Any) -> CreditBlock:
    n = serial()
    values: dict[str, Any] = {
        "id": f"blk_{n:06d}",
        "customer_id": f"cus_{n:06d}",
        "currency": "credits",
        "initial_balance": AMOUNT,
        "balance": AMOUNT,
        "effective_date": at(hours=n),
        "created_at": at(minutes=n),
        "expiry_date": at(hours=n + 24 * 90),
        "per_unit_cost_basis": RATE,
        "filters": [{"field": "item_id", "operator": "includes", "values": ["itm_1"]}],
    }
    return CreditBlock(**(values | fields))


def ledger_entry(**fields: Any) -> LedgerEntry:
    n = serial()
    values: dict[str, Any] = {
        "id": f"led_{n:06d}",
        "customer_id": f"cus_{n:06d}",
        "currency": "credits",
        "sequence": n,
        "entry_type": "increment",
        "amount": AMOUNT,
        "starting_balance": SMALL_AMOUNT,
        "ending_balance": AMOUNT + SMALL_AMOUNT,
        "created_at": at(minutes=n),
        "block_id": f"blk_{n:06d}",
        "description": "top-up",
    }
    return LedgerEntry(**(values | fields))


def balance_transaction(**fields: Any) -> BalanceTransaction:
    n = serial()
    values: dict[str, Any] = {
        "id": f"btx_{n:06d}",
        "customer_id": f"cus_{n:06d}",
        "currency": "USD",
        "action": "applied_to_invoice",
        "amount": -AMOUNT,
        "starting_balance": AMOUNT,
        "ending_balance": Decimal(0),
        "created_at": at(minutes=n),
        "invoice_id": f"inv_{n:06d}",
    }
    return BalanceTransaction(**(values | fields))


def webhook_endpoint(**fields: Any) -> WebhookEndpoint:
    n = serial()
    values: dict[str, Any] = {
        "id": f"whe_{n:06d}",
        "url": f"https://hooks.example.com/orb/{n}",
        "secret": f"whsec_{n:032d}",
        "created_at": at(minutes=n),
        "event_types": ["invoice.issued", "credit_block.expired"],
    }
    return WebhookEndpoint(**(values | fields))


def outbox_message(**fields: Any) -> OutboxMessage:
    n = serial()
    values: dict[str, Any] = {
        "id": f"msg_{n:06d}",
        "event_type": "invoice.issued",
        "payload": {"invoice_id": f"inv_{n:06d}", "total": "12.50", "lines": 2, "final": True},
        "created_at": at(minutes=n),
        "available_at": at(minutes=n),
    }
    return OutboxMessage(**(values | fields))


FACTORIES: dict[str, Callable[..., Any]] = {
    "customers": customer,
    "plans": plan,
    "prices": price,
    "subscriptions": subscription,
    "events": event,
    "billable_metrics": billable_metric,
    "backfills": backfill,
    "usage_rollups": usage_rollup,
    "invoices": invoice,
    "credit_blocks": credit_block,
    "ledger_entries": ledger_entry,
    "balance_transactions": balance_transaction,
    "webhook_endpoints": webhook_endpoint,
    "outbox": outbox_message,
}
"""The factory of each collection's records, by collection name."""

CHANGES: dict[str, dict[str, Any]] = {
    "customers": {"name": "Renamed", "metadata": {"segment": "smb"}},
    "plans": {"status": "archived"},
    "subscriptions": {"status": "canceled", "end_date": at(hours=2)},
    "events": {"status": "amended", "replaced_by": "bf_000001"},
    "billable_metrics": {"status": "archived", "name": "Renamed"},
    "backfills": {"status": "reflected", "reflected_at": at(hours=4)},
    "usage_rollups": {"count": 99, "sum": RATE},
    "invoices": {"status": "issued", "issued_at": at(hours=3)},
    "credit_blocks": {"balance": SMALL_AMOUNT},
    "webhook_endpoints": {"enabled": False},
    "outbox": {"attempts": 2, "last_error": "HTTP 503"},
}
"""A valid change of each mutable collection's records."""

REFERENCES: dict[str, dict[str, str]] = {
    "prices": {"plan_id": "plans"},
    "subscriptions": {"customer_id": "customers", "plan_id": "plans"},
    "invoices": {"customer_id": "customers", "subscription_id": "subscriptions"},
    "credit_blocks": {"customer_id": "customers"},
    "ledger_entries": {"customer_id": "customers", "block_id": "credit_blocks"},
    "balance_transactions": {"customer_id": "customers"},
}
"""Fields that name a record of another collection, which must exist first (SQL stores
enforce them with foreign keys)."""

UNIQUE_FILL: dict[str, Any] = {
    "external_customer_id": "ext_shared",
    "external_plan_id": "ext_shared",
    "subscription_id": "sub_shared",
    "plan_id": "pln_shared",
    "number_prefix": "INV",
    "number_sequence": 7,
}
"""Values for unique fields whose factory default may be ``None``."""
