"""Edits inside a subscription: fixed-fee quantities, single price intervals, coupons,
and the interval surgery that cancellations and plan changes share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from orbcore._errors import Problem, ValidationError
from orbcore.billing._plan_terms import PhaseDiscount
from orbcore.billing._timeline import CouponRedemption, SubscriptionStatus, SubscriptionTimeline
from orbcore.billing._timeline_intervals import (
    PriceInterval,
    PriceKind,
    PriceRef,
    QuantityTransition,
    to_instant,
)
from orbcore.calendar._zone import ensure_aware
from orbcore.money import to_decimal

__all__ = [
    "ChangeOption",
    "add_price_interval",
    "apply_coupon",
    "change_fixed_fee_quantity",
    "end_price_interval",
    "parse_option",
    "truncate",
    "without_cancellation",
]


class ChangeOption(StrEnum):
    """When a cancellation or plan change takes effect (Orb's ``cancel_option`` and
    ``change_option``)."""

    END_OF_SUBSCRIPTION_TERM = "end_of_subscription_term"
    IMMEDIATE = "immediate"
    REQUESTED_DATE = "requested_date"


def parse_option(option: ChangeOption | str) -> ChangeOption:
    """The option named ``option``.

    Raises:
        ValidationError: an unknown option.
    """
    try:
        return ChangeOption(option)
    except ValueError:
        known = ", ".join(o.value for o in ChangeOption)
        raise ValidationError.at(("option",), f"unknown option {option!r} ({known})") from None


def truncate(intervals: tuple[PriceInterval, ...], at: datetime) -> tuple[PriceInterval, ...]:
    """The intervals as they stand once everything from ``at`` on is removed."""
    return tuple(
        iv if iv.end is not None and iv.end <= at else iv.ending(at)
        for iv in intervals
        if iv.start < at
    )


def without_cancellation(timeline: SubscriptionTimeline) -> SubscriptionTimeline:
    """The timeline without its end: intervals ending with it run open-ended again."""
    end = timeline.end
    intervals = tuple(iv.ending(None) if iv.end == end else iv for iv in timeline.intervals)
    return replace(timeline, intervals=intervals, end=None)


def _quantity(value: Decimal | int | str) -> Decimal:
    quantity = to_decimal(value, field="quantity")
    if quantity < 0:
        raise ValidationError.at(("quantity",), f"must not be negative, got {quantity}")
    return quantity


def change_fixed_fee_quantity(
    timeline: SubscriptionTimeline,
    price_id: str,
    quantity: Decimal | int | str,
    *,
    effective: date | datetime,
) -> SubscriptionTimeline:
    """Set a fixed fee's quantity from ``effective`` on (a date means its local midnight).

    The new quantity holds until the interval ends: later scheduled quantities are
    dropped. At a period boundary the regular invoice carries the new quantity; mid-period
    the difference is charged (or credited) for the rest of the period at ``effective``.

    Raises:
        ValidationError: no interval of that price in force then, a usage price, or a
            negative quantity.
    """
    at = to_instant(effective, timeline.timezone, "effective")
    new_quantity = _quantity(quantity)
    found = [iv for iv in timeline.intervals if iv.price.price_id == price_id and iv.covers(at)]
    if not found:
        raise ValidationError.at(("price_id",), f"{price_id!r} is not in force on {at.isoformat()}")
    interval = found[0]
    if interval.price.kind is PriceKind.USAGE:
        raise ValidationError.at(("price_id",), f"{price_id!r} is a usage price")
    if at == interval.start:
        changed = replace(interval, quantity=new_quantity, transitions=())
    else:
        kept = tuple(t for t in interval.transitions if t.effective < at)
        changed = replace(interval, transitions=(*kept, QuantityTransition(at, new_quantity)))
    intervals = tuple(changed if iv is interval else iv for iv in timeline.intervals)
    return replace(timeline, intervals=intervals)


def _check_no_overlap(timeline: SubscriptionTimeline, candidate: PriceInterval) -> None:
    for other in timeline.intervals:
        if other.id == candidate.id or other.price.price_id != candidate.price.price_id:
            continue
        if (other.end is None or candidate.start < other.end) and (
            candidate.end is None or other.start < candidate.end
        ):
            raise ValidationError.at(
                ("start",), f"{candidate.price.price_id!r} is already in force then ({other.id})"
            )
    if timeline.end is not None and (candidate.end is None or candidate.end > timeline.end):
        raise ValidationError.at(("end",), "is after the subscription ends")
    if candidate.start < timeline.start:
        raise ValidationError.at(("start",), "is before the subscription starts")


def add_price_interval(
    timeline: SubscriptionTimeline,
    price: PriceRef,
    *,
    start: date | datetime,
    end: date | datetime | None = None,
    plan_id: str | None = None,
    defer_billing: bool = False,
) -> SubscriptionTimeline:
    """Add one price from ``start`` to ``end`` (to the subscription's end if omitted).

    Raises:
        ValidationError: the same price already in force then, or dates outside the
            subscription.
    """
    begin = to_instant(start, timeline.timezone, "start")
    stop = timeline.end if end is None else to_instant(end, timeline.timezone, "end")
    candidate = PriceInterval(
        id=f"{price.price_id}@{begin.isoformat()}",
        price=price,
        start=begin,
        end=stop,
        quantity=price.fixed_quantity,
        plan_id=plan_id,
        defer_billing=defer_billing,
    )
    _check_no_overlap(timeline, candidate)
    return replace(timeline, intervals=(*timeline.intervals, candidate))


def end_price_interval(
    timeline: SubscriptionTimeline, interval_id: str, *, end: date | datetime
) -> SubscriptionTimeline:
    """Set an interval's end; an end equal to its start removes it (as in Orb).

    Raises:
        ValidationError: no such interval, an end before its start, or an overlap.
    """
    interval = timeline.interval(interval_id)
    at = to_instant(end, timeline.timezone, "end")
    if at < interval.start:
        raise ValidationError.at(("end",), "is before the interval starts")
    others = tuple(iv for iv in timeline.intervals if iv is not interval)
    if at == interval.start:
        return replace(timeline, intervals=others)
    changed = interval.ending(at)
    _check_no_overlap(timeline, changed)
    return replace(timeline, intervals=(*others, changed))


def apply_coupon(
    timeline: SubscriptionTimeline,
    coupon_id: str,
    *,
    as_of: datetime,
    duration_in_months: int | None = None,
    discount: PhaseDiscount | Mapping[str, Any] | None = None,
) -> SubscriptionTimeline:
    """Attach a coupon redeemed at ``as_of`` for ``duration_in_months`` (``None``: forever),
    with its ``discount`` in Orb's shape (``{"discount_type": "percentage",
    "percentage_discount": "0.2"}``), which the billing run applies.

    Only the bookkeeping: charges in the coupon's window (see
    :func:`~orbcore.billing.coupon_window`) list it in ``coupon_ids``; the invoice
    builder applies the discount.

    Raises:
        ValidationError: the subscription has ended, the coupon is already attached, or
            a duration below 1.
    """
    as_of = ensure_aware(as_of, "as_of")
    if timeline.status(as_of) is SubscriptionStatus.ENDED:
        raise ValidationError.at(("as_of",), "the subscription has ended")
    if not isinstance(coupon_id, str) or not coupon_id:
        raise ValidationError.at(("coupon_id",), "must be a non-empty string")
    if any(c.coupon_id == coupon_id for c in timeline.coupons):
        raise ValidationError.at(("coupon_id",), f"{coupon_id!r} is already applied")
    if discount is not None and not isinstance(discount, PhaseDiscount):
        try:
            discount = PhaseDiscount.from_orb(discount)
        except ValidationError as exc:
            moved = [Problem(("discount", *p.path), p.message) for p in exc.problems]
            raise type(exc)(moved) from None
    redemption = CouponRedemption(coupon_id, as_of, duration_in_months, discount)
    return replace(timeline, coupons=(*timeline.coupons, redemption))
