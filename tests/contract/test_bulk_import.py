"""Bulk import gives the same report, and stores the same events, on every backend."""

from __future__ import annotations

import io
import textwrap
from datetime import UTC, datetime

from orbcore import VirtualClock
from orbcore.billing import Customer
from orbcore.services import ImportProgress, ImportReport, Ingestion, import_events
from orbcore.storage import Query, Store

NOW = datetime(2024, 2, 1, 13, 0, tzinfo=UTC)

EVENTS = textwrap.dedent("""\
    {"idempotency_key": "e1", "event_name": "api_call", "customer_id": "cus_1", "timestamp": "2024-02-01T12:00:00Z", "properties": {"bytes": 10.50, "region": "eu"}}
    {"idempotency_key": "old", "event_name": "api_call", "customer_id": "cus_1", "timestamp": "2024-02-01T12:00:00Z", "properties": {"bytes": 2}}
    {"idempotency_key": "e3", "event_name": "api_call", "external_customer_id": "not-yet", "timestamp": "2024-02-01T04:00:00-08:00"}

    {"idempotency_key": "e1", "event_name": "api_call", "customer_id": "cus_1", "timestamp": "2024-02-01T12:00:00Z", "properties": {"bytes": 10.5, "region": "eu"}}
    {"idempotency_key": "e1", "event_name": "api_call", "customer_id": "cus_1", "timestamp": "2024-02-01T12:00:00Z", "properties": {"bytes": 11}}
    {"idempotency_key": "e7", "event_name": "api_call", "customer_id": "cus_9", "timestamp": "2024-02-01T12:00:00Z"}
    {"idempotency_key": "e8", "event_name": "api_call"
    {"idempotency_key": "e9", "event_name": "api_call", "customer_id": "cus_1", "timestamp": "2024-02-01T12:00:00Z", "properties": {"n": 123456789.123456789012, "ok": true}}
""")  # noqa: E501

ROWS = textwrap.dedent("""\
    idempotency_key,event_name,timestamp,customer_id,external_customer_id,properties
    c1,api_call,2024-02-01T12:00:00Z,,acme,"{""bytes"": 0.000000000001, ""zip"": ""02139""}"
    c2,api_call,2024-02-01T12:00:00Z,cus_1,,
    e1,api_call,2024-02-01T12:00:00Z,cus_1,,"{""bytes"": 10.500, ""region"": ""eu""}"
""")


def prepare(store: Store) -> Ingestion:
    created = datetime(2024, 1, 1, tzinfo=UTC)
    with store.unit_of_work() as uow:
        uow.customers.add(
            Customer(id="cus_1", name="Acme", created_at=created, external_customer_id="acme")
        )
        uow.commit()
    ingestion = Ingestion(store, VirtualClock(NOW))
    old = '{"idempotency_key": "old", "event_name": "api_call", "customer_id": "cus_1",'
    old += ' "timestamp": "2024-02-01T11:00:00Z"}\n'
    import_events(ingestion, io.StringIO(old), format="jsonl")
    return ingestion


def stored(store: Store) -> dict[str, dict[str, str]]:
    with store.unit_of_work() as uow:
        events = uow.events.list(Query(limit=100)).items
    return {e.idempotency_key: {k: str(v) for k, v in e.properties.items()} for e in events}


def summary(report: ImportReport) -> tuple[tuple[int, int, int, int], list[str]]:
    counts = (report.lines_read, report.accepted, report.duplicates, report.rejected)
    return counts, [str(error) for error in report.errors]


def test_an_import_reports_and_stores_the_same_on_every_backend(store: Store) -> None:
    ingestion = prepare(store)
    seen: list[ImportProgress] = []
    report = import_events(
        ingestion, io.StringIO(EVENTS), format="jsonl", batch_size=3, progress=seen.append
    )
    assert summary(report) == (
        (9, 3, 1, 4),
        [
            "line 2 (old): idempotency_key: 'old' was sent before with another body",
            "line 6 (e1): idempotency_key: 'e1' was sent before with another body",
            "line 7 (e7): customer_id: no customer 'cus_9'",
            "line 8: is not valid JSON: Expecting ',' delimiter at column 51",
        ],
    )
    assert seen[-1] == ImportProgress(9, 3, 1, 4)
    rows = import_events(ingestion, io.StringIO(ROWS), format="csv", batch_size=2)
    assert summary(rows) == ((4, 2, 1, 0), [])
    assert stored(store) == {
        "old": {},
        "e1": {"bytes": "10.50", "region": "eu"},
        "e3": {},
        "e9": {"n": "123456789.123456789012", "ok": "True"},
        "c1": {"bytes": "1E-12", "zip": "02139"},
        "c2": {},
    }


def test_importing_the_same_files_again_changes_nothing_on_every_backend(store: Store) -> None:
    ingestion = prepare(store)
    first = import_events(ingestion, io.StringIO(EVENTS), format="jsonl", batch_size=2)
    import_events(ingestion, io.StringIO(ROWS), format="csv")
    before = stored(store)
    again = import_events(ingestion, io.StringIO(EVENTS), format="jsonl", batch_size=5)
    rows = import_events(ingestion, io.StringIO(ROWS), format="csv", batch_size=1)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 4, 4)
    assert again.errors == first.errors
    assert (rows.accepted, rows.duplicates, rows.rejected) == (0, 3, 0)
    assert stored(store) == before
