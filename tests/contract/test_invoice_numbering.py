"""``invoices.assign_number``: gap-free numbers per prefix, kept once given."""

from __future__ import annotations

import pytest

from orbcore import NotFoundError
from orbcore.storage import Store

from .factories import invoice
from .helpers import fetch, save


def test_each_prefix_counts_1_2_3_on_its_own(store: Store) -> None:
    invoices = [invoice() for _ in range(5)]
    save(store, "invoices", *invoices)
    prefixes = ["INV", "CRN", "INV", "INV", "CRN"]
    with store.unit_of_work() as uow:
        numbered = [
            uow.invoices.assign_number(record.id, prefix)
            for record, prefix in zip(invoices, prefixes, strict=True)
        ]
        uow.commit()
    assert [(r.number_prefix, r.number_sequence) for r in numbered] == [
        ("INV", 1),
        ("CRN", 1),
        ("INV", 2),
        ("INV", 3),
        ("CRN", 2),
    ]
    assert numbered[3].number == "INV-000003"
    assert [fetch(store, "invoices", record.id) for record in invoices] == numbered


def test_numbering_bumps_the_revision_and_keeps_the_rest(store: Store) -> None:
    record = invoice()
    save(store, "invoices", record)
    with store.unit_of_work() as uow:
        numbered = uow.invoices.assign_number(record.id, "INV")
        uow.commit()
    assert numbered.revision == record.revision + 1
    assert numbered.lines == record.lines
    assert (numbered.total, numbered.status) == (record.total, record.status)


def test_an_invoice_keeps_the_number_it_has(store: Store) -> None:
    first, second = invoice(), invoice()
    save(store, "invoices", first, second)
    with store.unit_of_work() as uow:
        numbered = uow.invoices.assign_number(first.id, "INV")
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.invoices.assign_number(first.id, "INV") == numbered
        assert uow.invoices.assign_number(first.id, "OTHER") == numbered
        assert uow.invoices.assign_number(second.id, "INV").number_sequence == 2
        uow.commit()


def test_numbers_carry_on_across_units_of_work(store: Store) -> None:
    invoices = [invoice() for _ in range(3)]
    save(store, "invoices", *invoices)
    for expected, record in enumerate(invoices, start=1):
        with store.unit_of_work() as uow:
            assert uow.invoices.assign_number(record.id, "INV").number_sequence == expected
            uow.commit()


def test_a_rolled_back_number_goes_to_the_next_invoice(store: Store) -> None:
    first, second, third = invoice(), invoice(), invoice()
    save(store, "invoices", first, second, third)
    with store.unit_of_work() as uow:
        assert uow.invoices.assign_number(first.id, "INV").number_sequence == 1
    with store.unit_of_work() as uow:
        assert uow.invoices.assign_number(second.id, "INV").number_sequence == 1
        uow.rollback()
        assert uow.invoices.assign_number(third.id, "INV").number_sequence == 1
        uow.commit()
    assert fetch(store, "invoices", first.id) == first
    assert fetch(store, "invoices", second.id) == second
    assert fetch(store, "invoices", third.id).number == "INV-000001"


def test_numbering_a_missing_invoice_is_not_found(store: Store) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFoundError):
        uow.invoices.assign_number("inv_missing", "INV")
