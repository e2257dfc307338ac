"""The engine's billing resources: subscriptions, invoices and the billing run.

Each method is one call to :mod:`orbcore.services` or one read through a unit of work.
Names and options follow Orb's API: ``cancel_option``, ``change_option``,
``update_fixed_fee_quantity``, ``mark_paid``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orbcore._clock import Clock
from orbcore._errors import NotFoundError, Problem, ValidationError
from orbcore.billing import (
    ChangeOption,
    Invoice,
    Subscription,
    SubscriptionTimeline,
    TaxCalculator,
)
from orbcore.calendar import Alignment
from orbcore.services import BillingRun, Invoicing, RunSummary, Subscriptions
from orbcore.storage import Page, Query, Store, UnitOfWork

__all__ = ["BillingResource", "InvoicesResource", "SubscriptionsResource"]

Progress = Callable[[str, RunSummary], None]
"""Called by the billing run after each subscription with the summary so far."""


@dataclass(frozen=True)
class SubscriptionsResource:
    """Subscriptions (``engine.subscriptions``)."""

    store: Store
    clock: Clock
    subscriptions: Subscriptions

    def create(
        self,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
        plan_id: str | None = None,
        external_plan_id: str | None = None,
        start_date: date | datetime | None = None,
        subscription_id: str | None = None,
        alignment: Alignment | None = None,
    ) -> Subscription:
        """Subscribe a customer to a plan (:meth:`Subscriptions.create`).

        Args:
            customer_id: the customer, or give ``external_customer_id``.
            external_customer_id: the customer's external id.
            plan_id: the plan, or give ``external_plan_id``.
            external_plan_id: the plan's external id.
            start_date: a date (the customer's local midnight) or an aware datetime;
                now if omitted.
            subscription_id: the record's id; ``sub_`` and a random hex if omitted.
            alignment: the billing anchor; the beginning of the month if omitted.

        Raises:
            ValidationError: not exactly one identifier of the customer or of the plan,
                another currency, or a bad date.
            NotFoundError: no such customer or plan.
            ConflictError: ``subscription_id`` is taken.
        """
        problems = _exactly_one("customer_id", customer_id, external_customer_id)
        problems += _exactly_one("plan_id", plan_id, external_plan_id)
        if problems:
            raise ValidationError(problems)
        with self.store.unit_of_work() as uow:
            customer = _customer_id(uow, customer_id, external_customer_id)
            plan = _plan_id(uow, plan_id, external_plan_id)
        return self.subscriptions.create(
            customer,
            plan,
            start_date=self.clock.now() if start_date is None else start_date,
            subscription_id=subscription_id,
            alignment=alignment,
        )

    def fetch(self, subscription_id: str) -> Subscription:
        """The subscription with this id.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.subscriptions.get(subscription_id)

    def list(self, query: Query | None = None) -> Page[Subscription]:
        """One page of subscriptions (filters: ``customer_id``, ``plan_id``, ``status``,
        ``start_date``, ``end_date``).

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.subscriptions.list(query)

    def timeline(self, subscription_id: str) -> SubscriptionTimeline:
        """The subscription's timeline: its price intervals, changes and end.

        Raises:
            NotFoundError: there is no such subscription.
        """
        return self.subscriptions.timeline(subscription_id)

    def cancel(
        self,
        subscription_id: str,
        *,
        cancel_option: ChangeOption | str,
        cancellation_date: date | datetime | None = None,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Cancel a subscription: ``end_of_subscription_term``, ``immediate`` or
        ``requested_date`` (with ``cancellation_date``).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: the cancellation is refused.
        """
        return self.subscriptions.cancel(
            subscription_id,
            cancel_option,
            cancellation_date=cancellation_date,
            expected_revision=expected_revision,
        )

    def schedule_plan_change(
        self,
        subscription_id: str,
        *,
        change_option: ChangeOption | str,
        plan_id: str | None = None,
        external_plan_id: str | None = None,
        change_date: date | datetime | None = None,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Move a subscription to another plan: ``end_of_subscription_term``,
        ``immediate`` or ``requested_date`` (with ``change_date``).

        Raises:
            NotFoundError: no such subscription or plan.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: not exactly one plan identifier, another currency, or the
                change is refused.
        """
        problems = _exactly_one("plan_id", plan_id, external_plan_id)
        if problems:
            raise ValidationError(problems)
        with self.store.unit_of_work() as uow:
            plan = _plan_id(uow, plan_id, external_plan_id)
        return self.subscriptions.change_plan(
            subscription_id,
            plan,
            change_option,
            change_date=change_date,
            expected_revision=expected_revision,
        )

    def update_fixed_fee_quantity(
        self,
        subscription_id: str,
        *,
        price_id: str,
        quantity: Decimal | int | str,
        effective_date: date | datetime | None = None,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Set a fixed fee's quantity (seats) from ``effective_date`` (now if omitted).

        ``price_id`` is the price row's id, ``<plan id>:v<version>:<price id>``.

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: no such fixed fee in force then, or a negative quantity.
        """
        return self.subscriptions.set_quantity(
            subscription_id,
            price_id,
            quantity,
            effective_date=self.clock.now() if effective_date is None else effective_date,
            expected_revision=expected_revision,
        )

    def unschedule_cancellation(
        self, subscription_id: str, *, expected_revision: int | None = None
    ) -> Subscription:
        """Withdraw a pending cancellation (Orb's ``unschedule_cancellation``).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: no cancellation is pending.
        """
        return self.subscriptions.unschedule_cancellation(
            subscription_id, expected_revision=expected_revision
        )

    def unschedule_pending_plan_changes(
        self, subscription_id: str, *, expected_revision: int | None = None
    ) -> Subscription:
        """Withdraw the pending plan changes (Orb's ``unschedule_pending_plan_changes``).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: no plan change is pending.
        """
        return self.subscriptions.unschedule_plan_changes(
            subscription_id, expected_revision=expected_revision
        )

    def apply_coupon(
        self,
        subscription_id: str,
        *,
        coupon_id: str,
        discount: Mapping[str, Any],
        duration_in_months: int | None = None,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Redeem a coupon now: its ``discount`` (Orb's shape, such as ``{"discount_type":
        "percentage", "percentage_discount": "0.2"}``) applies to the billing periods that
        start within ``duration_in_months`` months from the next one (forever if omitted).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: a bad discount, an ended subscription, or a coupon already
                applied.
        """
        return self.subscriptions.apply_coupon(
            subscription_id,
            coupon_id,
            discount,
            duration_in_months=duration_in_months,
            expected_revision=expected_revision,
        )


def _exactly_one(field: str, own: str | None, external: str | None) -> list[Problem]:
    if (own is None) == (external is None):
        return [Problem((field,), f"give exactly one of {field} and external_{field}")]
    return []


def _customer_id(uow: UnitOfWork, customer_id: str | None, external_id: str | None) -> str:
    if customer_id is not None:
        return customer_id
    found = uow.customers.find_by(external_customer_id=external_id)
    if found is None:
        raise NotFoundError(f"no customer with external_customer_id {external_id!r}")
    return found.id


def _plan_id(uow: UnitOfWork, plan_id: str | None, external_id: str | None) -> str:
    if plan_id is not None:
        return plan_id
    found = uow.plans.find_by(external_plan_id=external_id)
    if found is None:
        raise NotFoundError(f"no plan with external_plan_id {external_id!r}")
    return found.id


@dataclass(frozen=True)
class InvoicesResource:
    """Invoices (``engine.invoices``): the billing run drafts and issues them."""

    store: Store
    invoicing: Invoicing
    prefix: str

    def fetch(self, invoice_id: str) -> Invoice:
        """The invoice with this id, with its lines.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.invoices.get(invoice_id)

    def list(self, query: Query | None = None) -> Page[Invoice]:
        """One page of invoices (filters: ``customer_id``, ``subscription_id``,
        ``status``, ``kind``, ``currency``, ``invoice_date``; ordered by
        ``invoice_date`` by default).

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.invoices.list(query)

    def issue(self, invoice_id: str, *, net_terms: int | None = None) -> Invoice:
        """Issue a draft: number it with the engine's prefix, date it, set its due date.

        Args:
            invoice_id: the draft.
            net_terms: days until it is due; its subscription's net terms (or 0 for an
                invoice without one) if omitted.

        Raises:
            NotFoundError: there is no such invoice.
            ConflictError: the invoice is void, or changed meanwhile.
            ValidationError: ``net_terms`` is not a whole number of days from 0.
        """
        if net_terms is None:
            with self.store.unit_of_work() as uow:
                invoice = uow.invoices.get(invoice_id)
                subscription = (
                    None
                    if invoice.subscription_id is None
                    else uow.subscriptions.find(invoice.subscription_id)
                )
            net_terms = 0 if subscription is None else subscription.net_terms
        return self.invoicing.issue(invoice_id, prefix=self.prefix, net_terms=net_terms)

    def mark_paid(self, invoice_id: str, *, paid_at: datetime | None = None) -> Invoice:
        """Mark an issued invoice paid at ``paid_at`` (aware; now if omitted).

        Raises:
            NotFoundError: there is no such invoice.
            ConflictError: the invoice is a draft or void, or changed meanwhile.
            ValidationError: ``paid_at`` is not an aware datetime.
        """
        return self.invoicing.pay(invoice_id, paid_at=paid_at)

    def void(self, invoice_id: str) -> Invoice:
        """Void an issued invoice.

        Raises:
            NotFoundError: there is no such invoice.
            ConflictError: the invoice is a draft or paid, or changed meanwhile.
        """
        return self.invoicing.void(invoice_id)


@dataclass(frozen=True)
class BillingResource:
    """The billing run (``engine.billing``): a host calls it from cron or a task queue."""

    store: Store
    clock: Clock
    prefix: str
    tax: TaxCalculator | None = None

    def run(
        self,
        as_of: datetime | None = None,
        *,
        progress: Progress | None = None,
        shard: tuple[int, int] | None = None,
    ) -> RunSummary:
        """Create and issue every invoice due up to ``as_of`` (now if omitted).

        Idempotent: a second run finds the invoices there and creates nothing.
        ``progress(subscription_id, summary_so_far)`` is called after each subscription.
        ``shard=(k, n)`` bills only shard ``k`` of ``n`` of the subscriptions, for ``n``
        workers that share the work (see :meth:`BillingRun.run`).

        Raises:
            ValidationError: ``as_of`` is not an aware datetime, or a bad ``shard``.
        """
        run = BillingRun(self.store, self.clock, prefix=self.prefix, tax=self.tax)
        when = self.clock.now() if as_of is None else as_of
        return run.run(when, progress=progress, shard=shard)
