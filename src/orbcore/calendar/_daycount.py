"""Day-count conventions: what share of a period a part of it is, as an exact fraction."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from orbcore._errors import ValidationError
from orbcore.calendar._period import Period
from orbcore.calendar._zone import day_of, resolve_zone

__all__ = ["DayCount", "period_fraction"]


class DayCount(StrEnum):
    """How to measure a part of a billing period for proration.

    * ``ACTUAL_DAYS`` (default, Orb's): local calendar days of the part over those of the
      period. A part starting mid-day counts from that day.
    * ``THIRTY_DAY_MONTHS``: every month counts as 30 days and day 31 as day 30
      (30E/360), so each whole month is worth the same whatever its length.
    * ``EXACT_SECONDS``: elapsed time, to the microsecond.
    """

    ACTUAL_DAYS = "actual_days"
    THIRTY_DAY_MONTHS = "thirty_day_months"
    EXACT_SECONDS = "exact_seconds"


def period_fraction(
    part: Period,
    whole: Period,
    *,
    day_count: DayCount = DayCount.ACTUAL_DAYS,
    timezone: str | ZoneInfo = "UTC",
) -> Fraction:
    """The fraction of ``whole`` that ``part`` covers, exactly.

    The measures are additive, so the fractions of parts that partition ``whole`` sum to
    exactly 1.

    Args:
        part: a sub-interval of ``whole``.
        whole: the enclosing billing period.
        day_count: the convention; see :class:`DayCount`.
        timezone: the zone whose local days are counted.

    Raises:
        ValidationError: ``part`` is not inside ``whole``, or ``whole`` measures zero.

    >>> from datetime import UTC
    >>> june = Period(datetime(2024, 6, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC))
    >>> tail = Period(datetime(2024, 6, 21, tzinfo=UTC), june.end)
    >>> period_fraction(tail, june)
    Fraction(1, 3)
    """
    day_count = DayCount(day_count)
    if not whole.contains_period(part):
        raise ValidationError.at(("part",), f"{part} is not within {whole}")
    zone = resolve_zone(timezone)
    total = _measure(whole.start, whole.end, day_count, zone)
    if total == 0:
        raise ValidationError.at(("whole",), f"{whole} has no length in {day_count.value}")
    return Fraction(_measure(part.start, part.end, day_count, zone), total)


def _measure(start: datetime, end: datetime, day_count: DayCount, zone: ZoneInfo) -> int:
    if day_count is DayCount.EXACT_SECONDS:
        return (end - start) // timedelta(microseconds=1)
    first, last = day_of(start, zone), day_of(end, zone)
    if day_count is DayCount.ACTUAL_DAYS:
        return (last - first).days
    return _thirty_360(last) - _thirty_360(first)


def _thirty_360(day: date) -> int:
    return day.year * 360 + (day.month - 1) * 30 + min(day.day, 30)
