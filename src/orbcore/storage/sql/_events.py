"""Events in SQL: the key register guards idempotency; events may be partitioned.

A batch costs a few statements whatever its size. Its keys are registered with
``INSERT ... ON CONFLICT DO NOTHING RETURNING``: the unique key decides which are new, in
the unit of work's transaction. Only the new events are then written, and the keys that
were not new are looked up at once, to tell duplicates from conflicts. On PostgreSQL
through psycopg the events go by binary ``COPY``, and so do the keys while batches bring
only new ones (under a savepoint: a key that exists fails the ``COPY``, and the batch then
registers its keys as three arrays in one ``INSERT ... ON CONFLICT``, as the next few
batches do; see :class:`KeyClaims`). Elsewhere the keys go in multi-row ``INSERT``
statements and the events by ``executemany``.
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
from sqlalchemy.dialects import postgresql, sqlite

from orbcore._errors import ConflictError, StorageError
from orbcore._json import dumps_exact
from orbcore.events import Event
from orbcore.events._body import all_plain_records, is_plain_record
from orbcore.storage._collections import COLLECTIONS
from orbcore.storage._ports import AddOutcome
from orbcore.storage._values import check_storable
from orbcore.storage.sql._repository import SqlRepository
from orbcore.storage.sql._tables import event_keys, events
from orbcore.storage.sql._translate import translated
from orbcore.storage.sql._types import Document, UtcDateTime

__all__ = ["KeyClaims", "SqlEventRepository"]

# Keys per IN list: well under SQLite's limit of bound parameters.
_CHUNK = 500
_COLUMNS = tuple(column.name for column in events.columns)

# In key order (the arrays come sorted), so that concurrent batches that share keys wait
# for each other instead of deadlocking.
_CLAIM = """
INSERT INTO event_keys (idempotency_key, body_hash, timestamp)
SELECT k, h, t FROM unnest(%(keys)b::text[], %(hashes)b::text[], %(times)b::timestamptz[])
    WITH ORDINALITY AS batch (k, h, t, n)
ORDER BY n
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING idempotency_key
"""
_HASHES = """
SELECT idempotency_key, body_hash FROM event_keys WHERE idempotency_key = ANY(%(keys)b::text[])
"""
_COPY = f"COPY events ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_PG_TYPES: dict[type[Any], str] = {Document: "jsonb", UtcDateTime: "timestamptz"}
_COPY_TYPES = [_PG_TYPES.get(type(column.type), "text") for column in events.columns]
_COPY_KEYS = "COPY event_keys (idempotency_key, body_hash, timestamp) FROM STDIN (FORMAT BINARY)"
_KEY_TYPES = ["text", "text", "timestamptz"]
_key = operator.attrgetter("idempotency_key")
_key_row = operator.attrgetter("idempotency_key", "body_hash", "timestamp")
_row = operator.attrgetter(*_COLUMNS)  # the columns are named as the event's fields
_INSERT = f"INSERT INTO events ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


class SqlEventRepository(SqlRepository[Event]):
    """Events, unique by idempotency key across all time."""

    def __init__(
        self,
        connection: Callable[[], Connection],
        before_insert: Callable[[Sequence[Event]], None],
        key_claims: KeyClaims | None = None,
    ) -> None:
        super().__init__(COLLECTIONS["events"], events, connection)
        self._before_insert = before_insert
        self._key_claims = KeyClaims() if key_claims is None else key_claims

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
            inserted = self._claim_keys(fresh)
            if len(inserted) == len(fresh):
                new_events = fresh
            else:
                new_events = [event for event in fresh if event.idempotency_key in inserted]
            if new_events:
                self._before_insert(new_events)
                self._insert(new_events, plain)
            repeated = [key for key in first if key not in inserted]
            known = self._stored_hashes(repeated) if repeated else {}
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
                self.connection.execute(text("LOCK TABLE event_keys IN SHARE ROW EXCLUSIVE MODE"))

    def _claim_keys(self, fresh: Sequence[Event]) -> set[str]:
        """Register the keys, in sorted order; return those that were new."""
        fresh = sorted(fresh, key=_key)
        if self._copying():
            if self._key_claims.copy_first() and self._copied_keys(fresh):
                return set(map(_key, fresh))
            arrays = {
                "keys": [e.idempotency_key for e in fresh],
                "hashes": [e.body_hash for e in fresh],
                "times": [e.timestamp for e in fresh],
            }
            return set(self.connection.exec_driver_sql(_CLAIM, arrays).scalars())
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(event_keys)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(event_keys.c.idempotency_key)
        )
        rows = [
            {
                "idempotency_key": e.idempotency_key,
                "body_hash": e.body_hash,
                "timestamp": e.timestamp,
            }
            for e in fresh
        ]
        # Many rows with RETURNING: SQLAlchemy sends multi-row INSERTs (insertmanyvalues).
        return set(self.connection.execute(statement, rows).scalars())

    def _copied_keys(self, fresh: Sequence[Event]) -> bool:
        """Register the keys by ``COPY``, under a savepoint, if every one is new: the
        usual case, at well under the cost of ``INSERT ... ON CONFLICT``. False if one
        was not; nothing is then registered, and the next batches go the other way."""
        connection = self.connection
        unique_violation: type[Exception] = connection.dialect.loaded_dbapi.errors.UniqueViolation
        driver: Any = connection.connection.driver_connection
        try:
            with (
                connection.begin_nested(),
                driver.cursor() as cursor,
                cursor.copy(_COPY_KEYS) as copy,
            ):
                copy.set_types(_KEY_TYPES)
                for row in map(_key_row, fresh):
                    copy.write_row(row)
        except unique_violation:  # the savepoint is undone; the transaction goes on
            self._key_claims.repeated()
            return False
        return True

    def _insert(self, new_events: Sequence[Event], plain: bool) -> None:
        dialect = self.connection.dialect
        if self._copying():
            self._copy(new_events, plain)
        elif dialect.name == "sqlite":
            # The column types' own conversions, without a statement's per-row overhead.
            as_text = UtcDateTime().process_bind_param
            rows = [
                _values(event, lambda instant: as_text(instant, dialect)) for event in new_events
            ]
            self.connection.exec_driver_sql(_INSERT, rows)
        else:
            self.connection.execute(events.insert(), [self.to_row(e) for e in new_events])

    def _copy(self, new_events: Sequence[Event], plain: bool) -> None:
        from psycopg.types.json import set_json_dumps  # on PostgreSQL through psycopg only

        driver: Any = self.connection.connection.driver_connection
        with driver.cursor() as cursor:
            # JSONB keeps numbers by value: plain properties need no mark of a Decimal.
            dumps = _plain_json if plain and _plain_json is not None else _properties_json
            set_json_dumps(dumps, context=cursor)
            with cursor.copy(_COPY) as copy:
                copy.set_types(_COPY_TYPES)
                for row in map(_row, new_events):
                    copy.write_row(row)

    def _stored_hashes(self, keys: Sequence[str]) -> dict[str, str]:
        if self._copying():
            rows = self.connection.exec_driver_sql(_HASHES, {"keys": list(keys)})
            return {key: digest for key, digest in rows}
        found: dict[str, str] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            statement = select(event_keys.c.idempotency_key, event_keys.c.body_hash).where(
                event_keys.c.idempotency_key.in_(chunk)
            )
            found.update({key: digest for key, digest in self.connection.execute(statement)})
        return found

    def _copying(self) -> bool:
        """Whether the driver is psycopg, whose arrays and ``COPY`` this module uses."""
        return self.connection.dialect.driver == "psycopg"


class KeyClaims:
    """How a store's event batches register their keys on PostgreSQL: by ``COPY`` while
    batches bring only new keys; after a batch that repeats one, by ``INSERT ... ON
    CONFLICT`` for the next ``AFTER_REPEAT`` batches, then by ``COPY`` again. Shared by the
    store's units of work and read and written without a lock: a hint only, whose races
    change which way a batch goes, never its outcomes."""

    AFTER_REPEAT = 16

    def __init__(self) -> None:
        self._insert_batches = 0

    def copy_first(self) -> bool:
        """Whether the next batch tries ``COPY`` first."""
        if self._insert_batches > 0:
            self._insert_batches -= 1
            return False
        return True

    def repeated(self) -> None:
        """A batch repeated a key."""
        self._insert_batches = self.AFTER_REPEAT


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
