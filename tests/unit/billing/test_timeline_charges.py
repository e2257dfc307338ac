"""What is billable: seats, trials, month ends, time zones, arrears, deferral, coupons."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from orbcore import Anniversary, Cadence, Period, ValidationError
from orbcore.billing import (
    BillableCharge,
    ChargeRole,
    PriceRef,
    SubscriptionTimeline,
    add_price_interval,
    apply_coupon,
    billable_charges,
    billing_periods,
    change_fixed_fee_quantity,
    change_plan,
    charges_for_period,
    charges_on,
    coupon_window,
    end_price_interval,
    invoice_dates,
    mid_period_change,
    round_amounts,
)

SEATS = PriceRef.fixed_fee("seats", Cadence.monthly(), quantity=10)
FEE = PriceRef.fixed_fee("fee", Cadence.monthly())
API = PriceRef.usage("api", Cadence.monthly())
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def summary(charges: list[BillableCharge]) -> list[tuple[str, str, str, str, Fraction]]:
    """(price, role, invoice date, service start, fraction) per charge, in UTC dates."""
    return [
        (
            c.price_id,
            c.role.value,
            c.invoice_date.date().isoformat(),
            c.service_period.start.date().isoformat(),
            c.fraction,
        )
        for c in charges
    ]


def test_a_seat_increase_mid_period_charges_the_difference_for_the_rest_of_it() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [SEATS])
    more = change_fixed_fee_quantity(timeline, "seats", 15, effective=date(2024, 1, 20))
    charges = billable_charges(more, utc(2024, 3, 1))
    assert [(c.role, c.invoice_date, c.quantity, c.fraction) for c in charges] == [
        (ChargeRole.PERIOD, utc(2024, 1, 1), Decimal(10), Fraction(1)),
        (ChargeRole.QUANTITY_CHANGE, utc(2024, 1, 20), Decimal(5), Fraction(12, 31)),
        (ChargeRole.PERIOD, utc(2024, 2, 1), Decimal(15), Fraction(1)),
    ]
    # $5 a seat: the 5 new seats for Jan 20 - Feb 1, the same as crediting 10 seats and
    # charging 15 for the rest of January.
    january = Period(utc(2024, 1, 1), utc(2024, 2, 1))
    change = mid_period_change(50, 75, january, utc(2024, 1, 20))
    assert change.net == 5 * charges[1].prorated_quantity == Fraction(300, 31)
    assert round_amounts([change.net], "USD").net == Decimal("9.68")


def test_a_seat_decrease_mid_period_credits_the_difference() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [SEATS])
    fewer = change_fixed_fee_quantity(timeline, "seats", "7.5", effective=date(2024, 1, 17))
    change = charges_on(fewer, utc(2024, 1, 17))
    assert [(c.quantity, c.prorated_quantity) for c in change] == [
        (Decimal("-2.5"), Fraction(-5, 2) * Fraction(15, 31))
    ]


def test_a_seat_change_on_a_period_boundary_goes_on_the_regular_invoice() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [SEATS])
    more = change_fixed_fee_quantity(timeline, "seats", 12, effective=date(2024, 2, 1))
    assert [(c.role, c.quantity) for c in charges_on(more, utc(2024, 2, 1))] == [
        (ChargeRole.PERIOD, Decimal(12))
    ]
    assert invoice_dates(more, utc(2024, 3, 1)) == [utc(2024, 1, 1), utc(2024, 2, 1)]


def test_a_later_seat_change_replaces_the_quantities_scheduled_after_it() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [SEATS])
    planned = change_fixed_fee_quantity(timeline, "seats", 20, effective=date(2024, 3, 1))
    replanned = change_fixed_fee_quantity(planned, "seats", 12, effective=date(2024, 2, 1))
    (seats,) = replanned.intervals
    assert [(t.effective, t.quantity) for t in seats.transitions] == [
        (utc(2024, 2, 1), Decimal(12))
    ]
    at_start = change_fixed_fee_quantity(replanned, "seats", 3, effective=date(2024, 1, 1))
    assert (at_start.intervals[0].quantity, at_start.intervals[0].transitions) == (Decimal(3), ())


def test_seat_changes_need_a_fixed_price_in_force() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [SEATS, API])
    with pytest.raises(ValidationError, match="usage price"):
        change_fixed_fee_quantity(timeline, "api", 3, effective=date(2024, 1, 5))
    with pytest.raises(ValidationError, match="not in force"):
        change_fixed_fee_quantity(timeline, "seats", 3, effective=date(2023, 12, 5))
    with pytest.raises(ValidationError, match="must not be negative"):
        change_fixed_fee_quantity(timeline, "seats", -1, effective=date(2024, 1, 5))


def test_a_trial_bills_no_fixed_fee_and_its_usage_at_its_end() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [FEE, API], trial_days=14)
    assert timeline.trial_end == utc(2024, 1, 15)
    assert timeline.in_trial(utc(2024, 1, 14, 23))
    assert not timeline.in_trial(utc(2024, 1, 15))
    assert summary(billable_charges(timeline, utc(2024, 3, 1))) == [
        ("api", "period", "2024-01-15", "2024-01-01", Fraction(1)),
        ("fee", "period", "2024-01-15", "2024-01-15", Fraction(17, 31)),
        ("api", "period", "2024-02-01", "2024-01-15", Fraction(17, 31)),
        ("fee", "period", "2024-02-01", "2024-02-01", Fraction(1)),
    ]
    assert [str(p.start.date()) for p in billing_periods(timeline, utc(2024, 3, 1))] == [
        "2024-01-01",
        "2024-01-15",
        "2024-02-01",
    ]


def test_a_trial_longer_than_a_period_is_one_invoice_at_its_end() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [FEE, API], trial_days=45)
    assert summary(billable_charges(timeline, utc(2024, 3, 1))) == [
        ("api", "period", "2024-02-15", "2024-01-01", Fraction(1)),
        ("fee", "period", "2024-02-15", "2024-02-15", Fraction(15, 29)),
    ]
    (trial_usage, _) = billable_charges(timeline, utc(2024, 3, 1))
    assert trial_usage.service_period == Period(utc(2024, 1, 1), utc(2024, 2, 15))


def test_jan_31_anniversary_bills_feb_29_in_a_leap_year() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 31), [FEE, API], alignment=Anniversary())
    assert [p.start.date().isoformat() for p in billing_periods(timeline, utc(2024, 5, 1))] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
    ]
    fees = [c for c in billable_charges(timeline, utc(2024, 5, 1)) if c.price_id == "fee"]
    assert [(c.invoice_date.date().isoformat(), c.fraction) for c in fees] == [
        ("2024-01-31", 1),
        ("2024-02-29", 1),
        ("2024-03-31", 1),
        ("2024-04-30", 1),
    ]
    changed = change_plan(timeline, [API], "immediate", as_of=utc(2024, 2, 15))
    (credit,) = [c for c in charges_on(changed, utc(2024, 2, 15)) if c.price_id == "fee"]
    assert (credit.cycle, credit.fraction) == (
        Period(utc(2024, 1, 31), utc(2024, 2, 29)),
        Fraction(14, 29),
    )


def test_new_york_periods_start_at_local_midnight_across_the_march_dst_change() -> None:
    timeline = SubscriptionTimeline.create(
        date(2024, 2, 1), [FEE, API], timezone="America/New_York"
    )
    periods = billing_periods(timeline, utc(2024, 5, 1))
    assert [p.start.isoformat() for p in periods] == [
        "2024-02-01T05:00:00+00:00",
        "2024-03-01T05:00:00+00:00",
        "2024-04-01T04:00:00+00:00",
    ]
    assert all(p.start.astimezone(NEW_YORK).time() == time(0) for p in periods)
    changed = change_plan(
        timeline, [API], "requested_date", as_of=utc(2024, 3, 1), change_date=date(2024, 3, 15)
    )
    (credit,) = [c for c in charges_on(changed, utc(2024, 3, 15, 4)) if c.price_id == "fee"]
    assert credit.invoice_date.astimezone(NEW_YORK).isoformat() == "2024-03-15T00:00:00-04:00"
    assert credit.fraction == Fraction(17, 31)  # local days, though March is 743 hours long


def test_in_arrears_fixed_fees_are_billed_per_quantity_stretch_at_the_period_end() -> None:
    support = PriceRef.fixed_fee("support", Cadence.monthly(), quantity=2, in_advance=False)
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [support])
    more = change_fixed_fee_quantity(timeline, "support", 3, effective=date(2024, 1, 11))
    charges = charges_on(more, utc(2024, 2, 1))
    assert [(c.quantity, c.fraction) for c in charges] == [
        (Decimal(2), Fraction(10, 31)),
        (Decimal(3), Fraction(21, 31)),
    ]
    assert sum(c.prorated_quantity or 0 for c in charges) == Fraction(83, 31)


def test_an_ended_usage_interval_is_billed_at_once_unless_deferred() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 9, 1), [FEE])
    old_rate = PriceRef.usage("calls-1.00", Cadence.monthly())
    new_rate = PriceRef.usage("calls-0.80", Cadence.monthly())
    for defer, expected in ((False, "2024-09-12"), (True, "2024-10-01")):
        with_usage = add_price_interval(
            timeline, old_rate, start=date(2024, 9, 1), end=date(2024, 9, 12), defer_billing=defer
        )
        with_usage = add_price_interval(with_usage, new_rate, start=date(2024, 9, 12))
        usage = [c for c in billable_charges(with_usage, utc(2024, 10, 2)) if c.quantity is None]
        assert [(c.price_id, c.invoice_date.date().isoformat()) for c in usage] == [
            ("calls-1.00", expected),
            ("calls-0.80", "2024-10-01"),
        ]


def test_price_intervals_can_be_ended_or_removed() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [FEE, API])
    (api_interval,) = [iv for iv in timeline.intervals if iv.price.price_id == "api"]
    ended = end_price_interval(timeline, api_interval.id, end=date(2024, 3, 1))
    assert ended.interval(api_interval.id).end == utc(2024, 3, 1)
    removed = end_price_interval(timeline, api_interval.id, end=date(2024, 1, 1))
    assert [iv.price.price_id for iv in removed.intervals] == ["fee"]
    with pytest.raises(ValidationError, match="already in force"):
        add_price_interval(timeline, API, start=date(2024, 2, 1))
    with pytest.raises(ValidationError, match="no interval"):
        end_price_interval(timeline, "missing", end=date(2024, 3, 1))


def test_a_one_time_fee_is_charged_once_after_the_trial() -> None:
    setup = PriceRef.fixed_fee("setup", Cadence.one_time(), quantity=1)
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [FEE, setup], trial_days=7)
    setup_charges = [
        c for c in billable_charges(timeline, utc(2025, 1, 1)) if c.price_id == "setup"
    ]
    assert [(c.invoice_date, c.fraction, c.service_period.is_empty) for c in setup_charges] == [
        (utc(2024, 1, 8), Fraction(1), True)
    ]


def test_charges_for_consecutive_periods_share_nothing() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [FEE, API])
    february = Period(utc(2024, 2, 1), utc(2024, 3, 1))
    assert summary(charges_for_period(timeline, february)) == [
        ("fee", "period", "2024-02-01", "2024-02-01", Fraction(1)),
        ("api", "period", "2024-03-01", "2024-02-01", Fraction(1)),
    ]


def test_a_coupon_covers_the_next_n_monthly_periods() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [FEE, API])
    with_coupon = apply_coupon(timeline, "WELCOME", as_of=utc(2024, 1, 20), duration_in_months=3)
    window = coupon_window(with_coupon, "WELCOME")
    assert (window.start, window.end) == (utc(2024, 2, 1), utc(2024, 5, 1))
    discounted = [
        (c.price_id, c.service_period.start.date().isoformat())
        for c in billable_charges(with_coupon, utc(2024, 7, 1))
        if c.coupon_ids == ("WELCOME",)
    ]
    assert discounted == [
        ("fee", "2024-02-01"),
        ("api", "2024-02-01"),
        ("fee", "2024-03-01"),
        ("api", "2024-03-01"),
        ("fee", "2024-04-01"),
        ("api", "2024-04-01"),
    ]


def test_a_coupon_at_signup_counts_the_short_first_period_and_can_last_forever() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 15), [FEE])
    two = apply_coupon(timeline, "TWO", as_of=timeline.start, duration_in_months=2)
    forever = apply_coupon(two, "ALWAYS", as_of=timeline.start)
    assert coupon_window(forever, "TWO").end == utc(2024, 3, 1)
    assert coupon_window(forever, "ALWAYS").end is None
    assert [c.coupon_ids for c in billable_charges(forever, utc(2024, 4, 1))] == [
        ("TWO", "ALWAYS"),
        ("TWO", "ALWAYS"),
        ("ALWAYS",),
    ]
    with pytest.raises(ValidationError, match="already applied"):
        apply_coupon(forever, "TWO", as_of=timeline.start)
    with pytest.raises(ValidationError, match="duration_in_months"):
        apply_coupon(timeline, "ZERO", as_of=timeline.start, duration_in_months=0)
    with pytest.raises(ValidationError, match="no coupon"):
        coupon_window(timeline, "TWO")
