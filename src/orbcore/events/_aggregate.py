"""The in-memory aggregation engine: a metric's quantities from events or roll-ups.

This is the reference every store's push-down must equal. Periods are half-open:
``start <= timestamp < end``. Only active events of the metric's ``event_name`` that pass
its filter count; amended, deprecated, replaced and pending backfill events do not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from orbcore._errors import ValidationError
from orbcore.events._body import by_value
from orbcore.events._filters import kind_of, matches
from orbcore.events._metrics import (
    AVERAGE_PLACES,
    Aggregation,
    BillableMetric,
    GroupKey,
    group_key_text,
    group_of,
)
from orbcore.events._records import Event, UsageRollup
from orbcore.money._numbers import exact_add, exact_mul, exact_sum
from orbcore.money._rounding import RoundingMode, round_rational

__all__ = [
    "HOUR",
    "Partial",
    "Quantities",
    "aggregate",
    "check_customer",
    "check_period",
    "customer_ref",
    "finish",
    "hour_floor",
    "merge_partials",
    "partials_from_rollups",
    "partials_of",
    "require_decomposable",
    "rollup",
    "rollups_from_events",
    "selects",
]

Quantities = dict[GroupKey, Decimal]
"""A metric's value per group; ``()`` is the only group of an ungrouped metric. A group
with no event that counts is absent."""

HOUR = timedelta(hours=1)
_SECOND = Decimal(1)


@dataclass(frozen=True, slots=True)
class Partial:
    """What a decomposable aggregation needs of a set of events: how many carry a value,
    their sum, minimum and maximum."""

    count: int
    sum: Decimal
    min: Decimal | None
    max: Decimal | None


def check_period(start: datetime, end: datetime) -> None:
    """Raises ValidationError unless ``start < end`` and both are aware."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError.at((), "a period needs aware datetimes (with a time zone)")
    if not start < end:
        raise ValidationError.at((), f"a period must end after it starts: {start} >= {end}")


def check_customer(customer_id: str | None, external_customer_id: str | None) -> None:
    """Raises ValidationError unless at least one of the customer's identifiers is given."""
    if customer_id is None and external_customer_id is None:
        raise ValidationError.at((), "give customer_id, external_customer_id or both")


def selects(metric: BillableMetric, event: Event) -> bool:
    """Whether ``event`` counts for ``metric`` (status, name and filter; not time)."""
    return (
        event.status == "active"
        and event.event_name == metric.event_name
        and matches(metric.filter, event.properties)
    )


def customer_ref(customer_id: str | None, external_customer_id: str | None) -> str:
    """The customer an event's roll-ups are kept under: its ``customer_id``, or a
    fixed-length reference derived from its ``external_customer_id``."""
    if customer_id is not None:
        return customer_id
    digest = hashlib.sha256((external_customer_id or "").encode()).hexdigest()[:48]
    return f"external:{digest}"


def hour_floor(instant: datetime) -> datetime:
    """The start of ``instant``'s UTC hour."""
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def aggregate(
    metric: BillableMetric, events: Iterable[Event], start: datetime, end: datetime
) -> Quantities:
    """The metric's quantities over ``[start, end)`` from ``events``.

    ``events`` may hold anything (other customers' events excepted: select those first);
    events outside the period matter only to ``time_weighted_sum``, whose level at
    ``start`` is set by the latest earlier event.

    >>> from datetime import UTC
    >>> from orbcore.events import Aggregation, BillableMetric, Event
    >>> def event(key, hour, gb):
    ...     return Event(idempotency_key=key, event_name="storage", body_hash="",
    ...                  timestamp=datetime(2024, 1, 1, hour, tzinfo=UTC),
    ...                  ingested_at=datetime(2024, 1, 1, tzinfo=UTC),
    ...                  customer_id="cus_1", properties={"gb": Decimal(gb)})
    >>> metric = BillableMetric(id="m", name="GB-seconds", event_name="storage",
    ...     aggregation=Aggregation.TIME_WEIGHTED_SUM, property="gb",
    ...     created_at=datetime(2024, 1, 1, tzinfo=UTC))
    >>> aggregate(metric, [event("a", 0, 10), event("b", 1, 4)],
    ...           datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 2, tzinfo=UTC))
    {(): Decimal('50400')}

    Raises:
        ValidationError: the period is not a valid half-open interval of aware times.
    """
    check_period(start, end)
    if metric.aggregation is Aggregation.TIME_WEIGHTED_SUM:
        return _time_weighted(metric, events, start, end)
    chosen = [e for e in events if start <= e.timestamp < end and selects(metric, e)]
    if metric.aggregation is Aggregation.UNIQUE_COUNT:
        return _unique(metric, chosen)
    if metric.aggregation is Aggregation.LATEST:
        return _latest(metric, chosen)
    partials = partials_of(metric, chosen)
    return {
        group: value for group, p in partials.items() if (value := finish(metric, p)) is not None
    }


def finish(metric: BillableMetric, partial: Partial) -> Decimal | None:
    """A decomposable aggregation's value from its partial (``None``: no value)."""
    aggregation = metric.aggregation
    if partial.count == 0:
        return None
    if aggregation is Aggregation.COUNT:
        return Decimal(partial.count)
    if aggregation is Aggregation.SUM:
        return partial.sum
    if aggregation is Aggregation.MIN:
        return partial.min
    if aggregation is Aggregation.MAX:
        return partial.max
    if aggregation is Aggregation.AVERAGE:
        mean = Fraction(partial.sum) / partial.count
        return round_rational(mean, AVERAGE_PLACES, RoundingMode.HALF_EVEN)
    raise ValueError(f"{aggregation.value} is not decomposable")


def merge_partials(a: Partial, b: Partial) -> Partial:
    """Two partials of disjoint event sets as one."""
    return Partial(
        a.count + b.count,
        exact_add(a.sum, b.sum),
        b.min if a.min is None or (b.min is not None and b.min < a.min) else a.min,
        b.max if a.max is None or (b.max is not None and b.max > a.max) else a.max,
    )


def _number(metric: BillableMetric, event: Event) -> Decimal | None:
    """The event's value for a numeric aggregation (1 per event for ``count``)."""
    if metric.property is None:
        return _SECOND
    value = event.properties.get(metric.property)
    return value if isinstance(value, Decimal) else None


def require_decomposable(metric: BillableMetric) -> None:
    """Raises ValidationError unless roll-ups can answer ``metric``."""
    if not metric.aggregation.decomposable:
        raise ValidationError.at(
            ("aggregation",), f"{metric.aggregation.value} cannot be rolled up; query events"
        )


def partials_of(metric: BillableMetric, events: Iterable[Event]) -> dict[GroupKey, Partial]:
    """Count, sum, min and max per group of the events that count for a decomposable
    ``metric`` (the caller selects the period).

    Raises:
        ValidationError: the metric is not decomposable.
    """
    require_decomposable(metric)
    events = (e for e in events if selects(metric, e))
    values: dict[GroupKey, list[Decimal]] = {}
    for event in events:
        number = _number(metric, event)
        if number is not None:
            values.setdefault(group_of(metric.group_by, event.properties), []).append(number)
    return {
        group: Partial(len(numbers), exact_sum(numbers), min(numbers), max(numbers))
        for group, numbers in values.items()
    }


def _unique(metric: BillableMetric, events: Iterable[Event]) -> Quantities:
    assert metric.property is not None  # a validated unique_count metric has one
    seen: dict[GroupKey, set[tuple[str, object]]] = {}
    for event in events:
        value = event.properties.get(metric.property)
        if value is not None:
            group = group_of(metric.group_by, event.properties)
            canonical = by_value(value) if isinstance(value, Decimal) else value
            seen.setdefault(group, set()).add((kind_of(value), canonical))
    return {group: Decimal(len(values)) for group, values in seen.items()}


def _latest(metric: BillableMetric, events: Iterable[Event]) -> Quantities:
    best: dict[GroupKey, tuple[datetime, str, Decimal]] = {}
    for event in events:
        number = _number(metric, event)
        if number is None:
            continue
        group = group_of(metric.group_by, event.properties)
        candidate = (event.timestamp, event.idempotency_key, number)
        if group not in best or candidate[:2] > best[group][:2]:
            best[group] = candidate
    return {group: value for group, (_, _, value) in best.items()}


def _time_weighted(
    metric: BillableMetric, events: Iterable[Event], start: datetime, end: datetime
) -> Quantities:
    levels: dict[GroupKey, list[tuple[datetime, str, Decimal]]] = {}
    for event in events:
        if event.timestamp >= end or not selects(metric, event):
            continue
        number = _number(metric, event)
        if number is not None:
            group = group_of(metric.group_by, event.properties)
            levels.setdefault(group, []).append((event.timestamp, event.idempotency_key, number))
    result: Quantities = {}
    for group, changes in levels.items():
        changes.sort()
        earlier = [c for c in changes if c[0] < start]
        steps = [(start, earlier[-1][2])] if earlier else []
        steps += [(at, level) for at, _, level in changes if at >= start]
        result[group] = exact_sum(
            exact_mul(level, _seconds(at, steps[i + 1][0] if i + 1 < len(steps) else end))
            for i, (at, level) in enumerate(steps)
        )
    return result


def _seconds(since: datetime, until: datetime) -> Decimal:
    delta = until - since
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    whole, part = divmod(micros, 1_000_000)
    return Decimal(whole) if not part else Decimal(micros).scaleb(-6)


def rollups_from_events(metric: BillableMetric, events: Iterable[Event]) -> list[UsageRollup]:
    """Hourly roll-ups of a decomposable metric over ``events`` (any times, any
    customers): one per customer reference, UTC hour and group that has a value.

    Raises:
        ValidationError: the metric is not decomposable.
    """
    require_decomposable(metric)
    buckets: dict[tuple[str, datetime, GroupKey], list[Decimal]] = {}
    for event in events:
        if not selects(metric, event):
            continue
        number = _number(metric, event)
        if number is None:
            continue
        where = (
            customer_ref(event.customer_id, event.external_customer_id),
            hour_floor(event.timestamp),
            group_of(metric.group_by, event.properties),
        )
        buckets.setdefault(where, []).append(number)
    return [
        rollup(metric.id, ref, hour, group, Partial(len(ns), exact_sum(ns), min(ns), max(ns)))
        for (ref, hour, group), ns in buckets.items()
    ]


def rollup(metric_id: str, ref: str, hour: datetime, group: GroupKey, p: Partial) -> UsageRollup:
    """The roll-up record of one partial, with an id derived from where it belongs."""
    text = group_key_text(group)
    digest = hashlib.sha256(f"{metric_id}\x1f{ref}\x1f{hour.isoformat()}\x1f{text}".encode())
    return UsageRollup(
        id=digest.hexdigest()[:40],
        metric_id=metric_id,
        customer_id=ref,
        bucket_start=hour,
        group_key=text,
        count=p.count,
        sum=p.sum,
        min=p.min,
        max=p.max,
    )


def partials_from_rollups(rollups: Iterable[UsageRollup]) -> dict[GroupKey, Partial]:
    """The partial per group of stored roll-ups (of one metric)."""
    merged: dict[GroupKey, Partial] = {}
    for r in rollups:
        group = _group_from_text(r.group_key)
        part = Partial(r.count, r.sum, r.min, r.max)
        merged[group] = merge_partials(merged[group], part) if group in merged else part
    return merged


def _group_from_text(text: str) -> GroupKey:
    return tuple(json.loads(text)) if text else ()
