"""Billing schedules: named cases from Orb's documentation and the month-end traps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from orbcore import (
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    BillingSchedule,
    Cadence,
    CycleAnchor,
    ValidationError,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local_starts(schedule: BillingSchedule, count: int) -> list[str]:
    return [
        schedule.period(n).start.astimezone(schedule.timezone).date().isoformat()
        for n in range(count)
    ]


def test_anniversary_on_jan_31_2024_bills_feb_29_then_mar_31_then_apr_30() -> None:
    schedule = BillingSchedule(date(2024, 1, 31), Cadence.monthly(), Anniversary())
    assert local_starts(schedule, 5) == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
        "2024-05-31",
    ]


def test_annual_anniversary_on_feb_29_returns_to_the_29th_in_the_next_leap_year() -> None:
    schedule = BillingSchedule(date(2024, 2, 29), Cadence.annual(), Anniversary())
    assert local_starts(schedule, 5) == [
        "2024-02-29",
        "2025-02-28",
        "2026-02-28",
        "2027-02-28",
        "2028-02-29",
    ]


def test_billing_cycle_day_31_falls_on_april_30() -> None:
    schedule = BillingSchedule(date(2024, 3, 31), Cadence.monthly(), BillingCycleDay(31))
    assert local_starts(schedule, 4) == ["2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"]


def test_billing_cycle_day_after_the_start_gives_a_short_first_period() -> None:
    schedule = BillingSchedule(date(2024, 4, 5), Cadence.monthly(), BillingCycleDay(31))
    assert schedule.period(0).end == utc(2024, 4, 30)
    assert schedule.nominal_period(0).start == utc(2024, 3, 31)
    assert schedule.proration(0) == Fraction(25, 30)


def test_beginning_of_month_is_the_default_and_prorates_the_first_period() -> None:
    schedule = BillingSchedule(date(2024, 1, 15), Cadence.monthly())
    assert schedule.alignment == BeginningOfMonth()
    assert schedule.period(0).start == utc(2024, 1, 15)
    assert schedule.period(0).end == utc(2024, 2, 1)
    assert schedule.nominal_period(0).start == utc(2024, 1, 1)
    assert schedule.proration(0) == Fraction(17, 31)
    assert schedule.proration(1) == 1


def test_a_start_on_the_first_has_no_short_period() -> None:
    schedule = BillingSchedule(date(2024, 3, 1), Cadence.monthly())
    assert schedule.period(0) == schedule.nominal_period(0)
    assert schedule.period(0).end == utc(2024, 4, 1)


def test_quarterly_beginning_of_month_runs_from_the_next_first() -> None:
    schedule = BillingSchedule(date(2024, 1, 15), Cadence.quarterly())
    assert local_starts(schedule, 3) == ["2024-01-15", "2024-02-01", "2024-05-01"]


def test_quarterly_anchored_in_february_starts_in_feb_may_aug_nov() -> None:
    schedule = BillingSchedule(date(2024, 6, 10), Cadence.quarterly(), CycleAnchor(1, month=2))
    assert local_starts(schedule, 4) == ["2024-06-10", "2024-08-01", "2024-11-01", "2025-02-01"]


def test_two_year_cadence_anchored_in_2021_starts_in_odd_years() -> None:
    schedule = BillingSchedule(
        date(2022, 3, 10), Cadence.every_months(24), CycleAnchor(1, month=1, year=2021)
    )
    assert local_starts(schedule, 4) == ["2022-03-10", "2023-01-01", "2025-01-01", "2027-01-01"]


def test_custom_day_cadence_counts_days_from_the_start_by_default() -> None:
    schedule = BillingSchedule(date(2024, 2, 20), Cadence.every_days(14))
    assert schedule.alignment == Anniversary()
    assert local_starts(schedule, 3) == ["2024-02-20", "2024-03-05", "2024-03-19"]


def test_a_day_cadence_aligned_to_the_month_runs_on_a_grid_through_the_next_first() -> None:
    schedule = BillingSchedule(date(2024, 1, 10), Cadence.every_days(14), BeginningOfMonth())
    assert local_starts(schedule, 4) == ["2024-01-10", "2024-01-18", "2024-02-01", "2024-02-15"]
    assert schedule.proration(0) == Fraction(8, 14)


def test_a_los_angeles_customer_period_starting_feb_1_starts_at_0800_utc() -> None:
    schedule = BillingSchedule(date(2024, 1, 1), Cadence.monthly(), timezone="America/Los_Angeles")
    assert schedule.period(1).start == utc(2024, 2, 1, 8)
    # Daylight saving time began on March 10: April starts at 07:00 UTC.
    assert schedule.period(3).start == utc(2024, 4, 1, 7)
    assert schedule.period(3).duration == timedelta(days=30)
    assert schedule.period(2).duration == timedelta(days=31, hours=-1)


def test_where_dst_skips_midnight_the_day_starts_at_the_jump() -> None:
    # Chile moved its clocks from 00:00 to 01:00 on 2022-09-11.
    schedule = BillingSchedule(
        date(2022, 9, 10), Cadence.every_days(1), Anniversary(), "America/Santiago"
    )
    assert schedule.period(0).end == utc(2022, 9, 11, 4)
    assert schedule.period(1).duration == timedelta(hours=23)
    assert schedule.period(1).end.astimezone(schedule.timezone).hour == 0


def test_an_aware_start_time_is_kept_and_later_boundaries_are_midnights() -> None:
    start = datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
    schedule = BillingSchedule(start, Cadence.monthly(), Anniversary())
    assert schedule.period(0).start == start
    assert schedule.period(0).end == utc(2024, 2, 15)
    assert schedule.proration(0) == 1


def test_finding_the_period_of_an_instant() -> None:
    schedule = BillingSchedule(date(2024, 1, 31), Cadence.monthly(), Anniversary())
    assert schedule.index_of(utc(2024, 3, 30, 23, 59)) == 1
    assert schedule.index_of(utc(2024, 3, 31)) == 2
    assert schedule.period_containing(utc(2024, 1, 31)) == schedule.period(0)
    assert schedule.next_period(schedule.period(0)) == schedule.period(1)


def test_periods_until_stops_before_the_limit() -> None:
    schedule = BillingSchedule(date(2024, 1, 1), Cadence.monthly())
    assert len(list(schedule.periods(until=utc(2024, 7, 1)))) == 6
    assert len(list(schedule.periods(until=utc(2024, 7, 1, 0, 0, 1)))) == 7


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: BillingSchedule(date(2024, 1, 1), Cadence.one_time()), "one-time"),
        (lambda: BillingSchedule(datetime(2024, 1, 1), Cadence.monthly()), "no time zone"),
        (
            lambda: BillingSchedule(date(2024, 1, 1), Cadence.monthly(), timezone="Mars/Base"),
            "IANA",
        ),
        (lambda: BillingSchedule(date(2024, 1, 1), "monthly"), "Cadence"),  # type: ignore[arg-type]
        (lambda: BillingSchedule("2024-01-01", Cadence.monthly()), "date"),  # type: ignore[arg-type]
        (lambda: BillingCycleDay(32), "day"),
        (lambda: CycleAnchor(1, month=13), "month"),
        (lambda: CycleAnchor(1, year=2021), "month: is required"),
    ],
)
def test_bad_schedules_are_refused(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        make()


def test_instants_before_the_start_and_negative_indexes_are_refused() -> None:
    schedule = BillingSchedule(date(2024, 1, 1), Cadence.monthly())
    with pytest.raises(ValidationError, match="before the schedule starts"):
        schedule.index_of(utc(2023, 12, 31))
    with pytest.raises(ValidationError, match="non-negative"):
        schedule.period(-1)
