"""Events from JSON text in one pass, with msgspec: the plain path of decoding and validation.

``msgspec`` (the ``orbcore[fast]`` extra) decodes an event's JSON text straight into its
fields in C, fractional numbers as ``Decimal`` from their digits, never through ``float``.
Python then makes the checks of validation's plain path. What this path does not accept
(bad JSON, an exponent, odd text, a size near the limit) it leaves to the complete one,
``json.loads(text, parse_float=Decimal)`` then :func:`validate_event`, which decides
alike and lists every problem: this path only ever says "valid, and this is the event".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from orbcore.events._records import PropertyValue
from orbcore.events._validation import (
    MAX_NUMBER_DIGITS,
    EventLimits,
    ValidEvent,
    _plain_timestamp,
)

__all__ = ["JsonEvents"]

_BIG = 10**MAX_NUMBER_DIGITS  # integers below it in size keep to MAX_NUMBER_DIGITS
_NUMBER_GROWTH = 10
"""How many bytes more a number can take in the size check's JSON than as sent: its
quotes, and ``1e-6`` written ``0.000001``. Numbers with an exponent take the long way,
so this leaves room to spare."""


class _Wire(msgspec.Struct, forbid_unknown_fields=True):
    idempotency_key: str
    event_name: str
    timestamp: str
    customer_id: str | None = None
    external_customer_id: str | None = None
    properties: dict[str, Any] | None = None


class _UnusualNumberError(ValueError):
    """A number for the complete path to judge: raised while decoding, which stops it."""


def _number(text: str) -> Decimal:
    """A JSON fraction as sent. Without an exponent, at most ``MAX_NUMBER_DIGITS``
    characters keep to the digit limits; the complete path judges the others."""
    if len(text) > MAX_NUMBER_DIGITS or "e" in text or "E" in text:
        raise _UnusualNumberError(text)
    return Decimal(text)


class JsonEvents:
    """Turns the JSON text of an event into a :class:`ValidEvent`, or ``None`` when the
    complete path must decide.

    Args:
        limits: the limits every event must respect.
    """

    def __init__(self, limits: EventLimits) -> None:
        self._limits = limits
        self._decode = msgspec.json.Decoder(_Wire, float_hook=_number).decode

    def event(self, text: str | bytes) -> ValidEvent | None:
        """The valid event ``text`` holds, or ``None`` (it may be valid all the same)."""
        try:
            wire = self._decode(text)
        except (ValueError, RecursionError):  # msgspec's errors are ValueErrors
            return None
        key, name = wire.idempotency_key, wire.event_name
        customer, external = wire.customer_id, wire.external_customer_id
        who = customer if external is None else external
        longest = self._limits.max_key_length
        if (
            who is None
            or (customer is not None and external is not None)
            or not (0 < len(key) <= longest and 0 < len(name) <= longest)
            or not 0 < len(who) <= longest
            or not (key.isprintable() and name.isprintable() and who.isprintable())
            or key.isspace()
            or name.isspace()
            or who.isspace()
        ):
            return None
        timestamp, _ = _plain_timestamp(wire.timestamp)
        properties = self._properties(wire.properties)
        if timestamp is None or properties is None or not self._fits(text, properties):
            return None
        return ValidEvent(key, name, timestamp, properties, customer, external)

    def _properties(self, sent: dict[str, Any] | None) -> dict[str, PropertyValue] | None:
        if sent is None:
            return {}
        limits = self._limits
        if len(sent) > limits.max_properties:
            return None
        longest_name, longest_text = limits.max_property_name_length, limits.max_string_length
        clean: dict[str, PropertyValue] = {}
        for name, value in sent.items():
            if not (0 < len(name) <= longest_name and name.isprintable()) or name.isspace():
                return None
            kind = type(value)
            if kind is int:
                if not -_BIG < value < _BIG:
                    return None
                value = Decimal(value)
            elif kind is str:
                if len(value) > longest_text or "\x00" in value:
                    return None
            elif kind is not Decimal and kind is not bool:
                return None  # null, a list or an object
            clean[name] = value
        return clean

    def _fits(self, text: str | bytes, properties: dict[str, PropertyValue]) -> bool:
        """Whether the event surely keeps to the size limit. Its compact JSON is no longer
        than the text sent, but for its numbers; encoding tells the size of other text."""
        size = len(text) if type(text) is bytes or text.isascii() else 4 * len(text)
        size += _NUMBER_GROWTH * len(properties)
        return size <= self._limits.max_payload_bytes
