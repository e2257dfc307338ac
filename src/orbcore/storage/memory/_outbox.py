"""The outbox in memory: claiming due messages under a lease."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from orbcore.storage._values import check_claim, detached
from orbcore.storage.memory._repository import MemoryRepository
from orbcore.webhooks import OutboxMessage

__all__ = ["MemoryOutboxRepository", "is_due"]
"""The most messages one claim may take."""


def is_due(message: OutboxMessage, now: datetime) -> bool:
    """Whether ``message`` is pending, available at ``now`` and held by no live lease.

    A lease is live while ``now < locked_until``.
    """
    return (
        message.status == "pending"
        and message.available_at <= now
        and (message.locked_until is None or message.locked_until <= now)
    )


class MemoryOutboxRepository(MemoryRepository[OutboxMessage]):
    """Messages waiting to be delivered."""

    def claim_due(
        self, now: datetime, limit: int, worker: str, lease: timedelta
    ) -> list[OutboxMessage]:
        """Lock up to ``limit`` due messages for ``worker`` until ``now + lease``.

        Messages are taken in order of ``available_at`` and then ``id``; each claimed one
        is stored with ``locked_by``, ``locked_until`` and its next revision. The store
        runs one unit of work at a time, so two workers never claim the same message.

        Raises:
            ValidationError: ``now`` is naive, ``limit`` is not from 1 to 10,000, or
                ``lease`` is not positive.
        """
        self._journal.check()
        check_claim(now, limit, lease)
        due = sorted(
            (message for message in self._table.rows.values() if is_due(message, now)),
            key=lambda message: (message.available_at, message.id),
        )
        claimed = []
        for message in due[:limit]:
            locked = dataclasses.replace(
                message,
                locked_by=worker,
                locked_until=now + lease,
                revision=message.revision + 1,
            )
            self._table.replace(locked, self._journal)
            claimed.append(detached(locked))
        return claimed
