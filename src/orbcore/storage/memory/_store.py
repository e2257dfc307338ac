"""The in-memory store and its unit of work."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any, Self

from orbcore._errors import StorageError
from orbcore.billing import (
    BalanceTransaction,
    CreditBlock,
    Customer,
    Plan,
    Price,
    Subscription,
)
from orbcore.events import Backfill, BillableMetric
from orbcore.storage._collections import COLLECTIONS
from orbcore.storage._ports import (
    EventRepository,
    InvoiceRepository,
    LedgerRepository,
    OutboxRepository,
    Repository,
    UsageQueries,
    UsageRollupRepository,
)
from orbcore.storage.memory._billing import (
    InvoiceCounters,
    MemoryInvoiceRepository,
    MemoryLedgerRepository,
)
from orbcore.storage.memory._journal import Journal
from orbcore.storage.memory._metering import MemoryEventRepository, MemoryUsageRollupRepository
from orbcore.storage.memory._outbox import MemoryOutboxRepository
from orbcore.storage.memory._repository import MemoryRepository
from orbcore.storage.memory._table import Table
from orbcore.storage.memory._usage import MemoryUsageQueries
from orbcore.webhooks import WebhookEndpoint

__all__ = ["MemoryStore", "MemoryUnitOfWork"]


class MemoryStore:
    """A store that keeps every record in this process, for notebooks and tests.

    It runs one unit of work at a time: entering a unit of work takes a store-wide
    re-entrant lock and leaving it releases the lock, so units of work from other
    threads wait for each other and every transaction is serializable. Changes are
    applied at once and undone on rollback. A thread should not open a second unit of
    work while its first is entered: the lock lets it in, and the two would see each
    other's uncommitted changes.

    >>> from orbcore.billing import Customer
    >>> store = MemoryStore()
    >>> ada = Customer(id="cus_1", name="Ada", created_at=datetime(2024, 1, 1, tzinfo=UTC))
    >>> with store.unit_of_work() as uow:
    ...     _ = uow.customers.add(ada)
    ...     uow.commit()
    >>> with store.unit_of_work() as uow:
    ...     uow.customers.get("cus_1").name
    'Ada'
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._tables: dict[str, Table[Any]] = {
            name: Table(collection) for name, collection in COLLECTIONS.items()
        }
        self._counters = InvoiceCounters()
        self._closed = False

    @property
    def url(self) -> str:
        """Always ``memory://``."""
        return "memory://"

    def unit_of_work(self) -> MemoryUnitOfWork:
        """A new unit of work; use it in a ``with`` block.

        Raises:
            StorageError: the store is closed.
        """
        self._check_open()
        return MemoryUnitOfWork(self)

    def close(self) -> None:
        """Drop every record. The store cannot be used afterwards."""
        with self._lock:
            self._closed = True
            self._tables = {}

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError("the memory store is closed")


class MemoryUnitOfWork:
    """A transaction over every repository of a :class:`MemoryStore`.

    Entering waits for the store's lock; leaving rolls back whatever was not committed
    and releases the lock. Repositories refuse to work outside the ``with`` block.
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

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._journal = journal = Journal()
        tables = store._tables
        self.customers = MemoryRepository(tables["customers"], journal)
        self.plans = MemoryRepository(tables["plans"], journal)
        self.prices = MemoryRepository(tables["prices"], journal)
        self.subscriptions = MemoryRepository(tables["subscriptions"], journal)
        self.events = MemoryEventRepository(tables["events"], journal)
        self.billable_metrics = MemoryRepository(tables["billable_metrics"], journal)
        self.backfills = MemoryRepository(tables["backfills"], journal)
        self.usage_rollups = MemoryUsageRollupRepository(tables["usage_rollups"], journal)
        self.usage = MemoryUsageQueries(tables["events"], journal)
        self.invoices = MemoryInvoiceRepository(tables["invoices"], journal, store._counters)
        self.credit_blocks = MemoryRepository(tables["credit_blocks"], journal)
        self.ledger_entries = MemoryLedgerRepository(tables["ledger_entries"], journal)
        self.balance_transactions = MemoryRepository(tables["balance_transactions"], journal)
        self.webhook_endpoints = MemoryRepository(tables["webhook_endpoints"], journal)
        self.outbox = MemoryOutboxRepository(tables["outbox"], journal)

    def commit(self) -> None:
        """Keep everything done so far; the unit of work goes on.

        Raises:
            StorageError: the unit of work is not entered in this thread.
        """
        self._journal.check()
        self._journal.forget()

    def rollback(self) -> None:
        """Undo everything done since the last commit.

        Raises:
            StorageError: the unit of work is not entered in this thread.
        """
        self._journal.check()
        self._journal.undo()

    def __enter__(self) -> Self:
        if self._journal.is_open:
            raise StorageError("this unit of work is already entered")
        self._store._lock.acquire()
        try:
            self._store._check_open()
        except StorageError:
            self._store._lock.release()
            raise
        self._journal.open()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self._journal.undo()
        finally:
            self._journal.close()
            self._store._lock.release()
