"""The generic SQL repository: one collection, one table, SQLAlchemy Core statements."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Row, Table, and_, bindparam, or_, select
from sqlalchemy.sql import Select

from orbcore._errors import ConflictError, NotFoundError, ValidationError
from orbcore.storage._collections import Collection
from orbcore.storage._query import Cursor, In, Page, Query, Range, decode_cursor, encode_cursor
from orbcore.storage._values import check_query, check_storable
from orbcore.storage.sql._translate import translated

__all__ = ["SqlRepository"]

R = TypeVar("R")


class SqlRepository(Generic[R]):
    """Add, get, update and list the records of one collection in one table."""

    def __init__(
        self, collection: Collection[R], table: Table, connection: Callable[[], Connection]
    ) -> None:
        self.collection = collection
        self.table = table
        self._connection = connection
        self._fields, self._select_all, self._by_key = _statements(collection, table)

    @property
    def connection(self) -> Connection:
        """The unit of work's connection (raises if the unit of work is not open)."""
        return self._connection()

    def to_row(self, record: R) -> dict[str, Any]:
        """The column values of ``record``."""
        return {name: getattr(record, name) for name in self._fields}

    def from_row(self, row: Row[Any] | Mapping[str, Any]) -> R:
        """The record stored in ``row``."""
        values = row._mapping if isinstance(row, Row) else row
        return self.collection.record(**{name: values[name] for name in self._fields})

    def _key_column(self) -> ColumnElement[Any]:
        return self.table.c[self.collection.key]

    def guarded(self) -> AbstractContextManager[object]:
        """A savepoint around one write on PostgreSQL, where a failed statement would
        abort the whole transaction; nothing on SQLite, which undoes just the statement."""
        if self.connection.dialect.name == "postgresql":
            return self.connection.begin_nested()
        return nullcontext()

    def add(self, record: R) -> R:
        check_storable(record)
        with translated(f"add to {self.collection.name}"), self.guarded():
            self.connection.execute(self.table.insert(), self.to_row(record))
        return record

    def find(self, key: str) -> R | None:
        with translated(f"read {self.collection.name}"):
            row = self.connection.execute(self._by_key, {"key": key}).first()
        return None if row is None else self.from_row(row)

    def find_many(self, keys: Sequence[str]) -> dict[str, R]:
        return self._find_many(keys, lock=False)

    def hold(self, keys: Sequence[str]) -> dict[str, R]:
        # FOR SHARE on PostgreSQL, in key order; SQLite ignores it (and its writer, holding
        # the database's write lock, excludes every other).
        return self._find_many(keys, lock=True)

    def _find_many(self, keys: Sequence[str], *, lock: bool) -> dict[str, R]:
        found: dict[str, R] = {}
        unique = sorted(set(keys))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            statement = self._select_all.where(self._key_column().in_(chunk))
            if lock:
                statement = statement.order_by(self._key_column()).with_for_update(read=True)
            with translated(f"read {self.collection.name}"):
                rows = self.connection.execute(statement).all()
            for row in rows:
                record = self.from_row(row)
                found[self.collection.key_of(record)] = record
        return found

    def get(self, key: str) -> R:
        found = self.find(key)
        if found is None:
            raise NotFoundError(f"no {self.collection.name} record {key!r}")
        return found

    def find_by(self, **values: object) -> R | None:
        names = tuple(sorted(values))
        allowed = [tuple(sorted(u)) for u in self.collection.unique] + [(self.collection.key,)]
        if names not in allowed:
            raise ValidationError.at(
                ("values",), f"{names} is not a unique key of {self.collection.name}"
            )
        if any(value is None for value in values.values()):
            return None
        condition = and_(*(self.table.c[name] == value for name, value in values.items()))
        with translated(f"read {self.collection.name}"):
            row = self.connection.execute(self._select().where(condition)).first()
        return None if row is None else self.from_row(row)

    def update(self, record: R) -> R:
        collection = self.collection
        if not collection.mutable:
            raise ValidationError.at((), f"{collection.name} records cannot be changed")
        check_storable(record)
        key = collection.key_of(record)
        stored = record
        revision = 0
        condition = self._key_column() == key
        if collection.versioned:
            revision = int(getattr(record, "revision"))  # noqa: B009
            stored = dataclasses.replace(record, revision=revision + 1)  # type: ignore[type-var]
            condition = and_(condition, self.table.c.revision == revision)
        with translated(f"update {collection.name}"), self.guarded():
            result = self.connection.execute(
                self.table.update().where(condition).values(self.to_row(stored))
            )
        if result.rowcount == 0:
            if self.find(key) is None:
                raise NotFoundError(f"no {collection.name} record {key!r}")
            raise ConflictError(
                f"{collection.name} record {key!r} changed since revision {revision}; read it again"
            )
        return stored

    def _select(self) -> Select[Any]:
        return self._select_all

    def _conditions(self, where: Mapping[str, object]) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        for name, wanted in where.items():
            column = self.table.c[name]
            if isinstance(wanted, In):
                present = [value for value in wanted.values if value is not None]
                matches = column.in_(present)
                # SQL's IN never matches NULL; In(..., None) matches a missing value.
                has_none = len(present) < len(wanted.values)
                conditions.append(or_(matches, column.is_(None)) if has_none else matches)
            elif isinstance(wanted, Range):
                if wanted.start is not None:
                    conditions.append(column >= wanted.start)
                if wanted.end is not None:
                    conditions.append(column < wanted.end)
            elif wanted is None:
                conditions.append(column.is_(None))
            else:
                conditions.append(column == wanted)
        return conditions

    def list(self, query: Query | None = None) -> Page[R]:
        query = query or Query()
        order_by = check_query(self.collection, query)
        rows = self.list_rows(query, order_by)
        return self.page(rows[: query.limit], len(rows) > query.limit, query, order_by)

    def list_rows(self, query: Query, order_by: str) -> Sequence[Row[Any]]:
        """The rows of one page plus one, to tell whether another page follows."""
        sort, key = self.table.c[order_by], self._key_column()
        conditions = self._conditions(query.where)
        if query.after is not None:
            cursor = decode_cursor(query.after, query, order_by)
            if query.descending:
                after = or_(sort < cursor.value, and_(sort == cursor.value, key < cursor.key))
            else:
                after = or_(sort > cursor.value, and_(sort == cursor.value, key > cursor.key))
            conditions.append(after)
        ordering = [sort.desc(), key.desc()] if query.descending else [sort.asc(), key.asc()]
        statement = self._select().where(*conditions).order_by(*ordering).limit(query.limit + 1)
        with translated(f"list {self.collection.name}"):
            return self.connection.execute(statement).all()

    def page(self, rows: Sequence[Row[Any]], more: bool, query: Query, order_by: str) -> Page[R]:
        """Records of ``rows`` with the cursor to the next page if ``more``."""
        items = tuple(self.from_row(row) for row in rows)
        next_cursor = None
        if more and items:
            last = items[-1]
            cursor = Cursor(
                order_by, query.descending, getattr(last, order_by), self.collection.key_of(last)
            )
            next_cursor = encode_cursor(cursor)
        return Page(items, next_cursor)


@functools.cache
def _statements(
    collection: Collection[Any], table: Table
) -> tuple[tuple[str, ...], Select[Any], Select[Any]]:
    """The stored fields, and the statements that select all records and one by key.
    Built once per table: a unit of work makes its repositories anew, and constructing a
    statement costs more than running a cached one."""
    fields = tuple(name for name in collection.fields if name in table.c)
    select_all = select(*(table.c[name] for name in fields))
    return fields, select_all, select_all.where(table.c[collection.key] == bindparam("key"))
