"""Billable metrics in the store: define them, keep their roll-ups, read quantities.

Roll-ups hold, per active decomposable metric (count, sum, min, max, average), customer,
UTC hour and group, the count, sum, minimum and maximum of the metric's events. Ingestion
adds to them in the same unit of work as the events; defining a metric builds them from
the events already stored; amendments and backfills rebuild the hours they touch. A
period's quantity then reads its whole hours from the roll-ups and only its partial first
and last hours from the events, so its cost does not grow with the number of events.
Unique count, latest and time-weighted sums are computed from the events by the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from orbcore._clock import Clock
from orbcore.events import (
    BillableMetric,
    Event,
    GroupKey,
    Partial,
    Quantities,
    customer_ref,
    finish,
    hour_floor,
    merge_partials,
    rollups_from_events,
)
from orbcore.events._aggregate import HOUR, check_customer, check_period
from orbcore.storage import Query, Store, UnitOfWork, each

__all__ = ["Metering", "active_rolled_metrics", "feed_rollups", "quantities", "rebuild_rollups"]

# Wide enough for every event a store can hold, and a whole number of hours.
_EVER = (
    datetime.fromisoformat("0001-01-01T00:00:00+00:00"),
    datetime.fromisoformat("9999-12-31T23:00:00+00:00"),
)


@dataclass(frozen=True)
class Metering:
    """Billable metrics over a store.

    >>> from datetime import UTC
    >>> from orbcore import VirtualClock
    >>> from orbcore.events import Aggregation
    >>> from orbcore.storage import open_store
    >>> metering = Metering(open_store("memory://"), VirtualClock(datetime(2024, 1, 1, tzinfo=UTC)))
    >>> metric = metering.define_metric({"id": "api_calls", "name": "API calls",
    ...     "event_name": "api_call", "aggregation": "count"})
    >>> metric.aggregation is Aggregation.COUNT
    True
    """

    store: Store
    clock: Clock

    def define_metric(self, raw: BillableMetric | dict[str, object]) -> BillableMetric:
        """Store a metric (a :class:`BillableMetric` or its JSON form) and, if it is
        active and decomposable, build its roll-ups from the events already stored.

        Raises:
            ValidationError: the definition is invalid.
            ConflictError: a metric with that id exists.
        """
        metric = raw if isinstance(raw, BillableMetric) else _from_json(raw, self.clock)
        with self.store.unit_of_work() as uow:
            uow.events.lock_intake()
            uow.billable_metrics.add(metric)
            if _rolled(metric):
                rebuild_rollups(uow, metric, *_everything())
            uow.commit()
        return metric

    def set_status(self, metric_id: str, status: str) -> BillableMetric:
        """Activate, draft or archive a metric; activating builds its roll-ups.

        Raises:
            NotFoundError: there is no such metric.
            ValidationError: ``status`` is not active, draft or archived.
        """
        with self.store.unit_of_work() as uow:
            uow.events.lock_intake()
            metric = dataclasses.replace(uow.billable_metrics.get(metric_id), status=status)
            uow.billable_metrics.update(metric)
            uow.usage_rollups.clear(metric.id, *_everything())
            if _rolled(metric):
                rebuild_rollups(uow, metric, *_everything())
            uow.commit()
        return metric

    def quantities(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
        use_rollups: bool = True,
    ) -> Quantities:
        """The metric's quantity per group for one customer over ``[start, end)``.

        Give the customer's ``customer_id`` and, if it has one, its
        ``external_customer_id``: events sent with either count.

        Raises:
            NotFoundError: there is no such metric.
            ValidationError: no customer, or an invalid period.
        """
        with self.store.unit_of_work() as uow:
            metric = uow.billable_metrics.get(metric_id)
            return quantities(
                uow,
                metric,
                start,
                end,
                customer_id=customer_id,
                external_customer_id=external_customer_id,
                use_rollups=use_rollups,
            )


def quantities(
    uow: UnitOfWork,
    metric: BillableMetric,
    start: datetime,
    end: datetime,
    *,
    customer_id: str | None = None,
    external_customer_id: str | None = None,
    use_rollups: bool = True,
) -> Quantities:
    """:meth:`Metering.quantities` inside a unit of work the caller holds."""
    check_period(start, end)
    check_customer(customer_id, external_customer_id)
    who = {"customer_id": customer_id, "external_customer_id": external_customer_id}
    first, last = _hour_ceil(start), hour_floor(end)
    if not (use_rollups and _rolled(metric)) or first >= last:
        return uow.usage.aggregate(metric, start, end, **who)
    refs = _refs(customer_id, external_customer_id)
    rolled = uow.usage_rollups.partials(metric.id, first, last, refs, only_for=metric.aggregation)
    return _finished(metric, [rolled, *_edges(uow, metric, (start, first, last, end), who)])


def quantities_many(
    uow: UnitOfWork,
    metric: BillableMetric,
    start: datetime,
    end: datetime,
    customers: Sequence[tuple[str, str | None]],
) -> dict[str, Quantities]:
    """:func:`quantities` of many customers over one period, keyed by customer id.

    ``customers`` are ``(customer_id, external_customer_id)`` pairs. The whole hours of
    a rolled-up metric are read for all of them in one query; the partial first and last
    hours, and metrics that are not rolled up, are computed per customer.
    """
    check_period(start, end)
    first, last = _hour_ceil(start), hour_floor(end)
    if not _rolled(metric) or first >= last:
        return {
            customer: quantities(
                uow, metric, start, end, customer_id=customer, external_customer_id=external
            )
            for customer, external in customers
        }
    refs = {customer: _refs(customer, external) for customer, external in customers}
    rolled = uow.usage_rollups.partials_by_customer(
        metric.id,
        first,
        last,
        [r for pair in refs.values() for r in pair],
        only_for=metric.aggregation,
    )
    found: dict[str, Quantities] = {}
    for customer, external in customers:
        parts = [rolled[ref] for ref in refs[customer] if ref in rolled]
        who = {"customer_id": customer, "external_customer_id": external}
        parts += _edges(uow, metric, (start, first, last, end), who)
        found[customer] = _finished(metric, parts)
    return found


def _edges(
    uow: UnitOfWork,
    metric: BillableMetric,
    bounds: tuple[datetime, datetime, datetime, datetime],
    who: Mapping[str, str | None],
) -> list[dict[GroupKey, Partial]]:
    """The partials of a period's partial first and last hours, from the events: those
    of ``[start, first)`` and ``[last, end)``, where ``[first, last)`` holds its whole
    hours (given by ``bounds``: start, first, last, end)."""
    start, first, last, end = bounds
    need = metric.aggregation
    edges = []
    if start < first:
        edges.append(uow.usage.partials(metric, start, first, only_for=need, **who))
    if last < end:
        edges.append(uow.usage.partials(metric, last, end, only_for=need, **who))
    return edges


def _refs(customer_id: str | None, external_customer_id: str | None) -> list[str]:
    refs = [customer_ref(customer_id, None)] if customer_id is not None else []
    if external_customer_id is not None:
        refs.append(customer_ref(None, external_customer_id))
    return refs


def _finished(metric: BillableMetric, parts: Sequence[Mapping[GroupKey, Partial]]) -> Quantities:
    merged: dict[GroupKey, Partial] = {}
    for part in parts:
        for group, partial in part.items():
            merged[group] = merge_partials(merged[group], partial) if group in merged else partial
    return {group: value for group, p in merged.items() if (value := finish(metric, p)) is not None}


def active_rolled_metrics(uow: UnitOfWork) -> list[BillableMetric]:
    """The metrics that keep roll-ups: active and decomposable."""
    return [metric for metric in each(uow.billable_metrics, Query(limit=500)) if _rolled(metric)]


def feed_rollups(uow: UnitOfWork, events: Sequence[Event]) -> None:
    """Add newly stored events to the roll-ups of every active decomposable metric."""
    if not events:
        return
    for metric in active_rolled_metrics(uow):
        rollups = rollups_from_events(metric, events)
        if rollups:
            uow.usage_rollups.accumulate(rollups)


def rebuild_rollups(
    uow: UnitOfWork,
    metric: BillableMetric,
    start: datetime,
    end: datetime,
    customers: Iterable[tuple[str | None, str | None]] | None = None,
) -> None:
    """Recompute the metric's roll-ups of the hours ``[start, end)`` from the events:
    of the given ``(customer_id, external_customer_id)`` senders, or of everyone."""
    start, end = hour_floor(start), _hour_ceil(end)
    if customers is None:
        uow.usage_rollups.clear(metric.id, start, end)
        fresh = uow.usage.rollups(metric, start, end)
    else:
        # Each identifier is a sender of its own: events carry one or the other.
        pairs = list(customers)
        senders = sorted(
            {(cid, None) for cid, _ in pairs if cid is not None}
            | {(None, ext) for _, ext in pairs if ext is not None},
            key=repr,
        )
        uow.usage_rollups.clear(metric.id, start, end, [customer_ref(*s) for s in senders])
        fresh = []
        for customer_id, external_id in senders:
            fresh += uow.usage.rollups(
                metric, start, end, customer_id=customer_id, external_customer_id=external_id
            )
    if fresh:
        uow.usage_rollups.accumulate(fresh)


def _hour_ceil(instant: datetime) -> datetime:
    floor = hour_floor(instant)
    return floor if floor == instant else floor + HOUR


def _rolled(metric: BillableMetric) -> bool:
    return metric.status == "active" and metric.aggregation.decomposable


def _everything() -> tuple[datetime, datetime]:
    return _EVER


def _from_json(raw: dict[str, object], clock: Clock) -> BillableMetric:
    return BillableMetric.from_json(raw, created_at=clock.now())
