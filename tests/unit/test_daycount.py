"""Day-count conventions: exact fractions of a billing period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from orbcore import DayCount, Period, ValidationError, period_fraction
from orbcore.calendar import local_midnight

LA = ZoneInfo("America/Los_Angeles")


def utc_period(start: date, end: date) -> Period:
    return Period(
        datetime.combine(start, datetime.min.time(), UTC),
        datetime.combine(end, datetime.min.time(), UTC),
    )


def la_period(start: date, end: date) -> Period:
    return Period(local_midnight(start, LA), local_midnight(end, LA))


def test_actual_days_is_the_default() -> None:
    june = utc_period(date(2024, 6, 1), date(2024, 7, 1))
    tail = utc_period(date(2024, 6, 21), date(2024, 7, 1))
    assert period_fraction(tail, june) == Fraction(1, 3)


@pytest.mark.parametrize(
    ("day_count", "expected"),
    [
        (DayCount.ACTUAL_DAYS, Fraction(15, 29)),
        (DayCount.THIRTY_DAY_MONTHS, Fraction(16, 30)),
        (DayCount.EXACT_SECONDS, Fraction(15, 29)),
    ],
)
def test_second_half_of_february_2024(day_count: DayCount, expected: Fraction) -> None:
    february = utc_period(date(2024, 2, 1), date(2024, 3, 1))
    second_half = utc_period(date(2024, 2, 15), date(2024, 3, 1))
    assert period_fraction(second_half, february, day_count=day_count) == expected


def test_thirty_day_months_treat_the_31st_as_the_30th() -> None:
    january = utc_period(date(2024, 1, 1), date(2024, 2, 1))
    assert (
        period_fraction(
            utc_period(date(2024, 1, 30), date(2024, 1, 31)),
            january,
            day_count=DayCount.THIRTY_DAY_MONTHS,
        )
        == 0
    )
    assert period_fraction(
        utc_period(date(2024, 1, 31), date(2024, 2, 1)),
        january,
        day_count=DayCount.THIRTY_DAY_MONTHS,
    ) == Fraction(1, 30)
    assert period_fraction(
        utc_period(date(2024, 1, 16), date(2024, 2, 1)),
        january,
        day_count=DayCount.THIRTY_DAY_MONTHS,
    ) == Fraction(1, 2)


def test_exact_seconds_see_the_daylight_saving_hour_and_days_do_not() -> None:
    march = la_period(date(2024, 3, 1), date(2024, 4, 1))
    first_half = la_period(date(2024, 3, 1), date(2024, 3, 17))
    assert period_fraction(first_half, march, timezone=LA) == Fraction(16, 31)
    exact = period_fraction(first_half, march, day_count=DayCount.EXACT_SECONDS, timezone=LA)
    assert exact == Fraction(16 * 24 - 1, 31 * 24 - 1)


def test_a_part_starting_mid_day_counts_from_that_day() -> None:
    january = utc_period(date(2024, 1, 1), date(2024, 2, 1))
    part = Period(datetime(2024, 1, 21, 15, tzinfo=UTC), january.end)
    assert period_fraction(part, january) == Fraction(11, 31)


def test_local_days_are_counted_in_the_customer_zone() -> None:
    january = la_period(date(2024, 1, 1), date(2024, 2, 1))
    # 2024-01-31T03:00Z is still January 30 in Los Angeles.
    part = Period(datetime(2024, 1, 31, 3, tzinfo=UTC), january.end)
    assert period_fraction(part, january, timezone=LA) == Fraction(2, 31)
    assert period_fraction(part, january, timezone="UTC") == Fraction(1, 31)


def test_a_part_outside_the_period_is_refused() -> None:
    january = utc_period(date(2024, 1, 1), date(2024, 2, 1))
    with pytest.raises(ValidationError, match="is not within"):
        period_fraction(utc_period(date(2024, 1, 15), date(2024, 2, 15)), january)


def test_a_period_that_measures_zero_is_refused() -> None:
    day = utc_period(date(2024, 1, 30), date(2024, 1, 31))
    with pytest.raises(ValidationError, match="no length"):
        period_fraction(day, day, day_count=DayCount.THIRTY_DAY_MONTHS)
