"""Commit is explicit; rollback, leaving without commit, or an error discard the work."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from orbcore import ConflictError
from orbcore.storage import COLLECTIONS, Store, UnitOfWork

from .factories import CHANGES, FACTORIES, customer
from .helpers import add, fetch, key_of, list_all, repository, save

NAMES = list(COLLECTIONS)


class WorkFailedError(Exception):
    """Raised by a test inside a unit of work."""


def add_and_change(uow: UnitOfWork, name: str, existing: Any) -> Any:
    """Add a new record and, where records may change, update ``existing``."""
    new = FACTORIES[name]()
    add(uow, name, new)
    if name in CHANGES:
        repository(uow, name).update(dataclasses.replace(existing, **CHANGES[name]))
    return new


def assert_untouched(store: Store, name: str, existing: Any, new: Any) -> None:
    assert fetch(store, name, key_of(name, new)) is None
    assert fetch(store, name, key_of(name, existing)) == existing
    assert list_all(store, name) == [existing]


@pytest.mark.parametrize("name", NAMES)
def test_an_explicit_rollback_discards_adds_and_updates(store: Store, name: str) -> None:
    existing = FACTORIES[name]()
    save(store, name, existing)
    with store.unit_of_work() as uow:
        new = add_and_change(uow, name, existing)
        uow.rollback()
        assert repository(uow, name).find(key_of(name, new)) is None
        assert repository(uow, name).get(key_of(name, existing)) == existing
    assert_untouched(store, name, existing, new)


@pytest.mark.parametrize("name", NAMES)
def test_leaving_without_commit_discards_adds_and_updates(store: Store, name: str) -> None:
    existing = FACTORIES[name]()
    save(store, name, existing)
    with store.unit_of_work() as uow:
        new = add_and_change(uow, name, existing)
    assert_untouched(store, name, existing, new)


@pytest.mark.parametrize("name", NAMES)
def test_an_error_in_the_block_discards_the_work_and_propagates(store: Store, name: str) -> None:
    existing = FACTORIES[name]()
    save(store, name, existing)
    added: list[Any] = []

    def work_that_fails() -> None:
        with store.unit_of_work() as uow:
            added.append(add_and_change(uow, name, existing))
            raise WorkFailedError

    with pytest.raises(WorkFailedError):
        work_that_fails()
    assert_untouched(store, name, existing, added[0])


def test_work_committed_before_a_rollback_is_kept(store: Store) -> None:
    kept, dropped = customer(), customer()
    with store.unit_of_work() as uow:
        uow.customers.add(kept)
        uow.commit()
        uow.customers.add(dropped)
        uow.customers.update(dataclasses.replace(kept, name="Changed after the commit"))
        uow.rollback()
        assert uow.customers.get(kept.id) == kept
    assert list_all(store, "customers") == [kept]


def test_a_unit_of_work_goes_on_after_a_commit(store: Store) -> None:
    first, second = customer(), customer()
    with store.unit_of_work() as uow:
        uow.customers.add(first)
        uow.commit()
        uow.customers.add(second)
        uow.commit()
    assert list_all(store, "customers") == [first, second]


def test_a_second_unit_of_work_sees_committed_data(store: Store) -> None:
    record = customer()
    with store.unit_of_work() as uow:
        uow.customers.add(record)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.customers.get(record.id) == record
        stored = uow.customers.update(dataclasses.replace(record, name="Second"))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.customers.get(record.id) == stored


def test_a_rolled_back_add_frees_its_key_and_unique_values(store: Store) -> None:
    record = customer(external_customer_id="ext_x")
    with store.unit_of_work() as uow:
        uow.customers.add(record)
        uow.rollback()
        uow.customers.add(customer(id=record.id, external_customer_id="ext_x"))
        uow.commit()
    assert fetch(store, "customers", record.id).external_customer_id == "ext_x"


def test_a_rolled_back_update_gives_its_unique_values_back(store: Store) -> None:
    record = customer(external_customer_id="ext_old")
    save(store, "customers", record)
    with store.unit_of_work() as uow:
        uow.customers.update(dataclasses.replace(record, external_customer_id="ext_new"))
    save(store, "customers", customer(external_customer_id="ext_new"))
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.customers.add(customer(external_customer_id="ext_old"))
    with store.unit_of_work() as uow:
        assert uow.customers.find_by(external_customer_id="ext_old") == record


def test_rolling_back_with_nothing_to_undo_changes_nothing(store: Store) -> None:
    record = customer()
    save(store, "customers", record)
    with store.unit_of_work() as uow:
        uow.rollback()
        uow.rollback()
        uow.commit()
    assert list_all(store, "customers") == [record]
