"""A timeline's JSON form reads back equal, as decoded JSON and as exact JSON text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import (
    Anniversary,
    BeginningOfMonth,
    BillingCycleDay,
    Cadence,
    CycleAnchor,
    DayCount,
    ValidationError,
)
from orbcore._json import dumps_exact, loads_exact
from orbcore.billing import (
    PriceRef,
    SubscriptionTimeline,
    add_price_interval,
    apply_coupon,
    cancel_subscription,
    change_fixed_fee_quantity,
    change_plan,
    end_price_interval,
    unschedule_cancellation,
    unschedule_pending_changes,
    unschedule_plan_changes,
)
from orbcore.calendar import day_of, local_midnight

ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "America/Santiago"]
CATALOG = [
    PriceRef.fixed_fee("seats", Cadence.monthly(), quantity="2.50"),
    PriceRef.fixed_fee("platform", Cadence.annual()),
    PriceRef.fixed_fee("support", Cadence.monthly(), in_advance=False),
    PriceRef.fixed_fee("setup", Cadence.one_time()),
    PriceRef.fixed_fee("biweekly", Cadence.every_days(14)),
    PriceRef.usage("api", Cadence.monthly()),
    PriceRef.usage("storage", Cadence.every_months(2)),
]

alignments = st.one_of(
    st.just(BeginningOfMonth()),
    st.just(Anniversary()),
    st.integers(min_value=1, max_value=31).map(BillingCycleDay),
    st.builds(CycleAnchor, st.integers(1, 31), st.integers(1, 12), st.none()),
    st.builds(CycleAnchor, st.integers(1, 31), st.integers(1, 12), st.integers(2000, 2030)),
)
plans = st.lists(
    st.sampled_from(CATALOG), min_size=1, max_size=4, unique_by=lambda p: p.price_id
).filter(lambda prices: any(p.cadence.is_recurring for p in prices))
OPERATIONS = [
    "change",
    "immediate",
    "cancel",
    "cancel_at_term_end",
    "uncancel",
    "unschedule_changes",
    "unschedule_pending",
    "seats",
    "coupon",
    "add",
    "end",
]


@dataclass(frozen=True)
class Op:
    kind: str
    day: int
    hour: int
    plan: list[PriceRef]
    quantity: Decimal


ops = st.builds(
    Op,
    kind=st.sampled_from(OPERATIONS),
    day=st.integers(min_value=0, max_value=400),
    hour=st.integers(min_value=0, max_value=23),
    plan=plans,
    quantity=st.decimals(min_value=0, max_value=1000, places=3),
)


def _apply(timeline: SubscriptionTimeline, op: Op) -> SubscriptionTimeline:  # noqa: C901
    zone = timeline.timezone
    day = day_of(timeline.start, zone) + timedelta(days=op.day)
    at = local_midnight(day, zone) + timedelta(hours=op.hour)
    if op.kind == "change":
        return change_plan(
            timeline, op.plan, "requested_date", as_of=timeline.start, change_date=day, plan_id="p2"
        )
    if op.kind == "immediate":
        return change_plan(timeline, op.plan, "immediate", as_of=at)
    if op.kind == "cancel":
        return cancel_subscription(
            timeline, "requested_date", as_of=timeline.start, cancellation_date=at
        )
    if op.kind == "cancel_at_term_end":
        return cancel_subscription(timeline, "end_of_subscription_term", as_of=at)
    if op.kind == "uncancel":
        return unschedule_cancellation(timeline, as_of=at)
    if op.kind == "unschedule_changes":
        return unschedule_plan_changes(timeline, as_of=at)
    if op.kind == "unschedule_pending":
        return unschedule_pending_changes(timeline, as_of=at)
    if op.kind == "seats":
        return change_fixed_fee_quantity(timeline, "seats", op.quantity, effective=at)
    if op.kind == "coupon":
        months = None if op.hour % 3 == 0 else op.hour
        discounts = (
            None,
            {"discount_type": "percentage", "percentage_discount": "0.125"},
            {"discount_type": "amount", "amount_discount": "5.00", "applies_to_price_ids": ["a"]},
            {"discount_type": "usage", "usage_discount": "100", "reason": "welcome"},
        )
        discount = discounts[op.hour % len(discounts)]
        return apply_coupon(
            timeline, f"C{op.day}", as_of=at, duration_in_months=months, discount=discount
        )
    if op.kind == "add":
        end = at + timedelta(days=op.hour + 1) if op.hour % 2 else None
        return add_price_interval(
            timeline, op.plan[0], start=at, end=end, plan_id="addon", defer_billing=op.hour > 11
        )
    return end_price_interval(timeline, timeline.intervals[0].id, end=at)


@st.composite
def timelines(draw: st.DrawFn) -> SubscriptionTimeline:
    timeline = SubscriptionTimeline.create(
        draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))),
        draw(plans),
        timezone=draw(st.sampled_from(ZONES)),
        alignment=draw(alignments),
        trial_days=draw(st.sampled_from([0, 7, 30])),
        day_count=draw(st.sampled_from(DayCount)),
        plan_id=draw(st.sampled_from([None, "pln_1"])),
    )
    for op in draw(st.lists(ops, max_size=6)):
        try:
            timeline = _apply(timeline, op)
        except (ValidationError, IndexError):
            continue  # a refused request changes nothing
    return timeline


@given(timelines())
def test_every_timeline_reads_back_equal_from_its_json(timeline: SubscriptionTimeline) -> None:
    assert SubscriptionTimeline.from_json(timeline.to_json()) == timeline


@given(timelines())
def test_the_json_survives_exact_json_text(timeline: SubscriptionTimeline) -> None:
    raw = timeline.to_json()
    text = dumps_exact(raw)
    assert loads_exact(text) == raw
    assert SubscriptionTimeline.from_json(loads_exact(text)) == timeline


def test_decimals_are_text_and_instants_keep_their_offset() -> None:
    timeline = SubscriptionTimeline.create(
        date(2024, 1, 1), [CATALOG[0]], timezone="Asia/Kolkata", alignment=CycleAnchor(5, 2)
    )
    raw = change_fixed_fee_quantity(
        timeline, "seats", "7.125", effective=date(2024, 1, 10)
    ).to_json()
    interval = raw["intervals"][0]
    assert raw["start"] == "2023-12-31T18:30:00+00:00"
    assert raw["alignment"] == {"type": "cycle_anchor", "day": 5, "month": 2, "year": None}
    assert (interval["quantity"], interval["transitions"][0]["quantity"]) == ("2.50", "7.125")
    assert interval["price"]["cadence"] == {"unit": "month", "count": 1}


def _broken(raw: dict[str, Any]) -> dict[str, Any]:
    interval = raw["intervals"][0]
    return {
        **raw,
        "timezone": "Mars/Olympus",
        "day_count": "fortnights",
        "extra": 1,
        "intervals": [
            {
                **interval,
                "quantity": 2.5,
                "start": "2024-01-01T00:00:00",
                "price": {**interval["price"], "kind": "rental"},
            }
        ],
        "coupons": [{"coupon_id": "", "redeemed_at": raw["start"]}],
    }


def test_bad_json_raises_one_error_listing_every_problem_with_its_path() -> None:
    raw = SubscriptionTimeline.create(date(2024, 1, 1), [CATALOG[0]]).to_json()
    with pytest.raises(ValidationError) as caught:
        SubscriptionTimeline.from_json(_broken(raw))
    paths = {".".join(map(str, problem.path)) for problem in caught.value.problems}
    assert paths == {
        "extra",
        "day_count",
        "intervals.0.start",
        "intervals.0.quantity",
        "intervals.0.price.kind",
        "coupons.0.coupon_id",
    }


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (None, ""),
        ({}, "format"),
        ({"format": 2}, "format"),
    ],
)
def test_what_is_not_a_timeline_is_refused(raw: object, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SubscriptionTimeline.from_json(raw)
    assert path in {".".join(map(str, p.path)) for p in caught.value.problems}


def test_a_bad_zone_is_reported_once_the_fields_read() -> None:
    raw = SubscriptionTimeline.create(date(2024, 1, 1), [CATALOG[0]]).to_json()
    with pytest.raises(ValidationError, match="timezone"):
        SubscriptionTimeline.from_json({**raw, "timezone": "Mars/Olympus"})
