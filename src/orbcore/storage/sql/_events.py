"""Events in SQL: the table's primary key, the idempotency key, guards idempotency.

A batch costs a few statements whatever its size. Its events go in key order, so that
concurrent batches that share keys wait for each other instead of deadlocking. On
PostgreSQL through psycopg they go by binary ``COPY`` while batches bring only new keys,
under a savepoint: a key that exists fails the ``COPY``, the savepoint undoes it, and the
batch goes the careful way, as the next few batches do (see :class:`CopyFirst`). The
careful way looks up the keys, writes the events whose keys were not found (by ``COPY`` or
``INSERT ... ON CONFLICT DO NOTHING`` on PostgreSQL, by ``executemany`` on SQLite, whose
units of work run one at a time), and looks up again any key another unit of work stored
meanwhile; the stored body hashes tell duplicates from conflicts.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False), in C
from typing import Any

from sqlalchemy import Connection, Row, select, text
from sqlalchemy.dialects import postgresql

from orbcore._errors import ConflictError, StorageError
from orbcore._json import dumps_exact
from orbcore.events import Event
from orbcore.events._body import all_plain_records, is_plain_record
from orbcore.storage._collections import COLLECTIONS
from orbcore.storage._ports import AddOutcome
from orbcore.storage._values import check_storable
from orbcore.storage.sql._repository import SqlRepository
from orbcore.storage.sql._tables import events
from orbcore.storage.sql._translate import translated
from orbcore.storage.sql._types import Document, UtcDateTime

__all__ = ["CopyFirst", "SqlEventRepository"]

# Keys per IN list: well under SQLite's limit of bound parameters.
_CHUNK = 500
_COLUMNS = tuple(column.name for column in events.columns)

_HASHES = """
SELECT idempotency_key, body_hash FROM events WHERE idempotency_key = ANY(%(keys)b::text[])
"""
_COPY = f"COPY events ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_PG_TYPES: dict[type[Any], str] = {Document: "jsonb", UtcDateTime: "timestamptz"}
_COPY_TYPES = [_PG_TYPES.get(type(column.type), "text") for column in events.columns]
_key = operator.attrgetter("idempotency_key")
_row = operator.attrgetter(*_COLUMNS)  # the columns are named as the event's fields
_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


class SqlEventRepository(SqlRepository[Event]):
    """Events, unique by idempotency key across all time."""

    def __init__(
        self, connection: Callable[[], Connection], copy_first: CopyFirst | None = None
    ) -> None:
        super().__init__(COLLECTIONS["events"], events, connection)
        self._copy_first = CopyFirst() if copy_first is None else copy_first

    def from_row(self, row: Row[Any] | Mapping[str, Any]) -> Event:
        event = super().from_row(row)
        # JSONB writes whole numbers back as integers; event numbers are Decimals.
        if any(type(value) is int for value in event.properties.values()):
            properties = {
                name: Decimal(value) if type(value) is int else value
                for name, value in event.properties.items()
            }
            return dataclasses.replace(event, properties=properties)
        return event

    def add(self, event: Event) -> Event:
        outcome = self.add_many([event])[0]
        if outcome is not AddOutcome.INSERTED:
            raise ConflictError(f"event {event.idempotency_key!r} exists ({outcome.value})")
        return event

    def add_many(self, batch: Sequence[Event]) -> list[AddOutcome]:
        plain = all_plain_records(batch)
        if not plain:
            for event in batch:
                if not is_plain_record(event):
                    check_storable(event)
        keys = list(map(_key, batch))
        # Where each key first appears in the batch: written from the end, so that a
        # key's first index is written last.
        first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
        if not first:
            return []
        fresh = batch if len(first) == len(batch) else [batch[i] for i in sorted(first.values())]
        with translated("add events"), _driver_errors_translated(self.connection):
            inserted, known = self._insert_new(sorted(fresh, key=_key), plain)
        if len(inserted) == len(batch):  # every key new, none given twice
            return [AddOutcome.INSERTED] * len(batch)
        outcomes = []
        for index, event in enumerate(batch):
            key = event.idempotency_key
            if key in inserted and first[key] == index:
                outcomes.append(AddOutcome.INSERTED)
                continue
            reference = batch[first[key]].body_hash if key in inserted else known.get(key)
            same = reference == event.body_hash
            outcomes.append(AddOutcome.DUPLICATE if same else AddOutcome.CONFLICT)
        return outcomes

    def lock_intake(self) -> None:
        """Wait for the units of work inserting events (or holding this lock) to end, and
        keep others from inserting until this one ends. SQLite's units of work already run
        one at a time."""
        if self.connection.dialect.name == "postgresql":
            with translated("lock event intake"):
                # Conflicts with the ROW EXCLUSIVE lock every insert takes, and with
                # itself, so two holders never wait on each other's inserts.
                self.connection.execute(text("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE"))

    def _insert_new(self, fresh: Sequence[Event], plain: bool) -> tuple[set[str], dict[str, str]]:
        """Store the events, in key order, whose keys are not stored yet. Return the keys
        stored now, and the body hash stored under each of the others."""
        if self._copying() and self._copy_first.now() and self._copied(fresh, plain):
            return set(map(_key, fresh)), {}
        known = self._stored_hashes(list(map(_key, fresh)))
        new = [event for event in fresh if event.idempotency_key not in known]
        inserted = self._insert_if_new(new, plain) if new else set()
        if len(inserted) < len(new):  # stored meanwhile by another unit of work
            missed = [key for key in map(_key, new) if key not in inserted]
            known.update(self._stored_hashes(missed))
        return inserted, known

    def _insert_if_new(self, new: Sequence[Event], plain: bool) -> set[str]:
        """Store the events whose keys are still not stored; return their keys."""
        connection = self.connection
        if self._copying() and self._copied(new, plain):
            return set(map(_key, new))
        if connection.dialect.name == "sqlite":
            # Units of work run one at a time: the keys looked up are not stored. The
            # column types' own conversions, without a statement's per-row overhead.
            dialect = connection.dialect
            as_text = UtcDateTime().process_bind_param
            rows = [_values(event, lambda instant: as_text(instant, dialect)) for event in new]
            connection.exec_driver_sql(_INSERT, rows)
            return set(map(_key, new))
        statement = (
            postgresql.insert(events)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(events.c.idempotency_key)
        )
        # Many rows with RETURNING: SQLAlchemy sends multi-row INSERTs (insertmanyvalues).
        return set(connection.execute(statement, [self.to_row(e) for e in new]).scalars())

    def _copied(self, new: Sequence[Event], plain: bool) -> bool:
        """Store the events by binary ``COPY`` under a savepoint, if no key is stored yet:
        the usual case, at well under the cost of ``INSERT ... ON CONFLICT``. False if one
        was; nothing is then stored, and the next batches go the careful way first."""
        from psycopg.types.json import set_json_dumps  # on PostgreSQL through psycopg only

        connection = self.connection
        unique_violation: type[Exception] = connection.dialect.loaded_dbapi.errors.UniqueViolation
        driver: Any = connection.connection.driver_connection
        try:
            with connection.begin_nested(), driver.cursor() as cursor:
                # JSONB keeps numbers by value: plain properties need no mark of a Decimal.
                dumps = _plain_json if plain and _plain_json is not None else _properties_json
                set_json_dumps(dumps, context=cursor)
                with cursor.copy(_COPY) as copy:
                    copy.set_types(_COPY_TYPES)
                    for row in map(_row, new):
                        copy.write_row(row)
        except unique_violation:  # the savepoint is undone; the transaction goes on
            self._copy_first.repeated()
            return False
        return True

    def _stored_hashes(self, keys: Sequence[str]) -> dict[str, str]:
        if self._copying():
            rows = self.connection.exec_driver_sql(_HASHES, {"keys": list(keys)})
            return {key: digest for key, digest in rows}
        found: dict[str, str] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            statement = select(events.c.idempotency_key, events.c.body_hash).where(
                events.c.idempotency_key.in_(chunk)
            )
            found.update({key: digest for key, digest in self.connection.execute(statement)})
        return found

    def _copying(self) -> bool:
        """Whether the driver is psycopg, whose arrays and ``COPY`` this module uses."""
        return self.connection.dialect.driver == "psycopg"


class CopyFirst:
    """Whether a store's event batches try ``COPY`` first on PostgreSQL: yes while
    batches bring only new keys; after a batch that repeats one, not for the next
    ``AFTER_REPEAT`` batches, which look their keys up first. Shared by the store's units
    of work and read and written without a lock: a hint only, whose races change which
    way a batch goes, never its outcomes."""

    AFTER_REPEAT = 16

    def __init__(self) -> None:
        self._careful_batches = 0

    def now(self) -> bool:
        """Whether the next batch tries ``COPY`` first."""
        if self._careful_batches > 0:
            self._careful_batches -= 1
            return False
        return True

    def repeated(self) -> None:
        """A batch repeated a key."""
        self._careful_batches = self.AFTER_REPEAT


def _plain_json_encoder() -> Callable[[Any], bytes] | None:
    """msgspec's JSON encoder (the ``orbcore[fast]`` extra), writing each ``Decimal`` as
    a number; ``None`` without it."""
    try:
        import msgspec
    except ImportError:
        return None
    return msgspec.json.Encoder(decimal_format="number").encode


_plain_json = _plain_json_encoder()
"""Properties of plain events (texts, booleans, integers, finite ``Decimal`` values) as
JSON, in C, where msgspec is installed."""


def _properties_json(properties: Any) -> str:
    return _flat_json(properties) or dumps_exact(properties)


def _values(event: Event, instant: Callable[[datetime], object]) -> tuple[object, ...]:
    """The event's column values in table order, its properties as JSON text."""
    return (
        instant(event.timestamp),
        event.idempotency_key,
        event.event_name,
        event.customer_id,
        event.external_customer_id,
        _properties_json(event.properties),
        instant(event.ingested_at),
        event.body_hash,
        event.status,
        event.backfill_id,
        event.amends,
        event.replaced_by,
    )


def _flat_json(properties: object) -> str | None:
    """``dumps_exact(properties)`` for a dict of texts, booleans, integers and finite
    ``Decimal`` values, written directly; ``None`` for anything else."""
    if type(properties) is not dict:
        return None
    parts = []
    for name, value in properties.items():
        if type(value) is str:
            written = encode_basestring(value)
        elif type(value) is Decimal and value.is_finite():
            # format(value, "f") as dumps_exact writes it, which str() is unless it
            # chooses an exponent; an exponent marks a whole Decimal, to read back as one.
            written = str(value)
            if "E" in written:
                written = format(value, "f")
            if "." not in written:
                written += "E0"
        elif type(value) is bool:
            written = "true" if value else "false"
        elif type(value) is int:
            written = str(value)
        else:
            return None
        if type(name) is not str:
            return None
        parts.append(f"{encode_basestring(name)}:{written}")
    return "{" + ",".join(parts) + "}"


@contextmanager
def _driver_errors_translated(connection: Connection) -> Iterator[None]:
    """Errors of the driver's own calls (``COPY``), as :func:`translated` turns those
    of SQLAlchemy's statements."""
    driver = connection.dialect.loaded_dbapi
    try:
        yield
    except driver.IntegrityError as exc:
        raise ConflictError(f"cannot add events: {_first_line(exc)}") from exc
    except driver.Error as exc:
        raise StorageError(f"cannot add events: {_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
