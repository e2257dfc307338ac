"""Backfills: late usage for a timeframe, sent as a whole, applied at once, revertible.

A backfill is created ``pending`` for a timeframe ``[start, end)`` (at most 31 days by
default) and, optionally, one customer. Events sent with ``Ingestion.ingest(batch,
backfill_id=...)`` are stored ``pending``: they do not count yet. Closing the backfill
makes them active and, if it replaces existing events (the default), marks the active
events it covers ``replaced``. Reverting undoes both. Nothing is deleted, and the roll-ups
of the timeframe are rebuilt in the same unit of work as each change.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from orbcore._clock import Clock
from orbcore._errors import ConflictError, Problem, ValidationError
from orbcore.events import Backfill, Event, EventState, filter_from_json, matches
from orbcore.services._metering import active_rolled_metrics, rebuild_rollups
from orbcore.storage import Query, Range, Store, UnitOfWork, each

__all__ = ["Backfills", "backfill_problems"]

_PAGE = 1000


@dataclass(frozen=True)
class Backfills:
    """Create, close and revert backfills.

    Args:
        store: where the events are.
        clock: when things happen.
        max_timeframe: the longest timeframe a backfill may cover (31 days, as in Orb).
        close_after: how long after creation a backfill closes by :meth:`close_due`.
    """

    store: Store
    clock: Clock
    max_timeframe: timedelta = timedelta(days=31)
    close_after: timedelta = timedelta(days=1)

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
        """Open a pending backfill.

        Raises:
            ValidationError: a bad timeframe, both customer identifiers, a bad filter.
            ConflictError: a pending backfill overlaps this one.
        """
        now = self.clock.now()
        problems = _timeframe_problems(timeframe_start, timeframe_end, self.max_timeframe)
        if customer_id is not None and external_customer_id is not None:
            problems.append(Problem(("customer_id",), "give at most one customer identifier"))
        if deprecation_filter is not None:
            try:
                filter_from_json(deprecation_filter, ("deprecation_filter",))
            except ValidationError as error:
                problems.extend(error.problems)
        if problems:
            raise ValidationError(problems)
        backfill = Backfill(
            id=f"bf_{uuid.uuid4().hex}",
            timeframe_start=timeframe_start,
            timeframe_end=timeframe_end,
            created_at=now,
            close_time=close_time or now + self.close_after,
            customer_id=customer_id,
            external_customer_id=external_customer_id,
            replace_existing_events=replace_existing_events,
            deprecation_filter=deprecation_filter,
        )
        with self.store.unit_of_work() as uow:
            uow.events.lock_intake()  # one backfill change at a time: overlaps are seen
            backfill = _with_both_identifiers(uow, backfill)
            for other in each(uow.backfills, Query(where={"status": "pending"}, limit=_PAGE)):
                if _overlap(backfill, other):
                    raise ConflictError(f"pending backfill {other.id} overlaps this one")
            uow.backfills.add(backfill)
            uow.commit()
        return backfill

    def close(self, backfill_id: str) -> Backfill:
        """Apply a pending backfill: its events count, the events it replaces do not.

        Raises:
            NotFoundError: no such backfill.
            ConflictError: it is not pending.
        """
        with self.store.unit_of_work() as uow:
            uow.events.lock_intake()
            backfill = _pending(uow, backfill_id)
            waiting = [e for e in _own_events(uow, backfill) if e.status == EventState.PENDING]
            _set_status(uow, waiting, EventState.ACTIVE)
            if backfill.replace_existing_events:
                doomed = [e for e in _covered(uow, backfill) if e.backfill_id != backfill.id]
                _set_status(uow, doomed, EventState.REPLACED, replaced_by=backfill.id)
            _refresh(uow, backfill)
            closed = dataclasses.replace(
                backfill, status="reflected", reflected_at=self.clock.now()
            )
            closed = uow.backfills.update(closed)
            uow.commit()
        return closed

    def revert(self, backfill_id: str) -> Backfill:
        """Undo a backfill: its events stop counting and the events it replaced count
        again.

        Raises:
            NotFoundError: no such backfill.
            ConflictError: it is already reverted.
        """
        with self.store.unit_of_work() as uow:
            uow.events.lock_intake()
            backfill = uow.backfills.get(backfill_id)
            if backfill.status == "reverted":
                raise ConflictError(f"backfill {backfill_id} is already reverted")
            own = _own_events(uow, backfill)
            later = sorted(
                {e.replaced_by for e in own if e.status == EventState.REPLACED and e.replaced_by}
            )
            if later:
                raise ConflictError(
                    f"backfill {', '.join(later)} replaced events of this one: revert it first"
                )
            _set_status(uow, own, EventState.REVERTED)
            replaced = each(uow.events, Query(where={"replaced_by": backfill.id}, limit=_PAGE))
            restored = [e for e in replaced if e.status == EventState.REPLACED]
            _set_status(uow, restored, EventState.ACTIVE, replaced_by=None)
            _refresh(uow, backfill)
            reverted = dataclasses.replace(
                backfill, status="reverted", reverted_at=self.clock.now()
            )
            reverted = uow.backfills.update(reverted)
            uow.commit()
        return reverted

    def close_due(self) -> list[Backfill]:
        """Close every pending backfill whose close time has come; return them."""
        now = self.clock.now()
        with self.store.unit_of_work() as uow:
            query = Query(where={"status": "pending"}, limit=_PAGE)
            due = [b.id for b in each(uow.backfills, query) if b.close_time <= now]
        return [self.close(backfill_id) for backfill_id in due]


def backfill_problems(backfill: Backfill, event: Event) -> list[Problem]:
    """Why ``event`` cannot be sent in ``backfill`` (nothing if it can)."""
    problems = []
    if backfill.status != "pending":
        problems.append(Problem(("backfill_id",), f"backfill {backfill.id} is {backfill.status}"))
    if not backfill.timeframe_start <= event.timestamp < backfill.timeframe_end:
        problems.append(Problem(("timestamp",), "is outside the backfill's timeframe"))
    if not _in_scope(backfill, event):
        problems.append(Problem(("customer_id",), "is not the backfill's customer"))
    return problems


def _timeframe_problems(start: object, end: object, longest: timedelta) -> list[Problem]:
    if not isinstance(start, datetime) or not isinstance(end, datetime):
        return [Problem(("timeframe_start",), "give two aware datetimes")]
    if start.tzinfo is None or end.tzinfo is None:
        return [Problem(("timeframe_start",), "needs aware datetimes")]
    if not start < end:
        return [Problem(("timeframe_end",), "must be after timeframe_start")]
    if end - start > longest:
        return [Problem(("timeframe_end",), f"a backfill covers at most {longest.days} days")]
    return []


def _overlap(a: Backfill, b: Backfill) -> bool:
    if a.timeframe_end <= b.timeframe_start or b.timeframe_end <= a.timeframe_start:
        return False
    everyone = (None, None)
    scope_a = (a.customer_id, a.external_customer_id)
    scope_b = (b.customer_id, b.external_customer_id)
    if everyone in (scope_a, scope_b):
        return True
    return any(x is not None and x == y for x, y in zip(scope_a, scope_b, strict=True))


def _in_scope(backfill: Backfill, event: Event) -> bool:
    if backfill.customer_id is None and backfill.external_customer_id is None:
        return True
    return (backfill.customer_id is not None and event.customer_id == backfill.customer_id) or (
        backfill.external_customer_id is not None
        and event.external_customer_id == backfill.external_customer_id
    )


def _with_both_identifiers(uow: UnitOfWork, backfill: Backfill) -> Backfill:
    """The backfill scoped to both identifiers of its customer, where it has both: events
    sent with either count for the customer, so either kind is covered."""
    customer = None
    if backfill.customer_id is not None:
        customer = uow.customers.find(backfill.customer_id)
    elif backfill.external_customer_id is not None:
        customer = uow.customers.find_by(external_customer_id=backfill.external_customer_id)
    if customer is None:
        return backfill
    return dataclasses.replace(
        backfill,
        customer_id=customer.id,
        external_customer_id=customer.external_customer_id or backfill.external_customer_id,
    )


def _pending(uow: UnitOfWork, backfill_id: str) -> Backfill:
    backfill = uow.backfills.get(backfill_id)
    if backfill.status != "pending":
        raise ConflictError(f"backfill {backfill_id} is {backfill.status}, not pending")
    return backfill


def _own_events(uow: UnitOfWork, backfill: Backfill) -> list[Event]:
    return list(each(uow.events, Query(where={"backfill_id": backfill.id}, limit=_PAGE)))


def _covered(uow: UnitOfWork, backfill: Backfill) -> list[Event]:
    """The active events in the backfill's timeframe, scope and deprecation filter."""
    base: dict[str, object] = {
        "status": EventState.ACTIVE.value,
        "timestamp": Range(backfill.timeframe_start, backfill.timeframe_end),
    }
    scopes: list[dict[str, object]] = []
    if backfill.customer_id is not None:
        scopes.append({**base, "customer_id": backfill.customer_id})
    if backfill.external_customer_id is not None:
        scopes.append({**base, "external_customer_id": backfill.external_customer_id})
    deprecation = backfill.deprecation_filter
    test = None if deprecation is None else filter_from_json(deprecation)
    found: dict[str, Event] = {}
    for where in scopes or [base]:
        for event in each(uow.events, Query(where=where, limit=_PAGE)):
            if matches(test, event.properties):
                found[event.idempotency_key] = event
    return list(found.values())


def _set_status(
    uow: UnitOfWork,
    events: Iterable[Event],
    status: EventState,
    *,
    replaced_by: str | object | None = ...,
) -> None:
    for event in events:
        changes: dict[str, Any] = {"status": status.value}
        if replaced_by is not ...:
            changes["replaced_by"] = replaced_by
        uow.events.update(dataclasses.replace(event, **changes))


def _refresh(uow: UnitOfWork, backfill: Backfill) -> None:
    scope = None
    if backfill.customer_id is not None or backfill.external_customer_id is not None:
        scope = [(backfill.customer_id, backfill.external_customer_id)]
    for metric in active_rolled_metrics(uow):
        rebuild_rollups(uow, metric, backfill.timeframe_start, backfill.timeframe_end, scope)
