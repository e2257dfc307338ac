"""The ingestion service on every store: once-only storage, per-event outcomes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbcore import VirtualClock
from orbcore._json import dumps_exact
from orbcore.billing import Customer, Invoice
from orbcore.services import EventStatus, Ingestion
from orbcore.storage import Query, Store, open_store

NOW = datetime(2024, 2, 1, 13, 0, tzinfo=UTC)
ACCEPTED, DUPLICATE, REJECTED = EventStatus.ACCEPTED, EventStatus.DUPLICATE, EventStatus.REJECTED


def event(key: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotency_key": key,
        "event_name": "api_call",
        "timestamp": "2024-02-01T12:00:00Z",
        "customer_id": "cus_1",
        "properties": {"bytes": Decimal(100)},
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def stored_keys(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return sorted(e.idempotency_key for e in uow.events.list(Query(limit=1000)).items)


def test_a_batch_sent_twice_is_stored_once(store: Store) -> None:
    ingestion = Ingestion(store, VirtualClock(NOW))
    batch = [event(f"e{n}") for n in range(5)]
    first = ingestion.ingest(batch)
    assert [r.status for r in first.results] == [ACCEPTED] * 5
    again = ingestion.ingest(batch)
    assert [r.status for r in again.results] == [DUPLICATE] * 5
    assert stored_keys(store) == [f"e{n}" for n in range(5)]


def test_a_key_sent_again_with_another_body_rejects_the_whole_batch(store: Store) -> None:
    ingestion = Ingestion(store, VirtualClock(NOW))
    ingestion.ingest([event("e1")])
    report = ingestion.ingest([event("e2"), event("e1", properties={"bytes": Decimal(7)})])
    assert report.batch_rejected
    assert [r.status for r in report.results] == [REJECTED, REJECTED]
    assert "sent before with another body" in str(report.results[1].problems[-1])
    assert stored_keys(store) == ["e1"]


def test_a_conflict_inside_one_batch_rejects_it(store: Store) -> None:
    report = Ingestion(store, VirtualClock(NOW)).ingest(
        [event("e1"), event("e1", event_name="other")]
    )
    assert report.batch_rejected
    assert stored_keys(store) == []


@pytest.mark.parametrize("api", ["ingest", "ingest_json", "ingest_json_stream"])
def test_timestamps_more_than_five_minutes_ahead_are_rejected(store: Store, api: str) -> None:
    batch = [
        event("soon", timestamp="2024-02-01T13:04:59Z"),
        event("later", timestamp="2024-02-01T13:05:01Z"),
        event("also soon", timestamp="2024-02-01T14:04:59+01:00"),
    ]
    ingestion = Ingestion(store, VirtualClock(NOW))
    if api == "ingest":
        report = ingestion.ingest(batch)
    elif api == "ingest_json":
        report = ingestion.ingest_json([dumps_exact(raw) for raw in batch])
    else:
        (report,) = ingestion.ingest_json_stream([[dumps_exact(raw) for raw in batch]])
    assert [r.status for r in report.results] == [ACCEPTED, REJECTED, ACCEPTED]
    assert "5 minutes in the future" in str(report.results[1].problems[0])
    assert stored_keys(store) == ["also soon", "soon"]


def test_unknown_customer_ids_are_rejected_and_unknown_external_ids_kept(store: Store) -> None:
    report = Ingestion(store, VirtualClock(NOW)).ingest(
        [
            event("a", customer_id="cus_missing"),
            event("b", customer_id=..., external_customer_id="not-yet-a-customer"),
        ]
    )
    assert [r.status for r in report.results] == [REJECTED, ACCEPTED]
    assert "no customer 'cus_missing'" in str(report.results[0].problems[0])
    assert stored_keys(store) == ["b"]


def issue_january(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.invoices.add(
            Invoice(
                id="inv_jan",
                customer_id="cus_1",
                currency="USD",
                kind="usage",
                status="issued",
                period_start=datetime(2024, 1, 1, tzinfo=UTC),
                period_end=datetime(2024, 2, 1, tzinfo=UTC),
                invoice_date=datetime(2024, 2, 1, tzinfo=UTC),
                created_at=NOW,
            )
        )
        uow.commit()


def test_late_events_for_an_invoiced_period_need_a_backfill(store: Store) -> None:
    issue_january(store)
    late = event("late", timestamp="2024-01-20T00:00:00Z")
    after_grace = Ingestion(store, VirtualClock(NOW))  # Feb 1 13:00, grace ended 12:00
    report = after_grace.ingest([late, event("on_time")])
    assert [r.status for r in report.results] == [REJECTED, ACCEPTED]
    assert "send it as a backfill" in str(report.results[0].problems[0])
    assert after_grace.ingest([late], backfill=True).results[0].status is ACCEPTED
    within = Ingestion(store, VirtualClock(datetime(2024, 2, 1, 6, tzinfo=UTC)))
    assert (
        within.ingest([event("late2", timestamp="2024-01-31T23:00:00Z")]).results[0].status
        is ACCEPTED
    )


def test_bad_events_are_reported_each_and_the_good_ones_stored(store: Store) -> None:
    report = Ingestion(store, VirtualClock(NOW)).ingest(
        [event("good"), event("bad", timestamp="2024-02-01T12:00:00", properties={"x": 1.5}), 42]
    )
    assert [r.status for r in report.results] == [ACCEPTED, REJECTED, REJECTED]
    assert report.results[1].idempotency_key == "bad"
    assert len(report.results[1].problems) == 2
    assert stored_keys(store) == ["good"]


def test_eight_workers_sending_the_same_batch_store_each_event_once(store: Store) -> None:
    batch = [
        event(f"e{n:03d}", timestamp=f"2024-01-{1 + n % 28:02d}T00:00:00Z") for n in range(200)
    ]
    ingestion = Ingestion(store, VirtualClock(NOW), grace_period=timedelta(days=60))
    statuses: list[list[EventStatus]] = []
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            statuses.append([r.status for r in ingestion.ingest(batch).results])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for index in range(len(batch)):
        column = [worker[index] for worker in statuses]
        assert column.count(ACCEPTED) == 1
        assert column.count(DUPLICATE) == 7
    assert stored_keys(store) == sorted(e["idempotency_key"] for e in batch)


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=10),
    st.decimals(),
    st.lists(st.integers(), max_size=2),
    st.datetimes(),
)
malformed = st.fixed_dictionaries(
    {},
    optional={
        "idempotency_key": st.text(max_size=8) | junk,
        "event_name": st.text(max_size=8) | junk,
        "timestamp": st.sampled_from(
            ["2024-02-01T12:00:00Z", "2024-02-01T12:00:00", "2099-01-01T00:00:00Z"]
        )
        | junk,
        "customer_id": st.sampled_from(["cus_1", "nobody"]) | junk,
        "external_customer_id": st.text(max_size=8) | junk,
        "properties": st.dictionaries(st.text(max_size=5), junk, max_size=3) | junk,
    },
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(malformed, max_size=6))
def test_malformed_batches_give_per_event_outcomes_and_store_only_accepted_events(
    batch: list[dict[str, Any]],
) -> None:
    store = open_store("memory://")
    with store.unit_of_work() as uow:
        uow.customers.add(Customer(id="cus_1", name="Acme", created_at=NOW))
        uow.commit()
    report = Ingestion(store, VirtualClock(NOW)).ingest(batch)
    assert len(report.results) == len(batch)
    for result in report.results:
        assert (result.status is REJECTED) == bool(result.problems)
    accepted = sorted(
        {r.idempotency_key for r in report.results if r.status is ACCEPTED and r.idempotency_key}
    )
    assert stored_keys(store) == accepted


def test_a_retry_of_a_stored_event_stays_a_duplicate_after_its_period_closes(store: Store) -> None:
    on_time = event("jan", timestamp="2024-01-20T00:00:00Z")
    before = Ingestion(store, VirtualClock(datetime(2024, 1, 25, tzinfo=UTC)))
    assert before.ingest([on_time]).results[0].status is ACCEPTED
    issue_january(store)
    after = Ingestion(store, VirtualClock(NOW))
    assert after.ingest([on_time]).results[0].status is DUPLICATE
    changed = event("jan", timestamp="2024-01-20T00:00:00Z", properties={"bytes": Decimal(1)})
    assert after.ingest([changed]).results[0].status is REJECTED
