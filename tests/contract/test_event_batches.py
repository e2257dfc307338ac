"""``events.add_many``: one outcome per event, decided by idempotency key and body hash."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import dateutil.tz

from orbcore.events import Event
from orbcore.storage import AddOutcome, Store

from .factories import event
from .helpers import fetch, list_all

INSERTED, DUPLICATE, CONFLICT = AddOutcome.INSERTED, AddOutcome.DUPLICATE, AddOutcome.CONFLICT


def resent(original: Event, **changes: Any) -> Event:
    """The same key sent again, with the same body unless ``changes`` say otherwise."""
    return dataclasses.replace(original, **changes)


def test_new_keys_are_inserted_in_one_batch(store: Store) -> None:
    batch = [event(), event(), event()]
    with store.unit_of_work() as uow:
        assert uow.events.add_many(batch) == [INSERTED, INSERTED, INSERTED]
        uow.commit()
    assert list_all(store, "events") == batch


def test_repeats_within_a_batch_are_duplicates_or_conflicts(store: Store) -> None:
    first, second = event(), event()
    same = resent(first, ingested_at=first.ingested_at.replace(year=2025))
    different = resent(first, body_hash="sha256:other", properties={"bytes": "1"})
    with store.unit_of_work() as uow:
        outcomes = uow.events.add_many([first, same, second, different, second])
        uow.commit()
    assert outcomes == [INSERTED, DUPLICATE, INSERTED, CONFLICT, DUPLICATE]
    assert list_all(store, "events") == [first, second]


def test_repeats_across_calls_are_duplicates_or_conflicts(store: Store) -> None:
    first = event()
    with store.unit_of_work() as uow:
        uow.events.add_many([first])
        uow.commit()
    later = event()
    with store.unit_of_work() as uow:
        outcomes = uow.events.add_many(
            [resent(first), resent(first, body_hash="sha256:other", status="amended"), later]
        )
        uow.commit()
    assert outcomes == [DUPLICATE, CONFLICT, INSERTED]
    assert fetch(store, "events", first.idempotency_key) == first
    assert list_all(store, "events") == [first, later]


def test_an_event_added_one_by_one_is_a_duplicate_in_a_batch(store: Store) -> None:
    single = event()
    with store.unit_of_work() as uow:
        uow.events.add(single)
        assert uow.events.add_many([resent(single)]) == [DUPLICATE]
        uow.commit()
    assert list_all(store, "events") == [single]


def test_an_empty_batch_does_nothing(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.events.add_many([]) == []
        uow.commit()
    assert list_all(store, "events") == []


def test_a_rolled_back_batch_leaves_no_events_and_frees_its_keys(store: Store) -> None:
    batch = [event(), event()]
    with store.unit_of_work() as uow:
        uow.events.add_many(batch)
        uow.rollback()
        assert uow.events.add_many(batch[:1]) == [INSERTED]
        uow.commit()
    assert list_all(store, "events") == batch[:1]


def test_outcomes_hold_whichever_way_a_run_of_batches_goes(store: Store) -> None:
    """New keys, then a repeat, then new keys for longer than a repeat's effect lasts,
    then a repeat again: PostgreSQL tries COPY first while keys are new and looks the
    keys up first for a while after a repeat; each batch's outcomes and the stored events
    are the same either way."""
    stored: list[Event] = []
    plan = [["new", "new"], ["old", "new"]] + [["new"]] * 20 + [["new", "old", "old-other"]]
    for kinds in plan:
        batch, expected = [], []
        for kind in kinds:
            if kind == "new":
                batch.append(event())
                expected.append(INSERTED)
            elif kind == "old":
                batch.append(resent(stored[0]))
                expected.append(DUPLICATE)
            else:
                batch.append(resent(stored[-1], body_hash="sha256:other"))
                expected.append(CONFLICT)
        with store.unit_of_work() as uow:
            assert uow.events.add_many(batch) == expected
            uow.commit()
        stored += [e for e, outcome in zip(batch, expected, strict=True) if outcome is INSERTED]
    assert sorted(list_all(store, "events"), key=lambda e: e.idempotency_key) == sorted(
        stored, key=lambda e: e.idempotency_key
    )


def test_events_in_any_time_zone_are_stored(store: Store) -> None:
    """Time zones that cannot be hashed (dateutil's) and offsets other than UTC are kept,
    by their instant, in a batch with events in UTC."""
    utc_event = event()
    paris = event(
        timestamp=datetime(2024, 3, 31, 12, 30, tzinfo=dateutil.tz.gettz("Europe/Paris")),
        ingested_at=datetime(2024, 4, 1, tzinfo=dateutil.tz.tzutc()),
    )
    offset = event(
        timestamp=datetime(2024, 2, 29, 23, 30, tzinfo=dateutil.tz.tzoffset(None, -3600))
    )
    with store.unit_of_work() as uow:
        assert uow.events.add_many([utc_event, paris, offset]) == [INSERTED] * 3
        uow.commit()
    assert sorted(list_all(store, "events"), key=lambda e: e.idempotency_key) == [
        utc_event,
        paris,
        offset,
    ]
