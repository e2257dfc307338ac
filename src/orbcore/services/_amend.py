"""Amending and deprecating stored events, as Orb allows.

Nothing is overwritten or deleted: the current version of the event becomes ``amended``
(or ``deprecated``) and is kept; an amendment is stored as a new version that names the
original in ``amends``. Only active events count, so the quantity moves to the new
version. The roll-ups of the event's hour are rebuilt in the same unit of work.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from orbcore._clock import Clock
from orbcore._errors import ConflictError, NotFoundError, Problem, ValidationError
from orbcore.events import Event, EventLimits, EventState, hour_floor, validate_event
from orbcore.events._aggregate import HOUR
from orbcore.services._ingest import closed_period
from orbcore.services._metering import active_rolled_metrics, rebuild_rollups
from orbcore.storage import AddOutcome, Query, Range, Store, UnitOfWork, each

__all__ = ["AMENDMENT_LIMIT", "AMENDMENT_WINDOW", "Amendments"]

AMENDMENT_LIMIT = 100
"""How many events of one customer may be amended within :data:`AMENDMENT_WINDOW`."""

AMENDMENT_WINDOW = timedelta(days=100)

# Separates an original key from its version number in a stored version's key. Event
# keys may not hold control characters, so no sent key can take a version's place.
_VERSION = "\x1e"


@dataclass(frozen=True)
class Amendments:
    """Amend or deprecate events already stored.

    Args:
        store: where the events are.
        clock: the time the grace period is checked against.
        grace_period: how long after an invoiced period ends its events may still change.
        limits: the limits an amended event must respect.
    """

    store: Store
    clock: Clock
    grace_period: timedelta = timedelta(hours=12)
    limits: EventLimits = field(default_factory=EventLimits)

    def amend(self, event_id: str, raw: dict[str, Any]) -> Event:
        """Replace event ``event_id`` by a new version with ``raw``'s name and properties.

        ``raw`` is the event in Orb's shape without (or with the same)
        ``idempotency_key``; its timestamp and customer must be the original's.

        Raises:
            NotFoundError: no event has that id.
            ConflictError: the event is deprecated, or the customer's amendment limit is
                reached.
            ValidationError: the new version is invalid, changes the timestamp or the
                customer, or the event's period is closed (invoiced and past its grace).
        """
        now = self.clock.now()
        if not isinstance(raw, Mapping):
            raise ValidationError.at((), f"an event is a JSON object, not {type(raw).__name__}")
        valid, problems = validate_event({**raw, "idempotency_key": event_id}, self.limits)
        if valid is None or problems:
            raise ValidationError(problems)
        with self.store.unit_of_work() as uow:
            uow.events.lock_intake()
            current = self._current(uow, event_id, now)
            mismatch = _mismatch(
                current, valid.timestamp, valid.customer_id, valid.external_customer_id
            )
            if mismatch:
                raise ValidationError(mismatch)
            versions = _versions(uow, event_id)
            self._check_limit(uow, current, now)
            uow.events.update(dataclasses.replace(current, status=EventState.AMENDED.value))
            version = dataclasses.replace(
                valid.record(now),
                idempotency_key=_version_key(event_id, len(versions) + 1),
                amends=event_id,
                backfill_id=current.backfill_id,
            )
            if uow.events.add_many([version]) != [AddOutcome.INSERTED]:
                raise ConflictError(f"event {event_id!r} was amended meanwhile; try again")
            _refresh(uow, current)
            uow.commit()
        return version

    def deprecate(self, event_id: str) -> Event:
        """Withdraw event ``event_id``: it is kept, and no longer counts.

        Raises:
            NotFoundError: no event has that id.
            ConflictError: it is already deprecated.
            ValidationError: its period is closed (invoiced and past its grace).
        """
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            uow.events.lock_intake()
            current = self._current(uow, event_id, now)
            withdrawn = dataclasses.replace(current, status=EventState.DEPRECATED.value)
            uow.events.update(withdrawn)
            _refresh(uow, current)
            uow.commit()
        return withdrawn

    def _current(self, uow: UnitOfWork, event_id: str, now: datetime) -> Event:
        original = uow.events.find(event_id)
        if original is None or original.amends is not None:
            raise NotFoundError(f"no event {event_id!r}")
        current = original
        if original.status == EventState.AMENDED:
            current = _versions(uow, event_id)[-1]
        if current.status != EventState.ACTIVE:
            raise ConflictError(f"event {event_id!r} is {current.status}; it cannot change")
        self._check_open(uow, current, now)
        return current

    def _check_open(self, uow: UnitOfWork, event: Event, now: datetime) -> None:
        customer = event.customer_id or _customer_of(uow, event.external_customer_id)
        if customer is None:
            return
        closed = uow.invoices.closed_periods(
            [customer], ended_by=now - self.grace_period, ending_after=event.timestamp
        )
        period = closed_period(closed, customer, event)
        if period is not None:
            raise ValidationError.at(
                ("timestamp",),
                f"falls in the period {period[0].isoformat()} to {period[1].isoformat()}, "
                "invoiced and past its grace period; use a backfill",
            )

    def _check_limit(self, uow: UnitOfWork, event: Event, now: datetime) -> None:
        who = (
            {"customer_id": event.customer_id}
            if event.customer_id is not None
            else {"external_customer_id": event.external_customer_id}
        )
        since = now - AMENDMENT_WINDOW
        # Every stored version names its original, so Range("") selects the versions.
        query = Query(
            where={**who, "amends": Range("", None)},
            order_by="ingested_at",
            descending=True,
            limit=1000,
        )
        recent: set[str | None] = set()
        for version in each(uow.events, query):  # newest first
            if version.ingested_at < since:
                break
            recent.add(version.amends)
        original = event.amends or event.idempotency_key
        if len(recent) >= AMENDMENT_LIMIT and original not in recent:
            raise ConflictError(
                f"{AMENDMENT_LIMIT} events of this customer were amended in the last "
                f"{AMENDMENT_WINDOW.days} days; use a backfill"
            )


def _version_key(event_id: str, number: int) -> str:
    """The key of an event's ``number``-th version; within the 255 characters a key may
    have, a long original key is shortened and made unique by its hash."""
    if len(event_id) > 200:
        digest = hashlib.sha256(event_id.encode()).hexdigest()[:32]
        event_id = f"{event_id[:200]}{_VERSION}{digest}"
    return f"{event_id}{_VERSION}{number}"


def _versions(uow: UnitOfWork, event_id: str) -> list[Event]:
    """The stored amendments of ``event_id``, oldest first."""
    page = uow.events.list(Query(where={"amends": event_id}, order_by="ingested_at", limit=1000))
    return sorted(page.items, key=lambda e: int(e.idempotency_key.rsplit(_VERSION, 1)[1]))


def _mismatch(
    current: Event, timestamp: datetime, customer_id: str | None, external_id: str | None
) -> list[Problem]:
    problems = []
    if timestamp != current.timestamp:
        problems.append(Problem(("timestamp",), "must be the original event's timestamp"))
    if (customer_id, external_id) != (current.customer_id, current.external_customer_id):
        problems.append(Problem(("customer_id",), "must be the original event's customer"))
    return problems


def _customer_of(uow: UnitOfWork, external_id: str | None) -> str | None:
    if external_id is None:
        return None
    customer = uow.customers.find_by(external_customer_id=external_id)
    return None if customer is None else customer.id


def _refresh(uow: UnitOfWork, event: Event) -> None:
    hour = hour_floor(event.timestamp)
    sender = [(event.customer_id, event.external_customer_id)]
    for metric in active_rolled_metrics(uow):
        rebuild_rollups(uow, metric, hour, hour + HOUR, sender)
