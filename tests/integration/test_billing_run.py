"""The billing run on memory, SQLite and PostgreSQL: due invoices built once, issued."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from orbcore import ValidationError, VirtualClock
from orbcore.billing import Invoice
from orbcore.services import (
    BillingRun,
    EventStatus,
    Ingestion,
    Metering,
    RunSummary,
    Subscriptions,
)
from orbcore.services._billing_run import shard_of
from orbcore.storage import Query, Store, each

JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)
FEB_1 = datetime(2024, 2, 1, tzinfo=UTC)
MAR_1 = datetime(2024, 3, 1, tzinfo=UTC)
GRACE = timedelta(hours=12)

PLAN = {
    "name": "Basic",
    "currency": "USD",
    "net_terms": 30,
    "prices": [
        {"id": "platform", "name": "Platform fee", "model_type": "unit",
         "cadence": "monthly", "unit_config": {"unit_amount": "50.00"}},
        {"id": "api", "name": "API calls", "model_type": "unit", "cadence": "monthly",
         "billable_metric_id": "met_api", "unit_config": {"unit_amount": "0.50"}},
    ],
}  # fmt: skip


def call(key: str, when: datetime, **who: str) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "event_name": "api_call",
        **(who or {"customer_id": "cus_1"}),
        "timestamp": when.isoformat(),
        "properties": {},
    }


def set_up(store: Store) -> None:
    clock = VirtualClock(JAN_1 + timedelta(days=10))
    Subscriptions(store, clock).add_plan(PLAN, plan_id="pln_basic")
    Subscriptions(store, clock).create(
        "cus_1", "pln_basic", start_date=date(2024, 1, 1), subscription_id="sub_1"
    )
    Metering(store, clock).define_metric(
        {"id": "met_api", "name": "API calls", "event_name": "api_call", "aggregation": "count"}
    )
    january = [call(f"jan_{n}", JAN_1 + timedelta(days=n, hours=3)) for n in range(3)]
    january.append(call("jan_ext", JAN_1 + timedelta(days=5), external_customer_id="acme"))
    Ingestion(store, clock).ingest(january)
    later = VirtualClock(FEB_1 + timedelta(days=10))
    Ingestion(store, later).ingest([call(f"feb_{n}", FEB_1 + timedelta(days=n)) for n in range(2)])


def invoices(store: Store) -> list[Invoice]:
    with store.unit_of_work() as uow:
        return list(each(uow.invoices, Query(order_by="invoice_date", limit=50)))


def lines(invoice: Invoice) -> list[tuple[str, Decimal, Decimal, datetime, datetime]]:
    return [
        (line.price_id, line.quantity, line.amount, line.start_date, line.end_date)
        for line in invoice.lines
    ]


@pytest.fixture
def billing(store: Store) -> BillingRun:
    set_up(store)
    return BillingRun(store, VirtualClock(MAR_1 + timedelta(hours=6)), prefix="ACME")


def test_a_run_bills_each_due_period_once_and_issues_it(store: Store, billing: BillingRun) -> None:
    seen: list[tuple[str, int]] = []

    summary = billing.run(
        FEB_1 + GRACE, progress=lambda sub, so_far: seen.append((sub, so_far.created))
    )

    assert summary == RunSummary(as_of=FEB_1 + GRACE, subscriptions=1, created=2)
    assert seen == [("sub_1", 2)]
    january, february = invoices(store)
    assert (january.invoice_date, january.status, january.number) == (
        JAN_1,
        "issued",
        "ACME-000001",
    )
    assert lines(january) == [("pln_basic:v1:platform", Decimal(1), Decimal("50.00"), JAN_1, FEB_1)]
    assert (january.subtotal, january.total) == (Decimal("50.00"), Decimal("50.00"))
    assert lines(february) == [
        ("pln_basic:v1:api", Decimal(4), Decimal("2.00"), JAN_1, FEB_1),
        ("pln_basic:v1:platform", Decimal(1), Decimal("50.00"), FEB_1, MAR_1),
    ]
    assert (february.total, february.number, february.subscription_id) == (
        Decimal("52.00"),
        "ACME-000002",
        "sub_1",
    )
    assert february.due_date == date(2024, 3, 31)


def test_a_second_run_creates_nothing_and_a_later_one_bills_the_next_period(
    store: Store, billing: BillingRun
) -> None:
    billing.run(FEB_1 + GRACE)

    again = billing.run(FEB_1 + GRACE)
    march = billing.run(MAR_1 + GRACE)

    assert (again.created, again.already_present, again.failures) == (0, 2, ())
    assert (march.created, march.already_present) == (1, 2)
    last = invoices(store)[-1]
    assert lines(last) == [
        ("pln_basic:v1:api", Decimal(2), Decimal("1.00"), FEB_1, MAR_1),
        ("pln_basic:v1:platform", Decimal(1), Decimal("50.00"), MAR_1, MAR_1 + timedelta(days=31)),
    ]
    assert (last.total, last.number) == (Decimal("51.00"), "ACME-000003")


def test_usage_waits_for_the_grace_period_and_fixed_fees_do_not(
    store: Store, billing: BillingRun
) -> None:
    early = billing.run(FEB_1 + GRACE - timedelta(microseconds=1))
    # a late January event, still inside the grace period, makes it onto the invoice
    late = call("jan_late", FEB_1 - timedelta(minutes=5))
    report = Ingestion(store, VirtualClock(FEB_1 + timedelta(hours=11))).ingest([late])
    assert report.count(EventStatus.ACCEPTED) == 1
    on_time = billing.run(FEB_1 + GRACE)

    assert (early.created, early.waiting) == (1, 1)
    assert (on_time.created, on_time.already_present, on_time.waiting) == (1, 1, 0)
    assert lines(invoices(store)[1])[0] == (
        "pln_basic:v1:api",
        Decimal(5),
        Decimal("2.50"),
        JAN_1,
        FEB_1,
    )


def test_a_failing_subscription_is_reported_and_the_run_goes_on(
    store: Store, billing: BillingRun
) -> None:
    Subscriptions(store, VirtualClock(JAN_1)).create(
        "cus_1", "pln_basic", start_date=date(2024, 1, 1), subscription_id="sub_0"
    )
    with store.unit_of_work() as uow:
        broken = uow.subscriptions.get("sub_0")
        uow.subscriptions.update(type(broken)(**{**_fields(broken), "timeline": {"broken": True}}))
        uow.commit()

    summary = billing.run(FEB_1 + GRACE)

    assert (summary.subscriptions, summary.created) == (2, 2)
    assert [failure.subscription_id for failure in summary.failures] == ["sub_0"]


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


@pytest.mark.postgres
def test_concurrent_runs_create_one_invoice_per_due_period(
    fresh_postgres_url: str,
) -> None:
    from orbcore.billing import Customer
    from orbcore.storage import open_store

    store = open_store(fresh_postgres_url)
    try:
        with store.unit_of_work() as uow:
            uow.customers.add(
                Customer(id="cus_1", name="Acme", created_at=JAN_1, external_customer_id="acme")
            )
            uow.commit()
        set_up(store)
        billing = BillingRun(store, VirtualClock(MAR_1 + timedelta(hours=6)))
        summaries: list[RunSummary] = []
        barrier = threading.Barrier(4)

        def work() -> None:
            barrier.wait()
            summaries.append(billing.run(MAR_1 + GRACE))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        stored = invoices(store)
        assert [invoice.invoice_date for invoice in stored] == [JAN_1, FEB_1, MAR_1]
        assert sorted(invoice.number or "" for invoice in stored) == [
            "INV-000001",
            "INV-000002",
            "INV-000003",
        ]
        assert sum(s.created for s in summaries) == 3
        assert all(s.failures == () for s in summaries), summaries
    finally:
        store.close()


def test_shards_split_the_subscriptions_between_workers(store: Store, billing: BillingRun) -> None:
    subscriptions = Subscriptions(store, VirtualClock(JAN_1 + timedelta(days=10)))
    for n in range(2, 9):
        subscriptions.create(
            "cus_1", "pln_basic", start_date=date(2024, 1, 1), subscription_id=f"sub_{n}"
        )

    parts = [billing.run(FEB_1 + GRACE, shard=(k, 3)) for k in range(3)]
    everything = billing.run(FEB_1 + GRACE)

    # 8 subscriptions, 2 invoices each (Jan 1 and Feb 1), each made by one shard only
    assert sum(part.subscriptions for part in parts) == 8
    assert sum(part.created for part in parts) == 16
    assert all(part.already_present == 0 for part in parts)
    assert (everything.created, everything.already_present) == (0, 16)
    ids = ["sub_1", *(f"sub_{n}" for n in range(2, 9))]
    assert [part.subscriptions for part in parts] == [
        sum(1 for i in ids if shard_of(i, 3) == k) for k in range(3)
    ]
    with pytest.raises(ValidationError, match="shard"):
        billing.run(FEB_1, shard=(3, 3))


def test_an_invoice_stored_before_invoices_named_their_plan_is_not_billed_again(
    store: Store, billing: BillingRun
) -> None:
    Subscriptions(store, VirtualClock(JAN_1)).create(
        "cus_1", "pln_basic", start_date=date(2024, 1, 1), subscription_id="sub_9"
    )
    # January's invoice as an earlier version stored it: another id, and no plan
    legacy = Invoice(
        id="inv_legacy",
        customer_id="cus_1",
        currency="USD",
        kind="subscription",
        period_start=JAN_1,
        period_end=FEB_1,
        invoice_date=JAN_1,
        created_at=JAN_1,
        subscription_id="sub_9",
        status="issued",
        subtotal=Decimal("50.00"),
        total=Decimal("50.00"),
        amount_due=Decimal("50.00"),
    )
    with store.unit_of_work() as uow:
        uow.invoices.add(legacy)
        uow.commit()

    summary = billing.run(FEB_1 + GRACE)

    made = [i for i in invoices(store) if i.subscription_id == "sub_9"]
    assert [(i.id, i.invoice_date, i.plan_id) for i in made] == [
        ("inv_legacy", JAN_1, None),
        (made[1].id, FEB_1, "pln_basic"),
    ]
    assert (summary.created, summary.already_present) == (3, 1)


def test_a_backdated_cancellation_between_building_and_storing_is_billed_from(
    store: Store,
) -> None:
    clock = VirtualClock(JAN_1)
    subscriptions = Subscriptions(store, clock)
    subscriptions.add_plan(
        {"name": "Fee", "currency": "USD", "prices": [
            {"id": "fee", "name": "Fee", "model_type": "unit", "cadence": "monthly",
             "unit_config": {"unit_amount": "50.00"}}]},
        plan_id="pln_fee",
    )  # fmt: skip
    subscriptions.create("cus_1", "pln_fee", start_date=date(2024, 1, 1), subscription_id="s")
    BillingRun(store, clock).run(JAN_1)
    clock.move_to(FEB_1 + timedelta(days=14))
    cancelled: list[bool] = []

    class Racing(BillingRun):
        """A run that another process cancels under, back to Feb 1, once it has built."""

        def _prepare(self, *args: Any) -> None:
            super()._prepare(*args)
            if not cancelled:
                cancelled.append(True)
                subscriptions.cancel("s", "requested_date", cancellation_date=date(2024, 2, 1))

    racing = Racing(store, clock).run(clock.now())
    later = BillingRun(store, clock).run(clock.now())

    # Built from the old timeline, February's fee is dropped; the run bills the new one,
    # where nothing is due on Feb 1: only January's invoice stands.
    assert (racing.created, racing.failures) == (0, ())
    assert later.created == 0
    assert [
        (i.invoice_date, i.status, i.total) for i in invoices(store) if i.subscription_id == "s"
    ] == [(JAN_1, "issued", Decimal("50.00"))]
