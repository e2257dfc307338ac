"""Invariants of subscription timelines over zones, alignments, cadences and changes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from orbcore import (
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    Cadence,
    DayCount,
    Period,
    ValidationError,
)
from orbcore.billing import (
    BillableCharge,
    ChargeRole,
    PriceRef,
    ProrationRounding,
    SubscriptionTimeline,
    apply_coupon,
    billable_charges,
    billing_periods,
    cancel_subscription,
    change_fixed_fee_quantity,
    change_plan,
    charges_for_period,
    round_amounts,
    unschedule_cancellation,
)
from orbcore.calendar import day_of, local_midnight

ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Santiago",
    "Pacific/Chatham",
]
CATALOG = [
    PriceRef.fixed_fee("fee", Cadence.monthly(), quantity=3),
    PriceRef.fixed_fee("services", Cadence.quarterly()),
    PriceRef.fixed_fee("platform", Cadence.annual()),
    PriceRef.fixed_fee("support", Cadence.monthly(), in_advance=False),
    PriceRef.fixed_fee("biweekly", Cadence.every_days(14)),
    PriceRef.usage("api", Cadence.monthly()),
    PriceRef.usage("storage", Cadence.every_days(14)),
]
FIXED = [price.price_id for price in CATALOG if price.kind.value == "fixed"]

alignments = st.one_of(
    st.just(BeginningOfMonth()),
    st.just(Anniversary()),
    st.integers(min_value=1, max_value=31).map(BillingCycleDay),
)
plans = st.lists(st.sampled_from(CATALOG), min_size=1, max_size=4, unique_by=lambda p: p.price_id)


@dataclass(frozen=True)
class Op:
    kind: str
    day: int
    hour: int
    plan: list[PriceRef]
    quantity: int


ops = st.builds(
    Op,
    kind=st.sampled_from(["change", "immediate", "seats", "coupon"]),
    day=st.integers(min_value=0, max_value=300),
    hour=st.integers(min_value=0, max_value=23),
    plan=plans,
    quantity=st.integers(min_value=0, max_value=20),
)


def _apply(timeline: SubscriptionTimeline, op: Op) -> SubscriptionTimeline:
    zone = timeline.timezone
    day = day_of(timeline.start, zone) + timedelta(days=op.day)
    midnight = local_midnight(day, zone)
    if op.kind == "change":
        return change_plan(
            timeline, op.plan, "requested_date", as_of=timeline.start, change_date=day
        )
    if op.kind == "immediate":
        at = midnight + timedelta(hours=op.hour)
        return change_plan(timeline, op.plan, "immediate", as_of=at)
    if op.kind == "seats":
        in_force = [iv.price.price_id for iv in timeline.intervals_at(midnight)]
        fixed = [p for p in in_force if p in FIXED]
        if not fixed:
            return timeline
        return change_fixed_fee_quantity(timeline, fixed[0], op.quantity, effective=day)
    return apply_coupon(timeline, f"C{op.day}", as_of=midnight, duration_in_months=1 + op.hour)


@st.composite
def timelines(draw: st.DrawFn) -> SubscriptionTimeline:
    start = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    timeline = SubscriptionTimeline.create(
        start,
        draw(plans),
        timezone=draw(st.sampled_from(ZONES)),
        alignment=draw(alignments),
        trial_days=draw(st.sampled_from([0, 0, 7, 30, 45])),
        day_count=draw(st.sampled_from(DayCount)),
    )
    for op in draw(st.lists(ops, max_size=4)):
        try:
            timeline = _apply(timeline, op)
        except ValidationError:
            continue  # e.g. a coupon redeemed twice: a refused request changes nothing
    return timeline


def horizon(timeline: SubscriptionTimeline) -> datetime:
    return timeline.start + timedelta(days=400)


def key(charge: BillableCharge) -> tuple[str, datetime, datetime, ChargeRole]:
    return charge.interval_id, charge.service_period.start, charge.service_period.end, charge.role


@given(timelines())
def test_billing_periods_tile_time_without_gap_or_overlap(timeline: SubscriptionTimeline) -> None:
    periods = billing_periods(timeline, horizon(timeline))
    assert periods[0].start == timeline.start
    assert all(not period.is_empty for period in periods)
    assert all(a.end == b.start for a, b in pairwise(periods))
    assert periods[-1].end >= horizon(timeline) or periods[-1].end == timeline.end


@given(timelines())
def test_no_charge_is_produced_twice(timeline: SubscriptionTimeline) -> None:
    charges = billable_charges(timeline, horizon(timeline))
    assert len({key(c) for c in charges}) == len(charges)
    in_advance = Counter(
        (c.interval_id, c.cycle)
        for c in charges
        if c.role is ChargeRole.PERIOD and c.price.billing_mode.value == "in_advance"
    )
    assert set(in_advance.values()) <= {1}
    for charge in charges:
        assert charge.cycle.contains_period(charge.service_period)
        assert charge.invoice_date >= charge.service_period.start
        assert 0 <= charge.fraction <= 1


@given(timelines())
def test_every_charge_belongs_to_exactly_one_billing_period(
    timeline: SubscriptionTimeline,
) -> None:
    periods = billing_periods(timeline, timeline.start + timedelta(days=200))
    listed = [key(c) for period in periods for c in charges_for_period(timeline, period)]
    assert len(listed) == len(set(listed))
    until = periods[-1].end
    expected = {
        key(c)
        for c in billable_charges(timeline, until + timedelta(days=400))
        if c.service_period.start < until
    }
    assert set(listed) == expected


@given(timelines())
def test_no_fixed_fee_is_charged_for_the_trial(timeline: SubscriptionTimeline) -> None:
    for charge in billable_charges(timeline, horizon(timeline)):
        if charge.quantity is not None and timeline.trial_end is not None:
            assert charge.service_period.start >= timeline.trial_end


@given(
    timelines(),
    st.integers(min_value=1, max_value=500),
    st.integers(min_value=0, max_value=200),
    st.booleans(),
)
def test_cancelling_then_unscheduling_restores_what_is_billed_before_the_cancel(
    timeline: SubscriptionTimeline, cancel_day: int, asked_day: int, end_of_term: bool
) -> None:
    zone = timeline.timezone
    as_of = local_midnight(day_of(timeline.start, zone) + timedelta(days=asked_day), zone)
    if end_of_term:
        cancelled = cancel_subscription(timeline, "end_of_subscription_term", as_of=as_of)
    else:
        day = day_of(as_of, zone) + timedelta(days=cancel_day)
        cancelled = cancel_subscription(
            timeline, "requested_date", as_of=as_of, cancellation_date=day
        )
    end = cancelled.end
    assert end is not None
    assert end > as_of
    restored = unschedule_cancellation(cancelled, as_of=as_of)
    before = billable_charges(timeline, end)
    assert billable_charges(cancelled, end) == before
    assert billable_charges(restored, end) == before
    periods = [p for p in billing_periods(timeline, end) if p.end < end]
    assert [p for p in billing_periods(restored, end) if p.end < end] == periods
    for period in periods:
        assert [c for c in charges_for_period(restored, period) if c.invoice_date < end] == [
            c for c in charges_for_period(timeline, period) if c.invoice_date < end
        ]
    # Unscheduling is lossy (as in Orb) only for what was scheduled from the cancel date on.
    scheduled_later = any(c.effective >= end for c in timeline.plan_changes) or any(
        step.effective >= end for iv in timeline.intervals for step in iv.transitions
    )
    assert scheduled_later or restored == timeline


@st.composite
def cut_cycles(draw: st.DrawFn) -> tuple[SubscriptionTimeline, Period, int]:
    """A fixed fee replaced by itself at several instants of its second cycle."""
    cadence = draw(
        st.sampled_from([Cadence.monthly(), Cadence.quarterly(), Cadence.every_days(10)])
    )
    fee = PriceRef.fixed_fee(
        "fee", cadence, quantity=draw(st.integers(1, 9)), in_advance=draw(st.booleans())
    )
    timeline = SubscriptionTimeline.create(
        draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))),
        [fee],
        timezone=draw(st.sampled_from(ZONES)),
        alignment=draw(alignments),
        day_count=draw(st.sampled_from(DayCount)),
    )
    cycle = billing_periods(timeline, timeline.start + timedelta(days=400))[1]
    seconds = int(cycle.duration.total_seconds())
    offsets = draw(st.lists(st.integers(1, seconds - 1), max_size=5, unique=True))
    for offset in sorted(offsets):
        at = cycle.start + timedelta(seconds=offset)
        timeline = change_plan(timeline, [fee], "immediate", as_of=at)
    return timeline, cycle, len(offsets)


@given(cut_cycles(), st.integers(min_value=1, max_value=10**7))
def test_prorated_charges_over_consecutive_intervals_sum_to_the_full_charge(
    case: tuple[SubscriptionTimeline, Period, int], unit_cents: int
) -> None:
    timeline, cycle, cuts = case
    charges = [c for c in billable_charges(timeline, horizon(timeline)) if c.cycle == cycle]
    quantity = Fraction(timeline.intervals[0].quantity)
    assert sum(c.prorated_quantity or 0 for c in charges) == quantity
    unit = Fraction(unit_cents, 100)
    amounts = [unit * (c.prorated_quantity or 0) for c in charges]
    full = Decimal(unit_cents * int(quantity)).scaleb(-2)
    assert round_amounts(amounts, "USD", ProrationRounding.NET).net == full
    each = round_amounts(amounts, "USD", ProrationRounding.EACH_SIDE)
    assert abs(each.net - full) <= Decimal("0.005") * len(amounts)
    assert len(amounts) <= 1 + 2 * cuts


def test_the_strategy_reaches_local_midnights_in_every_zone() -> None:
    """Guard for the zones above: each has a local midnight the tests can reach."""
    for name in ZONES:
        timeline = SubscriptionTimeline.create(date(2024, 3, 1), CATALOG[:1], timezone=name)
        assert timeline.start.tzinfo is UTC
