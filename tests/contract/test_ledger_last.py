"""``ledger_entries.last``: the highest sequence of one customer's ledger in one currency."""

from __future__ import annotations

from orbcore.storage import Store

from .factories import ledger_entry
from .helpers import add, save


def test_an_empty_ledger_has_no_last_entry(store: Store) -> None:
    save(store, "ledger_entries", ledger_entry(customer_id="cus_other", currency="USD"))
    with store.unit_of_work() as uow:
        assert uow.ledger_entries.last("cus_a", "USD") is None


def test_last_is_the_highest_sequence_of_that_customer_and_currency(store: Store) -> None:
    mine = {n: ledger_entry(customer_id="cus_a", currency="USD", sequence=n) for n in (2, 3, 1)}
    others = [
        ledger_entry(customer_id="cus_a", currency="credits", sequence=9),
        ledger_entry(customer_id="cus_b", currency="USD", sequence=8),
    ]
    save(store, "ledger_entries", *mine.values(), *others)
    with store.unit_of_work() as uow:
        assert uow.ledger_entries.last("cus_a", "USD") == mine[3]
        assert uow.ledger_entries.last("cus_a", "credits") == others[0]


def test_last_sees_entries_added_in_the_same_unit_of_work(store: Store) -> None:
    older = ledger_entry(customer_id="cus_a", currency="USD", sequence=1)
    newer = ledger_entry(customer_id="cus_a", currency="USD", sequence=2)
    save(store, "ledger_entries", older)
    with store.unit_of_work() as uow:
        add(uow, "ledger_entries", newer)
        assert uow.ledger_entries.last("cus_a", "USD") == newer
        uow.rollback()
        assert uow.ledger_entries.last("cus_a", "USD") == older
