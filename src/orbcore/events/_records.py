"""The records metering keeps: usage events and their hourly roll-ups."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from orbcore.money._numbers import exact_add

__all__ = ["Event", "PropertyValue", "UsageRollup", "merge_rollups"]

PropertyValue = str | Decimal | bool
"""An event property: a string, an exact number or a boolean; never nested."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A stored usage event. Its ``idempotency_key`` is its identity.

    ``status`` is ``active``, or ``amended`` / ``deprecated`` for an event that is kept
    but ignored. ``body_hash`` fingerprints what was sent, so a retry with the same key
    and body is recognised as a duplicate and one with another body as a conflict.
    """

    idempotency_key: str
    event_name: str
    timestamp: datetime
    ingested_at: datetime
    body_hash: str
    customer_id: str | None = None
    external_customer_id: str | None = None
    properties: dict[str, PropertyValue] = field(default_factory=dict)
    status: str = "active"
    backfill_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageRollup:
    """Pre-aggregated usage of one metric for one customer, hour and group."""

    id: str
    metric_id: str
    customer_id: str
    bucket_start: datetime
    group_key: str = ""
    count: int = 0
    sum: Decimal = Decimal(0)
    min: Decimal | None = None
    max: Decimal | None = None


def merge_rollups(stored: UsageRollup, more: UsageRollup) -> UsageRollup:
    """``stored`` with ``more`` added in: counts and sums added, minimum and maximum merged.

    The result keeps ``stored``'s identity (id, metric, customer, hour, group).

    Raises:
        PrecisionError: the sum cannot be represented exactly.
    """
    return dataclasses.replace(
        stored,
        count=stored.count + more.count,
        sum=exact_add(stored.sum, more.sum),
        min=_extreme(min, stored.min, more.min),
        max=_extreme(max, stored.max, more.max),
    )


def _extreme(
    pick: Callable[[Decimal, Decimal], Decimal], a: Decimal | None, b: Decimal | None
) -> Decimal | None:
    if a is None or b is None:
        return b if a is None else a
    return pick(a, b)
