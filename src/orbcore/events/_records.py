"""The records metering keeps: usage events and their hourly roll-ups."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from orbcore.money._numbers import exact_add

__all__ = [
    "Backfill",
    "Event",
    "EventState",
    "PropertyValue",
    "UsageRollup",
    "merge_rollups",
    "new_event",
    "slot_setters",
]

PropertyValue = str | Decimal | bool
"""An event property: a string, an exact number or a boolean; never nested."""


class EventState(StrEnum):
    """Where a stored event stands. Only ``active`` events count; the others are kept."""

    ACTIVE = "active"
    AMENDED = "amended"
    """Replaced by a newer version of itself (the version ``amends`` it)."""
    DEPRECATED = "deprecated"
    """Withdrawn by its sender."""
    PENDING = "pending"
    """Sent in a backfill that has not been closed yet."""
    REPLACED = "replaced"
    """Replaced by the events of the backfill ``replaced_by``."""
    REVERTED = "reverted"
    """Sent in a backfill that was reverted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A stored usage event. Its ``idempotency_key`` is its identity.

    ``status`` is one of :class:`EventState`: ``active``, or a reason the event is kept
    but ignored. An amended version of an event ``amends`` the original's key; an event
    replaced by a backfill names it in ``replaced_by``. ``body_hash`` fingerprints what
    was sent, so a retry with the same key and body is recognised as a duplicate and one
    with another body as a conflict.
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
    amends: str | None = None
    replaced_by: str | None = None


_GIVEN = (
    "idempotency_key",
    "event_name",
    "timestamp",
    "ingested_at",
    "body_hash",
    "customer_id",
    "external_customer_id",
    "properties",
)


def slot_setters(cls: type) -> dict[str, Callable[[Any, Any], None]]:
    """Each field's slot setter, by name, of a slotted dataclass. They set a frozen
    instance's fields directly, where the dataclass's own ``__init__`` goes through
    ``object.__setattr__``: for code that makes one instance per event."""
    return {spec.name: getattr(cls, spec.name).__set__ for spec in dataclasses.fields(cls)}


_SETTERS = slot_setters(Event)
(
    _SET_KEY,
    _SET_NAME,
    _SET_TIMESTAMP,
    _SET_INGESTED_AT,
    _SET_HASH,
    _SET_CUSTOMER,
    _SET_EXTERNAL,
    _SET_PROPERTIES,
) = (_SETTERS[name] for name in _GIVEN)
_DEFAULTS = [
    (_SETTERS[spec.name], spec.default)
    for spec in dataclasses.fields(Event)
    if spec.name not in _GIVEN
]
if any(default is dataclasses.MISSING for _, default in _DEFAULTS):
    raise TypeError("new_event gives every Event field without a plain default")
_new = object.__new__


def new_event(
    key: str,
    name: str,
    timestamp: datetime,
    ingested_at: datetime,
    body_hash: str,
    customer: str | None,
    external: str | None,
    properties: dict[str, PropertyValue],
) -> Event:
    """``Event(idempotency_key=key, ...)``, the other fields at their defaults: a new
    event as ingestion stores it. Made with the slots' own setters: a frozen dataclass
    sets each field through ``object.__setattr__``, which takes twice as long, and
    ingestion makes one for every event it reads."""
    event: Event = _new(Event)
    _SET_KEY(event, key)
    _SET_NAME(event, name)
    _SET_TIMESTAMP(event, timestamp)
    _SET_INGESTED_AT(event, ingested_at)
    _SET_HASH(event, body_hash)
    _SET_CUSTOMER(event, customer)
    _SET_EXTERNAL(event, external)
    _SET_PROPERTIES(event, properties)
    for setter, default in _DEFAULTS:
        setter(event, default)
    return event


@dataclass(frozen=True, slots=True, kw_only=True)
class Backfill:
    """Late usage for a timeframe, sent and applied as one: see ``docs/metering.md``.

    Its events are ``pending`` until it is closed; closing makes them active and, with
    ``replace_existing_events``, replaces the active events it covers (those of its
    customer, or of everyone, in ``[timeframe_start, timeframe_end)``, passing
    ``deprecation_filter`` if there is one). Reverting undoes all of that.
    """

    id: str
    timeframe_start: datetime
    timeframe_end: datetime
    created_at: datetime
    close_time: datetime
    status: str = "pending"
    customer_id: str | None = None
    external_customer_id: str | None = None
    replace_existing_events: bool = True
    deprecation_filter: dict[str, Any] | None = None
    reflected_at: datetime | None = None
    reverted_at: datetime | None = None
    revision: int = 0


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
