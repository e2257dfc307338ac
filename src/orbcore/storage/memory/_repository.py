"""The generic in-memory repository: one class for every collection."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from orbcore._errors import ConflictError, NotFoundError, ValidationError
from orbcore.storage._collections import Collection
from orbcore.storage._query import Page, Query
from orbcore.storage._values import check_storable, detached
from orbcore.storage.memory._journal import Journal
from orbcore.storage.memory._listing import select
from orbcore.storage.memory._table import Table

__all__ = ["MemoryRepository"]

R = TypeVar("R")


class MemoryRepository(Generic[R]):
    """Stores the records of one :class:`Collection` in a :class:`Table`.

    Records are frozen, but the dicts and lists inside them are not: the store keeps
    deep copies of what it is given and hands out deep copies of what it keeps, so no
    caller can change stored data except through ``add`` and ``update``.

    Args:
        table: where the collection's records live.
        journal: the undo log of the unit of work this repository belongs to.
    """

    def __init__(self, table: Table[R], journal: Journal) -> None:
        self._table = table
        self._journal = journal

    @property
    def collection(self) -> Collection[R]:
        """What this repository stores."""
        return self._table.collection

    def add(self, record: R) -> R:
        """Store a new record and return it.

        Raises:
            ConflictError: the key or a unique value is taken.
            ValidationError: ``record`` is not of the collection's record type, or holds
                a value no store keeps (see :func:`check_storable`).
        """
        self._journal.check()
        self._check_type(record)
        self._table.insert(detached(record), self._journal)
        return record

    def get(self, key: str) -> R:
        """The record with ``key``.

        Raises:
            NotFoundError: there is none.
        """
        found = self.find(key)
        if found is None:
            raise NotFoundError(f"no {self.collection.name} record {key!r}")
        return found

    def find(self, key: str) -> R | None:
        """The record with ``key``, or ``None``."""
        self._journal.check()
        return _copy(self._table.get(key))

    def find_many(self, keys: Sequence[str]) -> dict[str, R]:
        """The records with any of ``keys``, by key; keys with no record are left out."""
        self._journal.check()
        stored = {key: self._table.get(key) for key in keys}
        return {key: detached(record) for key, record in stored.items() if record is not None}

    def hold(self, keys: Sequence[str]) -> dict[str, R]:
        """:meth:`find_many`: a memory unit of work already excludes every other."""
        return self.find_many(keys)

    def find_by(self, **values: object) -> R | None:
        """The record whose key, or whose fields of one declared unique tuple, equal
        ``values``. A ``None`` among the values finds nothing: such tuples are not unique.

        Raises:
            ValidationError: ``values`` name neither the key nor a unique tuple.
        """
        self._journal.check()
        names = set(values)
        if names == {self.collection.key}:
            key = values[self.collection.key]
            return None if key is None else _copy(self._table.get(str(key)))
        for fields in self.collection.unique:
            if names == set(fields):
                wanted = tuple(values[name] for name in fields)
                if any(value is None for value in wanted):
                    return None
                key = self._table.key_for(fields, wanted)
                return None if key is None else _copy(self._table.get(key))
        choices = [(self.collection.key,), *self.collection.unique]
        raise ValidationError.at(
            ("values",),
            f"{tuple(sorted(names))} is not a unique key of {self.collection.name}; use one of "
            + "; ".join(", ".join(fields) for fields in choices),
        )

    def update(self, record: R) -> R:
        """Replace the stored record that has ``record``'s key; return what was stored.

        For a versioned collection the stored revision must be ``record.revision``; the
        record is stored with the next revision.

        Raises:
            ValidationError: the collection's records cannot change, or ``record`` is not
                of its record type or holds a value no store keeps.
            NotFoundError: there is no such record.
            ConflictError: the stored revision differs, or a unique value is taken.
        """
        self._journal.check()
        self._check_type(record)
        if not self.collection.mutable:
            raise ValidationError.at((), f"{self.collection.name} records cannot be changed")
        stored = self._stored(self.collection.key_of(record))
        if self.collection.versioned:
            where = f"{self.collection.name} record {self.collection.key_of(record)!r}"
            record = _next_revision(record, stored, where)
        self._table.replace(detached(record), self._journal)
        return record

    def _stored(self, key: str) -> R:
        """The stored record itself (not a copy), for code that replaces it."""
        stored = self._table.get(key)
        if stored is None:
            raise NotFoundError(f"no {self.collection.name} record {key!r}")
        return stored

    def _check_type(self, record: object) -> None:
        """Refuse a record of another type, or one a SQL store could not keep."""
        if not isinstance(record, self.collection.record):
            raise ValidationError.at(
                (),
                f"{self.collection.name} stores {self.collection.record.__name__} records, "
                f"not {type(record).__name__}",
            )
        check_storable(record)

    def list(self, query: Query | None = None) -> Page[R]:
        """One page of records matching ``query`` (every record, 100 a page, by default).

        Raises:
            ValidationError: a filter or order on an undeclared field, or a bad cursor.
        """
        self._journal.check()
        page = select(self._table.rows.values(), self.collection, query or Query())
        return Page(tuple(detached(item) for item in page.items), page.next_cursor)


def _copy(record: R | None) -> R | None:
    return None if record is None else detached(record)


def _next_revision(record: R, stored: R, where: str) -> R:
    """``record`` with the revision after ``stored``'s, if it was read at ``stored``'s."""
    mine: Any = record
    theirs: Any = stored
    if mine.revision != theirs.revision:
        raise ConflictError(f"{where} changed since revision {mine.revision}; read it again")
    result: R = dataclasses.replace(mine, revision=theirs.revision + 1)
    return result
