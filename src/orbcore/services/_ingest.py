"""Ingesting usage events: validate, check against time and the store, insert once.

The store's unique idempotency key decides duplicates, in the same transaction as the
insert: a failed write never leaves a key claimed, and concurrent senders store each event
once. The accepted events of a batch are stored all or none.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import count, repeat
from typing import NamedTuple

from orbcore._clock import Clock
from orbcore._errors import Problem
from orbcore.events import Backfill, Event, EventLimits, EventState, validate_event
from orbcore.events._fast import JsonEventReader
from orbcore.events._records import slot_setters
from orbcore.services._backfill import backfill_problems
from orbcore.services._metering import feed_rollups
from orbcore.storage import AddOutcome, Store, UnitOfWork

__all__ = ["EventResult", "EventStatus", "IngestReport", "Ingestion"]

FUTURE_TOLERANCE = timedelta(minutes=5)
"""How far ahead of the clock an event's timestamp may be."""

_TEXTS = (str, bytes)
_NO_PROBLEMS: Sequence[Problem] = ()

_SHARE_EVERY = 50
"""How many events a streaming reader decodes between chances it gives the writer to
run. Measured on 100 batches of 1,000 into PostgreSQL: every 25 to 50 events gave 36,000
to 40,000 events per second; every 10 or 100, about what never giving way gives (32,000
to 35,000)."""


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


_new_result = object.__new__
_RESULT_SETTERS = slot_setters(EventResult)
_SET_INDEX, _SET_KEY, _SET_STATUS, _SET_PROBLEMS = (
    _RESULT_SETTERS[name] for name in ("index", "idempotency_key", "status", "problems")
)


def _accepted(index: int, key: str) -> EventResult:
    """``EventResult(index, key, EventStatus.ACCEPTED)``, made with the slots' setters
    (one per event of a batch; see :func:`orbcore.events._records.new_event`)."""
    result: EventResult = _new_result(EventResult)
    _SET_INDEX(result, index)
    _SET_KEY(result, key)
    _SET_STATUS(result, EventStatus.ACCEPTED)
    _SET_PROBLEMS(result, ())
    return result


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
        now = self.clock.now()
        keys = [_raw_key(raw) for raw in items]
        checked = [self._check(raw, now) for raw in items]
        return self._store(_Checked.of(keys, checked, now), backfill, backfill_id, set())

    def ingest_json(
        self,
        batch: Iterable[str | bytes],
        *,
        backfill: bool = False,
        backfill_id: str | None = None,
    ) -> IngestReport:
        """Validate and store a batch of events, each given as its JSON text.

        The same as ``ingest([json.loads(text, parse_float=Decimal) for text in batch])``
        (numbers stay exact; a name repeated in an object keeps its last value), except
        that text that is not JSON is rejected with the problem ``is not valid JSON: ...``
        instead of stopping the batch. With the ``orbcore[fast]`` extra (msgspec) most
        events are decoded and checked in one pass, in well under half the time, with the
        same results.

        Args:
            batch: the JSON text of each event (``str``, or UTF-8 ``bytes``).
            backfill: as for :meth:`ingest`.
            backfill_id: as for :meth:`ingest`.

        Raises:
            NotFoundError: ``backfill_id`` names no backfill.

        >>> from orbcore import VirtualClock
        >>> from orbcore.storage import open_store
        >>> clock = VirtualClock(datetime(2024, 2, 1, tzinfo=UTC))
        >>> ingestion = Ingestion(open_store("memory://"), clock)
        >>> report = ingestion.ingest_json([
        ...     '{"idempotency_key": "e1", "event_name": "api_call", "external_customer_id":'
        ...     ' "acme", "timestamp": "2024-01-31T12:00:00Z", "properties": {"bytes": 10.50}}',
        ...     '{"idempotency_key": "e2"',
        ... ])
        >>> for result in report.results:
        ...     print(result.status.value, *result.problems)
        accepted
        rejected is not valid JSON: Expecting ',' delimiter at column 24
        """
        return self._store(self._read_json(batch), backfill, backfill_id, set())

    def ingest_json_stream(
        self,
        batches: Iterable[Iterable[str | bytes]],
        *,
        backfill: bool = False,
        backfill_id: str | None = None,
    ) -> Iterator[IngestReport]:
        """:meth:`ingest_json` for each batch in turn, reading a batch while the one
        before is being stored.

        Each batch is stored all or none, in its own unit of work, in order, as if each
        were sent by :meth:`ingest_json` after the report of the one before: the reports
        come in order, one per batch. The store works on another thread while this one
        decodes and checks the next batch, so the database and Python can work at once
        when a core is free; the customers found to exist are not read again (none is
        ever deleted). A batch is stored only once the report of the one before has been
        taken, so stopping the iteration stores nothing more. Do not hold a unit of work
        open while iterating: the batch being stored would wait for it, and so would the
        iteration.

        Args:
            batches: batches of JSON text, as :meth:`ingest_json` takes.
            backfill: as for :meth:`ingest`.
            backfill_id: as for :meth:`ingest`.

        Yields:
            The report of each batch, in order.

        Raises:
            NotFoundError: ``backfill_id`` names no backfill.
            StorageError: the store failed; the batches reported before were stored.

        >>> from orbcore import VirtualClock
        >>> from orbcore.storage import open_store
        >>> clock = VirtualClock(datetime(2024, 2, 1, tzinfo=UTC))
        >>> ingestion = Ingestion(open_store("memory://"), clock)
        >>> line = (
        ...     '{{"idempotency_key": "{}", "event_name": "api_call", "external_customer_id":'
        ...     ' "acme", "timestamp": "2024-01-31T12:00:00Z"}}'
        ... )
        >>> batches = [[line.format("e1"), line.format("e2")], [line.format("e1")]]
        >>> [[r.status.value for r in report.results]
        ...  for report in ingestion.ingest_json_stream(batches)]
        [['accepted', 'accepted'], ['duplicate']]
        """
        reading = iter(batches)
        customers: set[str] = set()  # known to exist; none is ever deleted
        with ThreadPoolExecutor(1, thread_name_prefix="orbcore-ingest") as writer:
            storing: Future[IngestReport] | None = None
            while True:
                try:
                    batch = next(reading, None)
                    read = None if batch is None else self._read_json(batch, storing)
                except Exception:
                    if storing is not None:
                        yield storing.result()  # stored: its report comes first
                    raise
                if read is None:
                    break
                if storing is not None:
                    yield storing.result()
                # In the caller's context: its decimal context, for one.
                store = contextvars.copy_context().run
                storing = writer.submit(store, self._store, read, backfill, backfill_id, customers)
            if storing is not None:
                yield storing.result()

    @functools.cached_property
    def _json_reader(self) -> JsonEventReader:
        return JsonEventReader(self.limits)

    def _read_json(
        self, batch: Iterable[object], storing: Future[IngestReport] | None = None
    ) -> _Checked:
        """Decode and check a batch: pure work, done before the store is touched.

        ``storing``: a thread is storing the batch before. Every ``_SHARE_EVERY`` events,
        until it is done, this one lets it have the interpreter lock, which it may be
        waiting for since its database call returned; otherwise it would wait for the
        interpreter's switch interval (5 ms), several times per batch.
        """
        now = self.clock.now()
        one_pass = self._json_reader.one_pass_record
        complete = self._json_reader.complete_record
        keys: list[str | None] = []
        found: list[Event | None] = []
        problems: list[Sequence[Problem]] = []
        share = 0 if storing is None else _SHARE_EVERY
        every_one_valid = True
        for n, text in enumerate(batch, 1):
            event = None
            if one_pass is not None and type(text) in _TEXTS:
                event = one_pass(text, now)  # type: ignore[arg-type]  # just checked
            if event is not None:
                keys.append(event.idempotency_key)
                found.append(event)
                problems.append(_NO_PROBLEMS)
            else:
                every_one_valid = False
                key, event, trouble = complete(text, now)
                keys.append(key)
                found.append(event)
                problems.append(trouble)
            if share and n % share == 0:
                if storing.done():  # type: ignore[union-attr]  # share > 0
                    share = 0
                else:
                    time.sleep(0)  # releases the lock; a waiting thread takes it
        stamps = [event.timestamp for event in found if event is not None]
        checked: list[tuple[Event | None, Sequence[Problem]]]
        future = bool(stamps) and max(stamps) > now + FUTURE_TOLERANCE
        if every_one_valid and not future:
            return _Checked.of_valid(keys, found, now)  # type: ignore[arg-type]  # no None
        if future:
            checked = [
                (None, trouble) if event is None else self._timely(event, now)
                for event, trouble in zip(found, problems, strict=True)
            ]
        else:
            checked = list(zip(found, problems, strict=True))
        return _Checked.of(keys, checked, now)

    def _store(
        self, batch: _Checked, backfill: bool, backfill_id: str | None, customers: set[str]
    ) -> IngestReport:
        """Check the events against the store, then store them all or none. ``customers``
        holds ids known to exist, and learns those found."""
        keys, checked, now = batch.keys, batch.checked, batch.now
        if batch.conflicts:
            return _rejected_batch(keys, checked, batch.conflicts)
        with self.store.unit_of_work() as uow:
            opened = None
            if backfill_id is not None:
                uow.events.lock_intake()  # the backfill cannot close while its events go in
                opened = uow.backfills.get(backfill_id)
            late_ok = backfill or opened is not None
            checked = self._against_store(uow, checked, now, late_ok, customers)
            as_read = checked is batch.checked  # the store found no problem
            ready = batch.ready if as_read else _ready(checked)
            records = [event for _, event in ready]
            if opened is not None:
                records, checked = _into_backfill(opened, ready, checked)
                ready = [(i, e) for i, e in ready if not checked[i][1]]
            outcomes = uow.events.add_many(records)
            clashing = {ready[n][0] for n, o in enumerate(outcomes) if o is AddOutcome.CONFLICT}
            if clashing:
                return _rejected_batch(keys, checked, clashing)
            # Metrics are read after the insert, which waits for a metric being defined
            # to commit, so every event reaches the roll-ups of every metric once.
            every_one = outcomes.count(AddOutcome.INSERTED) == len(outcomes)
            stored = (
                records
                if every_one
                else [r for r, o in zip(records, outcomes, strict=True) if o is AddOutcome.INSERTED]
            )
            feed_rollups(uow, stored)
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
        if as_read and opened is None and every_one:
            return IngestReport(batch.accepted)  # made while the batch was read
        statuses = {i: outcome for (i, _), outcome in zip(ready, outcomes, strict=True)}
        if opened is not None:
            checked = _outside_backfill(opened, ready, outcomes, checked, stored_in)
        accepted, inserted = EventStatus.ACCEPTED, AddOutcome.INSERTED
        return IngestReport(
            tuple(
                EventResult(i, keys[i], accepted)
                if (outcome := statuses.get(i)) is inserted and not problems
                else _result(i, keys[i], problems, outcome)
                for i, (_, problems) in enumerate(checked)
            )
        )

    def _check(self, raw: object, now: datetime) -> tuple[Event | None, Sequence[Problem]]:
        event, problems = validate_event(raw, self.limits)
        return (None, problems) if event is None else self._timely(event.record(now), now)

    @staticmethod
    def _timely(event: Event, now: datetime) -> tuple[Event, Sequence[Problem]]:
        if event.timestamp > now + FUTURE_TOLERANCE:
            return event, [Problem(("timestamp",), "is more than 5 minutes in the future")]
        return event, ()

    def _against_store(
        self,
        uow: UnitOfWork,
        checked: list[tuple[Event | None, Sequence[Problem]]],
        now: datetime,
        backfill: bool,
        customers: set[str],
    ) -> list[tuple[Event | None, Sequence[Problem]]]:
        valid = [event for event, problems in checked if event is not None and not problems]
        facts = _BatchFacts.load(uow, valid, not backfill, now - self.grace_period, customers)
        late_matters = not backfill and bool(facts.closed)
        if not late_matters and facts.all_known:
            return checked  # no event has a problem with the store
        result = []
        for event, problems in checked:
            if event is not None and not problems:
                problems = facts.customer_problems(event)
                if not problems and late_matters:
                    problems = facts.late_problems(event)
                if problems and _stored_unchanged(uow, event):
                    problems = []  # a retry of a stored event: the store reports a duplicate
            result.append((event, problems))
        return result


class _Checked(NamedTuple):
    """A batch checked without the store: each event's key, the event (as it will be
    stored) or its problems, and the indexes of the events whose key came before with
    another body. Made on the reading thread, with what storing the batch will need
    where the store finds nothing more: the valid events by index, and the report when
    every one of them is accepted."""

    keys: Sequence[str | None]
    checked: list[tuple[Event | None, Sequence[Problem]]]
    now: datetime
    conflicts: set[int]
    ready: list[tuple[int, Event]]
    accepted: tuple[EventResult, ...]

    @classmethod
    def of(
        cls,
        keys: Sequence[str | None],
        checked: list[tuple[Event | None, Sequence[Problem]]],
        now: datetime,
    ) -> _Checked:
        accepted, rejected = EventStatus.ACCEPTED, EventStatus.REJECTED
        results = tuple(
            EventResult(i, keys[i], rejected, tuple(problems))
            if problems or event is None
            else EventResult(i, keys[i], accepted)
            for i, (event, problems) in enumerate(checked)
        )
        return cls(keys, checked, now, _conflicts_within(checked), _ready(checked), results)

    @classmethod
    def of_valid(cls, keys: Sequence[str], events: Sequence[Event], now: datetime) -> _Checked:
        """``of`` for a batch whose events all passed, each without problems."""
        checked: list[tuple[Event | None, Sequence[Problem]]]
        checked = list(zip(events, repeat(_NO_PROBLEMS)))
        unique = len(set(keys)) == len(keys)
        conflicts = set() if unique else _conflicts_within(checked)
        results = tuple(map(_accepted, count(), keys))
        return cls(keys, checked, now, conflicts, list(enumerate(events)), results)


def _ready(
    checked: Sequence[tuple[Event | None, Sequence[Problem]]],
) -> list[tuple[int, Event]]:
    """The events without problems, by index."""
    return [(i, event) for i, (event, problems) in enumerate(checked) if event and not problems]


@dataclass(frozen=True)
class _BatchFacts:
    """What the store knows about a batch's customers, read in a few queries."""

    known: frozenset[str]
    by_external: Mapping[str, str]
    closed: Mapping[str, list[tuple[datetime, datetime]]]
    all_known: bool
    """Whether every customer id the events give exists."""

    @classmethod
    def load(
        cls,
        uow: UnitOfWork,
        events: Sequence[Event],
        late_matters: bool,
        closed_by: datetime,
        known_before: set[str],
    ) -> _BatchFacts:
        ids = {e.customer_id for e in events if e.customer_id is not None}
        found = uow.customers.find_many(sorted(ids - known_before))
        known_before.update(found)
        known = frozenset(ids & known_before)
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
        return cls(known, by_external, closed, len(known) == len(ids))

    def customer_problems(self, event: Event) -> Sequence[Problem]:
        customer = event.customer_id
        if customer is None or customer in self.known:
            return []  # an unknown external id is kept and attributed once it exists
        return [Problem(("customer_id",), f"no customer {customer!r}")]

    def late_problems(self, event: Event) -> Sequence[Problem]:
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
    closed: Mapping[str, list[tuple[datetime, datetime]]], customer: str, event: Event
) -> tuple[datetime, datetime] | None:
    """The customer's closed invoice period the event's timestamp falls in, if any."""
    for start, end in closed.get(customer, ()):
        if start <= event.timestamp < end:
            return start, end
    return None


def _stored_unchanged(uow: UnitOfWork, event: Event) -> bool:
    stored = uow.events.find(event.idempotency_key)
    return stored is not None and stored.body_hash == event.body_hash


def _into_backfill(
    backfill: Backfill,
    ready: list[tuple[int, Event]],
    checked: list[tuple[Event | None, Sequence[Problem]]],
) -> tuple[list[Event], list[tuple[Event | None, Sequence[Problem]]]]:
    """The ready events that fit the backfill, stored pending in it; the others
    rejected."""
    checked = list(checked)
    kept = []
    for index, event in ready:
        problems = backfill_problems(backfill, event)
        if problems:
            checked[index] = (event, problems)
        else:
            kept.append(
                dataclasses.replace(event, status=EventState.PENDING.value, backfill_id=backfill.id)
            )
    return kept, checked


def _outside_backfill(
    backfill: Backfill,
    ready: list[tuple[int, Event]],
    outcomes: list[AddOutcome],
    checked: list[tuple[Event | None, Sequence[Problem]]],
    stored_in: Mapping[str, str | None],
) -> list[tuple[Event | None, Sequence[Problem]]]:
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


def _conflicts_within(checked: Sequence[tuple[Event | None, Sequence[Problem]]]) -> set[int]:
    """Indexes of events whose key appears earlier in the batch with another body."""
    keys = [event.idempotency_key for event, problems in checked if event and not problems]
    if len(set(keys)) == len(keys):
        return set()  # no key given twice
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
    checked: Sequence[tuple[Event | None, Sequence[Problem]]],
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
    index: int, key: str | None, problems: Sequence[Problem], outcome: AddOutcome | None
) -> EventResult:
    if problems or outcome is None:
        return EventResult(index, key, EventStatus.REJECTED, tuple(problems))
    status = EventStatus.DUPLICATE if outcome is AddOutcome.DUPLICATE else EventStatus.ACCEPTED
    return EventResult(index, key, status)
