"""Add, get, find, find_by and update behave the same for every collection."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from orbcore import ConflictError, NotFoundError, ValidationError
from orbcore.storage import COLLECTIONS, Store

from .factories import CHANGES, FACTORIES, UNIQUE_FILL, at
from .helpers import add, fetch, is_nullable, key_of, repository, save, save_parents

NAMES = list(COLLECTIONS)
MUTABLE = [name for name, collection in COLLECTIONS.items() if collection.mutable]
IMMUTABLE = [name for name, collection in COLLECTIONS.items() if not collection.mutable]
VERSIONED = [name for name in MUTABLE if COLLECTIONS[name].versioned]
UNVERSIONED = [name for name in MUTABLE if not COLLECTIONS[name].versioned]


def unique_cases(names: list[str]) -> list[Any]:
    """One case per unique tuple of the ``names`` collections."""
    return [
        pytest.param(name, fields, id=f"{name}-{'+'.join(fields)}")
        for name in names
        for fields in COLLECTIONS[name].unique
    ]


UNIQUE = unique_cases(NAMES)
MUTABLE_UNIQUE = unique_cases(MUTABLE)
NULLABLE_UNIQUE = [
    pytest.param(name, fields, field, id=f"{name}-{field}")
    for name, collection in COLLECTIONS.items()
    for fields in collection.unique
    for field in fields
    if is_nullable(name, field)
]


def unique_values(fields: tuple[str, ...], variant: int = 0) -> dict[str, Any]:
    """Non-missing values for the unique ``fields`` a factory may leave empty."""
    values: dict[str, Any] = {}
    for field in fields:
        if field in UNIQUE_FILL:
            base = UNIQUE_FILL[field]
            values[field] = base + variant if isinstance(base, int) else f"{base}{variant}"
    return values


def changed(name: str, record: Any) -> Any:
    return dataclasses.replace(record, **CHANGES[name])


@pytest.mark.parametrize("name", NAMES)
def test_an_added_record_reads_back_equal(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    with store.unit_of_work() as uow:
        assert add(uow, name, record) == record
        assert repository(uow, name).get(key_of(name, record)) == record
        uow.commit()
    stored = fetch(store, name, key_of(name, record))
    assert stored == record
    assert type(stored) is type(record)


@pytest.mark.parametrize("name", NAMES)
def test_adding_a_taken_key_conflicts_and_keeps_the_first(store: Store, name: str) -> None:
    first = FACTORIES[name]()
    save(store, name, first)
    key_field = COLLECTIONS[name].key
    second = FACTORIES[name](**{key_field: key_of(name, first)})
    save_parents(store, name, second)
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        repository(uow, name).add(second)
    assert fetch(store, name, key_of(name, first)) == first


@pytest.mark.parametrize(("name", "fields"), UNIQUE)
def test_each_unique_tuple_refuses_a_second_record(
    store: Store, name: str, fields: tuple[str, ...]
) -> None:
    first = FACTORIES[name](**unique_values(fields))
    save(store, name, first)
    second = FACTORIES[name](**{field: getattr(first, field) for field in fields})
    save_parents(store, name, second)
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        repository(uow, name).add(second)
    assert fetch(store, name, key_of(name, second)) is None
    assert fetch(store, name, key_of(name, first)) == first


@pytest.mark.parametrize(("name", "fields", "missing"), NULLABLE_UNIQUE)
def test_unique_tuples_with_a_missing_value_do_not_collide(
    store: Store, name: str, fields: tuple[str, ...], missing: str
) -> None:
    first = FACTORIES[name](**(unique_values(fields) | {missing: None}))
    second = FACTORIES[name](**{field: getattr(first, field) for field in fields})
    save(store, name, first, second)
    assert fetch(store, name, key_of(name, first)) == first
    assert fetch(store, name, key_of(name, second)) == second


@pytest.mark.parametrize("name", NAMES)
def test_a_missing_key_is_not_found(store: Store, name: str) -> None:
    save(store, name, FACTORIES[name]())
    with store.unit_of_work() as uow:
        with pytest.raises(NotFoundError):
            repository(uow, name).get("no_such_key")
        assert repository(uow, name).find("no_such_key") is None


@pytest.mark.parametrize("name", NAMES)
def test_find_by_the_key_finds_the_record(store: Store, name: str) -> None:
    record, other = FACTORIES[name](), FACTORIES[name]()
    save(store, name, record, other)
    key_field = COLLECTIONS[name].key
    with store.unit_of_work() as uow:
        assert repository(uow, name).find_by(**{key_field: key_of(name, record)}) == record
        assert repository(uow, name).find_by(**{key_field: "no_such_key"}) is None


@pytest.mark.parametrize(("name", "fields"), UNIQUE)
def test_find_by_a_unique_tuple_finds_the_record(
    store: Store, name: str, fields: tuple[str, ...]
) -> None:
    record = FACTORIES[name](**unique_values(fields))
    other = FACTORIES[name](**unique_values(fields, variant=1))
    save(store, name, record, other)
    with store.unit_of_work() as uow:
        found = repository(uow, name).find_by(**{f: getattr(record, f) for f in fields})
        assert found == record
        unsaved = FACTORIES[name](**unique_values(fields, variant=2))
        unknown = {f: getattr(unsaved, f) for f in fields}
        assert repository(uow, name).find_by(**unknown) is None


@pytest.mark.parametrize(("name", "fields", "missing"), NULLABLE_UNIQUE)
def test_find_by_with_a_missing_value_finds_nothing(
    store: Store, name: str, fields: tuple[str, ...], missing: str
) -> None:
    record = FACTORIES[name](**(unique_values(fields) | {missing: None}))
    save(store, name, record)
    with store.unit_of_work() as uow:
        assert repository(uow, name).find_by(**{f: getattr(record, f) for f in fields}) is None


@pytest.mark.parametrize("name", NAMES)
def test_find_by_fields_that_are_not_unique_is_invalid(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    collection = COLLECTIONS[name]
    identifying = {collection.key} | {field for fields in collection.unique for field in fields}
    plain = next(field for field in collection.fields if field not in identifying)
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError):
            repository(uow, name).find_by(**{plain: getattr(record, plain)})
        with pytest.raises(ValidationError):
            repository(uow, name).find_by()


@pytest.mark.parametrize("name", VERSIONED)
def test_an_update_bumps_the_revision_and_is_visible(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    with store.unit_of_work() as uow:
        stored = repository(uow, name).update(changed(name, record))
        assert stored == dataclasses.replace(changed(name, record), revision=record.revision + 1)
        assert repository(uow, name).get(key_of(name, record)) == stored
        uow.commit()
    assert fetch(store, name, key_of(name, record)) == stored


@pytest.mark.parametrize("name", UNVERSIONED)
def test_an_update_of_an_unversioned_record_replaces_it(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    with store.unit_of_work() as uow:
        assert repository(uow, name).update(changed(name, record)) == changed(name, record)
        uow.commit()
    assert fetch(store, name, key_of(name, record)) == changed(name, record)


@pytest.mark.parametrize("name", VERSIONED)
def test_an_update_from_a_stale_read_conflicts_and_changes_nothing(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    with store.unit_of_work() as uow:
        first_read = repository(uow, name).get(key_of(name, record))
    with store.unit_of_work() as uow:
        winner = repository(uow, name).update(changed(name, record))
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        repository(uow, name).update(dataclasses.replace(first_read, **CHANGES[name]))
    assert fetch(store, name, key_of(name, record)) == winner


@pytest.mark.parametrize("name", VERSIONED)
def test_an_update_with_a_revision_ahead_of_the_store_conflicts(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    ahead = dataclasses.replace(changed(name, record), revision=record.revision + 1)
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        repository(uow, name).update(ahead)
    assert fetch(store, name, key_of(name, record)) == record


@pytest.mark.parametrize("name", MUTABLE)
def test_an_update_of_a_missing_record_is_not_found(store: Store, name: str) -> None:
    with store.unit_of_work() as uow, pytest.raises(NotFoundError):
        repository(uow, name).update(FACTORIES[name]())


@pytest.mark.parametrize("name", IMMUTABLE)
def test_immutable_records_refuse_updates(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    with store.unit_of_work() as uow, pytest.raises(ValidationError):
        repository(uow, name).update(record)
    assert fetch(store, name, key_of(name, record)) == record


@pytest.mark.parametrize(("name", "fields"), MUTABLE_UNIQUE)
def test_an_update_cannot_take_another_records_unique_values(
    store: Store, name: str, fields: tuple[str, ...]
) -> None:
    first = FACTORIES[name](**unique_values(fields))
    second = FACTORIES[name](**unique_values(fields, variant=1))
    save(store, name, first, second)
    taking = dataclasses.replace(second, **{field: getattr(first, field) for field in fields})
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        repository(uow, name).update(taking)
    assert fetch(store, name, key_of(name, second)) == second


@pytest.mark.parametrize(("name", "fields"), MUTABLE_UNIQUE)
def test_an_update_frees_the_unique_values_it_leaves(
    store: Store, name: str, fields: tuple[str, ...]
) -> None:
    record = FACTORIES[name](**unique_values(fields))
    save(store, name, record)
    moved_values = {
        field: getattr(FACTORIES[name](**unique_values(fields, 1)), field) for field in fields
    }
    moved = dataclasses.replace(record, **moved_values)
    save_parents(store, name, moved)
    with store.unit_of_work() as uow:
        repository(uow, name).update(moved)
        uow.commit()
    newcomer = FACTORIES[name](**{field: getattr(record, field) for field in fields})
    save(store, name, newcomer)
    latecomer = FACTORIES[name](**moved_values)
    save_parents(store, name, latecomer)
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        repository(uow, name).add(latecomer)


@pytest.mark.parametrize("name", NAMES)
def test_find_many_returns_the_stored_records_by_key(store: Store, name: str) -> None:
    records = [FACTORIES[name]() for _ in range(3)]
    save(store, name, *records)
    keys = [key_of(name, record) for record in records]
    with store.unit_of_work() as uow:
        found = repository(uow, name).find_many([keys[2], "no-such-key", keys[0], keys[0]])
    assert found == {keys[2]: records[2], keys[0]: records[0]}


@pytest.mark.parametrize("name", ["subscriptions", "customers", "billable_metrics"])
def test_hold_reads_what_find_many_reads_and_the_unit_of_work_goes_on(
    store: Store, name: str
) -> None:
    records = [FACTORIES[name]() for _ in range(3)]
    save(store, name, *records)
    keys = [key_of(name, record) for record in records]
    with store.unit_of_work() as uow:
        held = repository(uow, name).hold([keys[1], "no-such-key", keys[2]])
        updated = repository(uow, name).update(changed(name, records[1]))
        uow.commit()
    assert held == {keys[1]: records[1], keys[2]: records[2]}
    assert fetch(store, name, keys[1]) == updated


def test_closed_periods_are_those_of_issued_or_paid_invoices_ended_in_the_window(
    store: Store,
) -> None:
    make = FACTORIES["invoices"]
    invoices = [
        make(customer_id="cus_a", status="issued", period_start=at(0), period_end=at(10)),
        make(customer_id="cus_a", status="paid", period_start=at(10), period_end=at(30)),
        make(customer_id="cus_a", status="paid", period_start=at(30), period_end=at(60)),
        make(customer_id="cus_a", status="draft", period_start=at(60), period_end=at(90)),
        make(customer_id="cus_b", status="void", period_start=at(0), period_end=at(50)),
        make(customer_id="cus_c", status="issued", period_start=at(5), period_end=at(20)),
    ]
    save(store, "invoices", *invoices)
    with store.unit_of_work() as uow:
        closed = uow.invoices.closed_periods(
            ["cus_a", "cus_b", "cus_c", "cus_z"], ended_by=at(50), ending_after=at(10)
        )
    assert closed == {"cus_a": [(at(10), at(30))], "cus_c": [(at(5), at(20))]}
