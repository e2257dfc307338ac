"""The billing run: invoices per second and peak memory, against a raw write of its rows.

    python benchmarks/bench_billing.py [--subscriptions 10000] [--postgres URL]
        [--backends memory,sqlite,postgresql] [--no-memory]

Each customer has one subscription, started on 1 January 2024, to a plan of three
prices: a fixed fee billed in arrear (so the first invoice is 1 February's), a tiered
price on a ``count`` metric and a matrix price on a ``sum`` metric grouped by region.
Each customer sends three calls and three uploads in January. The set-up is written in
bulk (the customers in one unit of work, the subscriptions and events in another, then
the metrics, whose roll-ups the store builds from the events) and is not measured.

The figure is ``BillingRun.run(2 February)``: one invoice of three lines per subscription
(1 February's: January's fee and usage), built, stored and issued. It is checked against
the prices rated by hand: one invoice each, all issued, totals as expected (mismatches
are reported, not hidden).

The baselines write the same rows, read back from the run's invoices with new ids, into
the same database's ``invoices`` and ``invoice_lines`` tables with SQLAlchemy Core
``insert()`` and a list of rows (the driver's ``executemany``): in batches of 1,000
invoices with a commit after each (the storage floor), and one invoice with its lines per
transaction (the floor of a run that commits each invoice alone). For the memory store
the baseline puts the copies in a dict.

Peak memory is the run's, with ``tracemalloc`` started just before it (so it counts what
the run allocates, not the set-up), on a fresh store of the same set-up at N/4 and N
subscriptions; tracing slows Python down, so these runs are not the timed one. The memory
store keeps every invoice it stores, which its figure includes. Prints Markdown tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy
from _postgres import fresh_postgres

from orbcore import VirtualClock
from orbcore.billing import Customer, Invoice
from orbcore.events import Event
from orbcore.pricing import Price, Usage
from orbcore.services import BillingRun, Metering, RunSummary, Subscriptions
from orbcore.storage import Query, Store, each, open_store
from orbcore.storage.sql import SqlStore
from orbcore.storage.sql._tables import invoice_lines, invoices

JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)
FEB_1 = datetime(2024, 2, 1, tzinfo=UTC)
# A day later, past the grace period a run may leave to usage sent late.
AS_OF = FEB_1 + timedelta(days=1)
BATCH = 1000
REGIONS = ("us", "eu", "ap")
CALLS = 3
BACKENDS = ("memory", "sqlite", "postgresql")

PRICES = [
    {"id": "platform", "name": "Platform fee", "model_type": "unit", "cadence": "monthly",
     "billing_mode": "in_arrear", "unit_config": {"unit_amount": "100.00"}},
    {"id": "api", "name": "API calls", "model_type": "tiered", "cadence": "monthly",
     "billable_metric_id": "met_api", "tiered_config": {"tiers": [
         {"first_unit": 0, "last_unit": 2, "unit_amount": "0.50"},
         {"first_unit": 2, "last_unit": None, "unit_amount": "0.25"}]}},
    {"id": "storage", "name": "Storage", "model_type": "matrix", "cadence": "monthly",
     "billable_metric_id": "met_gb", "matrix_config": {
         "dimensions": ["region"], "default_unit_amount": "0.30",
         "matrix_values": [{"dimension_values": ["us"], "unit_amount": "0.20"}]}},
]  # fmt: skip
PLAN = {"name": "Pro", "currency": "USD", "net_terms": 30, "prices": PRICES}
METRICS: list[dict[str, object]] = [
    {"id": "met_api", "name": "API calls", "event_name": "api_call", "aggregation": "count"},
    {"id": "met_gb", "name": "GB stored", "event_name": "upload", "aggregation": "sum",
     "property": "gb", "group_by": ["region"]},
]  # fmt: skip

Fresh = Callable[[], tuple[str, Callable[[], None]]]
"""Makes an empty database: its URL, and how to drop it."""


def customer_id(n: int) -> str:
    return f"cus_{n:06d}"


def uploads(n: int) -> list[tuple[str, Decimal]]:
    """Customer ``n``'s uploads in January: region and GB."""
    return [(REGIONS[(n + k) % 3], Decimal(n % 7 + k) / 10) for k in range(3)]


def make_events(n: int) -> list[Event]:
    """Customer ``n``'s calls and uploads, spread over one day of January."""

    def event(key: str, name: str, hour: int, properties: dict[str, Any]) -> Event:
        return Event(
            idempotency_key=f"{key}_{n}",
            event_name=name,
            timestamp=JAN_1 + timedelta(days=n % 28, hours=hour),
            ingested_at=JAN_1,
            body_hash=f"{key}{n:x}",
            customer_id=customer_id(n),
            properties=properties,
        )

    calls = [event(f"c{k}", "api_call", k, {}) for k in range(CALLS)]
    return calls + [
        event(f"u{k}", "upload", CALLS + k, {"gb": gb, "region": region})
        for k, (region, gb) in enumerate(uploads(n))
    ]


def usage(n: int) -> dict[tuple[str | None, ...], Decimal]:
    """Customer ``n``'s GB per region in January."""
    gb: dict[tuple[str | None, ...], Decimal] = {}
    for region, amount in uploads(n):
        gb[(region,)] = gb.get((region,), Decimal(0)) + amount
    return gb


def set_up(store: Store, count: int) -> float:
    """Store ``count`` customers, subscriptions and their events; return the seconds."""
    started = time.perf_counter()
    clock = VirtualClock(JAN_1)
    with store.unit_of_work() as uow:
        for n in range(count):
            uow.customers.add(Customer(id=customer_id(n), name=f"Customer {n}", created_at=JAN_1))
        uow.commit()
    subscriptions = Subscriptions(store, clock)
    subscriptions.add_plan(PLAN, plan_id="pln_pro")
    # One subscription made by the service; the others are its copies, written at once.
    first = subscriptions.create(
        customer_id(0), "pln_pro", start_date=date(2024, 1, 1), subscription_id="sub_000000"
    )
    with store.unit_of_work() as uow:
        for n in range(1, count):
            uow.subscriptions.add(
                dataclasses.replace(first, id=f"sub_{n:06d}", customer_id=customer_id(n))
            )
        for start in range(0, count, BATCH):
            uow.events.add_many(
                [e for n in range(start, min(start + BATCH, count)) for e in make_events(n)]
            )
        uow.commit()
    metering = Metering(store, clock)
    for metric in METRICS:
        metering.define_metric(metric)
    return time.perf_counter() - started


def run(store: Store) -> RunSummary:
    summary = BillingRun(store, VirtualClock(AS_OF + timedelta(hours=2))).run(AS_OF)
    if summary.failures:
        raise SystemExit(f"the billing run failed: {summary.failures[:3]}")
    return summary


def stored_invoices(store: Store) -> list[Invoice]:
    with store.unit_of_work() as uow:
        return list(each(uow.invoices, Query(limit=BATCH)))


def mismatches(found: list[Invoice], count: int) -> list[str]:
    """What differs from one issued invoice per customer with the totals rated by hand."""
    prices = {p["id"]: Price.from_orb(_pricing_fields(p)) for p in PRICES}
    problems = []
    if len(found) != count:
        problems.append(f"{len(found)} invoices for {count} subscriptions")
    for invoice in found:
        n = int(invoice.customer_id.removeprefix("cus_"))
        expected = (
            prices["platform"].evaluate(1).amount
            + prices["api"].evaluate(CALLS).amount
            + prices["storage"].evaluate(Usage(groups=usage(n))).amount
        )
        if invoice.status != "issued" or invoice.total != expected or len(invoice.lines) != 3:
            problems.append(
                f"{invoice.customer_id}: {invoice.status}, total {invoice.total} "
                f"(expected {expected}), {[(ln.name, ln.amount) for ln in invoice.lines]}"
            )
    return problems


def _pricing_fields(price: dict[str, Any]) -> dict[str, Any]:
    config = f"{price['model_type']}_config"
    return {"model_type": price["model_type"], config: price[config]}


def raw_copies(found: list[Invoice], tag: str) -> list[Invoice]:
    """The invoices again, with new ids, a kind and prefix of their own (so the unique
    period and number constraints hold) and their lines moved to them."""
    copies = []
    for invoice in found:
        new_id = tag + invoice.id.removeprefix("inv")
        lines = tuple(
            dataclasses.replace(line, id=f"{new_id}_{line.position}", invoice_id=new_id)
            for line in invoice.lines
        )
        copies.append(
            dataclasses.replace(
                invoice, id=new_id, kind=tag, number_prefix=tag.upper(), lines=lines
            )
        )
    return copies


def raw_sql(store: SqlStore, copies: list[Invoice], per_invoice: bool) -> float:
    """Seconds to insert ``copies`` and their lines with Core ``insert()`` executemany."""
    # The tables' columns are the records' fields, as the adapter writes them.
    fields = [column.name for column in invoices.columns]
    line_fields = [column.name for column in invoice_lines.columns]
    rows = [{f: getattr(invoice, f) for f in fields} for invoice in copies]
    lines = [[{f: getattr(ln, f) for f in line_fields} for ln in i.lines] for i in copies]
    size = 1 if per_invoice else BATCH
    started = time.perf_counter()
    with store.engine.connect() as connection:
        for first in range(0, len(rows), size):
            connection.execute(invoices.insert(), rows[first : first + size])
            batch = [line for invoice in lines[first : first + size] for line in invoice]
            connection.execute(invoice_lines.insert(), batch)
            connection.commit()
    return time.perf_counter() - started


def raw_memory(copies: list[Invoice]) -> float:
    started = time.perf_counter()
    table: dict[str, Invoice] = {}
    for invoice in copies:
        table[invoice.id] = dataclasses.replace(invoice)
    return time.perf_counter() - started


@contextmanager
def fresh_store(fresh: Fresh) -> Iterator[Store]:
    url, drop = fresh()
    store = open_store(url)
    try:
        yield store
    finally:
        store.close()
        drop()


def throughput(fresh: Fresh, count: int) -> dict[str, Any]:
    with fresh_store(fresh) as store:
        setup = set_up(store, count)
        started = time.perf_counter()
        summary = run(store)
        seconds = time.perf_counter() - started
        found = stored_invoices(store)
        figures: dict[str, Any] = {
            "setup": setup,
            "run": seconds,
            "created": summary.created,
            "problems": mismatches(found, count),
        }
        if isinstance(store, SqlStore):
            figures["raw"] = raw_sql(store, raw_copies(found, "raw"), per_invoice=False)
            figures["raw_each"] = raw_sql(store, raw_copies(found, "one"), per_invoice=True)
        else:
            figures["raw"] = raw_memory(raw_copies(found, "raw"))
            figures["raw_each"] = None
        return figures


def peak_memory(fresh: Fresh, count: int) -> int:
    """The bytes the run allocates at its peak, on a fresh store of ``count``."""
    with fresh_store(fresh) as store:
        set_up(store, count)
        tracemalloc.start()
        try:
            run(store)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def backends(names: list[str], postgres: str | None, folder: str) -> dict[str, Fresh]:
    found: dict[str, Fresh] = {}
    files = iter(range(1_000_000))
    for name in names:
        if name == "memory":
            found[name] = lambda: ("memory://", lambda: None)
        elif name == "sqlite":
            found[name] = lambda: (f"sqlite:///{folder}/billing_{next(files)}.db", lambda: None)
        elif name == "postgresql":
            if not postgres:
                print("PostgreSQL skipped: no --postgres and no ORBCORE_TEST_POSTGRES_URL\n")
                continue
            try:
                _, drop = fresh_postgres(postgres)
                drop()
            except sqlalchemy.exc.OperationalError as exc:
                print(f"PostgreSQL skipped: cannot connect ({str(exc).splitlines()[0]})\n")
                continue
            found[name] = lambda: fresh_postgres(postgres)
        else:
            raise SystemExit(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    return found


def rate(count: int, seconds: float | None) -> str:
    return "-" if seconds is None else f"{count / seconds:,.0f}/s"


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def report(count: int, speed: dict[str, dict[str, Any]], memory: dict[str, list[int]]) -> None:
    print(f"\n{count:,} subscriptions, one invoice of 3 lines each (fixed, tiered, matrix)\n")
    print("| store | set-up | billing run | invoices/s | raw executemany | raw, a commit "
          "per invoice | run / raw |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, f in speed.items():
        print(
            f"| {name} | {f['setup']:.1f} s | {f['run']:.1f} s | {rate(count, f['run'])} "
            f"| {rate(count, f['raw'])} | {rate(count, f['raw_each'])} "
            f"| {f['run'] / f['raw']:,.0f}x |"
        )
    for name, f in speed.items():
        if f["problems"]:
            print(f"\n{name}: {len(f['problems'])} invoice(s) not as expected, e.g.")
            for problem in f["problems"][:3]:
                print(f"  {problem}")
    if memory:
        small = max(1, count // 4)
        print(f"\nPeak memory of the run (tracemalloc), {small:,} and {count:,} subscriptions\n")
        print(f"| store | {small:,} | {count:,} | growth for 4x the subscriptions |")
        print("|---|---|---|---|")
        for name, (low, high) in memory.items():
            print(f"| {name} | {mib(low)} | {mib(high)} | {high / low:.1f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--postgres", default=os.environ.get("ORBCORE_TEST_POSTGRES_URL"))
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    args = parser.parse_args()
    count = args.subscriptions
    started = time.perf_counter()
    speed: dict[str, dict[str, Any]] = {}
    memory: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, fresh in backends(args.backends.split(","), args.postgres, folder).items():
            speed[name] = throughput(fresh, count)
            print(f"{name}: run {speed[name]['run']:.1f} s", flush=True)
            if not args.no_memory:
                memory[name] = [peak_memory(fresh, max(1, count // 4)), peak_memory(fresh, count)]
                print(f"{name}: peaks {[mib(m) for m in memory[name]]}", flush=True)
    report(count, speed, memory)
    print(f"\nThe benchmark took {time.perf_counter() - started:,.0f} s in all.")


if __name__ == "__main__":
    main()
