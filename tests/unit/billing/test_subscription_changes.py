"""Plan changes and cancellations, on the examples of Orb's documentation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from orbcore import Cadence, ValidationError
from orbcore.billing import (
    ChangeOption,
    ChargeRole,
    PriceRef,
    SubscriptionStatus,
    SubscriptionTimeline,
    billable_charges,
    billing_periods,
    cancel_subscription,
    change_plan,
    charges_on,
    invoice_dates,
    round_amounts,
    term_containing,
    unschedule_cancellation,
    unschedule_pending_changes,
    unschedule_plan_changes,
)

BASIC = PriceRef.fixed_fee("basic", Cadence.monthly())
PRO = PriceRef.fixed_fee("pro", Cadence.monthly())
API = PriceRef.usage("api", Cadence.monthly())


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def days(instants: list[datetime]) -> list[str]:
    return [instant.date().isoformat() for instant in instants]


def lines(timeline: SubscriptionTimeline, on: datetime) -> list[tuple[str, str, str, str]]:
    """(price, role, service start, service end) of each charge invoiced ``on``."""
    return [
        (
            c.price_id,
            c.role.value,
            c.service_period.start.date().isoformat(),
            c.service_period.end.date().isoformat(),
        )
        for c in charges_on(timeline, on)
    ]


@pytest.fixture
def monthly() -> SubscriptionTimeline:
    """A monthly plan billed on the 1st, from January 1, 2024."""
    return SubscriptionTimeline.create(date(2024, 1, 1), [BASIC, API], plan_id="basic")


# Orb: a monthly plan billed on the 1st, plan change requested on January 15.


def test_end_of_term_plan_change_takes_effect_feb_1_with_one_invoice_then(
    monthly: SubscriptionTimeline,
) -> None:
    changed = change_plan(
        monthly, [PRO, API], ChangeOption.END_OF_SUBSCRIPTION_TERM, as_of=utc(2024, 1, 15)
    )
    assert days([change.effective for change in changed.plan_changes]) == ["2024-02-01"]
    assert days(invoice_dates(changed, utc(2024, 3, 1), since=utc(2024, 1, 2))) == ["2024-02-01"]
    assert lines(changed, utc(2024, 2, 1)) == [
        ("api", "period", "2024-01-01", "2024-02-01"),
        ("pro", "period", "2024-02-01", "2024-03-01"),
    ]


def test_immediate_plan_change_invoices_jan_1_to_15_on_the_old_plan(
    monthly: SubscriptionTimeline,
) -> None:
    changed = change_plan(monthly, [PRO, API], "immediate", as_of=utc(2024, 1, 15), plan_id="pro")
    assert days(invoice_dates(changed, utc(2024, 3, 1))) == [
        "2024-01-01",
        "2024-01-15",
        "2024-02-01",
    ]
    on_the_change = charges_on(changed, utc(2024, 1, 15))
    old = [c for c in on_the_change if c.plan_id == "basic"]
    assert [(c.price_id, c.role, c.fraction, c.quantity) for c in old] == [
        ("api", ChargeRole.PERIOD, Fraction(14, 31), None),
        ("basic", ChargeRole.UNUSED_CREDIT, Fraction(17, 31), Decimal(-1)),
    ]
    assert old[0].service_period.end == utc(2024, 1, 15)
    new = [c for c in on_the_change if c.plan_id == "pro"]
    assert [(c.price_id, c.fraction, c.service_period.start) for c in new] == [
        ("pro", Fraction(17, 31), utc(2024, 1, 15))
    ]
    assert [str(p) for p in billing_periods(changed, utc(2024, 2, 1))] == [
        "[2024-01-01T00:00:00+00:00, 2024-01-15T00:00:00+00:00)",
        "[2024-01-15T00:00:00+00:00, 2024-02-01T00:00:00+00:00)",
    ]


def test_requested_date_feb_15_invoices_on_feb_1_and_feb_15(
    monthly: SubscriptionTimeline,
) -> None:
    changed = change_plan(
        monthly, [PRO, API], "requested_date", as_of=utc(2024, 1, 15), change_date=date(2024, 2, 15)
    )
    assert days(invoice_dates(changed, utc(2024, 3, 1), since=utc(2024, 1, 2))) == [
        "2024-02-01",
        "2024-02-15",
    ]
    assert lines(changed, utc(2024, 2, 15)) == [
        ("api", "period", "2024-02-01", "2024-02-15"),
        ("basic", "unused_credit", "2024-02-15", "2024-03-01"),
        ("pro", "period", "2024-02-15", "2024-03-01"),
    ]
    assert [c.fraction for c in charges_on(changed, utc(2024, 2, 15))] == [
        Fraction(14, 29),
        Fraction(15, 29),
        Fraction(15, 29),
    ]


def test_an_in_advance_upgrade_credits_the_old_fee_and_charges_the_new_by_days() -> None:
    """Orb's plan-change table: Intermediate $100 from July 1, 2023; Advanced $500 from
    July 4 (the rows after the first are cut off in the copy read: these are our figures)."""
    intermediate = PriceRef.fixed_fee("intermediate", Cadence.monthly())
    advanced = PriceRef.fixed_fee("advanced", Cadence.monthly())
    timeline = SubscriptionTimeline.create(date(2023, 7, 1), [intermediate])
    assert [(c.price_id, c.fraction) for c in charges_on(timeline, utc(2023, 7, 1))] == [
        ("intermediate", Fraction(1))
    ]
    upgraded = change_plan(timeline, [advanced], "immediate", as_of=utc(2023, 7, 4))
    charge, credit = charges_on(upgraded, utc(2023, 7, 4))
    assert (credit.role, credit.fraction, charge.fraction) == (
        ChargeRole.UNUSED_CREDIT,
        Fraction(28, 31),
        Fraction(28, 31),
    )
    amounts = [Fraction(-100) * credit.fraction, Fraction(500) * charge.fraction]
    rounded = round_amounts(amounts, "USD")
    assert rounded.amounts == (Decimal("-90.32"), Decimal("451.61"))
    assert rounded.net == Decimal("361.29")


def test_same_day_plan_changes_keep_only_the_latest(monthly: SubscriptionTimeline) -> None:
    first = change_plan(monthly, [PRO, API], "immediate", as_of=utc(2024, 1, 15, 9))
    enterprise = PriceRef.fixed_fee("enterprise", Cadence.monthly())
    second = change_plan(first, [enterprise, API], "immediate", as_of=utc(2024, 1, 15, 17))
    assert [c.effective for c in second.plan_changes] == [utc(2024, 1, 15, 9)]
    assert {iv.price.price_id for iv in second.intervals} == {"basic", "api", "enterprise"}
    assert [c.price_id for c in charges_on(second, utc(2024, 1, 15, 9)) if c.fraction] == [
        "api",
        "basic",
        "enterprise",
    ]


def test_a_plan_change_unschedules_a_cancellation_on_or_after_its_date(
    monthly: SubscriptionTimeline,
) -> None:
    cancelled = cancel_subscription(
        monthly, "requested_date", as_of=utc(2024, 1, 10), cancellation_date=date(2024, 3, 1)
    )
    changed = change_plan(
        cancelled, [PRO], "requested_date", as_of=utc(2024, 1, 10), change_date=date(2024, 2, 1)
    )
    assert changed.end is None
    assert [iv.end for iv in changed.intervals if iv.price.price_id == "pro"] == [None]


def test_a_plan_change_after_a_scheduled_cancellation_is_refused(
    monthly: SubscriptionTimeline,
) -> None:
    cancelled = cancel_subscription(
        monthly, "requested_date", as_of=utc(2024, 1, 10), cancellation_date=date(2024, 2, 1)
    )
    with pytest.raises(ValidationError, match="before"):
        change_plan(
            cancelled, [PRO], "requested_date", as_of=utc(2024, 1, 10), change_date=date(2024, 3, 1)
        )


def test_unscheduling_a_plan_change_is_lossy_like_orb(monthly: SubscriptionTimeline) -> None:
    changed = change_plan(
        monthly, [PRO, API], "requested_date", as_of=utc(2024, 1, 15), change_date=date(2024, 3, 1)
    )
    restored = unschedule_plan_changes(changed, as_of=utc(2024, 1, 20))
    assert restored == monthly
    with pytest.raises(ValidationError, match="no plan change is pending"):
        unschedule_plan_changes(changed, as_of=utc(2024, 3, 1))


# Cancellations


def test_end_of_term_cancellation_of_a_yearly_plan_runs_to_the_anniversary() -> None:
    yearly = SubscriptionTimeline.create(
        date(2021, 11, 1), [PriceRef.fixed_fee("platform", Cadence.annual()), API]
    )
    cancelled = cancel_subscription(yearly, "end_of_subscription_term", as_of=utc(2021, 12, 8))
    assert cancelled.end == utc(2022, 11, 1)
    assert cancelled.status(utc(2022, 10, 31, 23)) is SubscriptionStatus.ACTIVE
    assert cancelled.status(utc(2022, 11, 1)) is SubscriptionStatus.ENDED
    assert days(invoice_dates(cancelled, utc(2030, 1, 1)))[-2:] == ["2022-10-01", "2022-11-01"]


def test_the_term_is_the_longest_cadence() -> None:
    quarterly_fee = PriceRef.fixed_fee("services", Cadence.quarterly())
    timeline = SubscriptionTimeline.create(date(2024, 1, 1), [quarterly_fee, API])
    cancelled = cancel_subscription(timeline, "end_of_subscription_term", as_of=utc(2024, 2, 10))
    assert cancelled.end == utc(2024, 4, 1)
    assert term_containing(timeline, utc(2024, 5, 5)).end == utc(2024, 7, 1)


def test_backdated_to_jan_13_refunds_unused_january_and_bills_usage_to_jan_13() -> None:
    timeline = SubscriptionTimeline.create(
        date(2022, 1, 1), [PriceRef.fixed_fee("fee", Cadence.monthly()), API]
    )
    cancelled = cancel_subscription(
        timeline, "requested_date", as_of=utc(2022, 1, 15), cancellation_date=date(2022, 1, 13)
    )
    assert lines(cancelled, utc(2022, 1, 1)) == [("fee", "period", "2022-01-01", "2022-02-01")]
    usage, refund = charges_on(cancelled, utc(2022, 1, 13))
    assert (usage.price_id, usage.service_period.end, usage.fraction) == (
        "api",
        utc(2022, 1, 13),
        Fraction(12, 31),
    )
    assert (refund.role, refund.fraction, refund.quantity) == (
        ChargeRole.UNUSED_CREDIT,
        Fraction(19, 31),
        Decimal(-1),
    )
    assert round_amounts([-50 * refund.fraction], "USD").net == Decimal("-30.65")
    assert days(invoice_dates(cancelled, utc(2030, 1, 1))) == ["2022-01-01", "2022-01-13"]


def test_backdated_to_the_start_leaves_nothing_to_bill() -> None:
    timeline = SubscriptionTimeline.create(
        date(2022, 1, 1), [PriceRef.fixed_fee("fee", Cadence.monthly()), API]
    )
    assert days(invoice_dates(timeline, utc(2022, 1, 2))) == ["2022-01-01"]
    cancelled = cancel_subscription(
        timeline, "requested_date", as_of=utc(2022, 1, 15), cancellation_date=date(2022, 1, 1)
    )
    assert cancelled.intervals == ()
    assert billable_charges(cancelled, utc(2030, 1, 1)) == []  # void the Jan 1 invoice
    assert cancelled.status(utc(2022, 1, 15)) is SubscriptionStatus.ENDED


def test_backdated_to_feb_1_leaves_only_january_usage_on_feb_1() -> None:
    timeline = SubscriptionTimeline.create(
        date(2022, 1, 1), [PriceRef.fixed_fee("fee", Cadence.monthly()), API]
    )
    assert lines(timeline, utc(2022, 2, 1)) == [
        ("api", "period", "2022-01-01", "2022-02-01"),
        ("fee", "period", "2022-02-01", "2022-03-01"),
    ]
    cancelled = cancel_subscription(
        timeline, "requested_date", as_of=utc(2022, 2, 15), cancellation_date=date(2022, 2, 1)
    )
    # The Feb 1 invoice changed: void it and issue a new one with January's usage only.
    assert lines(cancelled, utc(2022, 2, 1)) == [("api", "period", "2022-01-01", "2022-02-01")]
    assert days(invoice_dates(cancelled, utc(2030, 1, 1))) == ["2022-01-01", "2022-02-01"]


def test_an_immediate_cancellation_ends_at_the_request(monthly: SubscriptionTimeline) -> None:
    cancelled = cancel_subscription(monthly, ChangeOption.IMMEDIATE, as_of=utc(2024, 1, 20, 15))
    assert cancelled.end == utc(2024, 1, 20, 15)
    assert [(c.price_id, c.role) for c in charges_on(cancelled, utc(2024, 1, 20, 15))] == [
        ("api", ChargeRole.PERIOD),
        ("basic", ChargeRole.UNUSED_CREDIT),
    ]


def test_an_upcoming_subscription_can_only_be_cancelled_immediately_at_its_start(
    monthly: SubscriptionTimeline,
) -> None:
    with pytest.raises(ValidationError, match="only be cancelled immediately"):
        cancel_subscription(monthly, "end_of_subscription_term", as_of=utc(2023, 12, 1))
    cancelled = cancel_subscription(monthly, "immediate", as_of=utc(2023, 12, 1))
    assert cancelled.end == cancelled.start
    assert cancelled.status(utc(2023, 12, 1)) is SubscriptionStatus.ENDED


def test_an_ended_subscription_cannot_be_changed(monthly: SubscriptionTimeline) -> None:
    cancelled = cancel_subscription(monthly, "immediate", as_of=utc(2024, 2, 10))
    for attempt in (
        lambda: cancel_subscription(cancelled, "immediate", as_of=utc(2024, 3, 1)),
        lambda: change_plan(cancelled, [PRO], "immediate", as_of=utc(2024, 3, 1)),
        lambda: unschedule_cancellation(cancelled, as_of=utc(2024, 3, 1)),
    ):
        with pytest.raises(ValidationError):
            attempt()


def test_options_and_dates_are_checked(monthly: SubscriptionTimeline) -> None:
    with pytest.raises(ValidationError, match="unknown option 'later'"):
        cancel_subscription(monthly, "later", as_of=utc(2024, 1, 5))
    with pytest.raises(ValidationError, match="cancellation_date: is required"):
        cancel_subscription(monthly, "requested_date", as_of=utc(2024, 1, 5))
    with pytest.raises(ValidationError, match="only used with requested_date"):
        change_plan(
            monthly, [PRO], "immediate", as_of=utc(2024, 1, 5), change_date=date(2024, 2, 1)
        )
    with pytest.raises(ValidationError, match="before the subscription starts"):
        cancel_subscription(
            monthly, "requested_date", as_of=utc(2024, 1, 5), cancellation_date=date(2023, 12, 1)
        )
    with pytest.raises(ValidationError, match="has no time zone"):
        cancel_subscription(monthly, "immediate", as_of=datetime(2024, 1, 5))


def test_a_new_cancellation_replaces_a_pending_one(monthly: SubscriptionTimeline) -> None:
    first = cancel_subscription(
        monthly, "requested_date", as_of=utc(2024, 1, 5), cancellation_date=date(2024, 3, 1)
    )
    later = cancel_subscription(
        first, "requested_date", as_of=utc(2024, 1, 6), cancellation_date=date(2024, 5, 1)
    )
    assert later.end == utc(2024, 5, 1)
    assert {iv.end for iv in later.intervals} == {utc(2024, 5, 1)}


def test_unscheduling_a_cancellation_restores_the_subscription(
    monthly: SubscriptionTimeline,
) -> None:
    cancelled = cancel_subscription(monthly, "end_of_subscription_term", as_of=utc(2024, 1, 5))
    assert cancelled.end == utc(2024, 2, 1)
    assert unschedule_cancellation(cancelled, as_of=utc(2024, 1, 6)) == monthly
    assert unschedule_pending_changes(cancelled, as_of=utc(2024, 1, 6)) == monthly
    with pytest.raises(ValidationError, match="nothing is pending"):
        unschedule_pending_changes(monthly, as_of=utc(2024, 1, 6))
