"""Validating usage events: Orb's event shape, exact numbers, enforced limits.

Validation is pure and collects every problem of an event, so a batch can report each
event's errors at once. Checks that need the time or the store (timestamps in the future,
periods already invoiced, unknown customers, duplicate keys) belong to ingestion.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from orbcore._errors import Problem
from orbcore._json import dumps_exact
from orbcore.events._records import PropertyValue

__all__ = ["EventLimits", "ValidEvent", "body_hash", "validate_event"]

_FIELDS = {
    "idempotency_key",
    "event_name",
    "timestamp",
    "properties",
    "customer_id",
    "external_customer_id",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class EventLimits:
    """The limits every event must respect; the defaults are documented in docs/metering.md.

    Attributes:
        max_key_length: characters in ``idempotency_key``, ``event_name`` and the
            customer identifiers.
        max_properties: entries in ``properties``.
        max_property_name_length: characters in a property name.
        max_string_length: characters in a string property value.
        max_payload_bytes: size of the event as compact JSON (UTF-8).
    """

    max_key_length: int = 255
    max_properties: int = 100
    max_property_name_length: int = 128
    max_string_length: int = 4096
    max_payload_bytes: int = 65_536


@dataclass(frozen=True, slots=True)
class ValidEvent:
    """An event that passed validation: types checked, timestamp in UTC, numbers exact."""

    idempotency_key: str
    event_name: str
    timestamp: datetime
    properties: dict[str, PropertyValue]
    customer_id: str | None = None
    external_customer_id: str | None = None

    @property
    def body_hash(self) -> str:
        """A fingerprint of what was sent; see :func:`body_hash`."""
        return body_hash(self)


def validate_event(
    raw: object, limits: EventLimits = EventLimits()
) -> tuple[ValidEvent | None, list[Problem]]:
    """Check one event in Orb's shape; return it cleaned, or every problem found.

    Args:
        raw: a mapping with ``idempotency_key``, ``event_name``, ``timestamp`` (ISO 8601
            with an offset, or an aware ``datetime``), ``properties`` (flat: strings, exact
            numbers, booleans) and exactly one of ``customer_id`` /
            ``external_customer_id``.
        limits: the limits to enforce.

    Returns:
        ``(event, [])`` for a valid event, ``(None, problems)`` otherwise.
    """
    if not isinstance(raw, Mapping):
        return None, [Problem((), f"an event is a JSON object, not {type(raw).__name__}")]
    problems = [
        Problem((str(name),), "is not an event field") for name in raw if name not in _FIELDS
    ]
    key = _identifier(raw, "idempotency_key", limits, problems, required=True)
    name = _identifier(raw, "event_name", limits, problems, required=True)
    customer = _identifier(raw, "customer_id", limits, problems, required=False)
    external = _identifier(raw, "external_customer_id", limits, problems, required=False)
    if (customer is None) == (external is None) and not any(
        p.path and p.path[0] in ("customer_id", "external_customer_id") for p in problems
    ):
        problems.append(
            Problem(("customer_id",), "give exactly one of customer_id and external_customer_id")
        )
    timestamp = _timestamp(raw.get("timestamp"), problems)
    properties = _properties(raw.get("properties"), limits, problems)
    if not problems:
        size = len(_canonical(raw).encode())
        if size > limits.max_payload_bytes:
            problems.append(
                Problem((), f"is {size} bytes; the limit is {limits.max_payload_bytes}")
            )
    if problems or key is None or name is None or timestamp is None:
        return None, problems
    return ValidEvent(key, name, timestamp, properties, customer, external), []


def body_hash(event: ValidEvent) -> str:
    """SHA-256 of the event's canonical JSON: keys sorted, the timestamp in UTC, numbers
    by value (``1.50`` and ``1.5`` are the same body). Two sends of one key are the same
    event exactly when their hashes are equal."""
    body = {
        "event_name": event.event_name,
        "timestamp": event.timestamp.isoformat(),
        "customer_id": event.customer_id,
        "external_customer_id": event.external_customer_id,
        "properties": {
            name: value.normalize() if isinstance(value, Decimal) else value
            for name, value in sorted(event.properties.items())
        },
    }
    return hashlib.sha256(dumps_exact(body).encode()).hexdigest()


def _identifier(
    raw: Mapping[str, Any],
    field: str,
    limits: EventLimits,
    problems: list[Problem],
    *,
    required: bool,
) -> str | None:
    value = raw.get(field)
    if value is None:
        if required:
            problems.append(Problem((field,), "is required"))
        return None
    if not isinstance(value, str):
        problems.append(Problem((field,), f"must be a string, not {type(value).__name__}"))
        return None
    if not value.strip():
        problems.append(Problem((field,), "must not be blank"))
    elif len(value) > limits.max_key_length:
        problems.append(Problem((field,), f"is longer than {limits.max_key_length} characters"))
    elif _CONTROL.search(value):
        problems.append(Problem((field,), "must not contain control characters"))
    else:
        return value
    return None


def _timestamp(value: object, problems: list[Problem]) -> datetime | None:
    if value is None:
        problems.append(Problem(("timestamp",), "is required"))
        return None
    instant: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            problems.append(Problem(("timestamp",), f"{value[:40]!r} is not ISO 8601"))
            return None
    if instant is None:
        problems.append(
            Problem(("timestamp",), f"must be an ISO 8601 string, not {type(value).__name__}")
        )
        return None
    if instant.tzinfo is None or instant.utcoffset() is None:
        problems.append(Problem(("timestamp",), "needs a time zone offset such as Z or +02:00"))
        return None
    return instant.astimezone(UTC)


def _properties(
    value: object, limits: EventLimits, problems: list[Problem]
) -> dict[str, PropertyValue]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append(Problem(("properties",), "must be an object of names to values"))
        return {}
    if len(value) > limits.max_properties:
        problems.append(
            Problem(
                ("properties",), f"has {len(value)} entries; the limit is {limits.max_properties}"
            )
        )
        return {}
    clean: dict[str, PropertyValue] = {}
    for name, item in value.items():
        where = ("properties", str(name))
        if not isinstance(name, str) or not name or len(name) > limits.max_property_name_length:
            problems.append(
                Problem(
                    where, f"property names are 1 to {limits.max_property_name_length} characters"
                )
            )
        elif _CONTROL.search(name):
            problems.append(Problem(where, "property names must not contain control characters"))
        else:
            checked = _property_value(item, limits, where, problems)
            if checked is not None:
                clean[name] = checked
    return clean


def _property_value(
    item: object, limits: EventLimits, where: tuple[str, ...], problems: list[Problem]
) -> PropertyValue | None:
    if isinstance(item, bool):
        return item
    if isinstance(item, float):
        problems.append(
            Problem(
                where,
                "floats are not exact; send the number as JSON text "
                "parsed with decimals, or as a Decimal",
            )
        )
        return None
    if isinstance(item, int):
        return Decimal(item)
    if isinstance(item, Decimal):
        if item.is_finite():
            return item
        problems.append(Problem(where, f"{item} is not a finite number"))
        return None
    if isinstance(item, str):
        if len(item) > limits.max_string_length:
            problems.append(Problem(where, f"is longer than {limits.max_string_length} characters"))
            return None
        if "\x00" in item:
            problems.append(Problem(where, "must not contain NUL characters"))
            return None
        return item
    kind = (
        "nested values are not allowed"
        if isinstance(item, Mapping | list | tuple)
        else (f"a {type(item).__name__} is not a string, number or boolean")
    )
    problems.append(Problem(where, kind))
    return None


def _canonical(raw: Mapping[str, Any]) -> str:
    def default(value: object) -> str:
        return value.isoformat() if isinstance(value, datetime) else str(value)

    return json.dumps(raw, default=default, separators=(",", ":"), ensure_ascii=False)
