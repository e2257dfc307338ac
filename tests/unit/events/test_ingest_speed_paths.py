"""Ingestion's fast paths decide exactly as the complete checks do, on any input.

Validation, the body hash, the stores' record checks and the SQL store's JSON each take a
shortcut for plain events; these properties hold every shortcut to the long way round.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import dateutil.tz
from hypothesis import given, settings
from hypothesis import strategies as st

from orbcore._errors import OrbcoreError
from orbcore._json import dumps_exact
from orbcore.events import Event, EventLimits, ValidEvent, body_hash, validate_event
from orbcore.events._body import all_plain_records, is_plain_record
from orbcore.events._validation import _full_checks, _plain_event
from orbcore.money._numbers import EXACT
from orbcore.storage._values import check_storable
from orbcore.storage.sql._events import _flat_json


def is_flat(value: object) -> bool:
    """Whether ``value`` may be a property of a plain event."""
    return type(value) in (str, bool, int) or (type(value) is Decimal and value.is_finite())


ODD_TEXTS = ["", " ", "\t", "a\tb", "a\x7f", "é", "\u2028", '"q"', "back\\slash", "x" * 30]
texts = st.text(max_size=12) | st.sampled_from(ODD_TEXTS)
# Text without control characters: printable, or not (an unassigned code point, \u2028).
printable = st.text(
    st.characters(categories=("L", "N", "P", "S")) | st.just(" "), min_size=1, max_size=10
) | st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=10)
scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**40),
    st.decimals(),
    st.floats(),
    texts,
    st.none(),
)
values = scalars | st.lists(st.integers(), max_size=2) | st.dictionaries(texts, st.integers())
# Away from the ends of time, where a UTC offset overflows datetime's range.
SAFE = {"min_value": datetime(2, 1, 1), "max_value": datetime(9998, 12, 31)}
instants = st.datetimes(**SAFE, timezones=st.none() | st.timezones())
timestamps = st.one_of(
    st.sampled_from(
        [
            "2024-02-29T23:59:59Z",
            "2024-02-29T23:59:59.123456+05:30",
            "2024-02-29 12:00:00",
            "2024-02-29",
            "not a time",
            "2024-02-29T12:00:00é00",
        ]
    ),
    instants,
    st.integers(),
)


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Nine times in ten ``good``, else ``bad``: events near the valid ones."""
    return st.sampled_from(range(10)).flatmap(lambda n: bad if n == 9 else good)


flat_values = st.one_of(
    st.booleans(), st.integers(), st.decimals(allow_nan=False, allow_infinity=False), texts
)
properties = mostly(
    st.dictionaries(printable, mostly(flat_values, values), max_size=6),
    st.none() | st.dictionaries(texts, values, max_size=3) | values,
)
good_instants = st.datetimes(**SAFE, timezones=st.timezones())
who = mostly(
    st.sampled_from(["customer_id", "external_customer_id"]).flatmap(
        lambda field: st.fixed_dictionaries({field: printable})
    ),
    st.fixed_dictionaries(
        {}, optional={"customer_id": texts | st.none(), "external_customer_id": texts}
    ),
)
raw_events = st.builds(
    lambda fields, sender, extra: {**fields, **sender, **extra},
    st.fixed_dictionaries(
        {
            "idempotency_key": mostly(printable, texts | st.integers() | st.none()),
            "event_name": mostly(printable, texts | st.none()),
            "timestamp": mostly(good_instants.map(datetime.isoformat) | good_instants, timestamps),
        },
        optional={"properties": properties},
    ),
    who,
    mostly(st.just({}), st.fixed_dictionaries({"extra": st.integers()})),
)

limits = st.builds(
    EventLimits,
    max_key_length=st.integers(5, 12),
    max_properties=st.integers(3, 6),
    max_property_name_length=st.integers(5, 10),
    max_string_length=st.integers(5, 12),
    max_payload_bytes=st.integers(150, 600),
)


@settings(max_examples=1000)
@given(raw_events | values, limits | st.just(EventLimits()))
def test_validation_decides_and_reports_as_the_complete_checks(
    raw: Any, limit: EventLimits
) -> None:
    assert validate_event(raw, limit) == _full_checks(raw, limit)


@given(
    st.fixed_dictionaries(
        {
            "idempotency_key": printable,
            "event_name": printable,
            "timestamp": st.sampled_from(["2024-03-10T09:30:00-08:00", "2024-03-10T17:30Z"]),
            "customer_id": printable,
            "properties": st.dictionaries(printable, scalars.filter(is_flat), max_size=8),
        }
    ),
    st.integers(100, 2000),
)
def test_payloads_near_the_size_limit_are_judged_by_their_exact_size(
    raw: dict[str, Any], limit: int
) -> None:
    limits = EventLimits(max_payload_bytes=limit)
    assert validate_event(raw, limits) == _full_checks(raw, limits)


def test_a_plain_event_takes_the_fast_path() -> None:
    raw = {
        "idempotency_key": "evt_1",
        "event_name": "api_call",
        "timestamp": "2024-03-10T09:30:00Z",
        "customer_id": "cus_1",
        "properties": {"bytes": 3, "ms": Decimal("1.25"), "region": "eu", "hit": True},
    }
    assert _plain_event(raw, EventLimits()) == validate_event(raw)[0] is not None


def by_value(number: Decimal) -> Decimal:
    """Every digit kept (no 28-digit context), and one zero whatever its sign."""
    return Decimal(0) if number.is_zero() else number.normalize(EXACT)


def canonical_body(event: ValidEvent) -> str:
    """The canonical body as docs/metering.md defines it, the long way round."""
    return dumps_exact(
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


@given(
    st.builds(
        ValidEvent,
        idempotency_key=texts,
        event_name=texts,
        timestamp=st.datetimes(timezones=st.just(UTC)),
        properties=st.dictionaries(texts, values, max_size=6),
        customer_id=texts | st.none(),
        external_customer_id=texts | st.none(),
    )
)
def test_the_body_hash_is_the_hash_of_the_canonical_body(event: ValidEvent) -> None:
    try:
        expected: Any = hashlib.sha256(canonical_body(event).encode()).hexdigest()
    except (OrbcoreError, ArithmeticError) as exc:  # a signalling NaN cannot normalize
        expected = type(exc)
    try:
        found: Any = body_hash(event)
    except (OrbcoreError, ArithmeticError) as exc:  # a signalling NaN cannot normalize
        found = type(exc)
    assert found == expected


def test_the_body_hash_is_kept_and_a_changed_copy_gets_its_own() -> None:
    valid, _ = validate_event(
        {
            "idempotency_key": "evt_1",
            "event_name": "api_call",
            "timestamp": "2024-03-10T09:30:00Z",
            "customer_id": "cus_1",
        }
    )
    assert valid is not None
    assert valid.body_hash == valid.body_hash == body_hash(valid)
    renamed = dataclasses.replace(valid, event_name="other")
    assert renamed.body_hash == body_hash(renamed) != valid.body_hash
    assert renamed == dataclasses.replace(valid, event_name="other")


records = st.builds(
    Event,
    idempotency_key=texts,
    event_name=texts,
    timestamp=instants,
    ingested_at=instants,
    body_hash=texts,
    customer_id=texts | st.none() | st.integers(),
    properties=st.dictionaries(texts | st.integers(), values, max_size=5),
)


@given(records)
def test_a_plain_record_is_one_every_store_can_keep(record: Event) -> None:
    if is_plain_record(record):
        check_storable(record)


# Time zones that cannot be hashed.
dateutil_zones = st.sampled_from(
    [dateutil.tz.tzutc(), dateutil.tz.gettz("Europe/Paris"), dateutil.tz.tzoffset(None, 3600)]
)
plain_records = st.builds(
    Event,
    idempotency_key=printable,
    event_name=printable,
    timestamp=st.datetimes(**SAFE, timezones=st.just(UTC) | st.timezones() | dateutil_zones),
    ingested_at=st.datetimes(**SAFE, timezones=st.just(UTC) | dateutil_zones),
    body_hash=printable,
    customer_id=printable | st.none(),
    properties=st.dictionaries(
        printable, st.booleans() | st.integers() | st.decimals(places=2) | texts, max_size=4
    ),
)


@given(st.lists(plain_records | records, max_size=6))
def test_a_batch_is_plain_when_every_record_in_it_is(batch: list[Event]) -> None:
    assert all_plain_records(batch) == all(map(is_plain_record, batch))


@given(st.dictionaries(texts | st.integers(), values, max_size=6) | values)
def test_properties_written_directly_are_the_exact_json_of_the_long_way(value: Any) -> None:
    written = _flat_json(value)
    flat = isinstance(value, dict) and all(
        type(name) is str and is_flat(item) for name, item in value.items()
    )
    assert (written is not None) == flat
    if written is not None:
        assert written == dumps_exact(value)


def test_a_plain_record_is_recognised() -> None:
    at = datetime(2024, 3, 1, tzinfo=UTC)
    record = Event(
        idempotency_key="evt_1",
        event_name="api_call",
        timestamp=at,
        ingested_at=at,
        body_hash="h",
        properties={"n": Decimal("1.5"), "s": "x", "b": False, "i": 3},
    )
    assert is_plain_record(record)
    assert not is_plain_record(dataclasses.replace(record, properties={"n": [1]}))
    assert not is_plain_record(dataclasses.replace(record, timestamp=at.replace(tzinfo=None)))
