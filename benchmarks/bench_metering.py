"""Aggregating one customer-period: roll-ups, push-down, and a raw GROUP BY, same run.

    python benchmarks/bench_metering.py [--events 1000000] [--postgres URL] [--no-sqlite]

One customer sends ``--events`` events over January 2024 (properties ``gb``, a decimal,
and ``region``, one of four). A ``sum`` metric grouped by region is defined after the events
are stored, so its hourly roll-ups are built from them by the store. The figures, each the
fastest of five runs, are the time to get the period's quantity per region:

* through the roll-ups (``Metering.quantities``, whole hours from roll-ups, the partial
  first and last hours from the events);
* pushed down to the events (``use_rollups=False``: the GROUP BY runs in the database);
* a raw ``SELECT ... GROUP BY`` over the same rows written by hand (on SQLite it sums
  ``json_extract`` values, which are binary floats: faster and not exact).

Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy
from _postgres import fresh_postgres

from orbcore import VirtualClock
from orbcore.billing import Customer
from orbcore.events import Event
from orbcore.services import Metering
from orbcore.storage import Store, open_store

START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2024, 2, 1, tzinfo=UTC)
REGIONS = ("us", "eu", "ap", "sa")
CHUNK = 5000
# The period's bounds fall inside hours so that the partial-hour path is measured too.
PERIOD = (START + timedelta(minutes=30), END - timedelta(minutes=30))

RAW_SQL = {
    "postgresql": (
        "SELECT properties ->> 'region', sum((properties ->> 'gb')::numeric) FROM events "
        "WHERE customer_id = 'cus_1' AND event_name = 'upload' AND status = 'active' "
        "AND timestamp >= :start AND timestamp < :end GROUP BY 1"
    ),
    "sqlite": (
        "SELECT json_extract(properties, '$.region'), sum(json_extract(properties, '$.gb')) "
        "FROM events WHERE customer_id = 'cus_1' AND event_name = 'upload' "
        "AND status = 'active' AND timestamp >= :start AND timestamp < :end GROUP BY 1"
    ),
}


def seed(store: Store, count: int) -> float:
    """Store ``count`` events of one customer over January; return the seconds taken."""
    step = (END - START) / count
    started = time.perf_counter()
    with store.unit_of_work() as uow:
        uow.customers.add(Customer(id="cus_1", name="Big", created_at=START))
        uow.commit()
    for first in range(0, count, CHUNK):
        chunk = [
            Event(
                idempotency_key=f"e{n:09d}",
                event_name="upload",
                timestamp=START + step * n,
                ingested_at=START,
                body_hash=f"{n:x}",
                customer_id="cus_1",
                properties={"gb": Decimal(n % 997).scaleb(-2), "region": REGIONS[n % 4]},
            )
            for n in range(first, min(first + CHUNK, count))
        ]
        with store.unit_of_work() as uow:
            uow.events.add_many(chunk)
            uow.commit()
    return time.perf_counter() - started


def best(action: Callable[[], object], runs: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def figures(url: str, count: int) -> dict[str, object]:
    store = open_store(url)
    clock = VirtualClock(END)
    seeded = seed(store, count)
    metering = Metering(store, clock)
    started = time.perf_counter()
    metering.define_metric(
        {
            "id": "gb",
            "name": "GB",
            "event_name": "upload",
            "aggregation": "sum",
            "property": "gb",
            "group_by": ["region"],
        }
    )
    built = time.perf_counter() - started
    rolled_time, rolled = best(lambda: metering.quantities("gb", *PERIOD, customer_id="cus_1"))
    pushed_time, pushed = best(
        lambda: metering.quantities("gb", *PERIOD, customer_id="cus_1", use_rollups=False),
        runs=3,
    )
    if rolled != pushed:
        raise SystemExit(f"roll-ups and events disagree: {rolled} != {pushed}")
    raw_time = None
    if not url.startswith("memory"):
        engine = sqlalchemy.create_engine(url)
        dialect = engine.dialect.name
        start, end = PERIOD
        if dialect == "sqlite":
            bounds = {"start": _sqlite_text(start), "end": _sqlite_text(end)}
        else:
            bounds = {"start": start, "end": end}
        with engine.connect() as connection:
            statement = sqlalchemy.text(RAW_SQL[dialect])
            raw_time, _ = best(lambda: connection.execute(statement, bounds).all(), runs=3)
        engine.dispose()
    store.close()
    return {
        "seed": seeded,
        "build": built,
        "rolled": rolled_time,
        "pushed": pushed_time,
        "raw": raw_time,
    }


def _sqlite_text(instant: datetime) -> str:
    from orbcore.storage.sql._types import UtcDateTime

    bound = UtcDateTime().process_bind_param(instant, sqlalchemy.create_engine("sqlite://").dialect)
    return str(bound)


def ms(seconds: object) -> str:
    return "-" if seconds is None else f"{float(seconds) * 1000:,.1f} ms"  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("ORBCORE_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--memory", action="store_true", help="also the memory store")
    args = parser.parse_args()
    rows = []
    if args.memory:
        rows.append(("memory", figures("memory://", args.events)))
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            rows.append(("sqlite", figures(f"sqlite:///{folder}/bench.db", args.events)))
    if args.postgres:
        url, drop = fresh_postgres(args.postgres)
        try:
            rows.append(("postgresql", figures(url, args.events)))
        finally:
            drop()
    print(f"{args.events:,} events of one customer in one month; best of 5 (3 without roll-ups)\n")
    print("| store | with roll-ups | pushed down, no roll-ups | raw GROUP BY | build roll-ups |")
    print("|---|---|---|---|---|")
    for name, f in rows:
        print(
            f"| {name} | {ms(f['rolled'])} | {ms(f['pushed'])} | {ms(f['raw'])} "
            f"| {ms(f['build'])} |"
        )


if __name__ == "__main__":
    main()
