"""Events in SQL: the key register guards idempotency; events may be partitioned."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.dialects import postgresql, sqlite

from orbcore._errors import ConflictError
from orbcore.events import Event
from orbcore.storage._collections import COLLECTIONS
from orbcore.storage._ports import AddOutcome
from orbcore.storage._values import check_storable
from orbcore.storage.sql._repository import SqlRepository
from orbcore.storage.sql._tables import event_keys, events
from orbcore.storage.sql._translate import translated

__all__ = ["SqlEventRepository"]

# Rows per INSERT statement: well under SQLite's limit of bound parameters.
_CHUNK = 500


class SqlEventRepository(SqlRepository[Event]):
    """Events, unique by idempotency key across all time."""

    def __init__(
        self,
        connection: Callable[[], Connection],
        before_insert: Callable[[Sequence[Event]], None],
    ) -> None:
        super().__init__(COLLECTIONS["events"], events, connection)
        self._before_insert = before_insert

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
        for event in batch:
            check_storable(event)
        first: dict[str, Event] = {}
        first_index: dict[str, int] = {}
        for index, event in enumerate(batch):
            first.setdefault(event.idempotency_key, event)
            first_index.setdefault(event.idempotency_key, index)
        fresh = list(first.values())
        with translated("add events"):
            inserted = self._claim_keys(fresh)
            new_events = [event for event in fresh if event.idempotency_key in inserted]
            if new_events:
                self._before_insert(new_events)
                rows = [self.to_row(event) for event in new_events]
                for start in range(0, len(rows), _CHUNK):
                    self.connection.execute(events.insert(), rows[start : start + _CHUNK])
            known = self._stored_hashes([k for k in first if k not in inserted])
        outcomes = []
        for index, event in enumerate(batch):
            key = event.idempotency_key
            if key in inserted and first_index[key] == index:
                outcomes.append(AddOutcome.INSERTED)
                continue
            reference = first[key].body_hash if key in inserted else known.get(key)
            same = reference == event.body_hash
            outcomes.append(AddOutcome.DUPLICATE if same else AddOutcome.CONFLICT)
        return outcomes

    def _claim_keys(self, fresh: Sequence[Event]) -> set[str]:
        """Register the keys; return those that were new. The unique key decides.

        Keys are registered in sorted order, so concurrent batches that share keys wait
        for each other instead of deadlocking.
        """
        dialect = postgresql if self.connection.dialect.name == "postgresql" else sqlite
        fresh = sorted(fresh, key=lambda event: event.idempotency_key)
        claimed: set[str] = set()
        for start in range(0, len(fresh), _CHUNK):
            rows = [
                {
                    "idempotency_key": e.idempotency_key,
                    "body_hash": e.body_hash,
                    "timestamp": e.timestamp,
                }
                for e in fresh[start : start + _CHUNK]
            ]
            statement = (
                dialect.insert(event_keys)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(event_keys.c.idempotency_key)
            )
            claimed.update(self.connection.execute(statement).scalars())
        return claimed

    def _stored_hashes(self, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            statement = select(event_keys.c.idempotency_key, event_keys.c.body_hash).where(
                event_keys.c.idempotency_key.in_(chunk)
            )
            found.update({key: digest for key, digest in self.connection.execute(statement)})
        return found
