"""Usage queries in memory: the pure aggregation engine over the stored events."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from orbcore.events import (
    Aggregation,
    BillableMetric,
    Event,
    GroupKey,
    Partial,
    Quantities,
    UsageRollup,
    aggregate,
    partials_from_rollups,
    rollups_from_events,
)
from orbcore.events._aggregate import check_customer, check_period, partials_of
from orbcore.storage.memory._journal import Journal
from orbcore.storage.memory._table import Table

__all__ = ["MemoryUsageQueries", "rollup_partials", "rollups_in"]


class MemoryUsageQueries:
    """A metric's quantities, computed from the events in memory."""

    def __init__(self, events: Table[Event], journal: Journal) -> None:
        self._events = events
        self._journal = journal

    def aggregate(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
    ) -> Quantities:
        check_customer(customer_id, external_customer_id)
        return aggregate(metric, self._of(customer_id, external_customer_id), start, end)

    def partials(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
        only_for: Aggregation | None = None,
    ) -> dict[GroupKey, Partial]:
        check_customer(customer_id, external_customer_id)
        check_period(start, end)
        events = self._of(customer_id, external_customer_id)
        return partials_of(metric, (e for e in events if start <= e.timestamp < end))

    def rollups(
        self,
        metric: BillableMetric,
        start: datetime,
        end: datetime,
        *,
        customer_id: str | None = None,
        external_customer_id: str | None = None,
    ) -> list[UsageRollup]:
        check_period(start, end)
        events = self._of(customer_id, external_customer_id, everyone=True)
        return rollups_from_events(metric, (e for e in events if start <= e.timestamp < end))

    def _of(
        self, customer_id: str | None, external_id: str | None, *, everyone: bool = False
    ) -> Iterator[Event]:
        self._journal.check()
        everything = everyone and customer_id is None and external_id is None
        for event in self._events.rows.values():
            if everything or _belongs(event, customer_id, external_id):
                yield event


def _belongs(event: Event, customer_id: str | None, external_id: str | None) -> bool:
    if customer_id is not None and event.customer_id == customer_id:
        return True
    return external_id is not None and event.external_customer_id == external_id


def rollup_partials(
    rollups: Sequence[UsageRollup],
    metric_id: str,
    start: datetime,
    end: datetime,
    customer_refs: Sequence[str],
) -> dict[GroupKey, Partial]:
    """The partial per group of the roll-ups of one metric, customers and hours."""
    return partials_from_rollups(rollups_in(rollups, metric_id, start, end, customer_refs))


def rollups_in(
    rollups: Iterable[UsageRollup],
    metric_id: str,
    start: datetime,
    end: datetime,
    customer_refs: Sequence[str],
) -> Iterator[UsageRollup]:
    """The roll-ups of one metric, of those customers, in the hours of ``[start, end)``."""
    refs = set(customer_refs)
    return (
        r
        for r in rollups
        if r.metric_id == metric_id and r.customer_id in refs and start <= r.bucket_start < end
    )
