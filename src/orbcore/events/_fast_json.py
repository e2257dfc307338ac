"""Events from JSON text in one pass, with msgspec: the plain path of decoding and validation.

``msgspec`` (the ``orbcore[fast]`` extra) decodes an event's JSON text straight into its
fields in C, fractional numbers as ``Decimal`` from their digits, never through ``float``.
Python then makes the checks of validation's plain path. What this path does not accept
(bad JSON, an exponent, odd text, a size near the limit) it leaves to the complete one,
``json.loads(text, parse_float=Decimal)`` then :func:`validate_event`, which decides
alike and lists every problem: this path only ever says "valid, and this is the event".
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False), in C
from typing import Any

import msgspec

from orbcore.events._body import _number_json, body_text
from orbcore.events._records import Event, PropertyValue, new_event
from orbcore.events._validation import (
    MAX_NUMBER_DIGITS,
    EventLimits,
    _plain_timestamp,
)

__all__ = ["JsonEvents"]

_BIG = 10**MAX_NUMBER_DIGITS  # integers below it in size keep to MAX_NUMBER_DIGITS
_LAYOUTS_KEPT = 1024
"""How many sets of property names a reader remembers the canonical layout of."""
_NUMBER_GROWTH = 10
"""How many bytes more a number can take in the size check's JSON than as sent: its
quotes, and ``1e-6`` written ``0.000001``. Numbers with an exponent take the long way,
so this leaves room to spare."""


# gc=False: decoded JSON holds no reference cycles, so the collector need not track it.
class _Wire(msgspec.Struct, forbid_unknown_fields=True, gc=False):
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
    """Turns the JSON text of an event into the :class:`Event` a store keeps, or ``None``
    when the complete path must decide.

    Args:
        limits: the limits every event must respect.
    """

    def __init__(self, limits: EventLimits) -> None:
        self._limits = limits
        self._decode = msgspec.json.Decoder(_Wire, float_hook=_number).decode
        self._layouts: dict[tuple[str, ...], str] = {}

    def record(self, text: str | bytes, ingested_at: datetime) -> Event | None:
        """The event ``text`` holds, as a store keeps it, received at ``ingested_at``; or
        ``None`` (it may be valid all the same)."""
        if len(text) > self._limits.max_payload_bytes:
            return None  # its compact JSON may still fit: the complete path decides
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
        sent = wire.properties
        properties: dict[str, PropertyValue] = {}
        entries = ""
        if sent:  # decoded as a dict, or None
            read = self._properties(sent)
            if read is None:
                return None
            properties, entries = read
        if timestamp is None or not self._fits(text, properties):
            return None
        body = body_text(name, timestamp, customer, external, entries)
        try:
            digest = hashlib.sha256(body.encode()).hexdigest()
        except UnicodeEncodeError:  # a lone surrogate: the complete path names it
            return None
        return new_event(key, name, timestamp, ingested_at, digest, customer, external, properties)

    def _properties(self, sent: dict[str, Any]) -> tuple[dict[str, PropertyValue], str] | None:
        """The clean properties, and their entries in the canonical body."""
        if len(sent) > self._limits.max_properties:
            return None
        names = tuple(sent)
        layout = self._layouts.get(names) or self._layout(names)
        if layout is None:
            return None
        longest_text = self._limits.max_string_length
        clean: dict[str, PropertyValue] = {}
        written: list[str] = []
        # Each value written as _body.property_json writes it, inline: calling it costs
        # about 8% of this reader's time. The tests hold both to the same body hash.
        for name, value in sent.items():
            kind = type(value)
            if kind is str:
                if len(value) > longest_text or "\x00" in value:
                    return None
                written.append(encode_basestring(value))
            elif kind is Decimal:
                written.append(_number_json(value))
            elif kind is bool:
                written.append("true" if value else "false")
            elif kind is int and -_BIG < value < _BIG:
                written.append(f"{value}E0")  # _number_json(Decimal(value)), directly
                value = Decimal(value)
            else:
                return None  # null, a list, an object, or an integer too long
            clean[name] = value
        return clean, layout.format(*written)

    def _layout(self, names: tuple[str, ...]) -> str | None:
        """A template of the canonical entries of properties with these names, in the
        order sent, for ``str.format`` to fill with their values; ``None`` if a name breaks
        the limits. Remembered for the next events, which mostly have the same names; only
        names within the limits are, so what is kept stays small."""
        limits = self._limits
        if not (
            min(map(len, names)) > 0
            and max(map(len, names)) <= limits.max_property_name_length
            and all(map(str.isprintable, names))
            and not any(map(str.isspace, names))
        ):
            return None
        position = {name: n for n, name in enumerate(names)}
        layout = ",".join(
            encode_basestring(name).replace("{", "{{").replace("}", "}}") + f":{{{position[name]}}}"
            for name in sorted(names)
        )
        if len(self._layouts) >= _LAYOUTS_KEPT:
            self._layouts.clear()
        self._layouts[names] = layout
        return layout

    def _fits(self, text: str | bytes, properties: dict[str, PropertyValue]) -> bool:
        """Whether the event surely keeps to the size limit. Its compact JSON is no longer
        than the text sent, but for its numbers; encoding tells the size of other text."""
        size = len(text) if type(text) is bytes or text.isascii() else 4 * len(text)
        size += _NUMBER_GROWTH * len(properties)
        return size <= self._limits.max_payload_bytes
