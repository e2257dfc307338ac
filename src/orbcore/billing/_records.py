"""The records billing keeps: customers, the catalog, subscriptions, invoices, credits.

Records are immutable. Amounts are ``Decimal`` in the record's ``currency``; instants are
aware UTC ``datetime``. ``revision`` counts updates: a store accepts an update only from a
caller who read the latest revision, so two writers cannot overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orbcore._errors import ValidationError

__all__ = [
    "BalanceTransaction",
    "CreditBlock",
    "Customer",
    "Invoice",
    "InvoiceLine",
    "check_number_prefix",
    "LedgerEntry",
    "Plan",
    "Price",
    "Subscription",
]

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A customer: who is billed, in which currency and time zone."""

    id: str
    name: str
    created_at: datetime
    external_customer_id: str | None = None
    email: str | None = None
    currency: str | None = None
    timezone: str = "UTC"
    billing_address: JsonObject | None = None
    tax_ids: list[JsonObject] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    revision: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """A named set of prices. ``plan_version`` is the catalog version now in force.

    ``terms`` holds that version's plan terms as exact JSON (its adjustments, trial,
    phases and invoice memo; see :func:`orbcore.billing.plan_records`).
    """

    id: str
    name: str
    currency: str
    created_at: datetime
    external_plan_id: str | None = None
    status: str = "active"
    plan_version: int = 1
    net_terms: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    terms: JsonObject = field(default_factory=dict)
    revision: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Price:
    """One price of one version of a plan, in Orb's shape (``model_type`` + config).

    ``details`` holds, as exact JSON, what the columns do not: the price's position, item
    and own adjustments, and the terms of its plan version.
    """

    id: str
    plan_id: str
    plan_version: int
    name: str
    model_type: str
    cadence: str
    currency: str
    created_at: datetime
    price_type: str = "usage_price"
    billing_mode: str = "in_arrear"
    billable_metric_id: str | None = None
    config: JsonObject = field(default_factory=dict)
    fixed_price_quantity: Decimal | None = None
    details: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """A customer's subscription to a version of a plan.

    ``timeline`` is the subscription's :class:`~orbcore.billing.SubscriptionTimeline` in
    its JSON form (:meth:`~orbcore.billing.SubscriptionTimeline.to_json`); empty if none.
    """

    id: str
    customer_id: str
    plan_id: str
    plan_version: int
    start_date: datetime
    created_at: datetime
    status: str = "active"
    end_date: datetime | None = None
    alignment: JsonObject = field(default_factory=lambda: {"type": "beginning_of_month"})
    trial_end_date: datetime | None = None
    net_terms: int = 0
    metadata: dict[str, str] = field(default_factory=dict)
    timeline: JsonObject = field(default_factory=dict)
    revision: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class InvoiceLine:
    """One line of an invoice; ``sub_lines`` explain it (tiers, cells, groups)."""

    id: str
    invoice_id: str
    position: int
    name: str
    quantity: Decimal
    amount: Decimal
    start_date: datetime
    end_date: datetime
    price_id: str | None = None
    sub_lines: list[JsonObject] = field(default_factory=list)
    adjustments: list[JsonObject] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invoice:
    """An invoice. One per (subscription, invoice date, plan, kind, reissue); numbered
    when issued.

    ``plan_id`` is the plan whose prices it bills: an invoice corresponds to one plan, so
    a plan change can bill an old-plan and a new-plan invoice on the same date.
    ``reissue`` is 0 for the first invoice of its date and plan, and ``n`` for the one
    that replaces reissue ``n - 1`` after a retroactive change voided it.
    """

    id: str
    customer_id: str
    currency: str
    kind: str
    period_start: datetime
    period_end: datetime
    invoice_date: datetime
    created_at: datetime
    subscription_id: str | None = None
    plan_id: str | None = None
    reissue: int = 0
    status: str = "draft"
    subtotal: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    amount_due: Decimal = Decimal(0)
    number_prefix: str | None = None
    number_sequence: int | None = None
    issued_at: datetime | None = None
    due_date: date | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    lines: tuple[InvoiceLine, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    revision: int = 1

    @property
    def number(self) -> str | None:
        """``<prefix>-<sequence>``, once the invoice has been numbered."""
        if self.number_prefix is None or self.number_sequence is None:
            return None
        return f"{self.number_prefix}-{self.number_sequence:06d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class CreditBlock:
    """Prepaid credits with a balance, a cost basis and an optional expiry."""

    id: str
    customer_id: str
    currency: str
    initial_balance: Decimal
    balance: Decimal
    effective_date: datetime
    created_at: datetime
    expiry_date: datetime | None = None
    per_unit_cost_basis: Decimal | None = None
    status: str = "active"
    source: str = "manual"
    filters: list[JsonObject] = field(default_factory=list)
    revision: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    """An entry of a customer's credit ledger. Entries are never changed once written."""

    id: str
    customer_id: str
    currency: str
    sequence: int
    entry_type: str
    amount: Decimal
    starting_balance: Decimal
    ending_balance: Decimal
    created_at: datetime
    block_id: str | None = None
    invoice_id: str | None = None
    price_id: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceTransaction:
    """A change of a customer's cash balance. Never changed once written."""

    id: str
    customer_id: str
    currency: str
    action: str
    amount: Decimal
    starting_balance: Decimal
    ending_balance: Decimal
    created_at: datetime
    invoice_id: str | None = None
    description: str | None = None


def check_number_prefix(prefix: object) -> None:
    """Refuse an invoice number prefix that is not non-empty text.

    Raises:
        ValidationError: at ``prefix``.
    """
    if not isinstance(prefix, str) or not prefix:
        raise ValidationError.at(("prefix",), "an invoice number prefix is non-empty text")
