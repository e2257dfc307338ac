"""Import a file of usage events into the embedded SQLite store, then import it again.

    python examples/import_events.py [sqlite:///orbcore-example.db]

Writes 10,000 events as JSON lines, three of them bad, to a temporary file; imports it in
batches of 2,500 with a line of progress per batch; then imports it again: every event is
now a duplicate, and the bad lines are reported again.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from orbcore import SystemClock
from orbcore.billing import Customer
from orbcore.services import ImportProgress, Ingestion, import_events
from orbcore.storage import open_store

EVENTS = 10_000


def write_events(path: Path, day: datetime) -> None:
    """One event a second from midnight, so the same day writes the same file."""
    with path.open("w", encoding="utf-8") as file:
        for n in range(EVENTS):
            event = {
                "idempotency_key": f"import-{day:%Y%m%d}-{n}",
                "event_name": "api_call",
                "customer_id": "cus_example",
                "timestamp": (day + timedelta(seconds=n)).isoformat(),
                "properties": {"bytes": 512 * n, "region": "eu-west-1"},
            }
            if n == 10:
                event["timestamp"] = "2024-03-10T09:30:00"
            if n == 20:
                event["customer_id"] = "cus_unknown"
            line = json.dumps(event)
            file.write((line[:-5] if n == 30 else line) + "\n")


def show(progress: ImportProgress) -> None:
    print(
        f"  {progress.lines_read:>6,} lines: {progress.accepted:,} accepted, "
        f"{progress.duplicates:,} duplicates, {progress.rejected:,} rejected"
    )


def main(url: str) -> None:
    store = open_store(url)
    with store.unit_of_work() as uow:
        if uow.customers.find("cus_example") is None:
            uow.customers.add(
                Customer(id="cus_example", name="Example Ltd", created_at=datetime.now(UTC))
            )
        uow.commit()
    ingestion = Ingestion(store, SystemClock())
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        write_events(path, midnight - timedelta(days=1))
        for attempt in ("first import", "again"):
            print(f"{attempt}:")
            report = import_events(ingestion, path, batch_size=2_500, progress=show)
    for error in report.errors:
        print(f"  {error}")
    store.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///orbcore-example.db")
