"""Concurrent writers: the database, not luck, keeps numbers, keys and updates straight."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from orbcore import ConflictError
from orbcore.billing import Customer, Invoice
from orbcore.events import Event
from orbcore.storage import AddOutcome, Query
from orbcore.storage.sql import SqlStore
from orbcore.webhooks import OutboxMessage

WORKERS = 8
NOW = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/concurrency.db"
    else:
        url = request.getfixturevalue("fresh_postgres_url")
    opened = SqlStore(url)
    with opened.unit_of_work() as uow:
        uow.customers.add(Customer(id="acme", name="Acme", created_at=NOW))
        uow.commit()
    yield opened
    opened.close()


def run_workers(work: Callable[[int], None]) -> None:
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        barrier.wait()
        try:
            work(worker)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def invoice(invoice_id: str) -> Invoice:
    return Invoice(
        id=invoice_id,
        customer_id="acme",
        currency="USD",
        kind="one_off",
        period_start=NOW,
        period_end=NOW,
        invoice_date=NOW,
        created_at=NOW,
    )


def test_invoice_numbers_are_gap_free_and_unique_under_concurrent_writers(
    store: SqlStore,
) -> None:
    per_worker = 15
    kept: list[str] = []

    def work(worker: int) -> None:
        for n in range(per_worker):
            with store.unit_of_work() as uow:
                uow.invoices.add(invoice(f"w{worker}-{n}"))
                uow.invoices.assign_number(f"w{worker}-{n}", "INV")
                if n % 5 == 4:
                    continue  # leave without committing: the number must come back
                uow.commit()
                kept.append(f"w{worker}-{n}")

    run_workers(work)
    with store.unit_of_work() as uow:
        numbers = sorted(uow.invoices.get(invoice_id).number_sequence or 0 for invoice_id in kept)
    assert numbers == list(range(1, len(kept) + 1))


def test_the_same_events_sent_by_eight_workers_are_stored_once(store: SqlStore) -> None:
    batch = [
        Event(
            idempotency_key=f"evt-{n}",
            event_name="api_call",
            timestamp=NOW + timedelta(days=n % 70),
            ingested_at=NOW,
            body_hash=f"hash-{n}",
            customer_id="acme",
            properties={"bytes": Decimal(n)},
        )
        for n in range(400)
    ]
    outcomes: list[list[AddOutcome]] = [[] for _ in range(WORKERS)]

    def work(worker: int) -> None:
        # Each worker sends the batch in its own order.
        order = random.Random(worker).sample(range(len(batch)), len(batch))
        with store.unit_of_work() as uow:
            result = uow.events.add_many([batch[i] for i in order])
            uow.commit()
        outcomes[worker] = [result[order.index(i)] for i in range(len(batch))]

    run_workers(work)
    inserted = Counter(
        batch[index].idempotency_key
        for result in outcomes
        for index, outcome in enumerate(result)
        if outcome is AddOutcome.INSERTED
    )
    assert set(inserted.values()) == {1}
    assert len(inserted) == len(batch)
    assert all(o in (AddOutcome.INSERTED, AddOutcome.DUPLICATE) for r in outcomes for o in r)
    with store.unit_of_work() as uow:
        stored: list[Event] = []
        query: Query | None = Query(limit=1000)
        while query is not None:
            page = uow.events.list(query)
            stored.extend(page.items)
            query = Query(limit=1000, after=page.next_cursor) if page.next_cursor else None
    assert sorted(e.idempotency_key for e in stored) == sorted(e.idempotency_key for e in batch)


def test_no_update_is_lost_when_eight_workers_increment_one_record(store: SqlStore) -> None:
    per_worker = 10

    def work(worker: int) -> None:
        done = 0
        while done < per_worker:
            with store.unit_of_work() as uow:
                customer = uow.customers.get("acme")
                count = int(customer.metadata.get("count", "0"))
                changed = dataclasses.replace(customer, metadata={"count": str(count + 1)})
                try:
                    uow.customers.update(changed)
                    uow.commit()
                except ConflictError:
                    continue
                done += 1

    run_workers(work)
    with store.unit_of_work() as uow:
        customer = uow.customers.get("acme")
    assert customer.metadata["count"] == str(WORKERS * per_worker)
    assert customer.revision == WORKERS * per_worker + 1


def test_claimed_outbox_messages_go_to_one_worker_each(store: SqlStore) -> None:
    with store.unit_of_work() as uow:
        for n in range(200):
            uow.outbox.add(
                OutboxMessage(
                    id=f"msg-{n:03d}",
                    event_type="invoice.issued",
                    payload={"n": n},
                    created_at=NOW,
                    available_at=NOW,
                )
            )
        uow.commit()
    claims: list[list[str]] = [[] for _ in range(WORKERS)]

    def work(worker: int) -> None:
        while True:
            with store.unit_of_work() as uow:
                claimed = uow.outbox.claim_due(NOW, 7, f"worker-{worker}", timedelta(minutes=5))
                uow.commit()
            if not claimed:
                return
            claims[worker].extend(message.id for message in claimed)

    run_workers(work)
    everything = [message for claimed in claims for message in claimed]
    assert sorted(everything) == [f"msg-{n:03d}" for n in range(200)]


def event_at(key: str, timestamp: datetime) -> Event:
    return Event(
        idempotency_key=key,
        event_name="api_call",
        timestamp=timestamp,
        ingested_at=timestamp,
        body_hash="h",
        customer_id="acme",
    )


def test_events_of_other_months_go_in_while_a_unit_of_work_holds_its_own(
    store: SqlStore,
) -> None:
    with store.unit_of_work() as holding:
        holding.events.add_many([event_at("jan", datetime(2024, 1, 5, tzinfo=UTC))])
        assert len(holding.events.list()) == 1
        # The same unit of work and another one each store a month not seen before.
        holding.events.add_many([event_at("jul-2031", datetime(2031, 7, 5, tzinfo=UTC))])
        finished = threading.Event()

        def other() -> None:
            if store.engine.dialect.name == "sqlite":
                finished.set()  # SQLite runs one unit of work at a time
                return
            with store.unit_of_work() as uow:
                uow.events.add_many([event_at("mar-2035", datetime(2035, 3, 1, tzinfo=UTC))])
                uow.commit()
            finished.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert finished.wait(timeout=30)
        holding.commit()
        thread.join()
    with store.unit_of_work() as uow:
        keys = {event.idempotency_key for event in uow.events.list()}
    expected = {"jan", "jul-2031"}
    if store.engine.dialect.name == "postgresql":
        expected.add("mar-2035")
    assert keys == expected


@pytest.mark.postgres
@pytest.mark.parametrize("careful", [False, True], ids=["copy first", "keys looked up first"])
@pytest.mark.parametrize("same_body", [True, False], ids=["duplicate", "conflict"])
def test_a_key_stored_by_another_unit_of_work_meanwhile_is_reported_not_stored_twice(
    fresh_postgres_url: str, careful: bool, same_body: bool
) -> None:
    """One unit of work stores a key and has not committed when another sends the same
    key: the second waits, then reports a duplicate or conflict from the stored body,
    stores its other events, and the key is stored once, whichever way it went first."""
    store = SqlStore(fresh_postgres_url)
    try:
        first = event_at("k", datetime(2024, 1, 5, tzinfo=UTC))
        again = first if same_body else dataclasses.replace(first, body_hash="other")
        other = event_at("n", datetime(2024, 1, 6, tzinfo=UTC))
        outcomes: list[list[AddOutcome]] = []
        started = threading.Event()

        def second() -> None:
            if careful:
                store._copy_first.repeated()  # the lookup runs before k is committed
            with store.unit_of_work() as uow:
                started.set()
                outcomes.append(uow.events.add_many([again, other]))
                uow.commit()

        with store.unit_of_work() as holding:
            assert holding.events.add_many([first]) == [AddOutcome.INSERTED]
            thread = threading.Thread(target=second)
            thread.start()
            assert started.wait(timeout=30)
            thread.join(timeout=0.5)
            assert thread.is_alive()  # waiting for this unit of work's key
            holding.commit()
        thread.join(timeout=30)
        expected = AddOutcome.DUPLICATE if same_body else AddOutcome.CONFLICT
        assert outcomes == [[expected, AddOutcome.INSERTED]]
        with store.unit_of_work() as uow:
            assert {e.idempotency_key: e.body_hash for e in uow.events.list()} == {
                "k": first.body_hash,
                "n": other.body_hash,
            }
    finally:
        store.close()
