"""Lists filter on declared fields, order by a declared field then the key, and page."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from orbcore import ValidationError
from orbcore.storage import COLLECTIONS, In, Query, Range, Store

from .factories import FACTORIES, at
from .helpers import (
    expected_order,
    is_datetime,
    is_nullable,
    list_all,
    list_pages,
    repository,
    save,
    type_names,
)

NAMES = list(COLLECTIONS)
FILTERS = [
    pytest.param(name, field, id=f"{name}-{field}")
    for name, collection in COLLECTIONS.items()
    for field in sorted(collection.filters)
]
NULLABLE_FILTERS = [
    pytest.param(name, field, id=f"{name}-{field}")
    for name, collection in COLLECTIONS.items()
    for field in sorted(collection.filters)
    if is_nullable(name, field)
]
DATETIME_FILTERS = [
    pytest.param(name, field, id=f"{name}-{field}")
    for name, collection in COLLECTIONS.items()
    for field in sorted(collection.filters)
    if is_datetime(name, field)
]
SORTS = [
    pytest.param(name, field, descending, id=f"{name}-{field}-{'desc' if descending else 'asc'}")
    for name, collection in COLLECTIONS.items()
    for field in collection.sorts
    for descending in (False, True)
]
KOLKATA = timezone(timedelta(hours=5, minutes=30))


def sample(name: str, field: str, index: int) -> Any:
    """A value of the field's type; equal indexes give equal values."""
    kinds = type_names(name, field)
    if "datetime" in kinds:
        return at(hours=100 + index)
    if "bool" in kinds:
        return index % 2 == 0
    if "int" in kinds:
        return index + 1
    if "str" in kinds:
        return f"{field}_{index}"
    raise AssertionError(f"no sample for {name}.{field}: {kinds}")


def records_varying(name: str, field: str) -> list[Any]:
    """Four records whose ``field`` repeats a value (if it may) and is missing (if it may)."""
    alone_unique = (field,) in COLLECTIONS[name].unique
    values: list[Any] = [
        sample(name, field, i) for i in ((0, 1, 2, 3) if alone_unique else (0, 1, 0, 2))
    ]
    if is_nullable(name, field):
        values[-1] = None
    return [FACTORIES[name](**{field: value}) for value in values]


def matching(records: list[Any], field: str, wanted: list[Any]) -> list[Any]:
    return [r for r in records if any(_same(getattr(r, field), w) for w in wanted)]


def _same(value: Any, wanted: Any) -> bool:
    return value is wanted if value is None or wanted is None else bool(value == wanted)


@pytest.mark.parametrize(("name", "field"), FILTERS)
def test_each_declared_field_filters_by_equality(store: Store, name: str, field: str) -> None:
    records = records_varying(name, field)
    save(store, name, *records)
    for value in {getattr(record, field) for record in records}:
        expected = expected_order(name, matching(records, field, [value]))
        assert list_all(store, name, where={field: value}) == expected, value


@pytest.mark.parametrize(("name", "field"), FILTERS)
def test_in_matches_any_of_its_values(store: Store, name: str, field: str) -> None:
    records = records_varying(name, field)
    save(store, name, *records)
    wanted = [getattr(records[0], field), getattr(records[1], field)]
    expected = expected_order(name, matching(records, field, wanted))
    assert list_all(store, name, where={field: In(*wanted)}) == expected
    assert list_all(store, name, where={field: In()}) == []


@pytest.mark.parametrize(("name", "field"), NULLABLE_FILTERS)
def test_none_in_an_in_matches_missing_values(store: Store, name: str, field: str) -> None:
    records = records_varying(name, field)
    save(store, name, *records)
    wanted = [getattr(records[1], field), None]
    expected = expected_order(name, matching(records, field, wanted))
    assert list_all(store, name, where={field: In(*wanted)}) == expected


@pytest.mark.parametrize(("name", "field"), DATETIME_FILTERS)
def test_a_range_includes_its_start_and_excludes_its_end(
    store: Store, name: str, field: str
) -> None:
    records = [FACTORIES[name](**{field: at(hours=hour)}) for hour in range(5)]
    missing = [FACTORIES[name](**{field: None})] if is_nullable(name, field) else []
    save(store, name, *records, *missing)

    def between(start: datetime | None, end: datetime | None) -> list[Any]:
        return list_all(store, name, where={field: Range(start, end)})

    assert between(at(hours=1), at(hours=3)) == expected_order(name, records[1:3])
    assert between(at(hours=3), None) == expected_order(name, records[3:])
    assert between(None, at(hours=1)) == expected_order(name, records[:1])
    in_kolkata = between(at(hours=1).astimezone(KOLKATA), at(hours=3).astimezone(KOLKATA))
    assert in_kolkata == expected_order(name, records[1:3])


def test_filters_combine_with_and(store: Store) -> None:
    records = [
        FACTORIES["invoices"](customer_id=customer, status=status)
        for customer in ("cus_a", "cus_b")
        for status in ("draft", "issued", "paid")
    ]
    save(store, "invoices", *records)
    found = list_all(
        store, "invoices", where={"customer_id": "cus_a", "status": In("issued", "paid")}
    )
    assert found == expected_order("invoices", records[1:3])


@pytest.mark.parametrize(("name", "order_by", "descending"), SORTS)
def test_lists_order_by_each_declared_field_then_by_key(
    store: Store, name: str, order_by: str, descending: bool
) -> None:
    as_value = at if is_datetime(name, order_by) else int
    records = [FACTORIES[name](**{order_by: as_value(rank)}) for rank in (2, 0, 1, 1, 0, 2)]
    save(store, name, *reversed(records))
    expected = expected_order(name, records, order_by)
    if descending:
        expected.reverse()
    assert list_all(store, name, order_by=order_by, descending=descending) == expected


@pytest.mark.parametrize("name", NAMES)
def test_the_default_order_is_the_first_declared_sort(store: Store, name: str) -> None:
    records = [FACTORIES[name]() for _ in range(4)]
    save(store, name, *reversed(records))
    first = COLLECTIONS[name].sorts[0]
    assert list_all(store, name) == list_all(store, name, order_by=first)
    assert list_all(store, name) == expected_order(name, records)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("name", NAMES)
def test_pages_return_every_record_once_in_order(store: Store, name: str, descending: bool) -> None:
    order_by = COLLECTIONS[name].sorts[-1]
    as_value = at if is_datetime(name, order_by) else int
    records = [FACTORIES[name](**{order_by: as_value(i // 3)}) for i in range(23)]
    shuffled = records[:]
    random.Random(23).shuffle(shuffled)
    save(store, name, *shuffled)
    pages = list_pages(store, name, order_by=order_by, descending=descending, limit=5)
    expected = expected_order(name, records, order_by)
    if descending:
        expected.reverse()
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert [record for page in pages for record in page] == expected


@pytest.mark.parametrize("name", NAMES)
def test_a_full_last_page_has_no_next_cursor(store: Store, name: str) -> None:
    save(store, name, *(FACTORIES[name]() for _ in range(10)))
    pages = list_pages(store, name, limit=5)
    assert [len(page) for page in pages] == [5, 5]


def test_pages_of_a_filtered_list_hold_only_matches(store: Store) -> None:
    records = [FACTORIES["events"](event_name=f"e{i % 2}", timestamp=at(i // 4)) for i in range(23)]
    save(store, "events", *records)
    pages = list_pages(store, "events", where={"event_name": "e1"}, limit=4)
    assert [len(page) for page in pages] == [4, 4, 3]
    expected = expected_order("events", [r for r in records if r.event_name == "e1"])
    assert [record for page in pages for record in page] == expected


def test_an_empty_list_is_one_empty_last_page(store: Store) -> None:
    with store.unit_of_work() as uow:
        page = uow.customers.list()
    assert page.items == ()
    assert page.next_cursor is None


@pytest.mark.parametrize("name", NAMES)
def test_a_cursor_only_continues_the_order_it_came_from(store: Store, name: str) -> None:
    save(store, name, *(FACTORIES[name]() for _ in range(3)))
    sorts = COLLECTIONS[name].sorts
    with store.unit_of_work() as uow:
        repo = repository(uow, name)
        cursor = repo.list(Query(order_by=sorts[0], limit=1)).next_cursor
        assert cursor is not None
        with pytest.raises(ValidationError):
            repo.list(Query(order_by=sorts[0], descending=True, limit=1, after=cursor))
        for other in sorts[1:]:
            with pytest.raises(ValidationError):
                repo.list(Query(order_by=other, limit=1, after=cursor))
        with pytest.raises(ValidationError):
            repo.list(Query(order_by=sorts[0], limit=1, after="not-a-cursor"))


@pytest.mark.parametrize("name", NAMES)
def test_undeclared_filter_and_order_fields_are_invalid_and_all_named(
    store: Store, name: str
) -> None:
    collection = COLLECTIONS[name]
    plain = [f for f in collection.fields if f not in collection.filters | {collection.key}]
    unsorted = next(f for f in collection.fields if f not in collection.sorts)
    with store.unit_of_work() as uow:
        repo = repository(uow, name)
        with pytest.raises(ValidationError) as raised:
            repo.list(Query(where=dict.fromkeys([*plain[:2], "no_such_field"], "x")))
        for field in [*plain[:2], "no_such_field"]:
            assert repr(field) in str(raised.value)
        with pytest.raises(ValidationError) as raised:
            repo.list(Query(where={"no_such_field": 1}, order_by=unsorted))
        assert repr("no_such_field") in str(raised.value)
        assert repr(unsorted) in str(raised.value)


@pytest.mark.parametrize(
    "name", [name for name, c in COLLECTIONS.items() if c.key not in c.filters]
)
def test_the_key_is_no_filter_unless_declared(store: Store, name: str) -> None:
    record = FACTORIES[name]()
    save(store, name, record)
    key = COLLECTIONS[name].key
    with store.unit_of_work() as uow, pytest.raises(ValidationError):
        repository(uow, name).list(Query(where={key: getattr(record, key)}))


def test_floats_and_naive_datetimes_are_refused_as_filter_values(store: Store) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError):
            uow.prices.list(Query(where={"plan_version": In(1, 2.0)}))
        with pytest.raises(ValidationError):
            uow.customers.list(Query(where={"created_at": Range(datetime(2024, 1, 1), None)}))
        with pytest.raises(ValidationError):
            uow.customers.list(Query(where={"created_at": datetime(2024, 1, 1)}))
