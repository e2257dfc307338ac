"""Steps the contract cases share: save records, read them back, page through a list."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from orbcore.storage import COLLECTIONS, Query, Repository, Store, UnitOfWork

from .factories import FACTORIES, REFERENCES


def repository(uow: UnitOfWork, collection: str) -> Repository[Any]:
    """The repository of ``collection`` in ``uow`` (attributes are named after collections)."""
    return cast("Repository[Any]", getattr(uow, collection))


def add(uow: UnitOfWork, collection: str, record: Any) -> Any:
    """Add ``record`` after the records it refers to, making those that are missing."""
    add_parents(uow, collection, record)
    return repository(uow, collection).add(record)


def add_parents(uow: UnitOfWork, collection: str, record: Any) -> None:
    """Add a record for each reference of ``record`` that names none yet."""
    for field, parent_collection in REFERENCES.get(collection, {}).items():
        key = getattr(record, field)
        if key is not None and repository(uow, parent_collection).find(key) is None:
            add(uow, parent_collection, FACTORIES[parent_collection](id=key))


def save(store: Store, collection: str, *records: Any) -> None:
    """Add ``records`` (and missing parents) to ``collection`` in one committed unit of work."""
    with store.unit_of_work() as uow:
        for record in records:
            add(uow, collection, record)
        uow.commit()


def save_parents(store: Store, collection: str, *records: Any) -> None:
    """Add, and commit, the missing records that ``records`` refer to."""
    with store.unit_of_work() as uow:
        for record in records:
            add_parents(uow, collection, record)
        uow.commit()


def fetch(store: Store, collection: str, key: str) -> Any:
    """The stored record of ``collection`` with ``key``, or ``None``, read in a new unit of work."""
    with store.unit_of_work() as uow:
        return repository(uow, collection).find(key)


def list_all(store: Store, collection: str, **query: Any) -> list[Any]:
    """Every record a list query returns, following cursors page by page."""
    pages = list_pages(store, collection, **query)
    return [record for page in pages for record in page]


def list_pages(store: Store, collection: str, **query: Any) -> list[list[Any]]:
    """The pages of a list query, each as a list, following cursors to the end."""
    pages: list[list[Any]] = []
    after: str | None = None
    with store.unit_of_work() as uow:
        while True:
            page = repository(uow, collection).list(Query(**query, after=after))
            pages.append(list(page.items))
            if page.next_cursor is None:
                return pages
            after = page.next_cursor


def key_of(collection: str, record: Any) -> str:
    """The key of ``record`` in ``collection``."""
    return str(getattr(record, COLLECTIONS[collection].key))


def expected_order(collection: str, records: list[Any], order_by: str | None = None) -> list[Any]:
    """``records`` in the order a list returns them: by ``order_by``, then by key."""
    field = order_by or COLLECTIONS[collection].sorts[0]
    return sorted(records, key=lambda record: (getattr(record, field), key_of(collection, record)))


def type_names(collection: str, field: str) -> set[str]:
    """The names in the field's annotation, split at ``|``: ``{"datetime", "None"}``."""
    (declared,) = (f for f in dataclasses.fields(COLLECTIONS[collection].record) if f.name == field)
    text = declared.type if isinstance(declared.type, str) else str(declared.type)
    return {part.strip().rpartition(".")[2] for part in text.split("|")}


def is_nullable(collection: str, field: str) -> bool:
    """Whether the field may hold ``None``."""
    return "None" in type_names(collection, field)


def is_datetime(collection: str, field: str) -> bool:
    """Whether the field holds a ``datetime`` (or ``None``)."""
    return "datetime" in type_names(collection, field)
