"""``invoices.assign_number``: gap-free numbers per prefix, kept once given."""

from __future__ import annotations

import pytest

from orbcore import ConflictError, NotFoundError, ValidationError
from orbcore.storage import Store

from .factories import invoice
from .helpers import fetch, save, save_parents


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


def test_add_numbered_numbers_in_the_order_given_after_the_counter(store: Store) -> None:
    earlier = invoice()
    save(store, "invoices", earlier)
    with store.unit_of_work() as uow:
        uow.invoices.assign_number(earlier.id, "INV")
        uow.commit()
    batch = [invoice(status="issued") for _ in range(3)]
    save_parents(store, "invoices", *batch)
    with store.unit_of_work() as uow:
        added = uow.invoices.add_numbered(batch, "INV")
        uow.commit()
    assert [r.number for r in added] == ["INV-000002", "INV-000003", "INV-000004"]
    assert [fetch(store, "invoices", r.id) for r in batch] == added
    assert added[0].lines == batch[0].lines
    assert added[0].status == "issued"
    later = invoice()
    save(store, "invoices", later)
    with store.unit_of_work() as uow:
        assert uow.invoices.assign_number(later.id, "INV").number_sequence == 5
        uow.commit()


def test_add_numbered_adds_nothing_when_one_invoice_conflicts(store: Store) -> None:
    taken = invoice(plan_id="pln_1")
    save(store, "invoices", taken)
    fresh = invoice()
    clash = invoice(
        subscription_id=taken.subscription_id,
        customer_id=taken.customer_id,
        invoice_date=taken.invoice_date,
        plan_id="pln_1",
    )
    save_parents(store, "invoices", fresh)
    with store.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            uow.invoices.add_numbered([fresh, clash], "INV")
        # the unit of work goes on: the numbers were given back
        assert uow.invoices.add_numbered([fresh], "INV")[0].number_sequence == 1
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.invoices.find(clash.id) is None
        assert uow.invoices.get(fresh.id).number == "INV-000001"


def test_add_numbered_refuses_numbered_invoices_and_empty_prefixes(store: Store) -> None:
    numbered = invoice(number_prefix="INV", number_sequence=7)
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError):
            uow.invoices.add_numbered([numbered], "INV")
        with pytest.raises(ValidationError):
            uow.invoices.add_numbered([invoice()], "")
        assert uow.invoices.add_numbered([], "INV") == []
        assert uow.invoices.find(numbered.id) is None
