"""Validating usage events: Orb's event shape, exact numbers, enforced limits.

Validation is pure and collects every problem of an event, so a batch can report each
event's errors at once. Checks that need the time or the store (timestamps in the future,
periods already invoiced, unknown customers, duplicate keys) belong to ingestion.

Ingestion validates and hashes every event it receives, so both have a fast path for the
common case (a plain ``dict`` of plain values) that builds no problem objects; whatever
it does not accept goes through the full checks, which decide alike and list every problem.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeGuard

from orbcore._errors import Problem
from orbcore.events._body import body_hash
from orbcore.events._records import Event, PropertyValue, new_event

__all__ = [
    "MAX_NUMBER_DIGITS",
    "EventLimits",
    "ValidEvent",
    "body_hash",
    "number_fits",
    "validate_event",
]

MAX_NUMBER_DIGITS = 100
"""A number property has at most this many significant digits, at most this many
digits before the decimal point and at most this many after it."""

_NUMBER_RANGE = (
    f"numbers have at most {MAX_NUMBER_DIGITS} significant digits, "
    f"{MAX_NUMBER_DIGITS} before the point and {MAX_NUMBER_DIGITS} after it"
)
_NOT_UNICODE = "is not valid Unicode text (it holds a lone surrogate)"

_FIELDS = {
    "idempotency_key",
    "event_name",
    "timestamp",
    "properties",
    "customer_id",
    "external_customer_id",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNKNOWN = 1 << 62  # a size only encoding tells


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
    _hash: str | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

    @property
    def body_hash(self) -> str:
        """A fingerprint of what was sent; see :func:`body_hash`. Computed once: ingestion
        asks for it several times per event."""
        cached = self._hash
        if cached is None:
            cached = body_hash(self)
            object.__setattr__(self, "_hash", cached)  # a cache, not a change
        return cached

    def record(self, ingested_at: datetime) -> Event:
        """The event as a store keeps it, received at ``ingested_at``."""
        return new_event(
            self.idempotency_key,
            self.event_name,
            self.timestamp,
            ingested_at,
            self.body_hash,
            self.customer_id,
            self.external_customer_id,
            dict(self.properties),
        )


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
    plain = _plain_event(raw, limits)
    return (plain, []) if plain is not None else _full_checks(raw, limits)


def _full_checks(raw: object, limits: EventLimits) -> tuple[ValidEvent | None, list[Problem]]:
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


def _plain_event(raw: object, limits: EventLimits) -> ValidEvent | None:
    """The event, if ``raw`` is a ``dict`` of plain values that passes every check.

    ``None`` does not mean invalid: the full checks then decide, and list the problems.
    """
    if type(raw) is not dict or not raw.keys() <= _FIELDS:
        return None
    key, name = raw.get("idempotency_key"), raw.get("event_name")
    customer, external = raw.get("customer_id"), raw.get("external_customer_id")
    who = customer if external is None else external
    longest = limits.max_key_length
    if (
        not _plain_text(key, longest)
        or not _plain_text(name, longest)
        or (customer is None) == (external is None)
        or not _plain_text(who, longest)
    ):
        return None
    timestamp, when_size = _plain_timestamp(raw.get("timestamp"))
    properties, size = _plain_properties(raw.get("properties"), limits)
    if timestamp is None or properties is None:
        return None
    # Field names, punctuation and a null take under 200 bytes; printable text at most
    # 6 bytes a character (\" or a 4-byte character, with room to spare).
    size += 200 + when_size + 6 * (len(key) + len(name) + len(who))
    too_big = limits.max_payload_bytes
    if size > too_big and len(_canonical(raw).encode()) > too_big:
        return None
    return ValidEvent(key, name, timestamp, properties, customer, external)


def _plain_text(text: object, longest: int) -> TypeGuard[str]:
    # Printable text holds no control characters; other text gets the full check.
    return (
        type(text) is str and 0 < len(text) <= longest and text.isprintable() and not text.isspace()
    )


def _plain_timestamp(value: object) -> tuple[datetime | None, int]:
    """The instant in UTC and at most how many bytes it takes as JSON."""
    size = 50  # an aware datetime's isoformat()
    if type(value) is str:
        size = 6 * len(value) + 2 if value.isascii() else _UNKNOWN
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None, size
    if type(value) is not datetime or value.utcoffset() is None:
        return None, size
    try:
        return value.astimezone(UTC), size
    except OverflowError:
        return None, size


def _plain_properties(
    value: object, limits: EventLimits
) -> tuple[dict[str, PropertyValue] | None, int]:
    """The properties and at most how many bytes they take as JSON."""
    if value is None:
        return {}, 0
    if type(value) is not dict or len(value) > limits.max_properties:
        return None, 0
    clean: dict[str, PropertyValue] = {}
    size = 0
    for name, item in value.items():
        if not _plain_text(name, limits.max_property_name_length):
            return None, 0
        plain, item_size = _plain_value(item, limits)
        if plain is None:
            return None, 0
        clean[name] = plain
        size += item_size + 6 * len(name) + 4
    return clean, size


def _plain_value(item: object, limits: EventLimits) -> tuple[PropertyValue | None, int]:
    """A plain property value and at most how many bytes it takes as JSON."""
    kind = type(item)
    if kind is str:
        text: str = item  # type: ignore[assignment]
        if len(text) > limits.max_string_length or "\x00" in text:
            return None, 0
        # Only encoding tells the size of other text (it may not encode at all).
        if text.isascii():
            return text, 6 * len(text) + 2
        return (text, _UNKNOWN) if _encodes(text) else (None, 0)
    if kind is bool:
        return item, 5  # type: ignore[return-value]
    if kind is int or kind is Decimal:
        number = Decimal(item)  # type: ignore[arg-type]
        if number.is_finite() and number_fits(number):
            return number, len(str(number)) + 2  # at most, written as a string
    return None, 0


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
    elif not _encodes(value):
        problems.append(Problem((field,), _NOT_UNICODE))
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
    try:
        return instant.astimezone(UTC)
    except OverflowError:
        problems.append(Problem(("timestamp",), "is outside the years 1 to 9999 in UTC"))
        return None


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
        elif not _encodes(name):
            problems.append(Problem(where, _NOT_UNICODE))
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
    if isinstance(item, int | Decimal):
        number = Decimal(item)
        if not number.is_finite():
            problems.append(Problem(where, f"{item} is not a finite number"))
        elif not number_fits(number):
            problems.append(Problem(where, _NUMBER_RANGE))
        else:
            return number
        return None
    if isinstance(item, str):
        if len(item) > limits.max_string_length:
            problems.append(Problem(where, f"is longer than {limits.max_string_length} characters"))
            return None
        if "\x00" in item:
            problems.append(Problem(where, "must not contain NUL characters"))
            return None
        if not _encodes(item):
            problems.append(Problem(where, _NOT_UNICODE))
            return None
        return item
    kind = (
        "nested values are not allowed"
        if isinstance(item, Mapping | list | tuple)
        else (f"a {type(item).__name__} is not a string, number or boolean")
    )
    problems.append(Problem(where, kind))
    return None


def number_fits(number: Decimal) -> bool:
    """Whether a finite number keeps to :data:`MAX_NUMBER_DIGITS` (so that sums of many
    stay exact within orbcore's 1,000-digit arithmetic)."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    return (
        len(digits) <= MAX_NUMBER_DIGITS
        and exponent >= -MAX_NUMBER_DIGITS
        and number.adjusted() < MAX_NUMBER_DIGITS
    )


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _canonical(raw: Mapping[str, Any]) -> str:
    def default(value: object) -> str:
        return value.isoformat() if isinstance(value, datetime) else str(value)

    return json.dumps(raw, default=default, separators=(",", ":"), ensure_ascii=False)
