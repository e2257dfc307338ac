"""Metering repositories in memory: idempotent event batches and roll-up accumulation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from orbcore.events import (
    Aggregation,
    Event,
    GroupKey,
    Partial,
    UsageRollup,
    merge_rollups,
    partials_from_rollups,
)
from orbcore.events._body import all_plain_records, is_plain_record
from orbcore.storage._ports import AddOutcome
from orbcore.storage._values import detached
from orbcore.storage.memory._repository import MemoryRepository
from orbcore.storage.memory._usage import rollup_partials, rollups_in

__all__ = ["MemoryEventRepository", "MemoryUsageRollupRepository"]

_ROLLUP_IDENTITY = ("metric_id", "customer_id", "bucket_start", "group_key")


class MemoryEventRepository(MemoryRepository[Event]):
    """Usage events, unique by idempotency key."""

    def add_many(self, events: Sequence[Event]) -> list[AddOutcome]:
        """Insert the events whose keys are new; report one outcome per event.

        A new key is ``INSERTED``; a known key (stored before or earlier in ``events``)
        is a ``DUPLICATE`` if its ``body_hash`` matches and a ``CONFLICT`` if not. Neither
        changes the stored event.

        Raises:
            ValidationError: an item is not an :class:`Event`; nothing is stored then.
        """
        self._journal.check()
        if all_plain_records(events):
            plain = [True] * len(events)
        else:
            plain = [is_plain_record(event) for event in events]
            for event, checked in zip(events, plain, strict=True):
                if not checked:
                    self._check_type(event)
        return [self._add_one(e, p) for e, p in zip(events, plain, strict=True)]

    def lock_intake(self) -> None:
        """Nothing to do: units of work on the memory store run one at a time."""
        self._journal.check()

    def _add_one(self, event: Event, plain: bool) -> AddOutcome:
        stored = self._table.get(event.idempotency_key)
        if stored is None:
            # Flat properties hold immutable values: a new dict is a deep copy.
            kept = replace(event, properties=dict(event.properties)) if plain else detached(event)
            self._table.insert(kept, self._journal)
            return AddOutcome.INSERTED
        if stored.body_hash == event.body_hash:
            return AddOutcome.DUPLICATE
        return AddOutcome.CONFLICT


class MemoryUsageRollupRepository(MemoryRepository[UsageRollup]):
    """Hourly usage roll-ups, one per metric, customer, hour and group."""

    def accumulate(self, rollups: Sequence[UsageRollup]) -> None:
        """Add each roll-up into the stored one with the same metric, customer, hour and
        group, or store it if there is none. The stored roll-up keeps its ``id``.

        Raises:
            ValidationError: an item is not a :class:`UsageRollup`; nothing changes then.
            ConflictError: a new roll-up's ``id`` is taken by another roll-up.
            PrecisionError: a sum cannot be represented exactly.
        """
        self._journal.check()
        for rollup in rollups:
            self._check_type(rollup)
        for rollup in rollups:
            values = tuple(getattr(rollup, name) for name in _ROLLUP_IDENTITY)
            key = self._table.key_for(_ROLLUP_IDENTITY, values)
            if key is None:
                self._table.insert(detached(rollup), self._journal)
            else:
                merged = merge_rollups(self._stored(key), rollup)
                self._table.replace(merged, self._journal)

    def clear(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str] | None = None,
    ) -> int:
        """Delete the metric's roll-ups of the hours in ``[start, end)``, of the given
        customer references or of everyone; return how many went."""
        self._journal.check()
        refs = None if customer_refs is None else set(customer_refs)
        doomed = [
            key
            for key, r in self._table.rows.items()
            if r.metric_id == metric_id
            and start <= r.bucket_start < end
            and (refs is None or r.customer_id in refs)
        ]
        for key in doomed:
            self._table.remove(key, self._journal)
        return len(doomed)

    def partials(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str],
        *,
        only_for: Aggregation | None = None,
    ) -> dict[GroupKey, Partial]:
        """The metric's roll-ups of those hours and customers, added up per group."""
        self._journal.check()
        rows = list(self._table.rows.values())
        return rollup_partials(rows, metric_id, start, end, customer_refs)

    def partials_by_customer(
        self,
        metric_id: str,
        start: datetime,
        end: datetime,
        customer_refs: Sequence[str],
        *,
        only_for: Aggregation | None = None,
    ) -> dict[str, dict[GroupKey, Partial]]:
        """The metric's roll-ups of those hours, added up per customer and group."""
        self._journal.check()
        mine: dict[str, list[UsageRollup]] = {}
        rows = self._table.rows.values()
        for rollup in rollups_in(rows, metric_id, start, end, customer_refs):
            mine.setdefault(rollup.customer_id, []).append(rollup)
        return {ref: partials_from_rollups(theirs) for ref, theirs in mine.items()}
