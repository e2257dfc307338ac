"""Ingesting usage events: validate, check against time and the store, insert once.

The store's unique idempotency key decides duplicates, in the same transaction as the
insert: a failed write never leaves a key claimed, and concurrent senders store each event
once. The accepted events of a batch are stored all or none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from orbcore._clock import Clock
from orbcore._errors import Problem
from orbcore.events import Backfill, Event, EventLimits, EventState, ValidEvent, validate_event
from orbcore.services._backfill import backfill_problems
from orbcore.services._metering import feed_rollups
from orbcore.storage import AddOutcome, Store, UnitOfWork

__all__ = ["EventResult", "EventStatus", "IngestReport", "Ingestion"]

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the clock an event's timestamp may be."""


class EventStatus(StrEnum):
    """What became of one event of a batch."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class EventResult:
    """The outcome of one event, in the order the batch gave them."""

    index: int
    idempotency_key: str | None
    status: EventStatus
    problems: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestReport:
    """One result per event, and whether a key conflict rejected the whole batch."""

    results: tuple[EventResult, ...]
    batch_rejected: bool = False

    def count(self, status: EventStatus) -> int:
        """How many events ended with ``status``."""
        return sum(1 for result in self.results if result.status is status)


@dataclass(frozen=True)
class Ingestion:
    """The ingestion service: validates batches and stores their events once.

    Args:
        store: where events are kept.
        clock: the time events are checked against.
        grace_period: how long after an invoiced period ends its late events are still
            accepted (12 hours by default, as in Orb).
        limits: the limits every event must respect.
    """

    store: Store
    clock: Clock
    grace_period: timedelta = timedelta(hours=12)
    limits: EventLimits = field(default_factory=EventLimits)

    def ingest(
        self, batch: Iterable[object], *, backfill: bool = False, backfill_id: str | None = None
    ) -> IngestReport:
        """Validate and store a batch of events in Orb's shape.

        Each event is accepted, a duplicate (its key was stored with the same body: a
        no-op), or rejected with every reason. A key sent again with a different body is
        a conflict, and as in Orb the whole batch is then rejected and nothing is stored.

        Args:
            batch: mappings in Orb's event shape.
            backfill: accept events in periods already invoiced and past their grace.
            backfill_id: send the events in this pending backfill (see
                :class:`Backfills`): each must fall in its timeframe and customer; they
                are stored ``pending`` and count once the backfill is closed.

        Raises:
            NotFoundError: ``backfill_id`` names no backfill.
        """
        items = list(batch)
        keys = [_raw_key(raw) for raw in items]
        now = self.clock.now()
        checked = [self._check(raw, now) for raw in items]
        conflicts = _conflicts_within(checked)
        if conflicts:
            return _rejected_batch(keys, checked, conflicts)
        with self.store.unit_of_work() as uow:
            opened = None
            if backfill_id is not None:
                uow.events.lock_intake()  # the backfill cannot close while its events go in
                opened = uow.backfills.get(backfill_id)
            checked = self._against_store(uow, checked, now, backfill or opened is not None)
            ready = [
                (i, event) for i, (event, problems) in enumerate(checked) if event and not problems
            ]
            records = [_record(event, now) for _, event in ready]
            if opened is not None:
                records, checked = _into_backfill(opened, records, ready, checked)
                ready = [(i, e) for i, e in ready if not checked[i][1]]
            outcomes = uow.events.add_many(records)
            clashing = {ready[n][0] for n, o in enumerate(outcomes) if o is AddOutcome.CONFLICT}
            if clashing:
                return _rejected_batch(keys, checked, clashing)
            # Metrics are read after the insert, which waits for a metric being defined
            # to commit, so every event reaches the roll-ups of every metric once.
            feed_rollups(
                uow, [r for r, o in zip(records, outcomes, strict=True) if o is AddOutcome.INSERTED]
            )
            stored_in: dict[str, str | None] = {}
            if opened is not None:
                repeated = [
                    r.idempotency_key
                    for r, o in zip(records, outcomes, strict=True)
                    if o is AddOutcome.DUPLICATE
                ]
                found = uow.events.find_many(repeated)
                stored_in = {key: event.backfill_id for key, event in found.items()}
            uow.commit()
        statuses = {i: outcome for (i, _), outcome in zip(ready, outcomes, strict=True)}
        if opened is not None:
            checked = _outside_backfill(opened, ready, outcomes, checked, stored_in)
        return IngestReport(
            tuple(
                _result(i, keys[i], problems, statuses.get(i))
                for i, (_, problems) in enumerate(checked)
            )
        )

    def _check(self, raw: object, now: datetime) -> tuple[ValidEvent | None, list[Problem]]:
        event, problems = validate_event(raw, self.limits)
        if event is not None and event.timestamp > now + FUTURE_TOLERANCE:
            problems = [Problem(("timestamp",), "is more than 5 minutes in the future")]
            return event, problems
        return event, problems

    def _against_store(
        self,
        uow: UnitOfWork,
        checked: Sequence[tuple[ValidEvent | None, list[Problem]]],
        now: datetime,
        backfill: bool,
    ) -> list[tuple[ValidEvent | None, list[Problem]]]:
        valid = [event for event, problems in checked if event is not None and not problems]
        facts = _BatchFacts.load(uow, valid, not backfill, now - self.grace_period)
        result = []
        for event, problems in checked:
            if event is not None and not problems:
                problems = facts.customer_problems(event)
                if not problems and not backfill:
                    problems = facts.late_problems(event)
                if problems and _stored_unchanged(uow, event):
                    problems = []  # a retry of a stored event: the store reports a duplicate
            result.append((event, problems))
        return result


@dataclass(frozen=True)
class _BatchFacts:
    """What the store knows about a batch's customers, read in a few queries."""

    known: frozenset[str]
    by_external: Mapping[str, str]
    closed: Mapping[str, list[tuple[datetime, datetime]]]

    @classmethod
    def load(
        cls,
        uow: UnitOfWork,
        events: Sequence[ValidEvent],
        late_matters: bool,
        closed_by: datetime,
    ) -> _BatchFacts:
        ids = sorted({e.customer_id for e in events if e.customer_id is not None})
        known = frozenset(uow.customers.find_many(ids))
        by_external: dict[str, str] = {}
        if late_matters:
            externals = {e.external_customer_id for e in events if e.external_customer_id}
            for external in sorted(externals):
                customer = uow.customers.find_by(external_customer_id=external)
                if customer is not None:
                    by_external[external] = customer.id
        closed: dict[str, list[tuple[datetime, datetime]]] = {}
        if late_matters and events:
            closed = uow.invoices.closed_periods(
                [*known, *by_external.values()],
                ended_by=closed_by,
                ending_after=min(e.timestamp for e in events),
            )
        return cls(known, by_external, closed)

    def customer_problems(self, event: ValidEvent) -> list[Problem]:
        customer = event.customer_id
        if customer is None or customer in self.known:
            return []  # an unknown external id is kept and attributed once it exists
        return [Problem(("customer_id",), f"no customer {customer!r}")]

    def late_problems(self, event: ValidEvent) -> list[Problem]:
        customer = event.customer_id or self.by_external.get(event.external_customer_id or "")
        period = None if customer is None else closed_period(self.closed, customer, event)
        if period is None:
            return []
        return [
            Problem(
                ("timestamp",),
                f"falls in the period {period[0].isoformat()} to {period[1].isoformat()}, "
                "invoiced and past its grace period; send it as a backfill",
            )
        ]


def closed_period(
    closed: Mapping[str, list[tuple[datetime, datetime]]], customer: str, event: ValidEvent | Event
) -> tuple[datetime, datetime] | None:
    """The customer's closed invoice period the event's timestamp falls in, if any."""
    for start, end in closed.get(customer, ()):
        if start <= event.timestamp < end:
            return start, end
    return None


def _stored_unchanged(uow: UnitOfWork, event: ValidEvent) -> bool:
    stored = uow.events.find(event.idempotency_key)
    return stored is not None and stored.body_hash == event.body_hash


def _record(event: ValidEvent, now: datetime) -> Event:
    return Event(
        idempotency_key=event.idempotency_key,
        event_name=event.event_name,
        timestamp=event.timestamp,
        ingested_at=now,
        body_hash=event.body_hash,
        customer_id=event.customer_id,
        external_customer_id=event.external_customer_id,
        properties=dict(event.properties),
    )


def _into_backfill(
    backfill: Backfill,
    records: list[Event],
    ready: list[tuple[int, ValidEvent]],
    checked: list[tuple[ValidEvent | None, list[Problem]]],
) -> tuple[list[Event], list[tuple[ValidEvent | None, list[Problem]]]]:
    """The records that fit the backfill, stored pending in it; the others rejected."""
    checked = list(checked)
    kept = []
    for (index, event), record in zip(ready, records, strict=True):
        problems = backfill_problems(backfill, record)
        if problems:
            checked[index] = (event, problems)
        else:
            kept.append(
                dataclasses.replace(
                    record, status=EventState.PENDING.value, backfill_id=backfill.id
                )
            )
    return kept, checked


def _outside_backfill(
    backfill: Backfill,
    ready: list[tuple[int, ValidEvent]],
    outcomes: list[AddOutcome],
    checked: list[tuple[ValidEvent | None, list[Problem]]],
    stored_in: Mapping[str, str | None],
) -> list[tuple[ValidEvent | None, list[Problem]]]:
    """Duplicates of events stored outside the backfill, rejected: closing the backfill
    would replace the stored event and the resent one would not count."""
    checked = list(checked)
    for (index, event), outcome in zip(ready, outcomes, strict=True):
        key = event.idempotency_key
        if outcome is AddOutcome.DUPLICATE and stored_in.get(key) != backfill.id:
            problem = Problem(
                ("idempotency_key",),
                f"{key!r} is stored outside backfill {backfill.id}; "
                "send a backfill's events under keys of their own",
            )
            checked[index] = (event, [problem])
    return checked


def _conflicts_within(checked: Sequence[tuple[ValidEvent | None, list[Problem]]]) -> set[int]:
    """Indexes of events whose key appears earlier in the batch with another body."""
    first: dict[str, str] = {}
    conflicts = set()
    for index, (event, problems) in enumerate(checked):
        if event is None or problems:
            continue
        digest = first.setdefault(event.idempotency_key, event.body_hash)
        if digest != event.body_hash:
            conflicts.add(index)
    return conflicts


def _raw_key(raw: object) -> str | None:
    key = raw.get("idempotency_key") if isinstance(raw, Mapping) else None
    return key if isinstance(key, str) else None


def _rejected_batch(
    keys: Sequence[str | None],
    checked: Sequence[tuple[ValidEvent | None, list[Problem]]],
    conflicts: set[int],
) -> IngestReport:
    results = []
    for index, (_, problems) in enumerate(checked):
        key = keys[index]
        if index in conflicts:
            reason = Problem(("idempotency_key",), f"{key!r} was sent before with another body")
        else:
            reason = Problem((), "the batch was rejected: it holds a key conflict")
        results.append(EventResult(index, key, EventStatus.REJECTED, (*problems, reason)))
    return IngestReport(tuple(results), batch_rejected=True)


def _result(
    index: int, key: str | None, problems: list[Problem], outcome: AddOutcome | None
) -> EventResult:
    if problems or outcome is None:
        return EventResult(index, key, EventStatus.REJECTED, tuple(problems))
    status = EventStatus.DUPLICATE if outcome is AddOutcome.DUPLICATE else EventStatus.ACCEPTED
    return EventResult(index, key, status)
