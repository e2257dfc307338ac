"""Metering repositories in memory: idempotent event batches and roll-up accumulation."""

from __future__ import annotations

from collections.abc import Sequence

from orbcore.events import Event, UsageRollup, merge_rollups
from orbcore.storage._ports import AddOutcome
from orbcore.storage._values import detached
from orbcore.storage.memory._repository import MemoryRepository

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
        for event in events:
            self._check_type(event)
        return [self._add_one(event) for event in events]

    def _add_one(self, event: Event) -> AddOutcome:
        stored = self._table.get(event.idempotency_key)
        if stored is None:
            self._table.insert(detached(event), self._journal)
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
