"""Ingesting usage events: validate, check against time and the store, insert once.

The store's unique idempotency key decides duplicates, in the same transaction as the
insert: a failed write never leaves a key claimed, and concurrent senders store each event
once. The accepted events of a batch are stored all or none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from orbcore._clock import Clock
from orbcore._errors import Problem
from orbcore.events import Event, EventLimits, ValidEvent, validate_event
from orbcore.storage import AddOutcome, In, Query, Store, UnitOfWork

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

    def ingest(self, batch: Iterable[object], *, backfill: bool = False) -> IngestReport:
        """Validate and store a batch of events in Orb's shape.

        Each event is accepted, a duplicate (its key was stored with the same body: a
        no-op), or rejected with every reason. A key sent again with a different body is
        a conflict, and as in Orb the whole batch is then rejected and nothing is stored.

        Args:
            batch: mappings in Orb's event shape.
            backfill: accept events in periods already invoiced and past their grace.
        """
        items = list(batch)
        keys = [_raw_key(raw) for raw in items]
        now = self.clock.now()
        checked = [self._check(raw, now) for raw in items]
        conflicts = _conflicts_within(checked)
        if conflicts:
            return _rejected_batch(keys, checked, conflicts)
        with self.store.unit_of_work() as uow:
            checked = self._against_store(uow, checked, now, backfill)
            ready = [
                (i, event) for i, (event, problems) in enumerate(checked) if event and not problems
            ]
            outcomes = uow.events.add_many([_record(event, now) for _, event in ready])
            clashing = {ready[n][0] for n, o in enumerate(outcomes) if o is AddOutcome.CONFLICT}
            if clashing:
                return _rejected_batch(keys, checked, clashing)
            uow.commit()
        statuses = {i: outcome for (i, _), outcome in zip(ready, outcomes, strict=True)}
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
        known: dict[str, bool] = {}
        closed: dict[str, datetime | None] = {}
        result = []
        for event, problems in checked:
            if event is not None and not problems:
                problems = self._customer_problems(uow, event, known)
                if not problems and not backfill:
                    problems = self._late_problems(uow, event, now, closed)
                if problems and _stored_unchanged(uow, event):
                    problems = []  # a retry of a stored event: the store reports a duplicate
            result.append((event, problems))
        return result

    def _customer_problems(
        self, uow: UnitOfWork, event: ValidEvent, known: dict[str, bool]
    ) -> list[Problem]:
        customer = event.customer_id
        if customer is None:
            return []  # an unknown external id is kept and attributed once it exists
        if customer not in known:
            known[customer] = uow.customers.find(customer) is not None
        if known[customer]:
            return []
        return [Problem(("customer_id",), f"no customer {customer!r}")]

    def _late_problems(
        self, uow: UnitOfWork, event: ValidEvent, now: datetime, closed: dict[str, datetime | None]
    ) -> list[Problem]:
        customer = event.customer_id or _customer_of_external(uow, event.external_customer_id)
        if customer is None:
            return []
        if customer not in closed:
            closed[customer] = _invoiced_until(uow, customer)
        until = closed[customer]
        if until is None or event.timestamp >= until or now < until + self.grace_period:
            return []
        return [
            Problem(
                ("timestamp",),
                f"falls in a period invoiced up to {until.isoformat()} and its grace period "
                "has passed; send it as a backfill",
            )
        ]


def _stored_unchanged(uow: UnitOfWork, event: ValidEvent) -> bool:
    stored = uow.events.find(event.idempotency_key)
    return stored is not None and stored.body_hash == event.body_hash


def _customer_of_external(uow: UnitOfWork, external: str | None) -> str | None:
    if external is None:
        return None
    customer = uow.customers.find_by(external_customer_id=external)
    return None if customer is None else customer.id


def _invoiced_until(uow: UnitOfWork, customer_id: str) -> datetime | None:
    """The end of the latest period of the customer's issued or paid invoices."""
    query = Query(
        where={"customer_id": customer_id, "status": In("issued", "paid")},
        order_by="invoice_date",
        descending=True,
        limit=50,
    )
    ends = [invoice.period_end for invoice in uow.invoices.list(query).items]
    return max(ends, default=None)


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
