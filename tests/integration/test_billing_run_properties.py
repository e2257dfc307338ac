"""Properties of the billing run over generated histories: subscriptions started, changed,
cancelled and used at random moments, billed by runs at random moments.

* every stored invoice adds up exactly as displayed (lines, tax, total, in minor units);
* a second billing run at the same moment creates nothing and changes no invoice;
* numbers are gap-free, one per invoice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbcore import ConflictError, ValidationError, VirtualClock
from orbcore.billing import Customer, Invoice, RateTableTax
from orbcore.services import BillingRun, Ingestion, Metering, Subscriptions
from orbcore.storage import Query, Store, each, open_store

START = datetime(2024, 1, 1, tzinfo=UTC)
HORIZON = 120  # days


def plan(fee: str, rate: str) -> dict[str, Any]:
    return {
        "name": f"Plan {fee}",
        "currency": "USD",
        "prices": [
            {"id": "platform", "name": "Platform fee", "model_type": "unit",
             "cadence": "monthly", "unit_config": {"unit_amount": fee}},
            {"id": "calls", "name": "Calls", "model_type": "tiered", "cadence": "monthly",
             "billable_metric_id": "met_calls",
             "tiered_config": {"tiers": [
                 {"first_unit": "0", "last_unit": "10", "unit_amount": "0.00"},
                 {"first_unit": "10", "unit_amount": rate}]}},
        ],
        "adjustments": [
            {"adjustment_type": "percentage_discount", "percentage_discount": "0.15",
             "applies_to_price_ids": ["calls"], "is_invoice_level": False},
        ],
    }  # fmt: skip


steps = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=HORIZON * 24),  # hours after the start
        st.sampled_from(["events", "run", "cancel", "change", "seats"]),
        st.integers(min_value=0, max_value=30),
    ),
    min_size=1,
    max_size=12,
)


def history(
    store: Store,
    zone: str,
    start_day: int,
    anniversary: bool,
    actions: list[tuple[int, str, int]],
) -> datetime:
    """Play ``actions`` in time order; return the moment of the last one."""
    from orbcore import Anniversary

    clock = VirtualClock(START)
    with store.unit_of_work() as uow:
        uow.customers.add(Customer(id="cus_1", name="Acme", created_at=START, timezone=zone))
        uow.commit()
    Metering(store, clock).define_metric(
        {"id": "met_calls", "name": "Calls", "event_name": "call", "aggregation": "count"}
    )
    subscriptions = Subscriptions(store, clock)
    subscriptions.add_plan(plan("30.00", "0.07"), plan_id="small")
    subscriptions.add_plan(plan("95.50", "0.03"), plan_id="large")
    subscriptions.create(
        "cus_1",
        "small",
        start_date=date(2024, 1, 1) + timedelta(days=start_day),
        subscription_id="sub_1",
        alignment=Anniversary() if anniversary else None,
    )
    tax = RateTableTax.flat("0.0825")
    moment = START
    for n, (hours, action, amount) in enumerate(sorted(actions)):
        moment = START + timedelta(hours=hours)
        clock.move_to(moment)
        try:
            if action == "events":
                events = [
                    {"idempotency_key": f"e{n}-{k}", "event_name": "call", "customer_id": "cus_1",
                     "timestamp": (moment - timedelta(minutes=k)).isoformat(), "properties": {}}
                    for k in range(amount)
                ]  # fmt: skip
                Ingestion(store, clock).ingest(events)
            elif action == "run":
                BillingRun(store, clock, tax=tax).run(moment)
            elif action == "cancel":
                option = ["immediate", "end_of_subscription_term"][amount % 2]
                subscriptions.cancel("sub_1", option)
            elif action == "change":
                target = ["small", "large"][amount % 2]
                option = ["immediate", "end_of_subscription_term"][amount // 2 % 2]
                subscriptions.change_plan("sub_1", target, option)
            else:
                fee = subscriptions.timeline("sub_1").intervals_at(moment)
                fixed = [iv for iv in fee if iv.price.price_id.endswith(":platform")]
                if fixed:
                    subscriptions.set_quantity(
                        "sub_1", fixed[0].price.price_id, 1 + amount % 4, effective_date=moment
                    )
        except (ValidationError, ConflictError):
            continue  # a request the subscription refuses at that moment
    return moment


def stored(store: Store) -> list[Invoice]:
    with store.unit_of_work() as uow:
        return list(each(uow.invoices, Query(order_by="invoice_date", limit=100)))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    zone=st.sampled_from(["UTC", "America/New_York", "Asia/Kolkata"]),
    start_day=st.integers(min_value=0, max_value=40),
    anniversary=st.booleans(),
    actions=steps,
    extra_days=st.integers(min_value=0, max_value=60),
)
def test_a_second_run_changes_nothing_and_every_invoice_adds_up(
    zone: str, start_day: int, anniversary: bool, actions: list[tuple[int, str, int]],
    extra_days: int,
) -> None:  # fmt: skip
    store = open_store("memory://")
    last = history(store, zone, start_day, anniversary, actions)
    as_of = last + timedelta(days=extra_days)
    billing = BillingRun(store, VirtualClock(as_of), tax=RateTableTax.flat("0.0825"))

    first = billing.run(as_of)
    before = stored(store)
    second = billing.run(as_of)

    assert first.failures == ()
    assert (second.created, second.failures) == (0, ())
    assert stored(store) == before
    live = [i for i in before if i.status != "void"]
    assert second.already_present == len(live)
    numbers = sorted(i.number_sequence or 0 for i in before)
    assert numbers == list(range(1, len(before) + 1))
    for invoice in before:
        assert (
            sum((line.amount for line in invoice.lines), Decimal(0)) == invoice.total - invoice.tax
        )
        for amount in (invoice.total, invoice.tax, *(line.amount for line in invoice.lines)):
            assert amount == amount.quantize(Decimal("0.01"))
