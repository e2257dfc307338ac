"""What only the memory store promises: one unit of work at a time, used inside its block."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from orbcore import StorageError
from orbcore.billing import Customer
from orbcore.storage import UnitOfWork, open_store
from orbcore.storage.memory import MemoryStore
from orbcore.webhooks import OutboxMessage

CREATED = datetime(2024, 1, 1, tzinfo=UTC)


def ada() -> Customer:
    return Customer(id="cus_ada", name="Ada", created_at=CREATED)


def test_open_store_gives_a_memory_store_for_memory_urls() -> None:
    store = open_store("memory://")
    assert isinstance(store, MemoryStore)
    assert store.url == "memory://"


def test_repositories_refuse_work_before_entering_and_after_leaving() -> None:
    uow = MemoryStore().unit_of_work()
    with pytest.raises(StorageError):
        uow.customers.add(ada())
    with uow:
        uow.customers.add(ada())
        uow.commit()
    with pytest.raises(StorageError):
        uow.customers.get("cus_ada")
    with pytest.raises(StorageError):
        uow.commit()
    with pytest.raises(StorageError):
        uow.rollback()


def test_a_unit_of_work_can_be_entered_again_once_left() -> None:
    store = MemoryStore()
    uow = store.unit_of_work()
    with uow:
        uow.customers.add(ada())
        uow.commit()
    with uow:
        assert uow.customers.get("cus_ada") == ada()


def test_a_unit_of_work_cannot_be_entered_twice_at_once() -> None:
    uow = MemoryStore().unit_of_work()
    with uow, pytest.raises(StorageError), uow:
        pass


def test_a_closed_store_opens_no_unit_of_work() -> None:
    store = MemoryStore()
    uow = store.unit_of_work()
    store.close()
    with pytest.raises(StorageError):
        store.unit_of_work()
    with pytest.raises(StorageError), uow:
        pass


def test_another_thread_cannot_use_an_entered_unit_of_work() -> None:
    store = MemoryStore()
    errors: list[BaseException] = []

    def intrude(uow: UnitOfWork) -> None:
        try:
            uow.customers.find("cus_ada")
        except StorageError as exc:
            errors.append(exc)

    with store.unit_of_work() as uow:
        intruder = threading.Thread(target=intrude, args=(uow,))
        intruder.start()
        intruder.join()
    assert len(errors) == 1


def test_units_of_work_in_other_threads_wait_for_the_one_entered() -> None:
    store = MemoryStore()
    started, entered = threading.Event(), threading.Event()
    seen: list[Customer | None] = []

    def read_later() -> None:
        started.set()
        with store.unit_of_work() as uow:
            entered.set()
            seen.append(uow.customers.find("cus_ada"))

    reader = threading.Thread(target=read_later)
    with store.unit_of_work() as uow:
        reader.start()
        started.wait()
        uow.customers.add(ada())
        assert not entered.wait(0.05)
        uow.commit()
    reader.join()
    assert seen == [ada()]


def test_workers_claiming_at_once_never_share_a_message() -> None:
    store = MemoryStore()
    now = CREATED + timedelta(days=1)
    with store.unit_of_work() as uow:
        for n in range(60):
            uow.outbox.add(
                OutboxMessage(
                    id=f"msg_{n:03d}",
                    event_type="invoice.issued",
                    payload={},
                    created_at=CREATED,
                    available_at=CREATED,
                )
            )
        uow.commit()
    claimed: dict[str, list[str]] = {}

    def work(worker: str) -> None:
        mine = claimed.setdefault(worker, [])
        while True:
            with store.unit_of_work() as uow:
                batch = uow.outbox.claim_due(now, 4, worker, timedelta(minutes=5))
                uow.commit()
            if not batch:
                return
            mine.extend(message.id for message in batch)

    workers = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(4)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    every = [message_id for ids in claimed.values() for message_id in ids]
    assert sorted(every) == [f"msg_{n:03d}" for n in range(60)]
