"""``BillingSchedule``: the billing periods of a cadence, alignment and time zone."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from orbcore._errors import ValidationError
from orbcore.calendar._alignment import (
    Alignment,
    Anniversary,
    BeginningOfMonth,
    clamp_day,
    month_index,
    resolve_anchor,
)
from orbcore.calendar._cadence import Cadence, CadenceUnit
from orbcore.calendar._daycount import DayCount, period_fraction
from orbcore.calendar._period import Period
from orbcore.calendar._zone import day_of, ensure_aware, local_midnight, resolve_zone

__all__ = ["BillingSchedule"]


class BillingSchedule:
    """The billing periods of a subscription: ``period(0)``, ``period(1)``, ...

    Every boundary is computed directly from the anchor, never from the previous period,
    so month-end anchors do not drift (Jan 31 -> Feb 29 -> Mar 31 -> Apr 30). Boundaries
    are local midnights in ``timezone``, converted to UTC. Period 0 runs from ``start`` to
    the first boundary after it; if ``start`` is not itself a boundary, period 0 is shorter
    than a full cycle (see :meth:`nominal_period` and :meth:`proration`).

    Args:
        start: a date (its local midnight in ``timezone``) or an aware datetime.
        cadence: a recurring :class:`Cadence`.
        alignment: :class:`BeginningOfMonth`, :class:`Anniversary`,
            :class:`BillingCycleDay` or :class:`CycleAnchor`. By default month cadences
            align to the beginning of the month (Orb's default) and day cadences count
            from the start (:class:`Anniversary`).
        timezone: the customer's IANA time zone.

    Raises:
        ValidationError: a one-time cadence, a naive datetime or an unknown zone.

    >>> schedule = BillingSchedule(date(2024, 1, 31), Cadence.monthly(), Anniversary())
    >>> [str(schedule.period(n).start.date()) for n in range(4)]
    ['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30']
    """

    __slots__ = ("_day", "_first", "_reference", "alignment", "cadence", "start", "timezone")

    def __init__(
        self,
        start: date | datetime,
        cadence: Cadence,
        alignment: Alignment | None = None,
        timezone: str | ZoneInfo = "UTC",
    ) -> None:
        self.timezone = resolve_zone(timezone)
        if not isinstance(cadence, Cadence):
            raise ValidationError.at(("cadence",), f"expected a Cadence, got {cadence!r}")
        if not cadence.is_recurring:
            raise ValidationError.at(
                ("cadence",),
                "a one-time cadence has no billing periods; it is billed on the first invoice",
            )
        self.cadence = cadence
        if alignment is None:
            by_month = cadence.unit is CadenceUnit.MONTH
            alignment = BeginningOfMonth() if by_month else Anniversary()
        self.alignment: Alignment = alignment
        if isinstance(start, datetime):
            self.start = ensure_aware(start, "start")
        elif isinstance(start, date):
            self.start = local_midnight(start, self.timezone)
        else:
            raise ValidationError.at(("start",), f"expected a date or datetime, got {start!r}")
        self._reference, self._day = resolve_anchor(
            self.alignment, day_of(self.start, self.timezone)
        )
        self._first = self._last_boundary_at_or_before(self.start) + 1

    def __repr__(self) -> str:
        return (
            f"BillingSchedule(start={self.start.isoformat()!r}, cadence={self.cadence.name!r}, "
            f"alignment={self.alignment!r}, timezone={self.timezone.key!r})"
        )

    def _boundary_date(self, k: int) -> date:
        if self.cadence.unit is CadenceUnit.MONTH:
            return _month_day(self._reference + k * self.cadence.count, self._day)
        origin = clamp_day(self._reference, self._day)
        try:
            return origin + timedelta(days=k * self.cadence.count)
        except OverflowError as exc:
            raise ValidationError.at((), "billing dates beyond the year 9999") from exc

    def _boundary(self, k: int) -> datetime:
        return _midnight(self._boundary_date(k), self.timezone)

    def _last_boundary_at_or_before(self, instant: datetime) -> int:
        """The largest ``k`` whose boundary is at or before ``instant``."""
        day = day_of(instant, self.timezone)
        if self.cadence.unit is CadenceUnit.MONTH:
            k = (month_index(day) - self._reference) // self.cadence.count
        else:
            k = (day - clamp_day(self._reference, self._day)).days // self.cadence.count
        while self._boundary(k + 1) <= instant:
            k += 1
        while self._boundary(k) > instant:
            k -= 1
        return k

    def period(self, n: int) -> Period:
        """The ``n``-th billing period (0 is the first), computed directly.

        Raises:
            ValidationError: ``n`` is negative.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValidationError.at(("n",), f"must be a non-negative int, got {n!r}")
        start = self.start if n == 0 else self._boundary(self._first + n - 1)
        return Period(start, self._boundary(self._first + n))

    def nominal_period(self, n: int) -> Period:
        """The full billing cycle that period ``n`` belongs to.

        Equal to :meth:`period` except for a short first period, whose nominal period is
        the whole cycle it is cut from: a monthly subscription starting Jan 15 aligned to
        the 1st has ``period(0)`` Jan 15 - Feb 1 and ``nominal_period(0)`` Jan 1 - Feb 1.
        """
        self.period(n)
        return Period(self._boundary(self._first + n - 1), self._boundary(self._first + n))

    def index_of(self, instant: datetime) -> int:
        """The index of the period containing ``instant``.

        Raises:
            ValidationError: ``instant`` is naive or before the schedule starts.
        """
        instant = ensure_aware(instant)
        if instant < self.start:
            raise ValidationError.at(
                ("instant",), f"{instant.isoformat()} is before the schedule starts"
            )
        return self._last_boundary_at_or_before(instant) - self._first + 1

    def period_containing(self, instant: datetime) -> Period:
        """The billing period that contains ``instant``."""
        return self.period(self.index_of(instant))

    def next_period(self, period: Period) -> Period:
        """The schedule's period that contains ``period.end``: for a period of this
        schedule, the one that starts where it ends."""
        return self.period_containing(period.end)

    def periods(self, until: datetime | None = None) -> Iterator[Period]:
        """Periods in order from the first; those starting before ``until``, if given."""
        limit = None if until is None else ensure_aware(until, "until")
        n = 0
        while True:
            current = self.period(n)
            if limit is not None and current.start >= limit:
                return
            yield current
            n += 1

    def proration(self, n: int, day_count: DayCount = DayCount.ACTUAL_DAYS) -> Fraction:
        """The share of a full cycle that period ``n`` covers: 1 except for a short first
        period (Jan 15 - Feb 1 of January is 17/31 in actual days)."""
        return period_fraction(
            self.period(n), self.nominal_period(n), day_count=day_count, timezone=self.timezone
        )


# Subscriptions share billing boundaries (the 1st of a month, in a handful of zones):
# computed once, they are looked up for every subscription of a billing run.
_month_day = functools.lru_cache(maxsize=1 << 16)(clamp_day)
_midnight = functools.lru_cache(maxsize=1 << 16)(local_midnight)
