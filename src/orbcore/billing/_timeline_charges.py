"""What is billable: the charges a timeline produces, each with its service period,
invoice date, quantity and proration fraction.

Each price follows its own cadence's schedule. For one interval and one cycle of that
schedule:

* an **in-advance fixed fee** is charged when the cycle (or the interval, or the paid
  part after a trial) starts, for the rest of the cycle; a mid-cycle quantity change
  charges or credits the difference for the rest of the cycle at the change; an interval
  ending mid-cycle credits the unused rest at its end;
* an **in-arrears fixed fee** is charged at the end of what it covers, one charge per
  stretch of constant quantity;
* **usage** is charged in arrears for the part of the cycle the interval covers. A trial
  is a period of its own, invoiced at its end.

A charge ending an interval mid-cycle is invoiced at once unless the interval defers
billing. Amounts are not computed here: a charge carries the exact ``fraction`` of its
cycle and the quantity, and the invoice builder prices them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise

from orbcore._errors import ValidationError
from orbcore.billing._timeline import SubscriptionTimeline
from orbcore.billing._timeline_intervals import BillingMode, PriceInterval, PriceKind, PriceRef
from orbcore.billing._timeline_periods import CouponWindow, coupon_window, schedule_for
from orbcore.calendar import DayCount, Period, period_fraction
from orbcore.calendar._zone import ensure_aware
from orbcore.money._numbers import exact_sub

__all__ = [
    "BillableCharge",
    "ChargeRole",
    "billable_charges",
    "charges_for_period",
    "charges_on",
    "invoice_dates",
]


class ChargeRole(StrEnum):
    """Why a charge exists.

    * ``PERIOD``: the charge for a service period or the part of it an interval covers.
    * ``QUANTITY_CHANGE``: the prorated difference after a mid-cycle quantity change.
    * ``UNUSED_CREDIT``: the unused rest of an in-advance fee whose interval ended
      mid-cycle (its quantity is negative).
    """

    PERIOD = "period"
    QUANTITY_CHANGE = "quantity_change"
    UNUSED_CREDIT = "unused_credit"


_ROLE_ORDER = {role: n for n, role in enumerate(ChargeRole)}


@dataclass(frozen=True, slots=True)
class BillableCharge:
    """One charge of one interval: what it covers, when it is invoiced, how much of it.

    Attributes:
        interval_id: the price interval it comes from.
        price: the price.
        role: see :class:`ChargeRole`.
        service_period: what the charge pays for (``[start, start)`` for a one-time fee).
        cycle: the full cycle of the price's cadence that ``fraction`` is measured against.
        invoice_date: when it is due on an invoice.
        fraction: the exact share of ``cycle`` that ``service_period`` is.
        quantity: the fixed-fee quantity (signed: a credit or a decrease is negative);
            ``None`` for usage.
        plan_id: the plan of the interval, so invoices can be split per plan.
        coupon_ids: the coupons that apply to it.
    """

    interval_id: str
    price: PriceRef
    role: ChargeRole
    service_period: Period
    cycle: Period
    invoice_date: datetime
    fraction: Fraction
    quantity: Decimal | None
    plan_id: str | None = None
    coupon_ids: tuple[str, ...] = ()

    @property
    def price_id(self) -> str:
        """The price's id."""
        return self.price.price_id

    @property
    def prorated_quantity(self) -> Fraction | None:
        """``quantity * fraction`` exactly: the number of full-cycle fees charged."""
        return None if self.quantity is None else Fraction(self.quantity) * self.fraction


@dataclass(frozen=True, slots=True)
class _Window:
    """The part of one cycle an interval is billed for."""

    service: Period
    cycle: Period
    cycle_end: datetime


def _share(timeline: SubscriptionTimeline, part: Period, cycle: Period) -> Fraction:
    if part == cycle:
        return Fraction(1)
    try:
        return period_fraction(
            part, cycle, day_count=timeline.day_count, timezone=timeline.timezone
        )
    except ValidationError:  # a cycle of no length in 30E/360 (a day-long cycle on the 31st)
        return period_fraction(
            part, cycle, day_count=DayCount.EXACT_SECONDS, timezone=timeline.timezone
        )


def _windows(
    timeline: SubscriptionTimeline, interval: PriceInterval, horizon: datetime
) -> Iterator[_Window]:
    """The cycles an interval is billed for, up to those starting after ``horizon``."""
    begin, stop, trial_end = interval.start, interval.end, timeline.trial_end
    if trial_end is not None and begin < trial_end:
        if interval.price.kind is PriceKind.USAGE:
            trial = Period(timeline.start, trial_end)
            piece_end = trial_end if stop is None else min(stop, trial_end)
            yield _Window(Period(begin, piece_end), trial, trial_end)
        begin = trial_end
    if stop is not None and begin >= stop:
        return
    schedule = schedule_for(timeline, interval.price.cadence)
    n = schedule.index_of(begin)
    while True:
        grid = schedule.period(n)
        if grid.start > horizon or (stop is not None and grid.start >= stop):
            return
        end = grid.end if stop is None else min(grid.end, stop)
        service = Period(max(grid.start, begin), end)
        yield _Window(service, schedule.nominal_period(n), grid.end)
        n += 1


def _arrears_date(timeline: SubscriptionTimeline, interval: PriceInterval, w: _Window) -> datetime:
    """In arrears: at the end of the service, or of the cycle when billing is deferred
    and the subscription still runs then."""
    ends_by_then = timeline.end is not None and timeline.end < w.cycle_end
    return w.cycle_end if interval.defer_billing and not ends_by_then else w.service.end


def _in_advance(
    timeline: SubscriptionTimeline, interval: PriceInterval, w: _Window
) -> Iterator[tuple[ChargeRole, Period, datetime, Decimal]]:
    start, end = w.service.start, w.service.end
    quantity = interval.quantity_at(start)
    yield ChargeRole.PERIOD, Period(start, w.cycle_end), start, quantity
    for transition in interval.transitions:
        if start < transition.effective < end:
            delta = exact_sub(transition.quantity, quantity)
            quantity = transition.quantity
            if delta:
                at = transition.effective
                yield ChargeRole.QUANTITY_CHANGE, Period(at, w.cycle_end), at, delta
    if end < w.cycle_end and quantity:
        credit = exact_sub(Decimal(0), quantity)
        yield ChargeRole.UNUSED_CREDIT, Period(end, w.cycle_end), end, credit


def _in_arrear_fixed(
    timeline: SubscriptionTimeline, interval: PriceInterval, w: _Window
) -> Iterator[tuple[ChargeRole, Period, datetime, Decimal]]:
    start, end = w.service.start, w.service.end
    bounds = [start, *(t.effective for t in interval.transitions if start < t.effective < end)]
    invoice_date = _arrears_date(timeline, interval, w)
    for left, right in pairwise([*bounds, end]):
        yield ChargeRole.PERIOD, Period(left, right), invoice_date, interval.quantity_at(left)


def _interval_charges(
    timeline: SubscriptionTimeline,
    interval: PriceInterval,
    horizon: datetime,
    coupons: list[CouponWindow],
) -> Iterator[BillableCharge]:
    price = interval.price

    def charge(
        role: ChargeRole,
        service: Period,
        cycle: Period,
        invoice_date: datetime,
        quantity: Decimal | None,
        anchor: datetime,
    ) -> BillableCharge:
        share = Fraction(1) if service.is_empty else _share(timeline, service, cycle)
        applied = tuple(c.coupon_id for c in coupons if c.covers(anchor))
        return BillableCharge(
            interval_id=interval.id,
            price=price,
            role=role,
            service_period=service,
            cycle=cycle,
            invoice_date=invoice_date,
            fraction=share,
            quantity=quantity,
            plan_id=interval.plan_id,
            coupon_ids=applied,
        )

    if not price.cadence.is_recurring:
        at = interval.start
        if timeline.trial_end is not None and price.kind is PriceKind.FIXED:
            at = max(at, timeline.trial_end)
        if interval.covers(at):
            moment = Period(at, at)
            yield charge(ChargeRole.PERIOD, moment, moment, at, interval.quantity_at(at), at)
        return
    for w in _windows(timeline, interval, horizon):
        anchor = w.service.start
        if price.kind is PriceKind.USAGE:
            date = _arrears_date(timeline, interval, w)
            yield charge(ChargeRole.PERIOD, w.service, w.cycle, date, None, anchor)
            continue
        parts = _in_advance if price.billing_mode is BillingMode.IN_ADVANCE else _in_arrear_fixed
        for role, service, date, quantity in parts(timeline, interval, w):
            yield charge(role, service, w.cycle, date, quantity, anchor)


def _generate(timeline: SubscriptionTimeline, horizon: datetime) -> list[BillableCharge]:
    """Every charge of the cycles starting at or before ``horizon``, sorted."""
    coupons = [coupon_window(timeline, c.coupon_id) for c in timeline.coupons]
    found = [
        charge
        for interval in timeline.intervals
        for charge in _interval_charges(timeline, interval, horizon, coupons)
    ]
    found.sort(
        key=lambda c: (c.invoice_date, c.service_period.start, c.interval_id, _ROLE_ORDER[c.role])
    )
    return found


def billable_charges(
    timeline: SubscriptionTimeline, until: datetime, *, since: datetime | None = None
) -> list[BillableCharge]:
    """The charges invoiced in ``[since, until)``, sorted by invoice date.

    Args:
        timeline: the subscription.
        until: the first invoice date not to include.
        since: the first invoice date to include; from the start when ``None``.

    Returns:
        The charges, by invoice date, then service start, interval and role.

    Raises:
        ValidationError: a naive datetime.

    >>> from orbcore import Cadence
    >>> timeline = SubscriptionTimeline.create(
    ...     date(2024, 1, 15), [PriceRef.fixed_fee("platform", Cadence.monthly())]
    ... )
    >>> [(str(c.invoice_date.date()), c.fraction) for c in billable_charges(
    ...     timeline, datetime(2024, 3, 1, tzinfo=UTC)
    ... )]
    [('2024-01-15', Fraction(17, 31)), ('2024-02-01', Fraction(1, 1))]
    """
    until = ensure_aware(until, "until")
    low = None if since is None else ensure_aware(since, "since")
    return [
        c
        for c in _generate(timeline, until)
        if c.invoice_date < until and (low is None or c.invoice_date >= low)
    ]


def charges_on(timeline: SubscriptionTimeline, invoice_date: datetime) -> list[BillableCharge]:
    """The charges due on the invoice dated ``invoice_date``."""
    invoice_date = ensure_aware(invoice_date, "invoice_date")
    return [c for c in _generate(timeline, invoice_date) if c.invoice_date == invoice_date]


def charges_for_period(timeline: SubscriptionTimeline, period: Period) -> list[BillableCharge]:
    """The charges whose service period starts in ``period``: for a billing period, its
    in-advance fees, its usage (billed at its end) and any mid-period change.

    Every charge starts in exactly one billing period, so the lists for consecutive
    periods never share a charge.
    """
    return [c for c in _generate(timeline, period.end) if c.service_period.start in period]


def invoice_dates(
    timeline: SubscriptionTimeline, until: datetime, *, since: datetime | None = None
) -> list[datetime]:
    """The distinct dates in ``[since, until)`` on which something is invoiced."""
    return sorted({c.invoice_date for c in billable_charges(timeline, until, since=since)})
