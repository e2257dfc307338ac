"""``outbox.claim_due``: due messages go to one worker at a time, under a lease."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from orbcore import ConflictError, ValidationError
from orbcore.storage import Store
from orbcore.webhooks import OutboxMessage

from .factories import at, outbox_message
from .helpers import fetch, list_all, save

NOW = at(hours=50)
LEASE = timedelta(minutes=5)


def claim(store: Store, worker: str, now: datetime = NOW, limit: int = 10) -> list[OutboxMessage]:
    """Claim in a unit of work of its own and commit."""
    with store.unit_of_work() as uow:
        claimed = uow.outbox.claim_due(now, limit, worker, LEASE)
        uow.commit()
    return claimed


def test_due_pending_messages_are_claimed_oldest_first(store: Store) -> None:
    late = outbox_message(available_at=NOW - timedelta(hours=1))
    early = outbox_message(available_at=NOW - timedelta(hours=2))
    on_time = outbox_message(available_at=NOW)
    future = outbox_message(available_at=NOW + timedelta(seconds=1))
    delivered = outbox_message(available_at=NOW - timedelta(hours=3), status="delivered")
    save(store, "outbox", late, early, on_time, future, delivered)
    claimed = claim(store, "worker-1")
    assert [m.id for m in claimed] == [early.id, late.id, on_time.id]
    for message, original in zip(claimed, (early, late, on_time), strict=True):
        assert message == dataclasses.replace(
            original, locked_by="worker-1", locked_until=NOW + LEASE, revision=2
        )
        assert fetch(store, "outbox", message.id) == message
    assert fetch(store, "outbox", future.id) == future
    assert fetch(store, "outbox", delivered.id) == delivered


def test_messages_due_at_the_same_time_are_taken_by_id(store: Store) -> None:
    messages = [outbox_message(available_at=NOW) for _ in range(4)]
    save(store, "outbox", *reversed(messages))
    assert [m.id for m in claim(store, "worker-1", limit=3)] == [m.id for m in messages[:3]]


def test_the_limit_caps_a_claim_and_the_rest_go_to_the_next_worker(store: Store) -> None:
    messages = [outbox_message(available_at=NOW - timedelta(minutes=i)) for i in range(5, 0, -1)]
    save(store, "outbox", *messages)
    first = claim(store, "worker-1", limit=2)
    second = claim(store, "worker-2")
    assert [m.id for m in first] == [m.id for m in messages[:2]]
    assert [m.id for m in second] == [m.id for m in messages[2:]]
    assert {m.locked_by for m in list_all(store, "outbox")} == {"worker-1", "worker-2"}


def test_a_live_lease_is_never_handed_to_another_worker(store: Store) -> None:
    message = outbox_message(available_at=NOW)
    save(store, "outbox", message)
    assert len(claim(store, "worker-1")) == 1
    assert claim(store, "worker-2") == []
    assert claim(store, "worker-2", now=NOW + LEASE - timedelta(microseconds=1)) == []
    assert claim(store, "worker-1", now=NOW + timedelta(minutes=1)) == []
    assert fetch(store, "outbox", message.id).locked_by == "worker-1"


def test_an_expired_lease_can_be_claimed_again(store: Store) -> None:
    message = outbox_message(available_at=NOW)
    save(store, "outbox", message)
    claim(store, "worker-1")
    later = NOW + LEASE
    (reclaimed,) = claim(store, "worker-2", now=later)
    assert reclaimed.id == message.id
    assert (reclaimed.locked_by, reclaimed.locked_until) == ("worker-2", later + LEASE)
    assert reclaimed.revision == message.revision + 2


def test_a_finished_message_is_not_claimed_even_after_its_lease(store: Store) -> None:
    message = outbox_message(available_at=NOW)
    save(store, "outbox", message)
    (claimed,) = claim(store, "worker-1")
    with store.unit_of_work() as uow:
        uow.outbox.update(dataclasses.replace(claimed, status="delivered", attempts=1))
        uow.commit()
    assert claim(store, "worker-2", now=NOW + 2 * LEASE) == []


def test_a_rolled_back_claim_leaves_the_messages_free(store: Store) -> None:
    message = outbox_message(available_at=NOW)
    save(store, "outbox", message)
    with store.unit_of_work() as uow:
        assert len(uow.outbox.claim_due(NOW, 10, "worker-1", LEASE)) == 1
    assert fetch(store, "outbox", message.id) == message
    assert [m.locked_by for m in claim(store, "worker-2")] == ["worker-2"]


def test_a_claim_makes_earlier_reads_stale(store: Store) -> None:
    message = outbox_message(available_at=NOW)
    save(store, "outbox", message)
    claim(store, "worker-1")
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.outbox.update(dataclasses.replace(message, status="failed"))


@pytest.mark.parametrize(
    ("limit", "lease"),
    [(0, LEASE), (-1, LEASE), (1, timedelta(0)), (1, -LEASE)],
    ids=["zero-limit", "negative-limit", "zero-lease", "negative-lease"],
)
def test_a_claim_needs_a_positive_limit_and_lease(
    store: Store, limit: int, lease: timedelta
) -> None:
    with store.unit_of_work() as uow, pytest.raises(ValidationError):
        uow.outbox.claim_due(NOW, limit, "worker-1", lease)
