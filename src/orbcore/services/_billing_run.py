"""The billing run: every invoice that is due, built once, numbered and issued.

For each stored subscription, page by page, the run reads its timeline, finds the invoice
dates up to ``as_of`` and, for each date without an invoice yet, rates the charges due
(fixed fees from the plan's price rows, usage from :class:`Metering` quantities over the
charge's service period), builds the invoice and stores it in one unit of work; then
:class:`Invoicing` issues it. An invoice's id is derived from its subscription and date,
and invoices are unique per (subscription, invoice date, kind): a second run, or a worker
racing this one, finds the invoice there and counts it as already done.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from orbcore._clock import Clock
from orbcore._errors import ConflictError
from orbcore.billing import (
    BillableCharge,
    Invoice,
    RatedCharge,
    Subscription,
    SubscriptionTimeline,
    billable_charges,
    build_invoice,
    invoice_record,
)
from orbcore.billing import Price as PriceRow
from orbcore.calendar._zone import ensure_aware
from orbcore.money import RoundingMode, round_rational
from orbcore.pricing import Price
from orbcore.services._invoicing import Invoicing
from orbcore.services._metering import Metering
from orbcore.storage import Query, Store

__all__ = ["BillingRun", "RunFailure", "RunSummary"]

_PAGE = 100
_PLACES = 12
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A subscription the run could not bill, and why (``<error type>: <message>``)."""

    subscription_id: str
    error: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a billing run did.

    Attributes:
        as_of: the run's cut-off: invoice dates up to it, included, are billed.
        subscriptions: the subscriptions seen.
        created: the invoices this run created.
        already_present: the due invoices found already stored (by an earlier run or
            another worker).
        failures: one per subscription that failed; its other invoices are not tried.
    """

    as_of: datetime
    subscriptions: int = 0
    created: int = 0
    already_present: int = 0
    failures: tuple[RunFailure, ...] = ()


Progress = Callable[[str, RunSummary], None]


@dataclass(frozen=True)
class BillingRun:
    """Create and issue the invoices due on stored subscriptions.

    Args:
        store: where the subscriptions, plans, metrics, events and invoices are.
        clock: when invoices are created and issued.
        prefix: the invoice number prefix.
    """

    store: Store
    clock: Clock
    _: dataclasses.KW_ONLY
    prefix: str = "INV"

    def run(self, as_of: datetime, *, progress: Progress | None = None) -> RunSummary:
        """Bill every invoice date up to ``as_of`` (included) not billed yet.

        A subscription that fails is reported in the summary, not raised; the run goes
        on with the next. ``progress(subscription_id, summary_so_far)`` is called after
        each subscription.

        Raises:
            ValidationError: ``as_of`` is not an aware datetime.
        """
        as_of = ensure_aware(as_of, "as_of")
        summary = RunSummary(as_of=as_of)
        prices: dict[str, PriceRow] = {}
        query = Query(limit=_PAGE)
        while True:
            with self.store.unit_of_work() as uow:
                page = uow.subscriptions.list(query)
            for record in page.items:
                try:
                    created, present = self._bill(record, as_of, prices)
                except Exception as error:  # reported, and the run goes on
                    failure = RunFailure(record.id, f"{type(error).__name__}: {error}")
                    summary = dataclasses.replace(
                        summary,
                        subscriptions=summary.subscriptions + 1,
                        failures=(*summary.failures, failure),
                    )
                else:
                    summary = dataclasses.replace(
                        summary,
                        subscriptions=summary.subscriptions + 1,
                        created=summary.created + created,
                        already_present=summary.already_present + present,
                    )
                if progress is not None:
                    progress(record.id, summary)
            if page.next_cursor is None:
                return summary
            query = dataclasses.replace(query, after=page.next_cursor)

    def _bill(
        self, record: Subscription, as_of: datetime, prices: dict[str, PriceRow]
    ) -> tuple[int, int]:
        if not record.timeline:
            return 0, 0
        timeline = SubscriptionTimeline.from_json(record.timeline)
        due: dict[datetime, list[BillableCharge]] = {}
        for charge in billable_charges(timeline, as_of + _TICK):
            due.setdefault(charge.invoice_date, []).append(charge)
        created = present = 0
        for invoice_date, charges in sorted(due.items()):
            invoice_id = _invoice_id(record.id, invoice_date)
            existing = self._get(invoice_id)
            if existing is None:
                invoice = self._build(record, invoice_id, invoice_date, charges, prices)
                try:
                    with self.store.unit_of_work() as uow:
                        uow.invoices.add(invoice)
                        uow.commit()
                except ConflictError:
                    existing = self._get(invoice_id)
                    if existing is None:  # another invoice holds the same period and kind
                        raise
                else:
                    created += 1
                    self._issue(invoice_id, record)
                    continue
            present += 1
            if existing.status == "draft":  # left by a run stopped before issuing
                self._issue(invoice_id, record)
        return created, present

    def _get(self, invoice_id: str) -> Invoice | None:
        with self.store.unit_of_work() as uow:
            return uow.invoices.find(invoice_id)

    def _issue(self, invoice_id: str, record: Subscription) -> None:
        try:
            Invoicing(self.store, self.clock).issue(
                invoice_id, prefix=self.prefix, net_terms=record.net_terms or 0
            )
        except ConflictError:  # issued meanwhile by another worker
            if (existing := self._get(invoice_id)) is None or existing.status == "draft":
                raise

    def _build(
        self,
        record: Subscription,
        invoice_id: str,
        invoice_date: datetime,
        charges: list[BillableCharge],
        prices: dict[str, PriceRow],
    ) -> Invoice:
        with self.store.unit_of_work() as uow:
            customer = uow.customers.get(record.customer_id)
            currency = uow.plans.get(record.plan_id).currency
            for charge in charges:
                if charge.price_id not in prices:
                    prices[charge.price_id] = uow.prices.get(charge.price_id)
        metering = Metering(self.store, self.clock)
        rated = []
        for charge in charges:
            row = prices[charge.price_id]
            price = Price.from_orb(
                {
                    "name": row.name,
                    "model_type": row.model_type,
                    f"{row.model_type}_config": row.config,
                }
            )
            period = charge.service_period
            if charge.prorated_quantity is not None:
                quantity = _decimal(charge.prorated_quantity)
            elif row.billable_metric_id is None:
                quantity = Decimal(0)
            else:
                found = metering.quantities(
                    row.billable_metric_id,
                    period.start,
                    period.end,
                    customer_id=customer.id,
                    external_customer_id=customer.external_customer_id,
                )
                quantity = sum(found.values(), Decimal(0))
            rated.append(
                RatedCharge.from_price(
                    price,
                    quantity,
                    price_id=charge.price_id,
                    start_date=period.start,
                    end_date=period.end,
                )
            )
        draft = build_invoice(rated, currency=currency, customer_id=customer.id)
        return invoice_record(
            draft,
            invoice_id=invoice_id,
            customer_id=customer.id,
            invoice_date=invoice_date,
            created_at=self.clock.now(),
            subscription_id=record.id,
        )


def _invoice_id(subscription_id: str, invoice_date: datetime) -> str:
    key = f"{subscription_id}|{invoice_date.isoformat()}".encode()
    return f"inv_{hashlib.sha256(key).hexdigest()[:32]}"


def _decimal(value: Fraction) -> Decimal:
    """A prorated fixed-fee quantity: exact when whole, else to 12 decimal places."""
    if value.denominator == 1:
        return Decimal(value.numerator)
    return round_rational(value, _PLACES, RoundingMode.HALF_EVEN)
