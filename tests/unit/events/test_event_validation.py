"""Event validation: Orb's shape, exact numbers, limits, every problem at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore.events import EventLimits, validate_event


def event(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "idempotency_key": "evt_1",
        "event_name": "api_call",
        "timestamp": "2024-03-10T09:30:00-08:00",
        "properties": {"bytes": Decimal("1024.50"), "region": "us-east-1", "cached": False},
        "customer_id": "cus_1",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def test_a_valid_event_comes_back_clean_in_utc_with_exact_numbers() -> None:
    valid, problems = validate_event(event(properties={"n": 3, "x": Decimal("0.1"), "ok": True}))
    assert problems == []
    assert valid is not None
    assert valid.timestamp == datetime(2024, 3, 10, 17, 30, tzinfo=UTC)
    assert valid.properties == {"n": Decimal(3), "x": Decimal("0.1"), "ok": True}
    assert type(valid.properties["ok"]) is bool
    assert type(valid.properties["n"]) is Decimal


@pytest.mark.parametrize(
    ("changes", "path", "fragment"),
    [
        ({"idempotency_key": ...}, ("idempotency_key",), "is required"),
        ({"idempotency_key": "  "}, ("idempotency_key",), "blank"),
        ({"idempotency_key": "x" * 256}, ("idempotency_key",), "longer than 255"),
        ({"idempotency_key": "a\nb"}, ("idempotency_key",), "control characters"),
        ({"event_name": 7}, ("event_name",), "must be a string"),
        ({"timestamp": "2024-03-10T09:30:00"}, ("timestamp",), "time zone offset"),
        ({"timestamp": datetime(2024, 3, 10)}, ("timestamp",), "time zone offset"),
        ({"timestamp": "yesterday"}, ("timestamp",), "not ISO 8601"),
        ({"timestamp": 1710000000}, ("timestamp",), "ISO 8601 string"),
        ({"customer_id": ...}, ("customer_id",), "exactly one"),
        ({"external_customer_id": "ext_1"}, ("customer_id",), "exactly one"),
        ({"properties": {"nested": {"a": 1}}}, ("properties", "nested"), "nested"),
        ({"properties": {"list": [1]}}, ("properties", "list"), "nested"),
        ({"properties": {"f": 1.5}}, ("properties", "f"), "floats are not exact"),
        ({"properties": {"n": Decimal("NaN")}}, ("properties", "n"), "not a finite"),
        ({"properties": {"s": "a\x00b"}}, ("properties", "s"), "NUL"),
        ({"properties": {"": "x"}}, ("properties", ""), "property names"),
        ({"properties": "bytes=1"}, ("properties",), "object"),
        ({"amount": 1}, ("amount",), "not an event field"),
    ],
)
def test_each_problem_names_its_field(
    changes: dict[str, Any], path: tuple[str, ...], fragment: str
) -> None:
    valid, problems = validate_event(event(**changes))
    assert valid is None
    assert any(p.path == path and fragment in p.message for p in problems), problems


def test_every_problem_of_an_event_is_reported_at_once() -> None:
    _, problems = validate_event(
        {"idempotency_key": 1, "timestamp": "now", "properties": {"a": 1.0, "b": {}}}
    )
    paths = {p.path for p in problems}
    assert {("idempotency_key",), ("event_name",), ("timestamp",), ("customer_id",)} <= paths
    assert {("properties", "a"), ("properties", "b")} <= paths


def test_limits_are_enforced_and_configurable() -> None:
    many = {f"p{n}": n for n in range(101)}
    _, problems = validate_event(event(properties=many))
    assert any("limit is 100" in p.message for p in problems)
    small = EventLimits(max_payload_bytes=200)
    _, problems = validate_event(event(properties={"s": "x" * 300}), small)
    assert any("bytes; the limit is 200" in p.message for p in problems)
    _, problems = validate_event(event(properties={"s": "x" * 4097}))
    assert any("longer than 4096" in p.message for p in problems)


def test_sql_text_is_just_text() -> None:
    valid, problems = validate_event(
        event(idempotency_key="'; DROP TABLE events; --", properties={"q": "' OR 1=1 --"})
    )
    assert problems == []
    assert valid is not None
    assert valid.idempotency_key == "'; DROP TABLE events; --"


def test_the_body_hash_is_by_value_and_ignores_how_the_instant_was_written() -> None:
    first, _ = validate_event(event(properties={"n": Decimal("1.50")}))
    same, _ = validate_event(
        event(
            properties={"n": Decimal("1.5")},
            timestamp=datetime(2024, 3, 10, 17, 30, tzinfo=UTC).astimezone(
                timezone(timedelta(hours=2))
            ),
        )
    )
    other, _ = validate_event(event(properties={"n": Decimal("1.51")}))
    assert first is not None
    assert same is not None
    assert other is not None
    assert first.body_hash == same.body_hash
    assert first.body_hash != other.body_hash
    flag, _ = validate_event(event(properties={"n": True}))
    one, _ = validate_event(event(properties={"n": 1}))
    assert flag is not None
    assert one is not None
    assert flag.body_hash != one.body_hash


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01T00:00:00", "'; DROP TABLE x;--", "\x00"]),
    st.datetimes(timezones=st.none() | st.timezones()),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "idempotency_key",
        "event_name",
        "timestamp",
        "properties",
        "customer_id",
        "external_customer_id",
        "extra",
    ]
)


@given(st.dictionaries(fields, values, max_size=7) | values)
def test_anything_gives_an_event_or_problems_with_paths_never_an_exception(raw: Any) -> None:
    valid, problems = validate_event(raw)
    assert (valid is None) == bool(problems)
    if valid is not None:
        assert valid.timestamp.tzinfo is UTC
        assert all(
            isinstance(value, bool | str | Decimal) and not isinstance(value, float)
            for value in valid.properties.values()
        )


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda s: s.isprintable()),
        st.one_of(
            st.booleans(),
            st.integers(),
            st.decimals(allow_nan=False, allow_infinity=False),
            st.text(max_size=20).filter(lambda s: "\x00" not in s),
        ),
        max_size=10,
    )
)
def test_flat_exact_properties_are_accepted_as_given(properties: dict[str, Any]) -> None:
    valid, problems = validate_event(event(properties=properties))
    assert problems == []
    assert valid is not None
    assert valid.properties == properties


def _one(**changes: object) -> dict[str, object]:
    event: dict[str, object] = {
        "idempotency_key": "k",
        "event_name": "e",
        "customer_id": "c",
        "timestamp": "2024-03-10T17:30:00Z",
        "properties": {},
    }
    event.update(changes)
    return event


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"idempotency_key": "k\ud800"}, ("idempotency_key",)),
        ({"properties": {"name": "bad \udfff text"}}, ("properties", "name")),
        ({"properties": {"n\ud800": "x"}}, ("properties", "n\ud800")),
        ({"timestamp": "9999-12-31T23:59:59-01:00"}, ("timestamp",)),
        ({"timestamp": "0001-01-01T00:00:00+01:00"}, ("timestamp",)),
        ({"properties": {"n": Decimal("1E+999999999")}}, ("properties", "n")),
        ({"properties": {"n": Decimal("1E-101")}}, ("properties", "n")),
        ({"properties": {"n": Decimal("1" * 101)}}, ("properties", "n")),
        ({"properties": {"n": 10**101}}, ("properties", "n")),
    ],
)
def test_values_no_store_can_keep_are_problems_not_crashes(
    changes: dict[str, object], path: tuple[str, ...]
) -> None:
    event, problems = validate_event(_one(**changes))
    assert event is None
    assert [problem.path for problem in problems] == [path]


def test_numbers_at_the_digit_limits_are_accepted() -> None:
    big = Decimal("9" * 100)
    small = Decimal("1E-100")
    event, problems = validate_event(_one(properties={"big": big, "small": small}))
    assert problems == []
    assert event is not None
    assert event.properties == {"big": big, "small": small}


def test_numbers_differing_after_28_digits_are_different_bodies() -> None:
    a, _ = validate_event(_one(properties={"n": Decimal("1.0000000000000000000000000000001")}))
    b, _ = validate_event(_one(properties={"n": Decimal("1.0000000000000000000000000000002")}))
    assert a is not None
    assert b is not None
    assert a.body_hash != b.body_hash


def test_a_negative_zero_is_the_same_body_as_zero() -> None:
    zero, _ = validate_event(_one(properties={"n": Decimal("0.00")}))
    negative, _ = validate_event(_one(properties={"n": Decimal("-0")}))
    assert zero is not None
    assert negative is not None
    assert zero.body_hash == negative.body_hash
