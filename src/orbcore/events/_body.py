"""The body hash: what makes two sends of one key the same event.

Ingestion hashes every event it receives, so the canonical JSON of plain values is written
directly; anything else goes through ``dumps_exact``, which writes the same text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from itertools import chain
from json.encoder import encode_basestring  # json.dumps(text, ensure_ascii=False), in C
from typing import TYPE_CHECKING

from orbcore._json import dumps_exact
from orbcore.calendar._zone import all_in_utc
from orbcore.events._records import Event
from orbcore.money._numbers import EXACT

if TYPE_CHECKING:
    from orbcore.events._validation import ValidEvent

__all__ = [
    "all_plain_records",
    "body_hash",
    "body_text",
    "by_value",
    "is_plain_record",
    "property_json",
]

_record_texts = operator.attrgetter(
    *(
        f.name
        for f in dataclasses.fields(Event)
        if f.name not in ("timestamp", "ingested_at", "properties")
    )
)
_timestamp = operator.attrgetter("timestamp")
_ingested_at = operator.attrgetter("ingested_at")
_properties = operator.attrgetter("properties")
_EVENTS = frozenset({Event})
_INSTANTS = frozenset({datetime})
_DICTS = frozenset({dict})
_TEXTS = frozenset({str, type(None)})
_NAMES = frozenset({str})
_FLAT = frozenset({str, bool, int, Decimal})


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
    return all_plain_records((event,))


def all_plain_records(events: Sequence[Event]) -> bool:
    """Whether :func:`is_plain_record` holds for every event. Stores ask this of every
    batch they are given, so each check is made over the whole batch at once, with sets
    of types made in C."""
    if not set(map(type, events)) <= _EVENTS:
        return False
    instants = [*map(_timestamp, events), *map(_ingested_at, events)]
    if not set(map(type, instants)) <= _INSTANTS:
        return False
    # Aware: in UTC, as ingestion makes them, or with any offset at all.
    if not all_in_utc(instants) and None in map(datetime.utcoffset, instants):
        return False
    if not set(map(type, chain.from_iterable(map(_record_texts, events)))) <= _TEXTS:
        return False
    every = list(map(_properties, events))
    if not set(map(type, every)) <= _DICTS:
        return False
    if not set(map(type, chain.from_iterable(every))) <= _NAMES:
        return False
    values = list(chain.from_iterable(map(dict.values, every)))
    kinds = set(map(type, values))
    if not kinds <= _FLAT:
        return False
    return Decimal not in kinds or all(
        map(Decimal.is_finite, [v for v in values if type(v) is Decimal])
    )


def _plain_body(event: ValidEvent) -> str | None:
    """The canonical JSON :func:`body_hash` hashes, written directly for plain values
    (text, finite ``Decimal`` values, booleans); ``None`` for anything else."""
    name, customer, external = event.event_name, event.customer_id, event.external_customer_id
    if type(name) is not str or (
        type(customer if external is None else external) is not str
        or (customer is not None and external is not None and type(customer) is not str)
    ):
        return None
    properties = event.properties
    parts = []
    for key in sorted(properties):
        text = property_json(properties[key])
        if text is None or type(key) is not str:
            return None
        parts.append(f"{encode_basestring(key)}:{text}")
    return body_text(name, event.timestamp, customer, external, ",".join(parts))


def property_json(value: object) -> str | None:
    """A plain property value (text, finite ``Decimal``, boolean) as the canonical body
    writes it; ``None`` for anything else."""
    if type(value) is str:
        return encode_basestring(value)
    if type(value) is Decimal and value.is_finite():
        return _number_json(value)
    if type(value) is bool:
        return "true" if value else "false"
    return None


def body_text(
    name: str, timestamp: datetime, customer: str | None, external: str | None, properties: str
) -> str:
    """The canonical JSON of an event's body, given its properties' entries, sorted by
    name and written ``"name":value`` with :func:`property_json`'s values."""
    customer_text = "null" if customer is None else encode_basestring(customer)
    external_text = "null" if external is None else encode_basestring(external)
    return (
        f'{{"event_name":{encode_basestring(name)},"timestamp":"{timestamp.isoformat()}",'
        f'"customer_id":{customer_text},"external_customer_id":{external_text},'
        f'"properties":{{{properties}}}}}'
    )


def _number_json(number: Decimal) -> str:
    """``by_value(number)`` as ``dumps_exact`` writes it, for a finite number."""
    text = str(number)
    # Most numbers are written by value already: a whole number with exponent 0, or
    # a fraction without trailing zeros (str() switches to an exponent where it differs).
    # Past EXACT's 1,000 digits by_value raises, as it must.
    if "E" not in text and len(text) < EXACT.prec:
        if "." not in text:
            return ("0" if text == "-0" else text) + "E0"  # as dumps_exact marks a Decimal
        if text[-1] != "0":
            return text
    text = format(by_value(number), "f")
    return text if "." in text else text + "E0"


def by_value(number: Decimal) -> Decimal:
    """The number written one way whatever its exponent or the sign of a zero."""
    return _ZERO if number.is_zero() else number.normalize(EXACT)


_ZERO = Decimal(0)
