"""Billing repositories in memory: gap-free invoice numbers and the credit ledger."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from orbcore._errors import ValidationError
from orbcore.billing import Invoice, LedgerEntry
from orbcore.billing._records import check_number_prefix
from orbcore.storage._values import detached
from orbcore.storage.memory._journal import Journal
from orbcore.storage.memory._repository import MemoryRepository
from orbcore.storage.memory._table import Table

__all__ = ["InvoiceCounters", "MemoryInvoiceRepository", "MemoryLedgerRepository"]


class InvoiceCounters:
    """The last invoice number given out per prefix, shared by a store's units of work.

    Each move is journaled, so a rolled-back numbering gives its number back.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def peek(self, prefix: str) -> int:
        """The number the next invoice of ``prefix`` gets."""
        return self._last.get(prefix, 0) + 1

    def advance(self, prefix: str, journal: Journal, count: int = 1) -> None:
        """Mark the ``count`` numbers from the one :meth:`peek` gives as taken."""
        previous = self._last.get(prefix, 0)
        self._last[prefix] = previous + count
        journal.record(lambda: self._restore(prefix, previous))

    def _restore(self, prefix: str, last: int) -> None:
        if last:
            self._last[prefix] = last
        else:
            del self._last[prefix]


class MemoryInvoiceRepository(MemoryRepository[Invoice]):
    """Invoices with their lines, numbered from per-prefix counters.

    Args:
        table: where invoices live.
        journal: the undo log of the unit of work.
        counters: the store's invoice number counters.
    """

    def __init__(self, table: Table[Invoice], journal: Journal, counters: InvoiceCounters):
        super().__init__(table, journal)
        self._counters = counters

    def closed_periods(
        self, customer_ids: Sequence[str], *, ended_by: datetime, ending_after: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        """The periods of each customer's issued or paid invoices that ended in
        ``(ending_after, ended_by]``, oldest first."""
        self._journal.check()
        wanted = set(customer_ids)
        periods: dict[str, list[tuple[datetime, datetime]]] = {}
        for invoice in self._table.rows.values():
            if (
                invoice.customer_id in wanted
                and invoice.status in ("issued", "paid")
                and ending_after < invoice.period_end <= ended_by
            ):
                span = (invoice.period_start, invoice.period_end)
                periods.setdefault(invoice.customer_id, []).append(span)
        return {customer: sorted(spans) for customer, spans in periods.items()}

    def add_numbered(self, invoices: Sequence[Invoice], prefix: str) -> list[Invoice]:
        """Add new invoices numbered ``prefix`` consecutively, all or none.

        Raises:
            ConflictError: an id or a unique value is taken.
            ValidationError: ``prefix`` is empty, or an invoice already has a number.
        """
        self._journal.check()
        check_number_prefix(prefix)
        for index, invoice in enumerate(invoices):
            if invoice.number_sequence is not None or invoice.number_prefix is not None:
                raise ValidationError.at((index, "number_sequence"), "the invoice has a number")
        first = self._counters.peek(prefix)
        numbered = [
            dataclasses.replace(invoice, number_prefix=prefix, number_sequence=first + n)
            for n, invoice in enumerate(invoices)
        ]
        with self._journal.savepoint():
            for invoice in numbered:
                self.add(invoice)
            self._counters.advance(prefix, self._journal, len(numbered))
        return numbered

    def assign_number(self, invoice_id: str, prefix: str) -> Invoice:
        """Give the invoice the next number of ``prefix`` (1, 2, ...) and return it.

        The counter only moves here, so numbers that invoices were added with do not
        advance it. An invoice that already has a ``number_sequence`` keeps it and is
        returned as is; otherwise its revision goes up by one.

        Raises:
            NotFoundError: there is no invoice ``invoice_id``.
            ValidationError: ``prefix`` is not a non-empty string.
            ConflictError: the number is already held by an invoice added with it.
        """
        self._journal.check()
        check_number_prefix(prefix)
        stored = self._stored(invoice_id)
        if stored.number_sequence is not None:
            return detached(stored)
        numbered = dataclasses.replace(
            stored,
            number_prefix=prefix,
            number_sequence=self._counters.peek(prefix),
            revision=stored.revision + 1,
        )
        self._table.replace(numbered, self._journal)
        self._counters.advance(prefix, self._journal)
        return detached(numbered)


class MemoryLedgerRepository(MemoryRepository[LedgerEntry]):
    """Credit ledger entries, numbered per customer and currency."""

    def last(self, customer_id: str, currency: str) -> LedgerEntry | None:
        """The entry with the highest sequence, or ``None`` for an empty ledger."""
        self._journal.check()
        entries = [
            entry
            for entry in self._table.rows.values()
            if entry.customer_id == customer_id and entry.currency == currency
        ]
        if not entries:
            return None
        return detached(max(entries, key=lambda entry: entry.sequence))
