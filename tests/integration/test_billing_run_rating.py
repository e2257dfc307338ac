"""What the billing run puts on an invoice: plan adjustments, tax, grouped usage, and
the subscription record kept up to date with its timeline."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orbcore import ConflictError, ValidationError, VirtualClock
from orbcore.billing import Invoice, RateTableTax
from orbcore.services import BillingRun, Ingestion, Invoicing, Metering, Subscriptions
from orbcore.storage import Query, Store, each

JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)
FEB_1 = datetime(2024, 2, 1, tzinfo=UTC)
MAR_1 = datetime(2024, 3, 1, tzinfo=UTC)
APR_1 = datetime(2024, 4, 1, tzinfo=UTC)
GRACE = timedelta(hours=12)


def unit(price_id: str, amount: str, **more: Any) -> dict[str, Any]:
    return {
        "id": price_id,
        "name": price_id.title(),
        "model_type": "unit",
        "cadence": "monthly",
        "unit_config": {"unit_amount": amount},
        **more,
    }


def calls(count: int, start: datetime, **properties: str) -> list[dict[str, Any]]:
    tag = "-".join(properties.values())
    return [
        {
            "idempotency_key": f"{start:%m}-{tag}-{n}",
            "customer_id": "cus_1",
            "event_name": "api_call",
            "timestamp": (start + timedelta(hours=n)).isoformat(),
            "properties": dict(properties),
        }
        for n in range(count)
    ]


def set_up(store: Store, plan: dict[str, Any], events: list[dict[str, Any]], **metric: Any) -> None:
    clock = VirtualClock(JAN_1)
    Metering(store, clock).define_metric(
        {"id": "met_calls", "name": "Calls", "event_name": "api_call", "aggregation": "count"}
        | metric
    )
    subscriptions = Subscriptions(store, clock)
    subscriptions.add_plan(plan, plan_id="pln")
    subscriptions.create("cus_1", "pln", start_date=date(2024, 1, 1), subscription_id="sub_1")
    Ingestion(store, VirtualClock(JAN_1 + timedelta(days=20))).ingest(events)


def stored(store: Store) -> list[Invoice]:
    with store.unit_of_work() as uow:
        return list(each(uow.invoices, Query(order_by="invoice_date", limit=50)))


def test_orbs_minimum_commitment_lifts_nine_calls_to_50_dollars(store: Store) -> None:
    plan = {
        "name": "Commit",
        "currency": "USD",
        "prices": [unit("calls", "2.50", billable_metric_id="met_calls")],
        "adjustments": [
            {
                "adjustment_type": "minimum",
                "minimum_amount": "50.00",
                "applies_to_price_ids": ["calls"],
                "is_invoice_level": False,
            }
        ],
    }
    set_up(store, plan, calls(9, JAN_1 + timedelta(days=2)))

    summary = BillingRun(store, VirtualClock(FEB_1 + GRACE)).run(FEB_1 + GRACE)

    assert (summary.created, summary.failures) == (1, ())
    (january,) = stored(store)
    (line,) = january.lines
    # 9 calls x $2.50 = $22.50, lifted to the $50.00 minimum
    assert (line.quantity, line.amount) == (Decimal(9), Decimal("50.00"))
    assert [(s["adjustment_type"], s["amount"]) for s in line.adjustments] == [("minimum", "27.50")]
    assert (january.subtotal, january.total) == (Decimal("22.50"), Decimal("50.00"))


def test_an_invoice_level_percentage_discount_and_the_customers_tax(store: Store) -> None:
    plan = {
        "name": "Discounted",
        "currency": "USD",
        "prices": [
            unit("platform", "100.00"),
            unit("calls", "1.00", billable_metric_id="met_calls"),
        ],
        "adjustments": [
            {
                "adjustment_type": "percentage_discount",
                "percentage_discount": "0.10",
                "applies_to_all": True,
                "is_invoice_level": True,
            }
        ],
    }
    set_up(store, plan, calls(30, JAN_1 + timedelta(days=1)))
    with store.unit_of_work() as uow:
        customer = uow.customers.get("cus_1")
        address = {"country": "US", "state": "NY"}
        uow.customers.update(dataclasses.replace(customer, billing_address=address))
        uow.commit()
    tax = RateTableTax({"US-NY": "0.08", "US": "0.05"})

    BillingRun(store, VirtualClock(FEB_1 + GRACE), tax=tax).run(FEB_1 + GRACE)

    january, february = stored(store)
    # January: $100.00 platform fee in advance, 10% off = $90.00, 8% New York tax = $7.20
    assert [(line.price_id, line.amount) for line in january.lines] == [
        ("pln:v1:platform", Decimal("90.00"))
    ]
    assert (january.subtotal, january.tax, january.total) == (
        Decimal("100.00"),
        Decimal("7.20"),
        Decimal("97.20"),
    )
    # February: 30 calls = $30.00 -> $27.00, and February's fee $100.00 -> $90.00
    assert [(line.price_id, line.amount) for line in february.lines] == [
        ("pln:v1:calls", Decimal("27.00")),
        ("pln:v1:platform", Decimal("90.00")),
    ]
    assert (february.tax, february.total) == (Decimal("9.36"), Decimal("126.36"))


def test_a_matrix_price_is_rated_per_cell_of_a_grouped_metric(store: Store) -> None:
    matrix = {
        "id": "compute",
        "name": "Compute",
        "model_type": "matrix",
        "cadence": "monthly",
        "billable_metric_id": "met_calls",
        "matrix_config": {
            "dimensions": ["region"],
            "default_unit_amount": "1.00",
            "matrix_values": [{"dimension_values": ["eu"], "unit_amount": "3.00"}],
        },
    }
    plan = {"name": "Matrix", "currency": "USD", "prices": [unit("platform", "10.00"), matrix]}
    events = calls(4, JAN_1 + timedelta(days=3), region="eu", size="s")
    events += calls(2, JAN_1 + timedelta(days=4), region="eu", size="l")
    events += calls(5, JAN_1 + timedelta(days=5), region="us", size="s")
    set_up(store, plan, events, group_by=["size", "region"])

    BillingRun(store, VirtualClock(FEB_1 + GRACE)).run(FEB_1 + GRACE)

    compute = stored(store)[1].lines[0]
    # eu: 6 x $3.00 = $18.00 (summed over sizes); us: 5 x $1.00 (default) = $5.00
    assert (compute.price_id, compute.quantity, compute.amount) == (
        "pln:v1:compute",
        Decimal(11),
        Decimal("23.00"),
    )
    assert [(sub["name"], sub["amount"]) for sub in compute.sub_lines] == [
        ("eu", "18.00"),
        ("us (default)", "5.00"),
    ]


def test_a_price_grouped_by_a_key_its_metric_lacks_fails_that_subscription(store: Store) -> None:
    matrix = {
        "id": "compute",
        "name": "Compute",
        "model_type": "matrix",
        "cadence": "monthly",
        "billable_metric_id": "met_calls",
        "matrix_config": {"dimensions": ["region"], "default_unit_amount": "1.00",
                          "matrix_values": [{"dimension_values": ["eu"], "unit_amount": "3.00"}]},
    }  # fmt: skip
    plan = {"name": "Matrix", "currency": "USD", "prices": [matrix]}
    set_up(store, plan, calls(2, JAN_1 + timedelta(days=3), region="eu"))

    summary = BillingRun(store, VirtualClock(FEB_1 + GRACE)).run(FEB_1 + GRACE)

    assert summary.created == 0
    (failure,) = summary.failures
    assert "groups by ['region']" in failure.error
    assert stored(store) == []


def test_the_record_follows_a_scheduled_plan_change_and_the_end(store: Store) -> None:
    plan = {"name": "Basic", "currency": "USD", "prices": [unit("platform", "10.00")]}
    set_up(store, plan, [])
    clock = VirtualClock(JAN_1 + timedelta(days=5))
    subscriptions = Subscriptions(store, clock)
    bigger = {"name": "Pro", "currency": "USD", "prices": [unit("platform", "30.00")]}
    subscriptions.add_plan(bigger, plan_id="pro")
    subscriptions.change_plan("sub_1", "pro", "requested_date", change_date=date(2024, 2, 1))
    subscriptions.cancel("sub_1", "requested_date", cancellation_date=date(2024, 3, 1))
    with store.unit_of_work() as uow:
        before = uow.subscriptions.get("sub_1")

    BillingRun(store, VirtualClock(FEB_1 + timedelta(days=1))).run(FEB_1 + timedelta(days=1))
    with store.unit_of_work() as uow:
        during = uow.subscriptions.get("sub_1")
    BillingRun(store, VirtualClock(MAR_1 + timedelta(days=1))).run(MAR_1 + timedelta(days=1))
    with store.unit_of_work() as uow:
        after = uow.subscriptions.get("sub_1")

    assert (before.plan_id, before.status) == ("pln", "active")
    assert (during.plan_id, during.plan_version, during.status) == ("pro", 1, "active")
    assert after.status == "ended"
    assert [(i.invoice_date, i.total) for i in stored(store)] == [
        (JAN_1, Decimal("10.00")),
        (FEB_1, Decimal("30.00")),
    ]


def test_a_backdated_cancellation_refuses_to_void_a_paid_invoice(store: Store) -> None:
    plan = {"name": "Basic", "currency": "USD", "prices": [unit("platform", "10.00")]}
    set_up(store, plan, [])
    BillingRun(store, VirtualClock(FEB_1 + GRACE)).run(FEB_1 + GRACE)
    january, february = stored(store)
    Invoicing(store, VirtualClock(FEB_1 + timedelta(days=2))).pay(february.id)
    subscriptions = Subscriptions(store, VirtualClock(FEB_1 + timedelta(days=9)))

    with pytest.raises(ConflictError, match="is paid"):
        subscriptions.cancel("sub_1", "requested_date", cancellation_date=date(2024, 1, 15))

    assert subscriptions.timeline("sub_1").end is None
    assert [(i.id, i.status) for i in stored(store)] == [
        (january.id, "issued"),
        (february.id, "paid"),
    ]


def test_plan_phases_discount_the_first_month_then_hold_a_minimum(store: Store) -> None:
    plan = {
        "name": "Phased",
        "currency": "USD",
        "prices": [
            unit("platform", "50.00"),
            unit("calls", "1.00", billable_metric_id="met_calls"),
        ],
        "plan_phases": [
            {"order": 1, "duration": 1, "duration_unit": "monthly",
             "discount": {"discount_type": "percentage", "percentage_discount": "0.5"}},
            {"order": 2, "duration": None, "minimum": "80.00"},
        ],
    }  # fmt: skip
    set_up(store, plan, calls(10, JAN_1 + timedelta(days=4)))
    Ingestion(store, VirtualClock(FEB_1 + timedelta(days=20))).ingest(
        calls(40, FEB_1 + timedelta(days=3))
    )

    summary = BillingRun(store, VirtualClock(MAR_1 + GRACE)).run(MAR_1 + GRACE)

    assert (summary.created, summary.failures) == (3, ())
    january, february, march = stored(store)
    # phase 1 (January): half off the January fee and January's calls
    assert january.total == Decimal("25.00")
    # February's invoice: January's calls (phase 1) 10.00 -> 5.00; February's fee (phase 2)
    # 50.00 lifted to the 80.00 minimum
    assert [(line.price_id, line.amount) for line in february.lines] == [
        ("pln:v1:calls", Decimal("5.00")),
        ("pln:v1:platform", Decimal("80.00")),
    ]
    # March: 40 calls and the fee, 90.00, above the minimum
    assert march.total == Decimal("90.00")
    reasons = {step.get("reason") for line in february.lines for step in line.adjustments}
    assert reasons == {"phase 1", "phase 2"}


def test_a_coupon_discounts_the_charges_of_its_two_months(store: Store) -> None:
    plan = {
        "name": "Coupons",
        "currency": "USD",
        "prices": [
            unit("platform", "100.00"),
            unit("calls", "1.00", billable_metric_id="met_calls"),
        ],
    }
    set_up(store, plan, calls(10, JAN_1 + timedelta(days=4)))
    Ingestion(store, VirtualClock(FEB_1 + timedelta(days=20))).ingest(
        calls(20, FEB_1 + timedelta(days=3))
    )
    Ingestion(store, VirtualClock(MAR_1 + timedelta(days=20))).ingest(
        calls(40, MAR_1 + timedelta(days=3))
    )
    Subscriptions(store, VirtualClock(JAN_1 + timedelta(days=19))).apply_coupon(
        "sub_1",
        "SPRING",
        {"discount_type": "percentage", "percentage_discount": "0.25"},
        duration_in_months=2,
    )

    summary = BillingRun(store, VirtualClock(APR_1 + GRACE)).run(APR_1 + GRACE)

    assert (summary.created, summary.failures) == (4, ())
    # Redeemed Jan 20: the coupon covers the periods starting Feb 1 and Mar 1, so the
    # fees of February and March and the usage of February and March, 25% off.
    assert [(i.invoice_date, i.total) for i in stored(store)] == [
        (JAN_1, Decimal("100.00")),  # January's fee
        (FEB_1, Decimal("85.00")),  # January's 10 calls, February's fee 75.00
        (MAR_1, Decimal("90.00")),  # February's 20 calls 15.00, March's fee 75.00
        (APR_1, Decimal("130.00")),  # March's 40 calls 30.00, April's fee 100.00
    ]


def test_a_coupon_with_a_bad_discount_is_refused_with_its_path(store: Store) -> None:
    plan = {"name": "Basic", "currency": "USD", "prices": [unit("platform", "10.00")]}
    set_up(store, plan, [])
    subscriptions = Subscriptions(store, VirtualClock(JAN_1 + timedelta(days=2)))

    with pytest.raises(ValidationError, match=r"discount\.percentage_discount"):
        subscriptions.apply_coupon(
            "sub_1", "BAD", {"discount_type": "percentage", "percentage_discount": "1.5"}
        )
    assert subscriptions.timeline("sub_1").coupons == ()


def test_a_discounted_fee_is_credited_at_its_discounted_price(store: Store) -> None:
    discounted = {
        "name": "Discounted",
        "currency": "USD",
        "prices": [unit("platform", "100.00")],
        "adjustments": [
            {"adjustment_type": "percentage_discount", "percentage_discount": "0.20",
             "applies_to_price_ids": ["platform"], "is_invoice_level": False},
        ],
    }  # fmt: skip
    set_up(store, discounted, [])
    later = Subscriptions(store, VirtualClock(JAN_1 + timedelta(days=15)))
    later.add_plan({"name": "Other", "currency": "USD", "prices": [unit("fee", "10.00")]},
                   plan_id="other")  # fmt: skip
    later.change_plan("sub_1", "other", "immediate")

    BillingRun(store, VirtualClock(JAN_1 + timedelta(days=17))).run(JAN_1 + timedelta(days=17))

    january, *changed = stored(store)
    new_plan, credit = sorted(changed, key=lambda invoice: invoice.plan_id or "")
    assert (new_plan.plan_id, credit.plan_id) == ("other", "pln")
    assert january.total == Decimal("80.00")  # 100.00, 20% off
    # The unused 16 of 31 days, credited 20% off as charged: -100 x 16/31 x 0.8 = -41.29
    assert [(line.price_id, line.amount) for line in credit.lines] == [
        ("pln:v1:platform", Decimal("-41.29"))
    ]
    assert credit.total == Decimal("-41.29")
    assert new_plan.total == Decimal("5.16")  # 10.00 x 16/31


def test_a_fee_credited_and_charged_again_keeps_its_minimum_on_the_charge(
    store: Store,
) -> None:
    plan = {
        "name": "Committed",
        "currency": "USD",
        "prices": [unit("platform", "10.00")],
        "adjustments": [
            {"adjustment_type": "minimum", "minimum_amount": "50.00",
             "applies_to_price_ids": ["platform"], "is_invoice_level": False},
        ],
    }  # fmt: skip
    set_up(store, plan, [])
    Subscriptions(store, VirtualClock(JAN_1 + timedelta(days=15))).change_plan(
        "sub_1", "pln", "immediate"
    )

    BillingRun(store, VirtualClock(JAN_1 + timedelta(days=17))).run(JAN_1 + timedelta(days=17))

    january, change = stored(store)
    assert january.total == Decimal("50.00")  # 10.00 lifted to the 50.00 minimum
    # The credit of the unused 16/31 (-5.16) is left alone; the new charge of 5.16 is
    # lifted to the minimum: -5.16 + 50.00 = 44.84
    assert sorted(line.amount for line in change.lines) == [Decimal("-5.16"), Decimal("50.00")]
    assert change.total == Decimal("44.84")


def test_a_plan_that_no_longer_reads_fails_its_subscriptions_only(store: Store) -> None:
    plan = {"name": "Basic", "currency": "USD", "prices": [unit("platform", "10.00")]}
    set_up(store, plan, [])
    subscriptions = Subscriptions(store, VirtualClock(JAN_1))
    subscriptions.add_plan({**plan, "name": "Broken"}, plan_id="broken")
    subscriptions.create("cus_1", "broken", start_date=date(2024, 1, 1), subscription_id="sub_b")
    with store.unit_of_work() as uow:
        row = uow.plans.get("broken")
        uow.plans.update(dataclasses.replace(row, terms={"adjustments": "not a list"}))
        uow.commit()

    summary = BillingRun(store, VirtualClock(JAN_1 + GRACE)).run(JAN_1 + GRACE)

    assert summary.created == 1
    assert [(f.subscription_id, f.error.split(":")[0]) for f in summary.failures] == [
        ("sub_b", "ValidationError")
    ]


def test_a_phase_discount_that_lists_a_price_discounts_that_price_only(store: Store) -> None:
    plan = {
        "name": "Listed",
        "currency": "USD",
        "prices": [unit("platform", "10.00"), unit("support", "20.00")],
        "plan_phases": [
            {"order": 1, "duration": None,
             "discount": {"discount_type": "percentage", "percentage_discount": "0.5",
                          "applies_to_price_ids": ["support"]}},
        ],
    }  # fmt: skip
    set_up(store, plan, [])

    BillingRun(store, VirtualClock(JAN_1 + GRACE)).run(JAN_1 + GRACE)

    (january,) = stored(store)
    assert [(line.price_id, line.amount) for line in january.lines] == [
        ("pln:v1:platform", Decimal("10.00")),
        ("pln:v1:support", Decimal("10.00")),  # 20.00, half off
    ]
