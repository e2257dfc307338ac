"""Ingest usage events into the embedded SQLite store, safely retried.

    python examples/ingest_usage.py [sqlite:///orbcore-example.db]

Creates a customer and a billable metric (the sum of ``bytes``), sends a batch of events,
sends it again (every event is a duplicate), then sends one event whose key was used with
another body (the batch is rejected). Last, it reads the metric's quantity for the hour.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orbcore import SystemClock
from orbcore.billing import Customer
from orbcore.services import EventStatus, Ingestion, Metering
from orbcore.storage import open_store


def main(url: str) -> None:
    store = open_store(url)
    with store.unit_of_work() as uow:
        if uow.customers.find("cus_example") is None:
            uow.customers.add(
                Customer(id="cus_example", name="Example Ltd", created_at=datetime.now(UTC))
            )
        uow.commit()
    metering = Metering(store, SystemClock())
    with store.unit_of_work() as uow:
        defined = uow.billable_metrics.find("bytes") is not None
    if not defined:
        metering.define_metric(
            {
                "id": "bytes",
                "name": "Bytes sent",
                "event_name": "api_call",
                "aggregation": "sum",
                "property": "bytes",
            }
        )
    now = datetime.now(UTC)
    batch = [
        {
            "idempotency_key": f"example-{now:%Y%m%d}-{n}",
            "event_name": "api_call",
            "timestamp": (now - timedelta(minutes=n)).isoformat(),
            "customer_id": "cus_example",
            "properties": {"bytes": Decimal(512 * n), "region": "eu-west-1"},
        }
        for n in range(5)
    ]
    ingestion = Ingestion(store, SystemClock())
    for attempt in ("first send", "retry"):
        report = ingestion.ingest(batch)
        counts = {status.value: report.count(status) for status in EventStatus}
        print(f"{attempt}: {counts}")
    clash = dict(batch[0], properties={"bytes": Decimal(1)})
    report = ingestion.ingest([clash])
    print(f"changed body under a used key: batch rejected = {report.batch_rejected}")
    print(f"  reason: {report.results[0].problems[-1]}")
    sent = metering.quantities(
        "bytes", now - timedelta(hours=1), now + timedelta(seconds=1), customer_id="cus_example"
    )
    print(f"bytes sent in the last hour: {sent[()]}")
    store.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///orbcore-example.db")
