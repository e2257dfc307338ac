"""One collection's records in memory, with its unique indexes kept beside them."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from orbcore._errors import ConflictError
from orbcore.storage._collections import Collection
from orbcore.storage.memory._journal import Journal

__all__ = ["Table"]

R = TypeVar("R")
Values = tuple[object, ...]


class Table(Generic[R]):
    """The stored records of one collection, by key, and an index per unique tuple.

    A unique tuple whose values include ``None`` is not indexed, so any number of
    records may share it, as with a SQL unique constraint. Every change is recorded in
    the caller's :class:`Journal` so that it can be undone.

    Args:
        collection: what is stored and which field tuples are unique.
    """

    def __init__(self, collection: Collection[R]) -> None:
        self.collection = collection
        self.rows: dict[str, R] = {}
        self._indexes: dict[tuple[str, ...], dict[Values, str]] = {
            fields: {} for fields in collection.unique
        }

    def get(self, key: str) -> R | None:
        """The stored record with ``key``, or ``None``."""
        return self.rows.get(key)

    def key_for(self, fields: tuple[str, ...], values: Values) -> str | None:
        """The key of the record whose unique ``fields`` hold ``values``, or ``None``."""
        return self._indexes[fields].get(values)

    def insert(self, record: R, journal: Journal) -> None:
        """Store a new record.

        Raises:
            ConflictError: its key or one of its unique values is taken.
        """
        key = self.collection.key_of(record)
        if key in self.rows:
            raise ConflictError(
                f"{self.collection.name}: a record with {self.collection.key} {key!r} exists"
            )
        self._check_unique(record, key)
        self._put(key, record)
        journal.record(lambda: self._drop(key))

    def replace(self, record: R, journal: Journal) -> None:
        """Put ``record`` in place of the stored record with the same key.

        Raises:
            ConflictError: one of its unique values belongs to another record.
        """
        key = self.collection.key_of(record)
        previous = self.rows[key]
        self._check_unique(record, key)
        self._swap(key, record)
        journal.record(lambda: self._swap(key, previous))

    def remove(self, key: str, journal: Journal) -> None:
        """Delete the stored record with ``key``."""
        previous = self.rows[key]
        self._drop(key)
        journal.record(lambda: self._put(key, previous))

    def _check_unique(self, record: R, key: str) -> None:
        for fields, index in self._indexes.items():
            values = _values(record, fields)
            if values is None:
                continue
            holder = index.get(values)
            if holder is not None and holder != key:
                shown = ", ".join(
                    f"{name}={value!r}" for name, value in zip(fields, values, strict=True)
                )
                raise ConflictError(f"{self.collection.name}: {shown} belongs to {holder!r}")

    def _put(self, key: str, record: R) -> None:
        self.rows[key] = record
        for fields, index in self._indexes.items():
            values = _values(record, fields)
            if values is not None:
                index[values] = key

    def _drop(self, key: str) -> None:
        record = self.rows.pop(key)
        for fields, index in self._indexes.items():
            values = _values(record, fields)
            if values is not None:
                del index[values]

    def _swap(self, key: str, record: R) -> None:
        self._drop(key)
        self._put(key, record)


def _values(record: Any, fields: tuple[str, ...]) -> Values | None:
    """The record's values of ``fields``, or ``None`` when one of them is missing."""
    values = tuple(getattr(record, name) for name in fields)
    return None if any(value is None for value in values) else values
