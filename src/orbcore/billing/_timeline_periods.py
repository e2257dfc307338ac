"""A timeline's calendar: its billing periods and terms, and the span a coupon covers.

Orb's rule: the billing period is the shortest cadence among the prices in force, the
term the longest. Every price's own periods come from a :class:`BillingSchedule` with the
subscription's start, alignment and time zone, so all cadences share one anchor.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from orbcore._errors import ValidationError
from orbcore.billing._timeline import CouponRedemption, SubscriptionTimeline
from orbcore.calendar import BillingSchedule, Cadence, CadenceUnit, Period, day_of, local_midnight
from orbcore.calendar._zone import ensure_aware

__all__ = [
    "CouponWindow",
    "billing_cadence",
    "billing_cycles",
    "billing_period_containing",
    "billing_periods",
    "coupon_window",
    "schedule_for",
    "term_cadence",
    "term_containing",
]

# The mean Gregorian month, to order month cadences against day cadences.
_MONTH_IN_DAYS = Fraction(146_097, 4_800)


def _length(cadence: Cadence) -> Fraction:
    if cadence.unit is CadenceUnit.MONTH:
        return cadence.count * _MONTH_IN_DAYS
    return Fraction(cadence.count)


def schedule_for(timeline: SubscriptionTimeline, cadence: Cadence) -> BillingSchedule:
    """The periods of ``cadence`` on this subscription's anchor, alignment and zone."""
    return _schedule(timeline.start, cadence, timeline.alignment, timeline.timezone)


# Schedules are immutable, and the subscriptions of a billing run share a few: started
# the same day, on the same alignment, in the same zone.
_schedule = functools.lru_cache(maxsize=4096)(BillingSchedule)


def _cadences_at(timeline: SubscriptionTimeline, at: datetime) -> list[Cadence]:
    """Recurring cadences in force at ``at``; in a gap, those of the whole timeline."""
    at = max(ensure_aware(at, "at"), timeline.start)
    for intervals in (timeline.intervals_at(at), timeline.intervals):
        cadences = [iv.price.cadence for iv in intervals if iv.price.cadence.is_recurring]
        if cadences:
            return cadences
    raise ValidationError.at(("intervals",), "the subscription has no recurring price")


def billing_cadence(timeline: SubscriptionTimeline, at: datetime) -> Cadence:
    """The billing period's cadence at ``at``: the shortest among the prices in force."""
    return min(_cadences_at(timeline, at), key=_length)


def term_cadence(timeline: SubscriptionTimeline, at: datetime) -> Cadence:
    """The term's cadence at ``at``: the longest among the prices in force."""
    return max(_cadences_at(timeline, at), key=_length)


def term_containing(timeline: SubscriptionTimeline, at: datetime) -> Period:
    """The term in progress at ``at`` (the first term, before the start).

    A yearly subscription started 2021-11-01 is in the term ending 2022-11-01 on
    2021-12-08; an end-of-term cancellation ends it there.
    """
    at = max(ensure_aware(at, "at"), timeline.start)
    return schedule_for(timeline, term_cadence(timeline, at)).period_containing(at)


def _cuts(timeline: SubscriptionTimeline) -> list[datetime]:
    found = {timeline.trial_end} if timeline.trial_end is not None else set()
    for interval in timeline.intervals:
        found.add(interval.start)
        if interval.end is not None:
            found.add(interval.end)
    return sorted(found)


def billing_cycles(timeline: SubscriptionTimeline) -> Iterator[tuple[Period, Period]]:
    """Each billing period with the full cycle it is measured against, in order.

    The periods tile the subscription from its start to its end (forever if it has
    none). A trial is one period of its own. Otherwise periods follow the schedule of
    the billing cadence and are cut wherever the set of intervals in force changes (a
    plan change, a price interval starting or ending), so a cadence change never makes
    two periods overlap.
    """
    cuts = _cuts(timeline)
    end = timeline.end
    moment = timeline.start
    if end is not None and end <= moment:
        return
    if timeline.trial_end is not None and timeline.trial_end > moment:
        trial = Period(moment, timeline.trial_end if end is None else min(end, timeline.trial_end))
        yield trial, trial
        moment = trial.end
    while end is None or moment < end:
        schedule = schedule_for(timeline, billing_cadence(timeline, moment))
        n = schedule.index_of(moment)
        stops = [schedule.period(n).end]
        following = bisect.bisect_right(cuts, moment)
        if following < len(cuts):
            stops.append(cuts[following])
        if end is not None:
            stops.append(end)
        period = Period(moment, min(stops))
        yield period, schedule.nominal_period(n)
        moment = period.end


def billing_periods(timeline: SubscriptionTimeline, until: datetime) -> list[Period]:
    """The billing periods that start before ``until``, in order (see
    :func:`billing_cycles`).

    Args:
        timeline: the subscription.
        until: periods starting at or after it are left out.

    Raises:
        ValidationError: a naive ``until``, or no recurring price.

    >>> from orbcore import Cadence
    >>> from orbcore.billing import PriceRef
    >>> timeline = SubscriptionTimeline.create(
    ...     date(2024, 1, 15), [PriceRef.usage("api", Cadence.monthly())]
    ... )
    >>> [str(p.start.date()) for p in billing_periods(timeline, datetime(2024, 4, 1, tzinfo=UTC))]
    ['2024-01-15', '2024-02-01', '2024-03-01']
    """
    until = ensure_aware(until, "until")
    periods = []
    for period, _ in billing_cycles(timeline):
        if period.start >= until:
            break
        periods.append(period)
    return periods


def billing_period_containing(timeline: SubscriptionTimeline, at: datetime) -> Period:
    """The billing period in progress at ``at``.

    Raises:
        ValidationError: ``at`` is before the start or at or after the end.
    """
    at = ensure_aware(at, "at")
    for period, _ in billing_cycles(timeline):
        if at < period.start:
            break
        if at in period:
            return period
    raise ValidationError.at(("at",), f"{at.isoformat()} is outside the subscription")


@dataclass(frozen=True, slots=True)
class CouponWindow:
    """The span of a coupon, ``[start, end)``; ``end`` is ``None`` for a coupon without
    a duration.

    A charge gets the coupon when the part of its cycle its interval is billed for
    starts in the span, so a credit carries the same coupons as the fee it credits.
    """

    coupon_id: str
    start: datetime
    end: datetime | None

    def covers(self, instant: datetime) -> bool:
        """Whether ``instant`` is in the span."""
        return self.start <= instant and (self.end is None or instant < self.end)


def coupon_window(timeline: SubscriptionTimeline, coupon_id: str) -> CouponWindow:
    """The span whose charges a coupon applies to.

    The coupon starts with the first billing period that begins at or after it is
    redeemed (so it never changes an invoice already issued for the period in
    progress) and covers the billing periods that begin within ``duration_in_months``
    months of that period's nominal start: N monthly periods, N/3 quarterly ones
    (rounded up). A short first period counts as one.

    Raises:
        ValidationError: no coupon with that id.
    """
    redemption = _redemption(timeline, coupon_id)
    cycles = billing_cycles(timeline)
    first = None
    for period, nominal in cycles:
        if period.start >= redemption.redeemed_at:
            first = period, nominal
            break
    if first is None:  # the subscription ends before a period starts
        end = timeline.end if timeline.end is not None else timeline.start
        return CouponWindow(coupon_id, end, end)
    period, nominal = first
    months = redemption.duration_in_months
    if months is None:
        return CouponWindow(coupon_id, period.start, None)
    local = day_of(nominal.start, timeline.timezone) + relativedelta(months=months)
    target = local_midnight(local, timeline.timezone)
    for later, _ in cycles:
        if later.start >= target:
            return CouponWindow(coupon_id, period.start, later.start)
    return CouponWindow(coupon_id, period.start, timeline.end)


def _redemption(timeline: SubscriptionTimeline, coupon_id: str) -> CouponRedemption:
    for redemption in timeline.coupons:
        if redemption.coupon_id == coupon_id:
            return redemption
    raise ValidationError.at(("coupon_id",), f"no coupon {coupon_id!r} on this subscription")
