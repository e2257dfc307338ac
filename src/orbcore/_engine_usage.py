"""The engine's usage resources: events in, amended, deprecated, backfilled, imported.

Each method is one call to :mod:`orbcore.services` or one read through a unit of work.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TextIO

from orbcore.events import Backfill, Event
from orbcore.services import (
    Amendments,
    Backfills,
    ImportProgress,
    ImportReport,
    Ingestion,
    IngestReport,
    import_events,
)
from orbcore.storage import Page, Query, Store

__all__ = ["BackfillsResource", "EventsResource"]


@dataclass(frozen=True)
class BackfillsResource:
    """Backfills: late usage for a timeframe, applied as one (``engine.events.backfills``)."""

    store: Store
    backfills: Backfills

    def create(
        self,
        timeframe_start: datetime,
        timeframe_end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
        replace_existing_events: bool = True,
        deprecation_filter: dict[str, Any] | None = None,
        close_time: datetime | None = None,
    ) -> Backfill:
        """Open a pending backfill (:meth:`Backfills.create`); send its events with
        ``engine.events.ingest(..., backfill_id=backfill.id)``.

        Raises:
            ValidationError: a bad timeframe, both customer identifiers, a bad filter.
            ConflictError: a pending backfill overlaps this one.
        """
        return self.backfills.create(
            timeframe_start,
            timeframe_end,
            customer_id=customer_id,
            external_customer_id=external_customer_id,
            replace_existing_events=replace_existing_events,
            deprecation_filter=deprecation_filter,
            close_time=close_time,
        )

    def close(self, backfill_id: str) -> Backfill:
        """Apply a pending backfill: its events count, those it replaces stop counting.

        Raises:
            NotFoundError: no such backfill.
            ConflictError: it is not pending.
        """
        return self.backfills.close(backfill_id)

    def revert(self, backfill_id: str) -> Backfill:
        """Undo a backfill.

        Raises:
            NotFoundError: no such backfill.
            ConflictError: it is already reverted.
        """
        return self.backfills.revert(backfill_id)

    def close_due(self) -> list[Backfill]:
        """Close every pending backfill whose close time has come; return them."""
        return self.backfills.close_due()

    def fetch(self, backfill_id: str) -> Backfill:
        """The backfill with this id.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.backfills.get(backfill_id)

    def list(self, query: Query | None = None) -> Page[Backfill]:
        """One page of backfills (filters: ``status``, ``customer_id``,
        ``external_customer_id``, ``timeframe_start``).

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.backfills.list(query)


@dataclass(frozen=True)
class EventsResource:
    """Usage events (``engine.events``); ``backfills`` holds the backfill operations."""

    store: Store
    ingestion: Ingestion
    amendments: Amendments
    backfills: BackfillsResource

    def ingest(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        backfill: bool = False,
        backfill_id: str | None = None,
    ) -> IngestReport:
        """Validate and store a batch of Orb-shaped events (:meth:`Ingestion.ingest`).

        Every event gets a result (accepted, duplicate or rejected with its problems);
        a key sent again with another body rejects the whole batch, as in Orb.

        Raises:
            NotFoundError: ``backfill_id`` names no backfill.
        """
        return self.ingestion.ingest(events, backfill=backfill, backfill_id=backfill_id)

    def amend(self, event_id: str, event: dict[str, Any]) -> Event:
        """Replace an event's name and properties (Orb's ``PUT /events/{event_id}``).

        Raises:
            NotFoundError: no event has that id (its idempotency key).
            ConflictError: the event is deprecated, or the amendment limit is reached.
            ValidationError: the new version is invalid or changes the timestamp or the
                customer, or the event's period is closed.
        """
        return self.amendments.amend(event_id, event)

    def deprecate(self, event_id: str) -> Event:
        """Withdraw an event: it is kept, and no longer counts.

        Raises:
            NotFoundError: no event has that id.
            ConflictError: it is already deprecated.
            ValidationError: its period is closed (invoiced and past its grace).
        """
        return self.amendments.deprecate(event_id)

    def import_file(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        format: Literal["jsonl", "csv"] | None = None,
        batch_size: int = 1000,
        backfill: bool = False,
        backfill_id: str | None = None,
        progress: Callable[[ImportProgress], None] | None = None,
    ) -> ImportReport:
        """Import a JSON-lines or CSV file of events, batch by batch
        (:func:`~orbcore.services.import_events`); importing it again changes nothing.

        Raises:
            ValidationError: bad arguments, or a format that cannot be told.
            OSError: the file cannot be opened or read.
            NotFoundError: ``backfill_id`` names no backfill.
        """
        return import_events(
            self.ingestion,
            source,
            format=format,
            batch_size=batch_size,
            backfill=backfill,
            backfill_id=backfill_id,
            progress=progress,
        )

    def fetch(self, event_id: str) -> Event:
        """The stored event with this idempotency key.

        Raises:
            NotFoundError: there is none.
        """
        with self.store.unit_of_work() as uow:
            return uow.events.get(event_id)

    def list(self, query: Query | None = None) -> Page[Event]:
        """One page of stored events (filters include ``customer_id``,
        ``external_customer_id``, ``event_name``, ``timestamp`` and ``status``).

        Raises:
            ValidationError: a filter or order the store does not offer, or a bad cursor.
        """
        with self.store.unit_of_work() as uow:
            return uow.events.list(query)
