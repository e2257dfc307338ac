"""The timeline model: prices, intervals, status, billing period and term cadences."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from orbcore import BillingCycleDay, Cadence, Period, ValidationError
from orbcore.billing import (
    BillingMode,
    PriceInterval,
    PriceKind,
    PriceRef,
    QuantityTransition,
    SubscriptionStatus,
    SubscriptionTimeline,
    add_price_interval,
    billing_cadence,
    billing_period_containing,
    billing_periods,
    term_cadence,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


MONTHLY_USAGE = PriceRef.usage("storage", Cadence.monthly())
QUARTERLY_FEE = PriceRef.fixed_fee("services", Cadence.quarterly())
ANNUAL_FEE = PriceRef.fixed_fee("platform", Cadence.annual())


@pytest.mark.parametrize(
    ("prices", "term", "billing"),
    [
        ([MONTHLY_USAGE, PriceRef.usage("calls", Cadence.monthly())], "monthly", "monthly"),
        ([MONTHLY_USAGE, ANNUAL_FEE], "annual", "monthly"),
        ([MONTHLY_USAGE, QUARTERLY_FEE, ANNUAL_FEE], "annual", "monthly"),
        ([QUARTERLY_FEE, ANNUAL_FEE], "annual", "quarterly"),
        (
            [MONTHLY_USAGE, PriceRef.fixed_fee("f", Cadence.every_days(45))],
            "every 45 days",
            "monthly",
        ),
    ],
)
def test_term_is_the_longest_cadence_and_billing_period_the_shortest(
    prices: list[PriceRef], term: str, billing: str
) -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), prices)
    assert term_cadence(timeline, utc(2024, 2, 1)).name == term
    assert billing_cadence(timeline, utc(2024, 2, 1)).name == billing


def test_prices_default_to_orbs_billing_modes() -> None:
    assert (MONTHLY_USAGE.kind, MONTHLY_USAGE.billing_mode) == (
        PriceKind.USAGE,
        BillingMode.IN_ARREAR,
    )
    assert (ANNUAL_FEE.kind, ANNUAL_FEE.billing_mode) == (PriceKind.FIXED, BillingMode.IN_ADVANCE)
    with pytest.raises(ValidationError, match="usage is billed in arrears"):
        PriceRef("x", Cadence.monthly(), PriceKind.USAGE, BillingMode.IN_ADVANCE)
    with pytest.raises(ValidationError, match="must recur"):
        PriceRef("x", Cadence.one_time(), PriceKind.USAGE, BillingMode.IN_ARREAR)
    with pytest.raises(ValidationError, match="non-empty"):
        PriceRef.usage("", Cadence.monthly())
    with pytest.raises(ValidationError, match="floats are not exact"):
        PriceRef.fixed_fee("seats", Cadence.monthly(), quantity=1.5)  # type: ignore[arg-type]


def test_status_follows_the_start_and_end_dates() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 3, 1), [MONTHLY_USAGE])
    assert timeline.status(utc(2024, 2, 29, 23, 59)) is SubscriptionStatus.UPCOMING
    assert timeline.status(utc(2024, 3, 1)) is SubscriptionStatus.ACTIVE
    assert timeline.status(utc(2099, 1, 1)) is SubscriptionStatus.ACTIVE


def test_create_refuses_plans_that_cannot_be_billed() -> None:
    with pytest.raises(ValidationError, match="at least one price"):
        SubscriptionTimeline.create(date(2024, 1, 1), [])
    with pytest.raises(ValidationError, match="recurring price"):
        SubscriptionTimeline.create(
            date(2024, 1, 1), [PriceRef.fixed_fee("setup", Cadence.one_time())]
        )
    with pytest.raises(ValidationError, match="appears twice"):
        SubscriptionTimeline.create(date(2024, 1, 1), [MONTHLY_USAGE, MONTHLY_USAGE])
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        SubscriptionTimeline.create(date(2024, 1, 1), [MONTHLY_USAGE], timezone="Mars/Base")
    with pytest.raises(ValidationError, match="unknown alignment"):
        SubscriptionTimeline(utc(2024, 1, 1), (), alignment="anniversary")  # type: ignore[arg-type]


def test_intervals_must_stay_inside_the_subscription() -> None:
    early = PriceInterval("early", MONTHLY_USAGE, utc(2023, 12, 1))
    with pytest.raises(ValidationError, match="starts before the subscription"):
        SubscriptionTimeline(utc(2024, 1, 1), (early,))
    late = PriceInterval("late", MONTHLY_USAGE, utc(2024, 1, 1))
    with pytest.raises(ValidationError, match="ends after the subscription"):
        SubscriptionTimeline(utc(2024, 1, 1), (late,), end=utc(2024, 6, 1))
    with pytest.raises(ValidationError, match="must end after it starts"):
        PriceInterval("empty", MONTHLY_USAGE, utc(2024, 1, 1), utc(2024, 1, 1))
    with pytest.raises(ValidationError, match="no fixed quantity"):
        PriceInterval(
            "u",
            MONTHLY_USAGE,
            utc(2024, 1, 1),
            transitions=(QuantityTransition(utc(2024, 2, 1), Decimal(2)),),
        )


def test_quantity_at_reads_the_transitions() -> None:
    seats = PriceInterval(
        "seats",
        PriceRef.fixed_fee("seats", Cadence.monthly()),
        utc(2024, 1, 1),
        quantity=Decimal(3),
        transitions=(QuantityTransition(utc(2024, 2, 10), Decimal(5)),),
    )
    assert [seats.quantity_at(utc(2024, 2, d)) for d in (9, 10, 11)] == [3, 5, 5]


def test_billing_periods_follow_the_billing_cycle_day_and_stop_at_the_end() -> None:
    timeline = SubscriptionTimeline.create(
        date(2024, 1, 10), [MONTHLY_USAGE], alignment=BillingCycleDay(31)
    )
    assert [p.start.date().isoformat() for p in billing_periods(timeline, utc(2024, 5, 1))] == [
        "2024-01-10",
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
    ]
    assert billing_period_containing(timeline, utc(2024, 3, 5)) == Period(
        utc(2024, 2, 29), utc(2024, 3, 31)
    )
    with pytest.raises(ValidationError, match="outside the subscription"):
        billing_period_containing(timeline, utc(2024, 1, 1))


def test_a_quarterly_plan_with_a_monthly_price_added_later_is_cut_where_it_starts() -> None:
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [QUARTERLY_FEE])
    mixed = add_price_interval(timeline, MONTHLY_USAGE, start=date(2024, 2, 15))
    assert [str(p.start.date()) for p in billing_periods(mixed, utc(2024, 5, 1))] == [
        "2024-01-01",
        "2024-02-15",
        "2024-03-01",
        "2024-04-01",
    ]
