"""Billable metrics: which events count, and how they add up to a quantity.

A metric selects the events of one ``event_name`` that pass its filter, groups them by
the values of its ``group_by`` properties and aggregates each group:

* ``count``: the events.
* ``sum``, ``min``, ``max``: of the numeric property.
* ``average``: the sum over the number of events with a numeric value, rounded half-even
  to :data:`AVERAGE_PLACES` decimal places (a quotient is rarely a finite decimal).
* ``unique_count``: the distinct values of the property; values of different kinds are
  distinct (``"1"`` is not ``1``), numbers compare by value (``1.0`` is ``1``).
* ``latest``: the numeric property of the latest event (by timestamp, then key).
* ``time_weighted_sum``: each event sets a level that holds until the group's next event
  or the end of the period; the result is the sum of level x seconds held within the
  period. A level set before the period carries into it.

Events without the property, or (for numeric aggregations) whose value is not a number,
take no part in the value, though ``count`` counts every selected event.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from orbcore._errors import Problem, ValidationError
from orbcore.events._body import by_value
from orbcore.events._filters import Filter, check_property_name, filter_from_json, filter_to_json
from orbcore.events._records import PropertyValue

__all__ = [
    "AVERAGE_PLACES",
    "Aggregation",
    "BillableMetric",
    "GroupKey",
    "group_key_text",
    "group_of",
    "group_value",
]

AVERAGE_PLACES = 12
"""Decimal places of an ``average`` metric's value (rounded half-even)."""

GroupKey = tuple[str | None, ...]
"""The values of a metric's ``group_by`` properties as text; ``None`` where missing."""


class Aggregation(StrEnum):
    """How a metric's events add up."""

    COUNT = "count"
    SUM = "sum"
    MIN = "min"
    MAX = "max"
    AVERAGE = "average"
    UNIQUE_COUNT = "unique_count"
    LATEST = "latest"
    TIME_WEIGHTED_SUM = "time_weighted_sum"

    @property
    def decomposable(self) -> bool:
        """Whether hourly roll-ups (count, sum, min, max) can answer it exactly."""
        return self in _DECOMPOSABLE


_DECOMPOSABLE = frozenset(
    {Aggregation.COUNT, Aggregation.SUM, Aggregation.MIN, Aggregation.MAX, Aggregation.AVERAGE}
)
_STATUSES = ("active", "draft", "archived")


@dataclass(frozen=True, slots=True, kw_only=True)
class BillableMetric:
    """A billable metric. Build one from JSON with :meth:`from_json`.

    Attributes:
        id: the metric's identity.
        name: what people call it.
        event_name: the events it reads.
        aggregation: how they add up.
        property: the property aggregated (``None`` only for ``count``).
        filter: which events count (``None``: all of ``event_name``).
        group_by: properties whose values split the quantity into groups (matrix and
            grouped prices rate each group).
        status: ``active``, ``draft`` or ``archived``; only active metrics feed roll-ups.
        created_at: when it was defined.
    """

    id: str
    name: str
    event_name: str
    aggregation: Aggregation
    created_at: datetime
    property: str | None = None
    filter: Filter | None = None
    group_by: tuple[str, ...] = ()
    status: str = "active"
    metadata: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValidationError(problems)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], *, created_at: datetime) -> BillableMetric:
        """A metric from its JSON form (see :meth:`to_json`).

        Raises:
            ValidationError: every problem found, with its field path.
        """
        if not isinstance(raw, Mapping):
            raise ValidationError.at((), f"a metric is a JSON object, not {type(raw).__name__}")
        problems: list[Problem] = []
        where = None
        if raw.get("filter") is not None:
            try:
                where = filter_from_json(raw["filter"])
            except ValidationError as error:
                problems.extend(error.problems)
        group_by = raw.get("group_by", [])
        if not isinstance(group_by, list) or not all(isinstance(n, str) for n in group_by):
            problems.append(Problem(("group_by",), "must be a list of property names"))
            group_by = []
        metadata = raw.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            problems.append(Problem(("metadata",), "must map strings to strings"))
            metadata = {}
        try:
            aggregation = Aggregation(str(raw.get("aggregation")))
        except ValueError:
            choices = ", ".join(a.value for a in Aggregation)
            problems.append(Problem(("aggregation",), f"must be one of {choices}"))
            aggregation = Aggregation.COUNT
        if problems:
            raise ValidationError(problems)
        return cls(
            id=raw.get("id"),  # type: ignore[arg-type]  # checked in __post_init__
            name=raw.get("name"),  # type: ignore[arg-type]
            event_name=raw.get("event_name"),  # type: ignore[arg-type]
            aggregation=aggregation,
            property=raw.get("property"),
            filter=where,
            group_by=tuple(group_by),
            status=raw.get("status", "active"),
            metadata=dict(metadata),
            created_at=created_at,
        )

    def to_json(self) -> dict[str, Any]:
        """The metric as JSON; :meth:`from_json` reads it back unchanged."""
        return {
            "id": self.id,
            "name": self.name,
            "event_name": self.event_name,
            "aggregation": self.aggregation.value,
            "property": self.property,
            "filter": None if self.filter is None else filter_to_json(self.filter),
            "group_by": list(self.group_by),
            "status": self.status,
            "metadata": dict(self.metadata),
        }


def _problems(metric: BillableMetric) -> list[Problem]:
    problems: list[Problem] = []
    for name, longest in (("id", 64), ("name", 255), ("event_name", 255)):
        value = getattr(metric, name)
        if not isinstance(value, str) or not value or len(value) > longest:
            problems.append(Problem((name,), f"must be a non-empty string of at most {longest}"))
    problems.extend(_property_problems(metric))
    for index, name in enumerate(metric.group_by):
        problems.extend(check_property_name(name, ("group_by", index)))
    if len(set(metric.group_by)) != len(metric.group_by):
        problems.append(Problem(("group_by",), "names a property twice"))
    if metric.status not in _STATUSES:
        problems.append(Problem(("status",), f"must be one of {', '.join(_STATUSES)}"))
    if not isinstance(metric.metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metric.metadata.items()
    ):
        problems.append(Problem(("metadata",), "must map strings to strings"))
    return problems


def _property_problems(metric: BillableMetric) -> list[Problem]:
    aggregation: object = metric.aggregation
    if not isinstance(aggregation, Aggregation):
        return [Problem(("aggregation",), "must be an Aggregation")]
    if aggregation is Aggregation.COUNT:
        if metric.property is None:
            return []
        return [Problem(("property",), "count takes no property")]
    if metric.property is None:
        return [Problem(("property",), f"{aggregation.value} needs a property")]
    return check_property_name(metric.property, ("property",))


def group_value(value: PropertyValue | None) -> str | None:
    """A property value as group text: numbers by value (``1.50`` -> ``1.5``),
    booleans as ``true`` / ``false``, ``None`` for a missing property."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return format(by_value(value), "f")


def group_of(group_by: Sequence[str], properties: Mapping[str, PropertyValue]) -> GroupKey:
    """The group an event with ``properties`` falls in."""
    return tuple(group_value(properties.get(name)) for name in group_by)


def group_key_text(group: GroupKey) -> str:
    """A group as one string (how roll-ups store it): ``""`` for no grouping."""
    return json.dumps(list(group), ensure_ascii=False, separators=(",", ":")) if group else ""
