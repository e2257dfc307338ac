"""The records metering keeps: usage events and their hourly roll-ups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

__all__ = ["Event", "PropertyValue", "UsageRollup"]

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
