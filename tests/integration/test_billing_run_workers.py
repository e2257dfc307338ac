"""Eight billing workers on one PostgreSQL database: every due invoice once, numbered once.

A thousand subscriptions of customers in three time zones, started on every day of
January, each with a monthly fixed fee billed in advance and a usage price. Eight
workers, each with a store of its own (as separate processes would have), run the same
billing run at once. Whoever wins each invoice, the result is the one a lone run makes:
one invoice per due date, all issued, numbered 1..N without gaps, and nothing left to do.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from orbcore import VirtualClock
from orbcore.billing import Customer, Invoice, Subscription, SubscriptionTimeline, billable_charges
from orbcore.services import (
    BillingRun,
    EventStatus,
    Ingestion,
    Metering,
    RunSummary,
    Subscriptions,
)
from orbcore.storage import Query, Store, each, open_store

pytestmark = pytest.mark.postgres

SUBSCRIPTIONS = 1000
WORKERS = 8
ZONES = ("UTC", "America/New_York", "Asia/Tokyo")
CUSTOMERS = 12
JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)
# The day after February's local midnight everywhere: the start date and February 1.
AS_OF = datetime(2024, 2, 2, tzinfo=UTC)
RUN_CLOCK = AS_OF + timedelta(hours=6)

PLAN = {
    "name": "Team",
    "currency": "USD",
    "net_terms": 15,
    "prices": [
        {"id": "seat", "name": "Seats", "model_type": "unit", "cadence": "monthly",
         "billing_mode": "in_advance", "unit_config": {"unit_amount": "30.00"}},
        {"id": "api", "name": "API calls", "model_type": "unit", "cadence": "monthly",
         "billable_metric_id": "met_api", "unit_config": {"unit_amount": "0.25"}},
    ],
}  # fmt: skip

Due = tuple[str, datetime]
"""A subscription and one of its invoice dates."""


def customer_id(n: int) -> str:
    return f"cus_{n:02d}"


def set_up(store: Store) -> None:
    """The customers, the plan, the metric, January's calls and the subscriptions."""
    clock = VirtualClock(JAN_1)
    with store.unit_of_work() as uow:
        for n in range(CUSTOMERS):
            uow.customers.add(
                Customer(
                    id=customer_id(n),
                    name=f"Customer {n}",
                    created_at=JAN_1,
                    timezone=ZONES[n % len(ZONES)],
                )
            )
        uow.commit()
    Subscriptions(store, clock).add_plan(PLAN, plan_id="pln_team")
    Metering(store, clock).define_metric(
        {"id": "met_api", "name": "API calls", "event_name": "api_call", "aggregation": "count"}
    )
    calls = [
        {
            "idempotency_key": f"call_{n}_{k}",
            "event_name": "api_call",
            "customer_id": customer_id(n),
            "timestamp": (JAN_1 + timedelta(days=20, hours=k)).isoformat(),
            "properties": {},
        }
        for n in range(CUSTOMERS)
        for k in range(n % 4 + 1)
    ]
    report = Ingestion(store, VirtualClock(JAN_1 + timedelta(days=21))).ingest(calls)
    assert report.count(EventStatus.ACCEPTED) == len(calls)
    subscriptions = Subscriptions(store, clock)
    for n in range(SUBSCRIPTIONS):
        subscriptions.create(
            customer_id(n % CUSTOMERS),
            "pln_team",
            start_date=date(2024, 1, 1 + n % 28),
            subscription_id=f"sub_{n:04d}",
        )


def stored(store: Store) -> tuple[list[Subscription], list[Invoice]]:
    with store.unit_of_work() as uow:
        subscriptions = list(each(uow.subscriptions, Query(limit=500)))
        invoices = list(each(uow.invoices, Query(limit=500)))
    return subscriptions, invoices


def due(subscriptions: list[Subscription], as_of: datetime) -> dict[Due, set[str]]:
    """What the timelines say is due up to ``as_of``: the price ids per invoice date."""
    until = as_of + timedelta(microseconds=1)  # invoice dates up to as_of, included
    charges: dict[Due, set[str]] = {}
    for record in subscriptions:
        timeline = SubscriptionTimeline.from_json(record.timeline)
        for charge in billable_charges(timeline, until):
            charges.setdefault((record.id, charge.invoice_date), set()).add(charge.price_id)
    return charges


def run_at_once(url: str, workers: int, *, sharded: bool = False) -> list[RunSummary]:
    """``workers`` billing runs started together, each on a store of its own (and, when
    ``sharded``, each on its own shard of the subscriptions)."""
    stores = [open_store(url) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    summaries: list[RunSummary] = []
    errors: list[BaseException] = []

    def work(store: Store, k: int) -> None:
        try:
            billing = BillingRun(store, VirtualClock(RUN_CLOCK), prefix="TEAM")
            barrier.wait()
            summaries.append(billing.run(AS_OF, shard=(k, workers) if sharded else None))
        except BaseException as error:  # re-raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(store, k)) for k, store in enumerate(stores)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in stores:
            store.close()
    if errors:
        raise errors[0]
    return summaries


@pytest.fixture
def postgres_store(fresh_postgres_url: str) -> Iterator[Store]:
    """A fresh PostgreSQL store with the customers, plan, usage and subscriptions."""
    opened = open_store(fresh_postgres_url)
    set_up(opened)
    yield opened
    opened.close()


@pytest.mark.parametrize("sharded", [False, True], ids=["racing", "sharded"])
def test_eight_workers_bill_every_due_date_once_with_gap_free_numbers(
    postgres_store: Store, fresh_postgres_url: str, sharded: bool
) -> None:
    store = postgres_store
    expected = due(stored(store)[0], AS_OF)
    assert len(expected) == 2 * SUBSCRIPTIONS  # the start date and February's first day

    summaries = run_at_once(fresh_postgres_url, WORKERS, sharded=sharded)

    assert [s.failures for s in summaries] == [()] * WORKERS
    if sharded:  # each subscription seen by one worker
        assert sum(s.subscriptions for s in summaries) == SUBSCRIPTIONS
    else:
        assert [s.subscriptions for s in summaries] == [SUBSCRIPTIONS] * WORKERS
    _, invoices = stored(store)
    billed = Counter((i.subscription_id or "", i.invoice_date) for i in invoices)
    assert [key for key, times in billed.items() if times > 1] == []
    assert set(billed) == set(expected)
    assert {
        (i.subscription_id, i.invoice_date): {line.price_id for line in i.lines} for i in invoices
    } == expected
    assert Counter(i.status for i in invoices) == {"issued": len(expected)}
    assert sorted(i.number_sequence or 0 for i in invoices) == list(range(1, len(expected) + 1))
    assert len({i.number for i in invoices}) == len(expected)
    assert {i.number_prefix for i in invoices} == {"TEAM"}
    assert sum(s.created for s in summaries) == len(expected)
    if not sharded:
        assert all(s.created + s.already_present == len(expected) for s in summaries), _counts(
            summaries
        )

    again = BillingRun(store, VirtualClock(RUN_CLOCK + timedelta(hours=1)), prefix="TEAM")
    second = again.run(AS_OF)

    assert (second.created, second.already_present, second.failures) == (0, len(expected), ())
    _, after = stored(store)
    assert sorted((i.id, i.number, i.revision) for i in after) == sorted(
        (i.id, i.number, i.revision) for i in invoices
    )


def _counts(summaries: list[RunSummary]) -> list[tuple[Any, ...]]:
    return [(s.created, s.already_present, len(s.failures)) for s in summaries]
