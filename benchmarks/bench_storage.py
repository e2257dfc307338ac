"""Storage throughput: each adapter against a raw baseline on the same tables, same run.

    python benchmarks/bench_storage.py [--rows 20000] [--postgres URL]

For SQLite and PostgreSQL the baseline is plain SQLAlchemy Core: ``insert()`` with many
rows and ``select()`` by primary key, on the tables the adapter uses, in the same batch
size. For the memory store it is a hand-written dict. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy
from _postgres import fresh_postgres

from orbcore.billing import Customer
from orbcore.events import Event
from orbcore.storage import Query, open_store
from orbcore.storage.sql import SqlStore
from orbcore.storage.sql._tables import customers as customers_table
from orbcore.storage.sql._tables import events as events_table

BATCH = 1000
START = datetime(2024, 1, 1, tzinfo=UTC)


def make_customers(count: int) -> list[Customer]:
    return [
        Customer(
            id=f"cus_{n:08d}",
            name=f"Customer {n}",
            external_customer_id=f"ext-{n}",
            email=f"billing{n}@example.com",
            currency="USD",
            created_at=START + timedelta(seconds=n),
            metadata={"segment": "smb"},
        )
        for n in range(count)
    ]


def make_events(count: int) -> list[Event]:
    return [
        Event(
            idempotency_key=f"evt_{n:09d}",
            event_name="api_call",
            timestamp=START + timedelta(seconds=n * 7),
            ingested_at=START,
            body_hash=f"{n:064x}",
            customer_id=f"cus_{n % 100:08d}",
            properties={"bytes": Decimal(n % 5000), "region": "us-east-1"},
        )
        for n in range(count)
    ]


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


@contextmanager
def timer(result: list[float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    result.append(time.perf_counter() - started)


def batches(items: list[object]) -> Iterator[list[object]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def adapter_figures(url: str, rows: int) -> dict[str, float]:
    store = open_store(url)
    customers, events = make_customers(rows), make_events(rows)
    seconds: dict[str, list[float]] = {k: [] for k in ("customers", "events", "get", "list")}
    with timer(seconds["customers"]), store.unit_of_work() as uow:
        for batch in batches(customers):  # type: ignore[arg-type]
            for customer in batch:
                uow.customers.add(customer)  # type: ignore[arg-type]
            uow.commit()
    with timer(seconds["events"]), store.unit_of_work() as uow:
        for batch in batches(events):  # type: ignore[arg-type]
            uow.events.add_many(batch)  # type: ignore[arg-type]
            uow.commit()
    keys = random.Random(1).sample([c.id for c in customers], min(rows, 5000))
    with timer(seconds["get"]), store.unit_of_work() as uow:
        for key in keys:
            uow.customers.get(key)
    with timer(seconds["list"]), store.unit_of_work() as uow:
        query: Query | None = Query(limit=BATCH)
        while query is not None:
            page = uow.customers.list(query)
            query = Query(limit=BATCH, after=page.next_cursor) if page.next_cursor else None
    store.close()
    return {name: sum(values) for name, values in seconds.items()}


def raw_sql_figures(url: str, rows: int) -> dict[str, float]:
    store = SqlStore(url)
    engine = store.engine
    adapter = store.unit_of_work()
    customer_rows = [adapter.customers.to_row(c) for c in make_customers(rows)]  # type: ignore[attr-defined]
    event_rows = [adapter.events.to_row(e) for e in make_events(rows)]  # type: ignore[attr-defined]
    seconds: dict[str, list[float]] = {
        k: [] for k in ("customers", "customers_batch", "events", "get", "list")
    }
    half = len(customer_rows) // 2
    with timer(seconds["customers"]), engine.connect() as connection:
        for batch in batches(customer_rows[:half]):  # type: ignore[arg-type]
            for row in batch:
                connection.execute(customers_table.insert(), row)
            connection.commit()
    with timer(seconds["customers_batch"]), engine.connect() as connection:
        for batch in batches(customer_rows[half:]):  # type: ignore[arg-type]
            connection.execute(customers_table.insert(), batch)
            connection.commit()
    with timer(seconds["events"]), engine.connect() as connection:
        for batch in batches(event_rows):  # type: ignore[arg-type]
            connection.execute(events_table.insert(), batch)
            connection.commit()
    seconds["customers"] = [sum(seconds["customers"]) * 2]  # timed on half the rows
    seconds["customers_batch"] = [sum(seconds["customers_batch"]) * 2]
    ids = random.Random(1).sample([r["id"] for r in customer_rows], min(rows, 5000))
    by_id = sqlalchemy.select(customers_table).where(
        customers_table.c.id == sqlalchemy.bindparam("k")
    )
    with timer(seconds["get"]), engine.connect() as connection:
        for key in ids:
            connection.execute(by_id, {"k": key}).one()
    with timer(seconds["list"]), engine.connect() as connection:
        last = None
        while True:
            statement = sqlalchemy.select(customers_table).order_by(
                customers_table.c.created_at, customers_table.c.id
            )
            if last is not None:
                statement = statement.where(
                    sqlalchemy.tuple_(customers_table.c.created_at, customers_table.c.id)
                    > sqlalchemy.tuple_(*last)
                )
            page = connection.execute(statement.limit(BATCH)).all()
            if not page:
                break
            last = (page[-1].created_at, page[-1].id)
    store.close()
    return {name: sum(values) for name, values in seconds.items()}


def raw_dict_figures(rows: int) -> dict[str, float]:
    customers, events = make_customers(rows), make_events(rows)
    seconds: dict[str, list[float]] = {
        k: [] for k in ("customers", "customers_batch", "events", "get", "list")
    }
    by_id: dict[str, Customer] = {}
    by_key: dict[str, Event] = {}
    with timer(seconds["customers"]):
        for customer in customers:
            if customer.id in by_id:
                raise KeyError(customer.id)
            by_id[customer.id] = customer
    seconds["customers_batch"] = seconds["customers"]
    with timer(seconds["events"]):
        for event in events:
            by_key.setdefault(event.idempotency_key, event)
    keys = random.Random(1).sample(list(by_id), min(rows, 5000))
    with timer(seconds["get"]):
        for key in keys:
            by_id[key]
    with timer(seconds["list"]):
        ordered = sorted(by_id.values(), key=lambda c: (c.created_at, c.id))
        for start in range(0, len(ordered), BATCH):
            ordered[start : start + BATCH]
    return {name: sum(values) for name, values in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--postgres", default=os.environ.get("ORBCORE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    rows = args.rows
    lines = [
        (
            f"rows: {rows:,}; batches of {BATCH:,}; reads: {min(rows, 5000):,} gets by key, "
            "and every row in pages of 1,000"
        ),
        "",
        "| backend | operation | orbcore | baseline | time ratio |",
        "|---|---|---|---|---|",
    ]

    def add(backend: str, ours: dict[str, float], base: dict[str, float]) -> None:
        counts = {"customers": rows, "events": rows, "get": min(rows, 5000), "list": rows}
        ours = {**ours, "customers_batch": ours["customers"]}
        counts["customers_batch"] = rows
        labels = {
            "customers": "insert customers one by one (baseline: one INSERT per row)",
            "customers_batch": "insert customers one by one (baseline: INSERT of 1,000 rows)",
            "events": "insert events (add_many, de-duplicated)",
            "get": "get customer by key",
            "list": "list customers, keyset pages",
        }
        if backend == "memory":
            labels["customers"] = "insert customers one by one (baseline: dict)"
            del labels["customers_batch"]
        for name, label in labels.items():
            lines.append(
                f"| {backend} | {label} | {rate(counts[name], ours[name])} | "
                f"{rate(counts[name], base[name])} | {ours[name] / base[name]:.1f} |"
            )

    add("memory", adapter_figures("memory://", rows), raw_dict_figures(rows))
    with tempfile.TemporaryDirectory() as folder:
        add(
            "sqlite",
            adapter_figures(f"sqlite:///{folder}/adapter.db", rows),
            raw_sql_figures(f"sqlite:///{folder}/raw.db", rows),
        )
    if args.postgres:
        ours_url, drop_ours = fresh_postgres(args.postgres)
        raw_url, drop_raw = fresh_postgres(args.postgres)
        try:
            add("postgresql", adapter_figures(ours_url, rows), raw_sql_figures(raw_url, rows))
        finally:
            drop_ours()
            drop_raw()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
