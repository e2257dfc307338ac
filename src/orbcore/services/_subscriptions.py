"""Subscriptions in the store: plans in, timelines out, every change revision-checked.

The decisions are the pure timeline operations of :mod:`orbcore.billing`; this driver
loads a :class:`~orbcore.billing.Subscription` record, applies one operation to its
stored :class:`~orbcore.billing.SubscriptionTimeline` at the clock's now, and writes the
result back with the fields derived from it (status, end, plan in force). Each call is
one unit of work; two callers racing on one subscription cannot both win, and the loser
changes nothing.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from orbcore._clock import Clock
from orbcore._errors import ConflictError, ValidationError
from orbcore.billing import (
    ChangeOption,
    PlanDefinition,
    Subscription,
    SubscriptionTimeline,
    apply_coupon,
    cancel_subscription,
    change_fixed_fee_quantity,
    change_plan,
    definition_from_records,
    plan_records,
    unschedule_cancellation,
    unschedule_plan_changes,
)
from orbcore.calendar import Alignment
from orbcore.services._invoicing import void_replaced
from orbcore.storage import Query, Store, UnitOfWork, each

__all__ = ["Subscriptions"]

_PAGE = 500
_Edit = Callable[[SubscriptionTimeline, datetime], SubscriptionTimeline]


@dataclass(frozen=True)
class Subscriptions:
    """Store plans, start subscriptions to them and change them.

    Args:
        store: where the plans, customers and subscriptions are.
        clock: the time requests are made at (the ``as_of`` of every operation).
    """

    store: Store
    clock: Clock

    def add_plan(
        self, raw_orb_plan_json: Mapping[str, Any] | str, *, plan_id: str
    ) -> PlanDefinition:
        """Read an Orb-shaped plan and store it as ``plan_id`` (a plan row, a row per price).

        Raises:
            ValidationError: the plan is not valid (every problem, with its path).
            ConflictError: ``plan_id`` (or its external id) is taken.
        """
        definition = PlanDefinition.from_orb(raw_orb_plan_json)
        plan, prices = plan_records(definition, plan_id, self.clock.now())
        with self.store.unit_of_work() as uow:
            uow.plans.add(plan)
            for price in prices:
                uow.prices.add(price)
            uow.commit()
        return definition

    def create(
        self,
        customer_id: str,
        plan_id: str,
        *,
        start_date: date | datetime,
        subscription_id: str | None = None,
        alignment: Alignment | None = None,
    ) -> Subscription:
        """Subscribe a customer to the version in force of a stored plan.

        Args:
            customer_id: the customer; its time zone places the local midnights.
            plan_id: the stored plan.
            start_date: a date (local midnight) or an aware datetime.
            subscription_id: the record's id; ``sub_`` and a random hex if omitted.
            alignment: the billing anchor; the beginning of the month (Orb's) if omitted.

        Raises:
            NotFoundError: no such customer or plan.
            ValidationError: the customer's currency is not the plan's, or a bad date. A
                customer without a currency takes the plan's.
            ConflictError: ``subscription_id`` is taken.
        """
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            customer = uow.customers.get(customer_id)
            definition, version = _definition(uow, plan_id)
            if customer.currency is None:  # set from the first plan, as in Orb
                customer = uow.customers.update(
                    dataclasses.replace(customer, currency=definition.currency)
                )
            elif customer.currency != definition.currency:
                raise ValidationError.at(
                    ("plan_id",),
                    f"the plan bills in {definition.currency}, the customer in {customer.currency}",
                )
            timeline = SubscriptionTimeline.create(
                start_date,
                definition.price_refs(plan_id=plan_id),
                timezone=customer.timezone,
                alignment=alignment,
                trial_days=definition.trial_days,
                plan_id=plan_id,
            )
            record = Subscription(
                id=subscription_id or f"sub_{uuid.uuid4().hex}",
                customer_id=customer_id,
                plan_id=plan_id,
                plan_version=version,
                start_date=timeline.start,
                created_at=now,
                net_terms=definition.net_terms,
                **_derived(timeline, now),
            )
            stored = uow.subscriptions.add(record)
            uow.commit()
            return stored

    def cancel(
        self,
        subscription_id: str,
        option: ChangeOption | str,
        *,
        cancellation_date: date | datetime | None = None,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Cancel a subscription (:func:`~orbcore.billing.cancel_subscription`, as of now).

        A backdated cancellation (its end before now) voids, in the same unit of work,
        the subscription's invoices dated from the end on, as Orb does; the billing run
        then bills those dates again from the changed timeline (a new invoice for the
        usage before the end, say).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, is not at ``expected_revision``, or a
                backdated cancellation would void a paid invoice.
            ValidationError: the operation refuses the request.
        """

        def edit(timeline: SubscriptionTimeline, now: datetime) -> SubscriptionTimeline:
            return cancel_subscription(
                timeline, option, as_of=now, cancellation_date=cancellation_date
            )

        def after(uow: UnitOfWork, timeline: SubscriptionTimeline, now: datetime) -> None:
            if timeline.end is not None and timeline.end < now:
                void_replaced(uow, subscription_id, timeline.end, now)

        return self._edit(subscription_id, expected_revision, edit, after=after)

    def change_plan(
        self,
        subscription_id: str,
        plan_id: str,
        option: ChangeOption | str,
        *,
        change_date: date | datetime | None = None,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Move a subscription to the version in force of another stored plan.

        The record's ``plan_id`` and ``plan_version`` follow the plan in force now: an
        immediate change moves them, a scheduled one leaves them until it is re-read.

        Raises:
            NotFoundError: no such subscription or plan.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: another currency, or the operation refuses the request.
        """
        with self.store.unit_of_work() as uow:
            definition, version = _definition(uow, plan_id)
        refs = definition.price_refs(plan_id=plan_id)

        def edit(timeline: SubscriptionTimeline, now: datetime) -> SubscriptionTimeline:
            return change_plan(
                timeline, refs, option, as_of=now, change_date=change_date, plan_id=plan_id
            )

        def check(uow: UnitOfWork, record: Subscription) -> None:
            current = uow.plans.get(record.plan_id)
            if current.currency != definition.currency:
                raise ValidationError.at(
                    ("plan_id",), f"the plan bills in {definition.currency}, not {current.currency}"
                )

        return self._edit(
            subscription_id, expected_revision, edit, check=check, plan=(plan_id, version)
        )

    def set_quantity(
        self,
        subscription_id: str,
        price_id: str,
        quantity: Decimal | int | str,
        *,
        effective_date: date | datetime,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Set a fixed fee's quantity from ``effective_date`` on.

        ``price_id`` is the timeline's price id: the price row's id
        (``<plan id>:v<version>:<price id>``).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: no such fixed fee in force then, or a negative quantity.
        """

        def edit(timeline: SubscriptionTimeline, now: datetime) -> SubscriptionTimeline:
            return change_fixed_fee_quantity(timeline, price_id, quantity, effective=effective_date)

        return self._edit(subscription_id, expected_revision, edit)

    def unschedule_cancellation(
        self, subscription_id: str, *, expected_revision: int | None = None
    ) -> Subscription:
        """Withdraw a cancellation still pending now
        (:func:`~orbcore.billing.unschedule_cancellation`).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: no cancellation is pending.
        """

        def edit(timeline: SubscriptionTimeline, now: datetime) -> SubscriptionTimeline:
            return unschedule_cancellation(timeline, as_of=now)

        return self._edit(subscription_id, expected_revision, edit)

    def unschedule_plan_changes(
        self, subscription_id: str, *, expected_revision: int | None = None
    ) -> Subscription:
        """Withdraw the plan changes still pending now
        (:func:`~orbcore.billing.unschedule_plan_changes`).

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: no plan change is pending.
        """

        def edit(timeline: SubscriptionTimeline, now: datetime) -> SubscriptionTimeline:
            return unschedule_plan_changes(timeline, as_of=now)

        return self._edit(subscription_id, expected_revision, edit)

    def apply_coupon(
        self,
        subscription_id: str,
        coupon_id: str,
        discount: Mapping[str, Any],
        *,
        duration_in_months: int | None = None,
        expected_revision: int | None = None,
    ) -> Subscription:
        """Redeem a coupon now (:func:`~orbcore.billing.apply_coupon`): its ``discount``, in
        Orb's shape, applies to the charges of the billing periods that start within
        ``duration_in_months`` months (forever if ``None``) from the next period on.

        Raises:
            NotFoundError: no such subscription.
            ConflictError: it changed meanwhile, or is not at ``expected_revision``.
            ValidationError: a bad discount, an ended subscription, or a coupon already
                applied.
        """

        def edit(timeline: SubscriptionTimeline, now: datetime) -> SubscriptionTimeline:
            return apply_coupon(
                timeline,
                coupon_id,
                as_of=now,
                duration_in_months=duration_in_months,
                discount=discount,
            )

        return self._edit(subscription_id, expected_revision, edit)

    def timeline(self, subscription_id: str) -> SubscriptionTimeline:
        """The stored timeline of a subscription.

        Raises:
            NotFoundError: no such subscription.
            ValidationError: the stored timeline is not a valid one.
        """
        with self.store.unit_of_work() as uow:
            record = uow.subscriptions.get(subscription_id)
        return SubscriptionTimeline.from_json(record.timeline)

    def _edit(
        self,
        subscription_id: str,
        expected_revision: int | None,
        edit: _Edit,
        *,
        check: Callable[[UnitOfWork, Subscription], None] | None = None,
        plan: tuple[str, int] | None = None,
        after: Callable[[UnitOfWork, SubscriptionTimeline, datetime], None] | None = None,
    ) -> Subscription:
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            record = uow.subscriptions.get(subscription_id)
            if expected_revision is not None and record.revision != expected_revision:
                raise ConflictError(
                    f"subscription {subscription_id!r} is at revision {record.revision}, "
                    f"not {expected_revision}"
                )
            if check is not None:
                check(uow, record)
            timeline = edit(SubscriptionTimeline.from_json(record.timeline), now)
            fields = _derived(timeline, now)
            if plan is not None and _plan_in_force(timeline, now) == plan[0]:
                fields |= {"plan_id": plan[0], "plan_version": plan[1]}
            stored = uow.subscriptions.update(dataclasses.replace(record, **fields))
            if after is not None:
                after(uow, timeline, now)
            uow.commit()
            return stored


def _definition(uow: UnitOfWork, plan_id: str) -> tuple[PlanDefinition, int]:
    plan = uow.plans.get(plan_id)
    query = Query(where={"plan_id": plan_id, "plan_version": plan.plan_version}, limit=_PAGE)
    rows = list(each(uow.prices, query))
    return definition_from_records(plan, rows), plan.plan_version


def _derived(timeline: SubscriptionTimeline, now: datetime) -> dict[str, Any]:
    """The record's fields that repeat the timeline, for filtering without reading it."""
    raw = timeline.to_json()
    return {
        "timeline": raw,
        "status": timeline.status(now).value,
        "end_date": timeline.end,
        "trial_end_date": timeline.trial_end,
        "alignment": raw["alignment"],
    }


def _plan_in_force(timeline: SubscriptionTimeline, now: datetime) -> str | None:
    # Before the start the first plan counts; after the end there is none to move to.
    in_force = timeline.intervals_at(max(now, timeline.start))
    return in_force[0].plan_id if in_force else None
