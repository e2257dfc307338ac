"""The storage ports: repositories, the unit of work and the store.

Every adapter (memory, SQLite, PostgreSQL) implements these protocols with the same
behaviour, which the contract tests check case by case:

* ``add`` stores a new record; a taken key or unique value raises ``ConflictError``.
* ``get`` raises ``NotFoundError``; ``find`` returns ``None`` instead.
* ``update`` replaces a stored record. For records with a ``revision`` it succeeds only
  if the caller's revision is the stored one, and stores ``revision + 1``; otherwise
  ``ConflictError`` (someone else updated it first: read again and retry).
* ``list`` filters on the collection's declared fields, orders by a declared field and
  then the key, and pages with opaque cursors.
* Nothing is visible to other units of work until ``commit``; leaving a unit of work
  without committing rolls it back.
* Foreign exceptions never escape: they become ``ConflictError``, ``NotFoundError`` or
  ``StorageError`` with the cause chained.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self, TypeVar

from orbcore.billing import (
    BalanceTransaction,
    CreditBlock,
    Customer,
    Invoice,
    LedgerEntry,
    Plan,
    Price,
    Subscription,
)
from orbcore.events import (
    Aggregation,
    Backfill,
    BillableMetric,
    Event,
    GroupKey,
    Partial,
    Quantities,
    UsageRollup,
)
from orbcore.storage._query import Page, Query
from orbcore.webhooks import OutboxMessage, WebhookEndpoint

__all__ = [
    "AddOutcome",
    "EventRepository",
    "InvoiceRepository",
    "LedgerRepository",
    "OutboxRepository",
    "Repository",
    "Store",
    "UnitOfWork",
    "UsageQueries",
    "UsageRollupRepository",
]

R = TypeVar("R")


class Repository(Protocol[R]):
    """Stores one kind of record."""

    def add(self, record: R) -> R:
        """Store a new record and return it.

        Raises:
            ConflictError: the key or a unique value is taken.
        """
        ...

    def get(self, key: str) -> R:
        """The record with ``key``.

        Raises:
            NotFoundError: there is none.
        """
        ...

    def find(self, key: str) -> R | None:
        """The record with ``key``, or ``None``."""
        ...

    def find_many(self, keys: Sequence[str]) -> dict[str, R]:
        """The records with any of ``keys``, by key; keys with no record are left out."""
        ...

    def hold(self, keys: Sequence[str]) -> dict[str, R]:
        """:meth:`find_many`, with the records kept from changing until this unit of work
        ends: another unit of work that updates one waits (a shared row lock on
        PostgreSQL; a SQLite or memory unit of work that has written already excludes
        every other writer). Read after a write, a record is the latest committed."""
        ...

    def find_by(self, **values: object) -> R | None:
        """The record whose unique fields (a declared unique tuple) equal ``values``."""
        ...

    def update(self, record: R) -> R:
        """Replace the stored record that has ``record``'s key; return what was stored.

        Raises:
            NotFoundError: there is no such record.
            ConflictError: the stored revision is not ``record.revision``, or a unique
                value is taken.
            ValidationError: the collection's records cannot change.
        """
        ...

    def list(self, query: Query | None = None) -> Page[R]:
        """One page of records matching ``query``.

        Raises:
            ValidationError: a filter or order on an undeclared field, or a bad cursor.
        """
        ...


class AddOutcome(StrEnum):
    """What happened to one event of :meth:`EventRepository.add_many`."""

    INSERTED = "inserted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"


class EventRepository(Repository[Event], Protocol):
    """Usage events, unique by idempotency key."""

    def add_many(self, events: Sequence[Event]) -> list[AddOutcome]:
        """Insert the events whose keys are new, in one statement per batch.

        The unique idempotency key, enforced by the store in this transaction, decides:
        a new key is ``INSERTED``; a known key with the same ``body_hash`` is a
        ``DUPLICATE`` and changes nothing; a known key with another ``body_hash`` is a
        ``CONFLICT`` and changes nothing. Repeats within ``events`` count the same way.
        """
        ...

    def lock_intake(self) -> None:
        """Hold off other units of work's event inserts until this one ends.

        Used where a change must see every stored event and every later insert must see
        the change (defining a metric builds its roll-ups from the stored events, while
        ingestion reads the metrics after inserting its events), and to serialise changes
        of event statuses (amendments, backfills) with each other and with metric builds.
        Two holders of the lock run one after the other.
        """
        ...


class UsageRollupRepository(Repository[UsageRollup], Protocol):
    """Hourly usage roll-ups."""

    def accumulate(self, rollups: Sequence[UsageRollup]) -> None:
        """Add each roll-up into the stored one with the same metric, customer, hour and
        group (count and sum added, min and max merged), or store it if there is none."""
        ...

    def clear(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str] | None = None,
    ) -> int:
        """Delete the metric's roll-ups of the hours in ``[start, end)`` (of the given
        customer references, or of everyone); return how many went."""
        ...

    def partials(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str],
        *,
        only_for: Aggregation | None = None,
    ) -> dict[GroupKey, Partial]:
        """The metric's roll-ups of the hours in ``[start, end)`` of ``customer_refs``,
        added up per group in the store (counts and sums added, min and max merged).

        With ``only_for``, the store may leave out (as ``None``, or the sum as zero) the
        parts that aggregation does not read: a ``sum`` needs no minimum.
        """
        ...

    def partials_by_customer(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str],
        *,
        only_for: Aggregation | None = None,
    ) -> dict[str, dict[GroupKey, Partial]]:
        """:meth:`partials` of many customers in one query: per customer reference
        (those without a roll-up in the hours are left out), its partials per group."""
        ...


class UsageQueries(Protocol):
    """A metric's quantities computed by the store from raw events (pushed down).

    Every method selects the events of one customer: those whose ``customer_id`` is
    ``customer_id`` or whose ``external_customer_id`` is ``external_customer_id`` (give
    one or both). ``rollups`` may also select everyone (neither given). Only the metric's
    events count: active, of its ``event_name``, passing its filter, with
    ``start <= timestamp < end``. Results equal :func:`orbcore.events.aggregate`'s on the
    same events, on every store.
    """

    def aggregate(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
    ) -> Quantities:
        """The metric's quantity per group over ``[start, end)``.

        Raises:
            ValidationError: no customer given, or the period is not valid.
        """
        ...

    def partials(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
        only_for: Aggregation | None = None,
    ) -> dict[GroupKey, Partial]:
        """Count, sum, min and max of the metric's values per group (decomposable
        metrics only), to be merged with roll-ups. With ``only_for``, the store may leave
        out the parts that aggregation does not read, as roll-up ``partials`` may.

        Raises:
            ValidationError: no customer given, the period is not valid, or the metric
                is not decomposable.
        """
        ...

    def rollups(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
    ) -> list[UsageRollup]:
        """Hourly roll-ups of a decomposable metric computed from the raw events, as
        :func:`orbcore.events.rollups_from_events` makes them; everyone's when no
        customer is given.

        Raises:
            ValidationError: the period is not valid, or the metric is not decomposable.
        """
        ...


class InvoiceRepository(Repository[Invoice], Protocol):
    """Invoices with their lines."""

    def assign_number(self, invoice_id: str, prefix: str) -> Invoice:
        """Give the invoice the next number of ``prefix`` (1, 2, ...) and return it.

        Numbers are gap-free and unique per prefix: the counter moves in this
        transaction, so a rollback gives the number back. An invoice that already has a
        number keeps it.
        """
        ...

    def add_numbered(self, invoices: Sequence[Invoice], prefix: str) -> list[Invoice]:
        """Add new invoices numbered ``prefix`` consecutively, in the order given.

        The counter moves by ``len(invoices)`` in this transaction, as with
        :meth:`assign_number`; the invoices keep every other field as given. All are
        added or none: one conflicting id or unique value adds nothing and gives the
        numbers back. Returns the invoices as stored.

        Raises:
            ConflictError: an id or a unique value is taken.
            ValidationError: ``prefix`` is empty, or an invoice already has a number or
                holds a value no store keeps.
        """
        ...

    def closed_periods(
        self, customer_ids: Sequence[str], *, ended_by: datetime, ending_after: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """Per customer, the ``(period_start, period_end)`` of its issued or paid invoices
        whose period ended by ``ended_by`` and after ``ending_after``, oldest first.
        Customers without any are left out."""
        ...


class LedgerRepository(Repository[LedgerEntry], Protocol):
    """Credit ledger entries, numbered per customer and currency."""

    def last(self, customer_id: str, currency: str) -> LedgerEntry | None:
        """The entry with the highest sequence, or ``None`` for an empty ledger."""
        ...


class OutboxRepository(Repository[OutboxMessage], Protocol):
    """Messages waiting to be delivered."""

    def claim_due(
        self, now: datetime, limit: int, worker: str, lease: timedelta
    ) -> list[OutboxMessage]:
        """Lock up to ``limit`` pending messages due at ``now`` for ``worker``.

        A message is due when ``available_at <= now`` and no unexpired lease holds it.
        Claimed messages get ``locked_by=worker`` and ``locked_until=now + lease``. Two
        workers claiming at once never receive the same message.
        """
        ...


class UnitOfWork(Protocol):
    """A transaction over every repository. Commit is explicit; the default is rollback.

    >>> # with store.unit_of_work() as uow:
    >>> #     uow.customers.add(customer)
    >>> #     uow.commit()
    """

    customers: Repository[Customer]
    plans: Repository[Plan]
    prices: Repository[Price]
    subscriptions: Repository[Subscription]
    events: EventRepository
    billable_metrics: Repository[BillableMetric]
    backfills: Repository[Backfill]
    usage_rollups: UsageRollupRepository
    usage: UsageQueries
    invoices: InvoiceRepository
    credit_blocks: Repository[CreditBlock]
    ledger_entries: LedgerRepository
    balance_transactions: Repository[BalanceTransaction]
    webhook_endpoints: Repository[WebhookEndpoint]
    outbox: OutboxRepository

    def commit(self) -> None:
        """Make everything done so far durable and visible; the unit of work goes on."""
        ...

    def rollback(self) -> None:
        """Discard everything done since the last commit."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class Store(Protocol):
    """A place records live: opens units of work over it."""

    @property
    def url(self) -> str:
        """Where the store is, with any password hidden."""
        ...

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work; use it in a ``with`` block."""
        ...

    def close(self) -> None:
        """Release connections. The store cannot be used afterwards."""
        ...
