"""``connect(url)``: the facade, an engine whose resources mirror Orb's API.

The resources are thin: each method calls one service of :mod:`orbcore.services` (or
reads one record through a unit of work), so the rules live in one place and the engine
adds only the names a user of Orb's API and its Python SDK already knows.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from orbcore._clock import Clock, SystemClock
from orbcore._engine_billing import BillingResource, InvoicesResource, SubscriptionsResource
from orbcore._engine_catalog import MetricsResource, PlansResource, PricesResource
from orbcore._engine_usage import BackfillsResource, EventsResource
from orbcore._errors import ValidationError
from orbcore.billing import TaxCalculator
from orbcore.services import (
    Amendments,
    Backfills,
    Customers,
    Ingestion,
    Invoicing,
    Metering,
    Subscriptions,
)
from orbcore.storage import DEFAULT_URL, Store, open_store

__all__ = ["Engine", "connect"]


class Engine:
    """A billing engine over one store, with Orb's resources as attributes.

    Build one with :func:`connect`, or from a store you opened yourself. Closing the
    engine (or leaving its ``with`` block) closes the store.

    Args:
        store: where everything is kept.
        clock: where the engine reads the time; the system clock if omitted. Pass a
            :class:`~orbcore.VirtualClock` to simulate months of billing in a test.
        invoice_prefix: the prefix of invoice numbers (``INV-000001``).
        tax: the billing run's tax calculator (``RateTableTax`` or an adapter); none if
            omitted.

    Attributes:
        store: the store, for what the resources do not offer.
        clock: the clock every operation reads.
        customers: create, fetch, fetch_by_external_id, list, update.
        plans: create (Orb-shaped JSON), fetch, fetch_by_external_id, definition, list.
        prices: fetch, list: the price rows of stored plans.
        metrics: create, fetch, list, set_status: billable metrics.
        subscriptions: create, fetch, list, timeline, cancel, schedule_plan_change,
            update_fixed_fee_quantity, unschedule_cancellation,
            unschedule_pending_plan_changes, apply_coupon.
        events: ingest, amend, deprecate, import_file, fetch, list; ``events.backfills``:
            create, close, revert, close_due, fetch, list.
        invoices: fetch, list, issue, mark_paid, void.
        billing: run, the billing run.

    Raises:
        ValidationError: ``invoice_prefix`` is not non-empty text, or ``clock`` is not a
            clock.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        *,
        invoice_prefix: str = "INV",
        tax: TaxCalculator | None = None,
    ) -> None:
        _check_settings(clock, invoice_prefix)
        self.store = store
        self.clock: Clock = SystemClock() if clock is None else clock
        subscriptions = Subscriptions(store, self.clock)
        metering = Metering(store, self.clock)
        ingestion = Ingestion(store, self.clock)
        self.customers = Customers(store, self.clock)
        self.plans = PlansResource(store, subscriptions)
        self.prices = PricesResource(store)
        self.metrics = MetricsResource(store, metering)
        self.subscriptions = SubscriptionsResource(store, self.clock, subscriptions)
        self.events = EventsResource(
            store,
            ingestion,
            Amendments(store, self.clock),
            BackfillsResource(store, Backfills(store, self.clock)),
        )
        self.invoices = InvoicesResource(store, Invoicing(store, self.clock), invoice_prefix)
        self.billing = BillingResource(store, self.clock, invoice_prefix, tax)

    def close(self) -> None:
        """Close the store; the engine cannot be used afterwards."""
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Engine({self.store.url!r})"


def connect(
    url: str | None = None,
    *,
    clock: Clock | None = None,
    invoice_prefix: str = "INV",
    tax: TaxCalculator | None = None,
    migrate: bool = True,
) -> Engine:
    """Open the store at ``url`` and return an engine over it.

    Args:
        url: ``memory://``, ``sqlite:///path/to/file.db`` or a PostgreSQL URL such as
            ``postgresql+psycopg://user@host:5432/db``; the SQLite file ``orbcore.db`` in
            the working directory if omitted.
        clock: where the engine reads the time; the system clock if omitted.
        invoice_prefix: the prefix of invoice numbers.
        tax: the billing run's tax calculator; none if omitted.
        migrate: bring a SQL database's schema up to date first (the default).

    Returns:
        The engine; use it as a context manager, or call ``close()``.

    Raises:
        ValidationError: a URL no store understands, or bad settings.
        StorageError: the database cannot be reached or migrated.

    >>> from orbcore import VirtualClock
    >>> with connect("memory://", clock=VirtualClock(datetime(2024, 1, 1, tzinfo=UTC))) as engine:
    ...     engine.customers.create("Acme", customer_id="cus_acme").created_at.isoformat()
    '2024-01-01T00:00:00+00:00'
    """
    _check_settings(clock, invoice_prefix)
    return Engine(
        open_store(DEFAULT_URL if url is None else url, migrate=migrate),
        clock,
        invoice_prefix=invoice_prefix,
        tax=tax,
    )


def _check_settings(clock: Clock | None, invoice_prefix: str) -> None:
    # Checked before a store is opened, so a bad setting leaves nothing open.
    if clock is not None and not isinstance(clock, Clock):
        raise ValidationError.at(("clock",), f"expected a Clock (with now()), got {clock!r}")
    if not isinstance(invoice_prefix, str) or not invoice_prefix:
        raise ValidationError.at(("invoice_prefix",), "must be non-empty text")
