"""Invoices keep their lines, in order, through add, get, update and list."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from orbcore.billing import Invoice, InvoiceLine
from orbcore.storage import Store

from .factories import invoice, invoice_line
from .helpers import fetch, list_all, save


def with_lines(*names: str) -> Invoice:
    """An invoice whose lines are named ``names``, in that order, ids not in that order."""
    record = invoice()
    lines = tuple(
        invoice_line(record.id, position, id=f"lin_{record.id}_{9 - position}", name=name)
        for position, name in enumerate(names, start=1)
    )
    return dataclasses.replace(record, lines=lines)


def names(record: Invoice) -> list[str]:
    return [line.name for line in record.lines]


def test_lines_come_back_in_order_from_get_and_list(store: Store) -> None:
    record = with_lines("Platform fee", "API calls", "Support", "Overage")
    save(store, "invoices", record)
    stored = fetch(store, "invoices", record.id)
    assert type(stored.lines) is tuple
    assert all(type(line) is InvoiceLine for line in stored.lines)
    assert stored.lines == record.lines
    assert list_all(store, "invoices") == [record]


def test_an_update_replaces_the_lines(store: Store) -> None:
    record = with_lines("Platform fee", "API calls", "Support")
    save(store, "invoices", record)
    changed_line = dataclasses.replace(record.lines[1], amount=Decimal("0.000000000001"))
    new_line = invoice_line(record.id, 3, name="Credit")
    changed = dataclasses.replace(record, lines=(record.lines[0], changed_line, new_line))
    with store.unit_of_work() as uow:
        stored = uow.invoices.update(changed)
        uow.commit()
    assert fetch(store, "invoices", record.id) == stored
    assert names(stored) == ["Platform fee", "API calls", "Credit"]
    assert stored.lines[1].amount == Decimal("0.000000000001")


def test_an_update_can_remove_every_line(store: Store) -> None:
    record = with_lines("Platform fee", "API calls")
    save(store, "invoices", record)
    with store.unit_of_work() as uow:
        uow.invoices.update(dataclasses.replace(record, lines=()))
        uow.commit()
    assert fetch(store, "invoices", record.id).lines == ()


def test_invoices_do_not_share_lines(store: Store) -> None:
    first, second = with_lines("A", "B"), with_lines("C")
    save(store, "invoices", first, second)
    assert names(fetch(store, "invoices", first.id)) == ["A", "B"]
    assert names(fetch(store, "invoices", second.id)) == ["C"]


def test_a_rolled_back_update_keeps_the_old_lines(store: Store) -> None:
    record = with_lines("Platform fee", "API calls")
    save(store, "invoices", record)
    with store.unit_of_work() as uow:
        uow.invoices.update(dataclasses.replace(record, lines=record.lines[:1]))
    assert fetch(store, "invoices", record.id) == record
