"""Ingestion throughput: JSON text to stored events, against a raw write of the same rows.

    python benchmarks/bench_ingestion.py [--events 100000] [--customers 100] [--postgres URL]
        [--only memory sqlite postgresql] [--api ingest_json_stream] [--processes 1]

Each input line is one event in Orb's shape, as JSON text. orbcore's figure is the whole
path, in batches of 1,000: decoding, validation, the customer and late-event checks,
de-duplication by the store's unique key, the insert, the roll-ups, a commit per batch. By
default through ``Ingestion.ingest_json_stream`` (a batch is decoded while the one before
is stored); ``--api ingest_json`` sends one batch at a time, and ``--api ingest`` decodes
each line with ``json.loads(line, parse_float=Decimal)`` and calls ``Ingestion.ingest``.
The same lines are then sent again, when every event is a duplicate. Each run has a fresh
store whose customers exist before the clock starts. With ``--processes N`` (PostgreSQL
only), N processes send the batches, batch k from process k mod N, each through a store of
its own on the same database, as N workers of a host would; the clock runs from when all
are ready until the last is done.

The baselines write the same stored rows, built beforehand, in the same batches with a
commit after each, into a fresh database's ``events`` table (the same table and
indexes): on PostgreSQL with psycopg's binary ``COPY``; on SQLite with the driver's
``executemany`` of one ``INSERT``, the values already in SQLite's column formats. For the
memory store the baseline parses the lines into a dict by key. On PostgreSQL a last row
times the store's own statements for a batch of new keys with nothing else (a savepoint
and the events by binary ``COPY``), rows built beforehand: the least storing can cost in
this design. Each figure is the fastest of three
runs. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from _postgres import fresh_postgres

from orbcore import VirtualClock
from orbcore._json import dumps_exact
from orbcore.billing import Customer
from orbcore.events import Event, validate_event
from orbcore.services import EventStatus, Ingestion, IngestReport
from orbcore.storage import Store, open_store
from orbcore.storage.sql import SqlStore
from orbcore.storage.sql._tables import events as events_table
from orbcore.storage.sql._types import UtcDateTime

BATCH = 1000
REPEAT = 3
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=62)
COLUMNS = [column.name for column in events_table.columns]
COPY = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
COPY_TYPES = ["timestamptz", "text", "text", "text", "text", "jsonb", "timestamptz"] + ["text"] * 5
INSERT = f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"

Runs = Callable[[], tuple[str, Callable[[], None]]]
"""Makes a fresh database: its URL, and how to drop it."""


def make_lines(count: int, customers: int) -> list[str]:
    """Orb-shaped events as JSON text, 50 seconds apart (two months for 100,000), the
    customers in turn."""
    return [
        f'{{"idempotency_key": "evt_{n:09d}", "event_name": "api_call", '
        f'"timestamp": "{START + timedelta(seconds=n * 50):%Y-%m-%dT%H:%M:%SZ}", '
        f'"customer_id": "cus_{n % customers:05d}", "properties": {{"bytes": {n % 5000}, '
        f'"duration_ms": {n % 997}.25, "region": "{("us-east-1", "eu-west-1")[n % 2]}", '
        f'"cached": {"true" if n % 3 == 0 else "false"}}}}}'
        for n in range(count)
    ]


def stored_events(lines: list[str]) -> list[Event]:
    """The events ingestion stores for ``lines``, for the baselines to write."""
    stored = []
    for line in lines:
        valid, problems = validate_event(json.loads(line, parse_float=Decimal))
        if valid is None:
            raise ValueError(f"the benchmark made a bad event: {problems}")
        stored.append(valid.record(NOW))
    return stored


def batches(items: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def best_of(run: Callable[[], dict[str, float]]) -> dict[str, float]:
    """The fastest of ``REPEAT`` runs for each figure (the others pay for warming up)."""
    figures = [run() for _ in range(REPEAT)]
    return {name: min(f[name] for f in figures) for name in figures[0]}


def prepare(store: Store, customers: int, events: list[Event]) -> None:
    with store.unit_of_work() as uow:
        for n in range(customers):
            uow.customers.add(Customer(id=f"cus_{n:05d}", name=f"Customer {n}", created_at=START))
        uow.commit()


def ingest_all(ingestion: Ingestion, lines: list[str], expected: EventStatus, api: str) -> float:
    started = time.perf_counter()
    if api == "ingest":
        reports: Iterable[IngestReport] = (
            ingestion.ingest([json.loads(line, parse_float=Decimal) for line in batch])
            for batch in batches(lines)
        )
    elif api == "ingest_json":
        reports = (ingestion.ingest_json(batch) for batch in batches(lines))
    else:
        reports = ingestion.ingest_json_stream(batches(lines))
    for report in reports:
        if report.count(expected) != len(report.results):
            raise RuntimeError(f"expected {len(report.results)} {expected}: {report.results[:3]}")
    return time.perf_counter() - started


def orbcore_figures(
    fresh: Runs, lines: list[str], events: list[Event], customers: int, api: str
) -> Any:
    def run() -> dict[str, float]:
        url, drop = fresh()
        store = open_store(url)
        try:
            prepare(store, customers, events)
            ingestion = Ingestion(store, VirtualClock(NOW))
            return {
                "new": ingest_all(ingestion, lines, EventStatus.ACCEPTED, api),
                "again": ingest_all(ingestion, lines, EventStatus.DUPLICATE, api),
            }
        finally:
            store.close()
            drop()

    return best_of(run)


def parallel_figures(
    fresh: Runs, lines: list[str], events: list[Event], customers: int, api: str, processes: int
) -> Any:
    """orbcore's figures with ``processes`` processes, each with a store of its own on the
    same database, sending its share of the batches (batch k to process k mod N); the
    clock runs from the moment all are ready to the moment the last is done."""
    context = multiprocessing.get_context("spawn")

    def run() -> dict[str, float]:
        url, drop = fresh()
        store = open_store(url)
        prepare(store, customers, events)
        store.close()
        shares: list[list[str]] = [[] for _ in range(processes)]
        for n, batch in enumerate(batches(lines)):
            shares[n % processes] += batch
        ready, done = context.Barrier(processes + 1), context.Queue()
        workers = [
            context.Process(target=_worker, args=(url, share, api, ready, done)) for share in shares
        ]
        try:
            for worker in workers:
                worker.start()
            figures = {}
            for phase in ("new", "again"):
                ready.wait()
                started = time.perf_counter()
                for _ in workers:
                    failure = done.get()
                    if failure:
                        raise RuntimeError(failure)
                figures[phase] = time.perf_counter() - started
            return figures
        finally:
            for worker in workers:
                worker.join(timeout=60)
            drop()

    return best_of(run)


def _worker(url: str, lines: list[str], api: str, ready: Any, done: Any) -> None:
    """One process of ``parallel_figures``: each phase starts at the barrier and ends
    with a message, empty unless something went wrong."""
    store = open_store(url)
    try:
        ingestion = Ingestion(store, VirtualClock(NOW))
        for expected in (EventStatus.ACCEPTED, EventStatus.DUPLICATE):
            ready.wait()
            try:
                ingest_all(ingestion, lines, expected, api)
                done.put("")
            except Exception as exc:  # reported to the parent, which stops
                done.put(repr(exc))
    finally:
        store.close()


def dict_figures(lines: list[str]) -> dict[str, float]:
    def run() -> dict[str, float]:
        kept: dict[str, object] = {}
        started = time.perf_counter()
        for batch in batches(lines):
            for line in batch:
                raw = json.loads(line, parse_float=Decimal)
                kept.setdefault(raw["idempotency_key"], raw)
        return {"raw": time.perf_counter() - started}

    return best_of(run)


def sqlite_insert_figures(fresh: Runs, events: list[Event]) -> dict[str, float]:
    def run() -> dict[str, float]:
        url, drop = fresh()
        store = SqlStore(url)
        dialect = store.engine.dialect
        instant = UtcDateTime().process_bind_param
        rows = [
            tuple(
                dumps_exact(value)
                if name == "properties"
                else instant(value, dialect)
                if isinstance(value, datetime)
                else value
                for name, value in ((name, getattr(event, name)) for name in COLUMNS)
            )
            for event in events
        ]
        try:
            started = time.perf_counter()
            with store.engine.connect() as connection:
                for batch in batches(rows):
                    connection.exec_driver_sql(INSERT, batch)
                    connection.commit()
            return {"raw": time.perf_counter() - started}
        finally:
            store.close()
            drop()

    return best_of(run)


def postgres_copy_figures(
    fresh: Runs, events: list[Event], *, savepoint: bool = False
) -> dict[str, float]:
    """The baseline's binary ``COPY`` of the events. ``savepoint``: the store's own
    statements for a batch of new keys instead, with nothing else: in each transaction
    the events' ``COPY`` under a savepoint, then its release; what storing costs in this
    design before any of orbcore's work."""
    rows = [
        tuple(
            dumps_exact(value) if name == "properties" else value
            for name, value in ((name, getattr(event, name)) for name in COLUMNS)
        )
        for event in events
    ]

    def run() -> dict[str, float]:
        from psycopg.types.json import set_json_dumps

        url, drop = fresh()
        store = SqlStore(url)
        connection = store.engine.raw_connection()
        try:
            driver: Any = connection.driver_connection
            started = time.perf_counter()
            for start in range(0, len(rows), BATCH):
                with driver.cursor() as cursor:
                    set_json_dumps(lambda text: text, context=cursor)  # rows hold JSON text
                    if savepoint:
                        cursor.execute("SAVEPOINT batch")
                    with cursor.copy(COPY) as copy:
                        copy.set_types(COPY_TYPES)
                        for row in rows[start : start + BATCH]:
                            copy.write_row(row)
                    if savepoint:
                        cursor.execute("RELEASE SAVEPOINT batch")
                driver.commit()
            return {"raw": time.perf_counter() - started}
        finally:
            connection.close()
            store.close()
            drop()

    return best_of(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--postgres", default=os.environ.get("ORBCORE_TEST_POSTGRES_URL"))
    parser.add_argument("--only", nargs="*", default=["memory", "sqlite", "postgresql"])
    parser.add_argument(
        "--api",
        choices=["ingest_json_stream", "ingest_json", "ingest"],
        default="ingest_json_stream",
        help="how orbcore is called: ingest takes the lines decoded by json.loads",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="on PostgreSQL, send the batches from this many processes, each with its store",
    )
    args = parser.parse_args()
    lines = make_lines(args.events, args.customers)
    events = stored_events(lines)
    # The inputs and baseline rows live throughout: keep the collector off them.
    gc.collect()
    gc.freeze()
    table = [
        (
            f"{len(lines):,} events as JSON text, {args.customers:,} customers, batches of "
            f"{BATCH:,}, fastest of {REPEAT} runs, orbcore through {args.api}"
            + (f" in {args.processes} processes on PostgreSQL" if args.processes > 1 else "")
        ),
        "",
        "| backend | orbcore: ingest from JSON | events/s | baseline | events/s | time ratio |",
        "|---|---|---|---|---|---|",
    ]

    def add(backend: str, ours: dict[str, float], base: dict[str, float], label: str) -> None:
        for name, work in (("new", "new events"), ("again", "the same sent again")):
            table.append(
                f"| {backend} | {work} | {len(lines) / ours[name]:,.0f} | {label} | "
                f"{len(lines) / base['raw']:,.0f} | {ours[name] / base['raw']:.1f} |"
            )

    work = {"lines": lines, "events": events, "customers": args.customers, "api": args.api}
    if "memory" in args.only:
        ours = orbcore_figures(lambda: ("memory://", lambda: None), **work)
        add("memory", ours, dict_figures(lines), "JSON into a dict")
    if "sqlite" in args.only:
        with tempfile.TemporaryDirectory() as folder:

            def fresh_file() -> tuple[str, Callable[[], None]]:
                return f"sqlite:///{folder}/{uuid.uuid4().hex}.db", lambda: None

            ours = orbcore_figures(fresh_file, **work)
            base = sqlite_insert_figures(fresh_file, events)
            add("sqlite", ours, base, "executemany INSERT")
    if "postgresql" in args.only and args.postgres:
        postgres: str = args.postgres
        if args.processes > 1:
            ours = parallel_figures(
                lambda: fresh_postgres(postgres), processes=args.processes, **work
            )
        else:
            ours = orbcore_figures(lambda: fresh_postgres(postgres), **work)
        base = postgres_copy_figures(lambda: fresh_postgres(postgres), events)
        add("postgresql", ours, base, "binary COPY")
        floor = postgres_copy_figures(lambda: fresh_postgres(postgres), events, savepoint=True)
        table.append(
            f"| postgresql | its statements alone (savepoint and COPY, rows built "
            f"beforehand) | {len(lines) / floor['raw']:,.0f} | binary COPY | "
            f"{len(lines) / base['raw']:,.0f} | {floor['raw'] / base['raw']:.1f} |"
        )
    print("\n".join(table))


if __name__ == "__main__":
    main()
