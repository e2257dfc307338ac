"""The body hash: what makes two sends of one key the same event.

Ingestion hashes every event it receives, so the canonical JSON of plain values is written
directly; anything else goes through ``dumps_exact``, which writes the same text.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime
from decimal import Decimal
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False), in C
from typing import TYPE_CHECKING

from orbcore._json import dumps_exact
from orbcore.events._records import Event
from orbcore.money._numbers import EXACT

if TYPE_CHECKING:
    from orbcore.events._validation import ValidEvent

__all__ = ["body_hash", "by_value", "is_plain_record"]

_RECORD_TEXTS = tuple(
    f.name
    for f in dataclasses.fields(Event)
    if f.name not in ("timestamp", "ingested_at", "properties")
)


def body_hash(event: ValidEvent) -> str:
    """SHA-256 of the event's canonical JSON: keys sorted, the timestamp in UTC, numbers
    by value (``1.50`` and ``1.5`` are the same body). Two sends of one key are the same
    event exactly when their hashes are equal."""
    text = _plain_body(event)
    if text is None:
        text = dumps_exact(
            {
                "event_name": event.event_name,
                "timestamp": event.timestamp.isoformat(),
                "customer_id": event.customer_id,
                "external_customer_id": event.external_customer_id,
                "properties": {
                    name: by_value(value) if isinstance(value, Decimal) else value
                    for name, value in sorted(event.properties.items())
                },
            }
        )
    return hashlib.sha256(text.encode()).hexdigest()


def is_plain_record(event: Event) -> bool:
    """Whether ``event`` is an :class:`Event` of texts, aware instants and flat
    properties (texts, booleans, integers, finite ``Decimal`` values), as ingestion makes
    them: the stores' checks of what they can keep pass such an event without a look."""
    return (
        type(event) is Event
        and all(
            type(instant) is datetime and instant.utcoffset() is not None
            for instant in (event.timestamp, event.ingested_at)
        )
        and all(type(getattr(event, name)) in (str, type(None)) for name in _RECORD_TEXTS)
        and type(event.properties) is dict
        and all(
            type(name) is str
            and (type(value) in (str, bool, int) or (type(value) is Decimal and value.is_finite()))
            for name, value in event.properties.items()
        )
    )


def _plain_body(event: ValidEvent) -> str | None:
    """The canonical JSON :func:`body_hash` hashes, written directly for plain values
    (text, finite ``Decimal`` values, booleans); ``None`` for anything else."""
    who = [
        "null" if text is None else encode_basestring(text) if type(text) is str else None
        for text in (event.event_name, event.customer_id, event.external_customer_id)
    ]
    properties = event.properties
    parts = []
    for name in sorted(properties):
        text = _plain_json(properties[name])
        if text is None or type(name) is not str:
            return None
        parts.append(f"{encode_basestring(name)}:{text}")
    if None in who:
        return None
    timestamp = encode_basestring(event.timestamp.isoformat())
    return (
        f'{{"event_name":{who[0]},"timestamp":{timestamp},"customer_id":{who[1]},'
        f'"external_customer_id":{who[2]},"properties":{{{",".join(parts)}}}}}'
    )


def _plain_json(value: object) -> str | None:
    if type(value) is str:
        return encode_basestring(value)
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is Decimal and value.is_finite():
        text = format(by_value(value), "f")
        # As dumps_exact writes a whole Decimal, so that it reads back as one.
        return text if "." in text else text + "E0"
    return None


def by_value(number: Decimal) -> Decimal:
    """The number written one way whatever its exponent or the sign of a zero."""
    return _ZERO if number.is_zero() else number.normalize(EXACT)


_ZERO = Decimal(0)
