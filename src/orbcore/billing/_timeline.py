"""A subscription's timeline: its prices as dated intervals, its trial, end and coupons.

The timeline is the pure model of Orb's price intervals. Operations on it
(:mod:`orbcore.billing._subscription_changes`) return new timelines; what is billable is
computed from it by :mod:`orbcore.billing._timeline_charges`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from orbcore._checks import require_int
from orbcore._errors import ValidationError
from orbcore.billing._plan_terms import PhaseDiscount
from orbcore.billing._timeline_intervals import PriceInterval, PriceRef, new_intervals, to_instant
from orbcore.calendar import (
    Alignment,
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    CycleAnchor,
    DayCount,
    day_of,
    local_midnight,
    resolve_zone,
)
from orbcore.calendar._zone import ensure_aware

__all__ = [
    "CouponRedemption",
    "PlanChange",
    "SubscriptionStatus",
    "SubscriptionTimeline",
]

_ALIGNMENTS = (BeginningOfMonth, Anniversary, BillingCycleDay, CycleAnchor)


class SubscriptionStatus(StrEnum):
    """Orb's subscription status, a function of the start and end dates."""

    UPCOMING = "upcoming"
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class PlanChange:
    """A plan change recorded on the timeline: the price set was replaced at ``effective``."""

    effective: datetime
    plan_id: str | None = None


@dataclass(frozen=True, slots=True)
class CouponRedemption:
    """A coupon attached at ``redeemed_at`` for ``duration_in_months`` (``None``: forever),
    with its ``discount`` (Orb's shape; the billing run applies it to the charges in the
    coupon's window), or none when only the bookkeeping is kept."""

    coupon_id: str
    redeemed_at: datetime
    duration_in_months: int | None = None
    discount: PhaseDiscount | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "redeemed_at", ensure_aware(self.redeemed_at, "redeemed_at"))
        if self.duration_in_months is not None:
            require_int(self.duration_in_months, 1, 1200, "duration_in_months")


@dataclass(frozen=True, slots=True)
class SubscriptionTimeline:
    """A subscription as dated price intervals: immutable, compared by value.

    Build one with :meth:`create`. ``end`` is set by a cancellation; ``trial_end`` ends
    the trial (no fixed fees before it). Intervals are kept sorted by start and id.

    >>> from orbcore import Cadence
    >>> from orbcore.billing import PriceRef
    >>> timeline = SubscriptionTimeline.create(
    ...     date(2024, 1, 1), [PriceRef.fixed_fee("platform", Cadence.monthly())]
    ... )
    >>> [interval.id for interval in timeline.intervals]
    ['platform@2024-01-01T00:00:00+00:00']
    >>> timeline.status(datetime(2023, 12, 31, tzinfo=UTC)).value
    'upcoming'
    """

    start: datetime
    intervals: tuple[PriceInterval, ...]
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    alignment: Alignment = field(default_factory=BeginningOfMonth)
    trial_end: datetime | None = None
    end: datetime | None = None
    plan_changes: tuple[PlanChange, ...] = ()
    coupons: tuple[CouponRedemption, ...] = ()
    day_count: DayCount = DayCount.ACTUAL_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "timezone", resolve_zone(self.timezone))
        object.__setattr__(self, "start", ensure_aware(self.start, "start"))
        object.__setattr__(self, "day_count", DayCount(self.day_count))
        if not isinstance(self.alignment, _ALIGNMENTS):
            raise ValidationError.at(("alignment",), f"unknown alignment {self.alignment!r}")
        for name in ("trial_end", "end"):
            value = getattr(self, name)
            if value is not None:
                value = ensure_aware(value, name)
                if value < self.start:
                    raise ValidationError.at((name,), "is before the subscription starts")
                object.__setattr__(self, name, value)
        self._check_intervals()
        ordered = sorted(self.intervals, key=lambda iv: (iv.start, iv.id))
        object.__setattr__(self, "intervals", tuple(ordered))
        changes = sorted(self.plan_changes, key=lambda change: change.effective)
        object.__setattr__(self, "plan_changes", tuple(changes))

    def _check_intervals(self) -> None:
        if len({iv.id for iv in self.intervals}) != len(self.intervals):
            raise ValidationError.at(("intervals",), "interval ids must be unique")
        for interval in self.intervals:
            if interval.start < self.start:
                raise ValidationError.at(
                    ("intervals", interval.id), "starts before the subscription"
                )
            if self.end is not None and (interval.end is None or interval.end > self.end):
                raise ValidationError.at(("intervals", interval.id), "ends after the subscription")

    @classmethod
    def create(
        cls,
        start: date | datetime,
        prices: Sequence[PriceRef],
        *,
        timezone: str | ZoneInfo = "UTC",
        alignment: Alignment | None = None,
        trial_days: int = 0,
        day_count: DayCount = DayCount.ACTUAL_DAYS,
        plan_id: str | None = None,
    ) -> SubscriptionTimeline:
        """A new subscription to ``prices`` from ``start``.

        Args:
            start: a date (local midnight in ``timezone``) or an aware datetime.
            prices: the plan's prices; at least one must recur.
            timezone: the customer's IANA zone.
            alignment: defaults to :class:`~orbcore.calendar.BeginningOfMonth` (Orb's).
            trial_days: a free trial of that many local days; 0 for none.
            day_count: how partial periods are measured (Orb's: actual days).
            plan_id: recorded on every interval, so invoices can be split per plan.

        Raises:
            ValidationError: no recurring price, a duplicated price id, a bad date.
        """
        zone = resolve_zone(timezone)
        begin = to_instant(start, zone, "start")
        require_int(trial_days, 0, 36_600, "trial_days")
        trial_end = None
        if trial_days:
            trial_end = local_midnight(day_of(begin, zone) + timedelta(days=trial_days), zone)
        return cls(
            start=begin,
            intervals=new_intervals(prices, begin, plan_id),
            timezone=zone,
            alignment=alignment if alignment is not None else BeginningOfMonth(),
            trial_end=trial_end,
            day_count=day_count,
        )

    def to_json(self) -> dict[str, Any]:
        """The timeline as exact JSON: decimals as text, instants as ISO 8601 text.

        :meth:`from_json` reads it back equal; ``Subscription.timeline`` stores it.

        >>> from orbcore import Cadence
        >>> from orbcore.billing import PriceRef
        >>> timeline = SubscriptionTimeline.create(
        ...     date(2024, 1, 1), [PriceRef.fixed_fee("seats", Cadence.monthly(), quantity=3)]
        ... )
        >>> raw = timeline.to_json()
        >>> raw["start"], raw["intervals"][0]["quantity"]
        ('2024-01-01T00:00:00+00:00', '3')
        >>> SubscriptionTimeline.from_json(raw) == timeline
        True
        """
        # Imported here: the JSON module builds timelines, so it imports this one.
        from orbcore.billing._timeline_json import timeline_to_json

        return timeline_to_json(self)

    @classmethod
    def from_json(cls, raw: object) -> SubscriptionTimeline:
        """The timeline whose :meth:`to_json` form is ``raw``.

        Raises:
            ValidationError: every problem of ``raw``, each with its JSON path.
        """
        # Imported here: the JSON module builds timelines, so it imports this one.
        from orbcore.billing._timeline_json import timeline_from_json

        return timeline_from_json(raw)

    def status(self, as_of: datetime) -> SubscriptionStatus:
        """``upcoming`` before the start, ``ended`` from the end, else ``active``.

        A subscription cancelled before it started (``end == start``) is ended at once.
        """
        as_of = ensure_aware(as_of, "as_of")
        if self.end is not None and (as_of >= self.end or self.end == self.start):
            return SubscriptionStatus.ENDED
        if as_of < self.start:
            return SubscriptionStatus.UPCOMING
        return SubscriptionStatus.ACTIVE

    def in_trial(self, instant: datetime) -> bool:
        """Whether ``instant`` falls in the free trial."""
        instant = ensure_aware(instant)
        return self.trial_end is not None and self.start <= instant < self.trial_end

    def intervals_at(self, instant: datetime) -> tuple[PriceInterval, ...]:
        """The intervals in force at ``instant``."""
        instant = ensure_aware(instant)
        return tuple(iv for iv in self.intervals if iv.covers(instant))

    def interval(self, interval_id: str) -> PriceInterval:
        """The interval with this id.

        Raises:
            ValidationError: no such interval.
        """
        for interval in self.intervals:
            if interval.id == interval_id:
                return interval
        raise ValidationError.at(("interval_id",), f"no interval {interval_id!r}")
