"""Events written in bulk (``COPY`` on PostgreSQL) read back exactly as they were given."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orbcore.events import Event
from orbcore.storage import AddOutcome, Store

from .factories import event
from .helpers import fetch, list_all

INSERTED, DUPLICATE, CONFLICT = AddOutcome.INSERTED, AddOutcome.DUPLICATE, AddOutcome.CONFLICT

AWKWARD_TEXT = [
    "tab\there",
    "new\nline",
    "back\\slash",
    '"quoted"',
    "\\N",
    "comma, semicolon; pipe|",
    "ünïcødé ✓ 🧾",
    "'; DROP TABLE events; --",
    "",
]


def test_awkward_text_and_exact_numbers_come_back_as_given(store: Store) -> None:
    batch = [
        event(
            idempotency_key=f"key {text}",
            event_name=f"name {text}",
            external_customer_id=f"ext {text}",
            properties={"text": text, "key with spaces\t": text, "flag": n % 2 == 0},
        )
        for n, text in enumerate(AWKWARD_TEXT)
    ]
    numbers = [
        Decimal("0.000000000001"),
        Decimal("-0"),
        Decimal("-12.50"),
        Decimal("1E+3"),
        Decimal("123456789012345678901234567890.123456789"),
        Decimal(7),
    ]
    batch += [event(properties={"n": number}) for number in numbers]
    batch += [
        event(customer_id=None, properties={}),
        event(external_customer_id=None, status="pending", backfill_id="bf_1", amends="x"),
        event(properties={"nested": {"list": [Decimal("1.0"), None, "x"], "ok": False}}),
    ]
    with store.unit_of_work() as uow:
        assert uow.events.add_many(batch) == [INSERTED] * len(batch)
        uow.commit()
    for sent in batch:
        assert fetch(store, "events", sent.idempotency_key) == sent


def test_a_large_batch_with_repeats_stores_each_key_once(store: Store) -> None:
    originals = [event() for _ in range(2500)]
    with store.unit_of_work() as uow:
        first = uow.events.add_many(originals[:1200] + originals[:10])
        uow.commit()
    assert first == [INSERTED] * 1200 + [DUPLICATE] * 10
    changed = dataclasses.replace(originals[5], body_hash="sha256:other")
    with store.unit_of_work() as uow:
        second = uow.events.add_many([*originals[1000:], changed, originals[2000]])
        uow.commit()
    assert second == [DUPLICATE] * 200 + [INSERTED] * 1300 + [CONFLICT, DUPLICATE]
    assert list_all(store, "events", limit=1000) == sorted(
        originals, key=lambda e: (e.timestamp, e.idempotency_key)
    )


def test_one_batch_across_months_and_years_keeps_every_event(store: Store) -> None:
    start = datetime(2023, 11, 30, 23, 59, 59, 999999, tzinfo=UTC)
    batch = [event(timestamp=start + timedelta(days=19 * n)) for n in range(8)]
    batch.append(event(timestamp=datetime(2024, 2, 29, 23, 0, tzinfo=UTC)))
    with store.unit_of_work() as uow:
        assert uow.events.add_many(batch) == [INSERTED] * len(batch)
        uow.commit()
    stored: list[Event] = list_all(store, "events")
    assert sorted(stored, key=lambda e: e.idempotency_key) == batch
