"""Invoices in SQL: the invoice row, its lines, and gap-free numbering per prefix."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, String, any_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY

from orbcore._errors import ValidationError
from orbcore.billing import Invoice, InvoiceLine
from orbcore.billing._records import check_number_prefix
from orbcore.storage._collections import COLLECTIONS
from orbcore.storage._query import Page, Query
from orbcore.storage._values import check_query, check_storable
from orbcore.storage.sql._repository import SqlRepository
from orbcore.storage.sql._tables import invoice_lines, invoice_sequences, invoices
from orbcore.storage.sql._translate import translated

__all__ = ["SqlInvoiceRepository"]

_LINE_FIELDS = [f.name for f in dataclasses.fields(InvoiceLine)]

_closed = (
    select(invoices.c.customer_id, invoices.c.period_start, invoices.c.period_end)
    .where(
        invoices.c.status.in_(("issued", "paid")),
        invoices.c.period_end <= bindparam("ended_by"),
        invoices.c.period_end > bindparam("ending_after"),
    )
    .order_by(invoices.c.customer_id, invoices.c.period_start, invoices.c.period_end)
)
# The customers as one array on PostgreSQL: one statement text whatever their number.
_CLOSED_ANY = _closed.where(invoices.c.customer_id == any_(bindparam("ids", type_=ARRAY(String))))
_CLOSED_IN = _closed.where(invoices.c.customer_id.in_(bindparam("ids", expanding=True)))


class SqlInvoiceRepository(SqlRepository[Invoice]):
    """Invoices with their lines, numbered gap-free per prefix."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        super().__init__(COLLECTIONS["invoices"], invoices, connection)

    def add(self, invoice: Invoice) -> Invoice:
        check_storable(invoice)
        with translated("add to invoices"), self.connection.begin_nested():
            self.connection.execute(invoices.insert().values(self.to_row(invoice)))
            self._insert_lines(invoice.lines)
        return invoice

    def closed_periods(
        self, customer_ids: Sequence[str], *, ended_by: datetime, ending_after: datetime
    ) -> dict[str, list[tuple[datetime, datetime]]]:
        if not customer_ids:
            return {}
        statement = _CLOSED_ANY if self.connection.dialect.name == "postgresql" else _CLOSED_IN
        parameters = {
            "ids": sorted(set(customer_ids)),
            "ended_by": ended_by,
            "ending_after": ending_after,
        }
        periods: dict[str, list[tuple[datetime, datetime]]] = {}
        with translated("read invoiced periods"):
            for customer, start, end in self.connection.execute(statement, parameters):
                periods.setdefault(customer, []).append((start, end))
        return periods

    def find(self, key: str) -> Invoice | None:
        found = super().find(key)
        return None if found is None else self._with_lines([found])[0]

    def find_many(self, keys: Sequence[str]) -> dict[str, Invoice]:
        found = super().find_many(keys)
        return {invoice.id: invoice for invoice in self._with_lines(list(found.values()))}

    def find_by(self, **values: object) -> Invoice | None:
        found = super().find_by(**values)
        return None if found is None else self._with_lines([found])[0]

    def update(self, invoice: Invoice) -> Invoice:
        with translated("update invoices"), self.connection.begin_nested():
            stored = super().update(invoice)
            self.connection.execute(
                invoice_lines.delete().where(invoice_lines.c.invoice_id == invoice.id)
            )
            self._insert_lines(invoice.lines)
        return stored

    def list(self, query: Query | None = None) -> Page[Invoice]:
        query = query or Query()
        order_by = check_query(self.collection, query)
        rows = self.list_rows(query, order_by)
        page = self.page(rows[: query.limit], len(rows) > query.limit, query, order_by)
        return Page(tuple(self._with_lines(page.items)), page.next_cursor)

    def add_numbered(self, invoices_: Sequence[Invoice], prefix: str) -> builtins.list[Invoice]:
        check_number_prefix(prefix)
        for index, invoice in enumerate(invoices_):
            if invoice.number_sequence is not None or invoice.number_prefix is not None:
                raise ValidationError.at((index, "number_sequence"), "the invoice has a number")
            check_storable(invoice)
        if not invoices_:
            return []
        with translated("add numbered invoices"), self.connection.begin_nested():
            last = self.connection.execute(self._bump(prefix, len(invoices_))).scalar_one()
            first = last - len(invoices_) + 1
            numbered = [
                dataclasses.replace(invoice, number_prefix=prefix, number_sequence=first + n)
                for n, invoice in enumerate(invoices_)
            ]
            self.connection.execute(invoices.insert(), [self.to_row(i) for i in numbered])
            self._insert_lines([line for invoice in numbered for line in invoice.lines])
        return numbered

    def assign_number(self, invoice_id: str, prefix: str) -> Invoice:
        current = self.get(invoice_id)
        if current.number_sequence is not None:
            return current
        with translated("number invoices"):
            savepoint = self.connection.begin_nested()
            sequence = self.connection.execute(self._bump(prefix, 1)).scalar_one()
            numbered = self.connection.execute(
                invoices.update()
                .where(invoices.c.id == invoice_id, invoices.c.number_sequence.is_(None))
                .values(
                    number_prefix=prefix,
                    number_sequence=sequence,
                    revision=invoices.c.revision + 1,
                )
            ).rowcount
            if numbered == 0:  # numbered meanwhile by another unit of work
                savepoint.rollback()
            else:
                savepoint.commit()
        return self.get(invoice_id)

    def _bump(self, prefix: str, count: int) -> Any:
        """Move the counter of ``prefix`` by ``count``, returning its new last value.

        The upsert locks the prefix's counter row until commit: numbering is serial per
        prefix, and a rollback gives the numbers back.
        """
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        return (
            dialect.insert(invoice_sequences)
            .values(prefix=prefix, last_value=count)
            .on_conflict_do_update(
                index_elements=["prefix"],
                set_={"last_value": invoice_sequences.c.last_value + count},
            )
            .returning(invoice_sequences.c.last_value)
        )

    def _insert_lines(self, lines: Sequence[InvoiceLine]) -> None:
        if lines:
            rows = [{name: getattr(line, name) for name in _LINE_FIELDS} for line in lines]
            self.connection.execute(invoice_lines.insert(), rows)

    def _with_lines(self, found: Sequence[Invoice]) -> Sequence[Invoice]:
        if not found:
            return found
        statement = (
            select(*(invoice_lines.c[name] for name in _LINE_FIELDS))
            .where(invoice_lines.c.invoice_id.in_([invoice.id for invoice in found]))
            .order_by(invoice_lines.c.invoice_id, invoice_lines.c.position)
        )
        by_invoice: dict[str, list[InvoiceLine]] = {}
        with translated("read invoice lines"):
            for row in self.connection.execute(statement):
                by_invoice.setdefault(row.invoice_id, []).append(_line(row))
        return [
            dataclasses.replace(invoice, lines=tuple(by_invoice.get(invoice.id, ())))
            for invoice in found
        ]


def _line(row: Row[Any]) -> InvoiceLine:
    values = row._mapping
    return InvoiceLine(**{name: values[name] for name in _LINE_FIELDS})
