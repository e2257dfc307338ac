"""A year of billing through ``orbcore.connect``, on a virtual clock.

    python examples/year_of_billing.py [sqlite:///orbcore-year.db]

A SaaS with two plans bills three customers for 2024: one upgrades in March, one adds
seats in May, one cancels in September. Usage arrives every day; the billing run goes
every day at 13:00 UTC, as a host's scheduler would call it. At the end the example
prints each customer's invoices and totals, then runs billing once more to show that
nothing more is due.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from orbcore import Money, VirtualClock, connect
from orbcore.billing import RateTableTax
from orbcore.storage import Query, each

START = datetime(2024, 1, 1, tzinfo=UTC)


def plan(name: str, fee: str, per_call: str) -> dict[str, Any]:
    return {
        "name": name, "currency": "USD", "net_terms": 30,
        "prices": [
            {"id": "platform", "name": f"{name} platform", "model_type": "unit",
             "cadence": "monthly", "unit_config": {"unit_amount": fee}},
            {"id": "seats", "name": "Seats", "model_type": "unit", "cadence": "monthly",
             "fixed_price_quantity": "3", "unit_config": {"unit_amount": "12.00"}},
            {"id": "calls", "name": "API calls", "model_type": "tiered", "cadence": "monthly",
             "billable_metric_id": "met_calls",
             "tiered_config": {"tiers": [
                 {"first_unit": "0", "last_unit": "1000", "unit_amount": "0.00"},
                 {"first_unit": "1000", "unit_amount": per_call}]}},
        ],
    }  # fmt: skip


def main(url: str) -> None:
    clock = VirtualClock(START)
    tax = RateTableTax({"US-CA": "0.0725", "US": "0.05"})
    with connect(url, clock=clock, invoice_prefix="YEAR", tax=tax) as engine:
        if not engine.customers.list().items:
            set_up(engine)
        day = START
        while day < datetime(2025, 1, 1, tzinfo=UTC):
            clock.move_to(day + timedelta(hours=12))
            send_usage(engine, day)
            if day == datetime(2024, 3, 10, tzinfo=UTC):
                engine.subscriptions.schedule_plan_change(
                    "sub_beta", plan_id="pln_pro", change_option="immediate"
                )
            if day == datetime(2024, 5, 20, tzinfo=UTC):
                engine.subscriptions.update_fixed_fee_quantity(
                    "sub_gamma", price_id="pln_basic:v1:seats", quantity=8
                )
            if day == datetime(2024, 9, 14, tzinfo=UTC):
                engine.subscriptions.cancel("sub_alpha", cancel_option="end_of_subscription_term")
            clock.move_to(day + timedelta(hours=13))
            engine.billing.run()
            day += timedelta(days=1)
        report(engine)
        again = engine.billing.run()
        print(f"billing again: {again.created} created, {again.already_present} already there")


def set_up(engine: Any) -> None:
    engine.metrics.create(
        {"id": "met_calls", "name": "API calls", "event_name": "api_call", "aggregation": "count"}
    )
    engine.plans.create(plan("Basic", "49.00", "0.020"), plan_id="pln_basic")
    engine.plans.create(plan("Pro", "199.00", "0.010"), plan_id="pln_pro")
    for key, name, state in (("alpha", "Alpha Inc", "CA"), ("beta", "Beta LLC", "NY"),
                             ("gamma", "Gamma Co", "TX")):  # fmt: skip
        engine.customers.create(
            name, customer_id=f"cus_{key}", external_customer_id=key, currency="USD",
            timezone="America/Los_Angeles", billing_address={"country": "US", "state": state},
        )  # fmt: skip
        engine.subscriptions.create(
            customer_id=f"cus_{key}", plan_id="pln_basic", start_date=date(2024, 1, 1),
            subscription_id=f"sub_{key}",
        )  # fmt: skip


def send_usage(engine: Any, day: datetime) -> None:
    events = [
        {"idempotency_key": f"{key}-{day:%Y%m%d}-{n}", "event_name": "api_call",
         "external_customer_id": key, "timestamp": (day + timedelta(minutes=n)).isoformat(),
         "properties": {}}
        for key, daily in (("alpha", 40), ("beta", 90), ("gamma", 25))
        for n in range(daily)
    ]  # fmt: skip
    engine.events.ingest(events)


def report(engine: Any) -> None:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for invoice in each(engine.invoices, Query(order_by="invoice_date", limit=200)):
        totals[invoice.customer_id] += invoice.total
        counts[invoice.customer_id] += 1
    for customer in engine.customers.list().items:
        total = Money(totals[customer.id], "USD").format("en_US")
        print(f"{customer.name}: {counts[customer.id]} invoices, {total} in 2024")
    (alpha,) = engine.subscriptions.list(Query(where={"customer_id": "cus_alpha"})).items
    (beta,) = engine.subscriptions.list(Query(where={"customer_id": "cus_beta"})).items
    print(f"Alpha's subscription: {alpha.status}, ended {alpha.end_date:%Y-%m-%d %H:%M} UTC")
    print(f"Beta's plan: {beta.plan_id}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///orbcore-year.db")
