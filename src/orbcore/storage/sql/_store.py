"""``SqlStore``: the SQLAlchemy adapter on SQLite (embedded) or PostgreSQL."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from orbcore._errors import StorageError, ValidationError
from orbcore._json import dumps_exact, loads_exact
from orbcore.billing import BalanceTransaction, CreditBlock, Customer, Plan, Price, Subscription
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
from orbcore.storage.sql._events import CopyFirst, SqlEventRepository
from orbcore.storage.sql._extras import (
    SqlLedgerRepository,
    SqlOutboxRepository,
    SqlUsageRollupRepository,
)
from orbcore.storage.sql._invoices import SqlInvoiceRepository
from orbcore.storage.sql._metrics import SqlMetricRepository
from orbcore.storage.sql._migrate import upgrade
from orbcore.storage.sql._repository import SqlRepository
from orbcore.storage.sql._tables import TABLES
from orbcore.storage.sql._usage import SqlUsageQueries, register_sqlite_functions
from orbcore.webhooks import WebhookEndpoint

__all__ = ["SqlStore", "SqlUnitOfWork", "normalize_url"]


def normalize_url(url: str) -> str:
    """Pick orbcore's driver for a PostgreSQL URL given without one (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class SqlStore:
    """A store in a SQL database through SQLAlchemy Core.

    On SQLite each unit of work starts with ``BEGIN IMMEDIATE``: it takes the database's
    write lock at once, so units of work run one at a time (readers of committed data are
    not blocked, thanks to WAL mode). On PostgreSQL units of work run concurrently at
    READ COMMITTED; unique constraints, revision checks and row locks keep them apart.

    Args:
        url: ``sqlite:///path.db``, ``sqlite://`` (in memory) or a PostgreSQL URL.
        migrate: apply pending migrations on open.
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        try:
            parsed = make_url(normalize_url(url))
        except ArgumentError as exc:
            raise ValidationError.at(("url",), f"not a database URL: {url!r}") from exc
        self._engine = _engine(parsed.render_as_string(hide_password=False))
        self._url = parsed.render_as_string(hide_password=True)
        self._copy_first = CopyFirst()
        if migrate:
            self.migrate()

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for hosts that share it."""
        return self._engine

    def migrate(self) -> None:
        """Bring the schema up to date (idempotent; safe from several processes)."""
        upgrade(self._engine)

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work on its own connection."""
        return SqlUnitOfWork(self._engine, self._copy_first)

    def close(self) -> None:
        """Dispose of the connection pool."""
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"SqlStore({self._url!r})"


def _engine(url: str) -> Engine:
    options: dict[str, Any] = {"json_serializer": dumps_exact, "json_deserializer": loads_exact}
    try:
        if url.startswith("sqlite"):
            if make_url(url).database in (None, "", ":memory:"):
                options.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
            engine = create_engine(url, **options)
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        parsed = make_url(url)
        # Sessions run in UTC; options given in the URL (a search_path, say) are kept.
        given = parsed.query.get("options", "")
        extra = given if isinstance(given, str) else " ".join(given)
        options["connect_args"] = {"options": f"-c TimeZone=UTC {extra}".strip()}
        parsed = parsed.difference_update_query(["options"])
        return create_engine(parsed, pool_pre_ping=True, **options)
    except (ArgumentError, SQLAlchemyError, ImportError) as exc:
        raise StorageError(f"cannot open {url.split('@')[-1]}: {exc}") from exc


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # orbcore issues BEGIN itself (see _sqlite_begin), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON",
        "PRAGMA busy_timeout=30000",
    ):
        cursor.execute(pragma)
    cursor.close()
    register_sqlite_functions(dbapi_connection)


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class SqlUnitOfWork:
    """A transaction on one connection; every repository shares it."""

    def __init__(self, engine: Engine, copy_first: CopyFirst) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        connection = self._active

        def generic(name: str) -> SqlRepository[Any]:
            return SqlRepository(COLLECTIONS[name], TABLES[name], connection)

        self.customers: Repository[Customer] = generic("customers")
        self.plans: Repository[Plan] = generic("plans")
        self.prices: Repository[Price] = generic("prices")
        self.subscriptions: Repository[Subscription] = generic("subscriptions")
        self.credit_blocks: Repository[CreditBlock] = generic("credit_blocks")
        self.balance_transactions: Repository[BalanceTransaction] = generic("balance_transactions")
        self.webhook_endpoints: Repository[WebhookEndpoint] = generic("webhook_endpoints")
        self.events: EventRepository = SqlEventRepository(connection, copy_first)
        self.billable_metrics: Repository[BillableMetric] = SqlMetricRepository(connection)
        self.backfills: Repository[Backfill] = generic("backfills")
        self.usage_rollups: UsageRollupRepository = SqlUsageRollupRepository(connection)
        self.usage: UsageQueries = SqlUsageQueries(connection)
        self.invoices: InvoiceRepository = SqlInvoiceRepository(connection)
        self.ledger_entries: LedgerRepository = SqlLedgerRepository(connection)
        self.outbox: OutboxRepository = SqlOutboxRepository(connection)

    def _active(self) -> Connection:
        if self._connection is None:
            raise StorageError("the unit of work is not open: use it in a 'with' block")
        return self._connection

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise StorageError("the unit of work is already open")
        try:
            self._connection = self._engine.connect()
            self._connection.begin()
        except SQLAlchemyError as exc:
            self._connection = None
            raise StorageError(f"cannot open a unit of work: {exc}") from exc
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.rollback()
        finally:
            connection.close()

    def commit(self) -> None:
        """Commit; the next statement starts a new transaction."""
        try:
            self._active().commit()
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot commit: {exc}") from exc

    def rollback(self) -> None:
        """Undo everything since the last commit."""
        try:
            self._active().rollback()
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot roll back: {exc}") from exc
