"""Events from JSON text: the one-pass path (msgspec) decides as json.loads and validation do.

The one-pass path only ever accepts; whatever it leaves goes the complete way. So on any
text, valid or not, reading with it must give exactly what reading without it gives: the
same key, the same event (digit for digit, in the same order) and the same problems.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orbcore import VirtualClock
from orbcore.billing import Customer
from orbcore.events import EventLimits
from orbcore.events._fast import JsonEventReader
from orbcore.services import Ingestion
from orbcore.storage import open_store

NOW = datetime(2024, 3, 10, 18, 0, tzinfo=UTC)

ODD_TEXTS = ["", " ", "\t", "a\tb", "a\x7f", "é", "\u2028", '"q"', "back\\slash", "\x00", "x" * 20]
texts = st.text(max_size=10) | st.sampled_from(ODD_TEXTS)
printable = st.text(
    st.characters(categories=("L", "N", "P", "S")) | st.just(" "), min_size=1, max_size=10
) | st.sampled_from([" ", "  ", "\u00e9t\u00e9", "\U0001f600"])
# Names met again and again, so that a reader's remembered layouts are used; with braces,
# which the layouts' templates must keep as text.
property_names = st.sampled_from(["bytes", "region", "{0}", "a{", "}b", "{}"])
# Numbers as JSON writes them: whole, with a fraction, with an exponent, and the names
# json.loads reads as floats.
number_texts = st.one_of(
    st.integers().map(str),
    st.integers(-(10**120), 10**120).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: format(d, "f")),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.sampled_from(["-0", "-0.0", "0.000", "1e3", "1E-7", "2.50", "NaN", "-Infinity", "1.5e400"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


def scalar_json(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["text", "number", "number", "bool", "null", "nested"]))
    if kind == "text":
        return json.dumps(draw(texts), ensure_ascii=draw(st.booleans()))
    if kind == "number":
        return draw(number_texts)
    if kind == "bool":
        return draw(st.sampled_from(["true", "false"]))
    if kind == "null":
        return "null"
    return draw(st.sampled_from(["[1]", "[]", '{"a": 1}', "{}"]))


def object_json(draw: st.DrawFn, fields: list[tuple[str, str]]) -> str:
    """An object of ``fields``, with a repeated name now and then, spaced or compact."""
    if fields and draw(st.integers(0, 9)) == 0:
        fields = [*fields, (fields[0][0], draw(st.sampled_from(['"again"', "2", "null"])))]
    comma, colon = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", " :\t")]))
    return "{" + comma.join(f"{json.dumps(name)}{colon}{value}" for name, value in fields) + "}"


@st.composite
def event_texts(draw: st.DrawFn) -> str | bytes:
    """The JSON text of an event near the valid ones; now and then bytes, or broken."""

    def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> Any:
        return draw(bad if draw(st.integers(0, 9)) == 0 else good)

    fields = [
        ("idempotency_key", json.dumps(mostly(printable, texts | st.just("k")))),
        ("event_name", json.dumps(mostly(printable, texts))),
        (
            "timestamp",
            json.dumps(
                mostly(
                    st.sampled_from(
                        ["2024-03-10T09:30:00-08:00", "2024-03-10T17:30Z", "2024-03-10T17:30:00Z"]
                    ),
                    st.sampled_from(["2024-03-10 17:30:00", "2024-03-10", "soon", "2024-03-1"]),
                )
            ),
        ),
        (
            draw(st.sampled_from(["customer_id", "external_customer_id"])),
            json.dumps(mostly(printable, texts)),
        ),
    ]
    if draw(st.booleans()):
        properties = [
            (mostly(printable | property_names, texts), scalar_json(draw))
            for _ in range(draw(st.integers(0, 5)))
        ]
        fields.append(("properties", object_json(draw, properties)))
    extra = mostly(st.just([]), st.sampled_from([["extra"], ["customer_id"], ["properties"]]))
    fields += [(name, scalar_json(draw)) for name in extra]
    order = draw(st.permutations(fields))
    text = object_json(draw, list(order))
    change = draw(st.integers(0, 19))
    if change == 0:
        text = text[: draw(st.integers(0, len(text)))]
    elif change == 1:
        text = (
            draw(st.sampled_from(["", " ", "[]", "null", "1", "\ufeff", "{} {}", "\ud800"])) + text
        )
    elif change == 2:
        return text.encode("utf-8", "surrogatepass")
    elif change == 3:
        return text.encode("latin-1", "replace")
    return text


limits = st.just(EventLimits()) | st.builds(
    EventLimits,
    max_key_length=st.integers(5, 12),
    max_properties=st.integers(2, 5),
    max_property_name_length=st.integers(5, 10),
    max_string_length=st.integers(5, 12),
    max_payload_bytes=st.integers(100, 400),
)


def read_both(text: object, limit: EventLimits) -> tuple[str, str]:
    """What each path reads, written out: the key, and the record a store would keep
    (every digit, every field, the body hash) or the problems."""
    found = []
    for one_pass in (True, False):
        key, record, problems = JsonEventReader(limit, one_pass=one_pass).record(text, NOW)
        found.append(repr((key, record, problems)))
    return found[0], found[1]


@settings(max_examples=1500)
@given(event_texts(), limits)
def test_the_one_pass_path_reads_every_text_as_the_complete_path(
    text: str | bytes, limit: EventLimits
) -> None:
    fast, complete = read_both(text, limit)
    assert fast == complete


@given(st.from_type(object) | st.binary(max_size=20), limits)
def test_anything_else_is_read_alike(value: object, limit: EventLimits) -> None:
    fast, complete = read_both(value, limit)
    assert fast == complete


@st.composite
def resent_in_another_order(draw: st.DrawFn) -> list[str]:
    """A plain event, then the same with its properties in other orders and other values."""
    names = draw(st.lists(property_names | printable, min_size=1, max_size=4, unique=True))
    run = []
    for _ in range(draw(st.integers(2, 4))):
        order = draw(st.permutations(names))
        values = [draw(st.sampled_from(['"a"', "1", "2.50", "true"])) for _ in order]
        properties = ", ".join(f"{json.dumps(n)}: {v}" for n, v in zip(order, values, strict=True))
        run.append(
            '{"idempotency_key": "k", "event_name": "e", "customer_id": "c", '
            f'"timestamp": "2024-03-10T17:30:00Z", "properties": {{{properties}}}}}'
        )
    return run


@settings(max_examples=300)
@given(st.lists(event_texts(), min_size=2, max_size=12) | resent_in_another_order(), limits)
def test_one_reader_reads_a_run_of_texts_as_each_is_read_alone(
    run: list[str | bytes], limit: EventLimits
) -> None:
    reader = JsonEventReader(limit)
    for text in run:
        assert repr(reader.record(text, NOW)) == read_both(text, limit)[1]


def test_a_reader_remembers_no_names_that_break_the_limits() -> None:
    from orbcore.events._fast_json import JsonEvents

    reader = JsonEvents(EventLimits(max_properties=3, max_property_name_length=5))
    too_many = PLAIN.replace('"cached": false', '"cached": false, "more": 1')
    too_long = PLAIN.replace('"region"', '"regions"')
    assert reader.record(too_many, NOW) is None
    assert reader.record(too_long, NOW) is None
    assert reader._layouts == {}


def test_property_names_in_any_order_make_one_body_and_a_reader_remembers_few_layouts() -> None:
    from orbcore.events._fast_json import _LAYOUTS_KEPT, JsonEvents

    reader = JsonEvents(EventLimits())
    first = reader.record(PLAIN.replace('"ms"', '"{0}"'), NOW)
    turned = reader.record(
        PLAIN.replace('"ms"', '"{0}"').replace(
            '"bytes": 1024, "{0}": 12.50', '"{0}": 12.50, "bytes": 1024'
        ),
        NOW,
    )
    assert first is not None
    assert turned is not None
    complete = JsonEventReader(EventLimits(), one_pass=False)
    assert first == complete.record(PLAIN.replace('"ms"', '"{0}"'), NOW)[1]
    assert turned.properties == first.properties
    assert list(turned.properties) == ["{0}", "bytes", "region", "cached"]  # as sent
    assert turned.body_hash == first.body_hash
    changed = reader.record(PLAIN.replace('"ms"', '"{0}"').replace("12.50", "12.5001"), NOW)
    assert changed is not None
    assert changed.body_hash != first.body_hash
    for n in range(_LAYOUTS_KEPT + 10):
        text = PLAIN.replace('"ms"', f'"ms_{n}"')
        assert reader.record(text, NOW) == complete.record(text, NOW)[1]
        assert len(reader._layouts) <= _LAYOUTS_KEPT


PLAIN = (
    '{"idempotency_key": "evt_1", "event_name": "api_call", "customer_id": "cus_1", '
    '"timestamp": "2024-03-10T09:30:00-08:00", '
    '"properties": {"bytes": 1024, "ms": 12.50, "region": "eu", "cached": false}}'
)


def test_a_plain_event_is_read_in_one_pass_with_exact_numbers() -> None:
    from orbcore.events._fast_json import JsonEvents

    event = JsonEvents(EventLimits()).record(PLAIN, NOW)
    assert event is not None
    assert event.timestamp == datetime(2024, 3, 10, 17, 30, tzinfo=UTC)
    assert repr(event.properties) == (
        "{'bytes': Decimal('1024'), 'ms': Decimal('12.50'), 'region': 'eu', 'cached': False}"
    )
    assert read_both(PLAIN, EventLimits())[0] == read_both(PLAIN.encode(), EventLimits())[1]


@pytest.mark.parametrize(
    "text",
    [
        PLAIN.replace("12.50", "1.25e1"),  # an exponent
        PLAIN.replace("1024", "1" * 101),  # too many digits
        PLAIN.replace('"eu"', '"\\u0000"'),  # a NUL
        PLAIN.replace("cus_1", "cus\\t1"),  # a control character
        PLAIN.replace('"cached": false', '"cached": null'),
    ],
)
def test_what_one_pass_does_not_accept_goes_the_complete_way(text: str) -> None:
    from orbcore.events._fast_json import JsonEvents

    assert JsonEvents(EventLimits()).record(text, NOW) is None
    fast, complete = read_both(text, EventLimits())
    assert fast == complete


def line(key: str, body: str = '"bytes": 10.50', customer: str = "cus_1") -> str:
    return (
        f'{{"idempotency_key": "{key}", "event_name": "api_call", "customer_id": "{customer}",'
        f' "timestamp": "2024-03-10T12:00:00Z", "properties": {{{body}}}}}'
    )


BATCH = [
    line("e1"),
    line("e2", '"bytes": 1e3'),
    line("e3", customer="cus_9"),
    '{"idempotency_key": "e4"',
    line("e5", '"bytes": 1.5'),
    line("e1", '"bytes": 10.5'),
]


def ingestion() -> Ingestion:
    store = open_store("memory://")
    with store.unit_of_work() as uow:
        uow.customers.add(
            Customer(id="cus_1", name="Acme", created_at=datetime(2024, 1, 1, tzinfo=UTC))
        )
        uow.commit()
    return Ingestion(store, VirtualClock(NOW))


def test_ingesting_json_text_is_ingesting_what_json_loads_reads() -> None:
    decoded = [json.loads(text, parse_float=Decimal) for text in BATCH if text != BATCH[3]]
    expected = ingestion().ingest(decoded).results
    report = ingestion().ingest_json(BATCH).results
    assert [r for r in report if r.index != 3] == [
        type(r)(r.index + (r.index >= 3), r.idempotency_key, r.status, r.problems) for r in expected
    ]
    assert [str(p) for p in report[3].problems] == [
        "is not valid JSON: Expecting ',' delimiter at column 25"
    ]


def test_without_msgspec_ingesting_json_gives_the_same_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_msgspec = ingestion().ingest_json(BATCH)
    monkeypatch.setitem(sys.modules, "msgspec", None)  # import msgspec raises ImportError
    monkeypatch.delitem(sys.modules, "orbcore.events._fast_json", raising=False)
    plain = ingestion()
    assert not plain._json_reader.one_pass
    assert plain.ingest_json(BATCH) == with_msgspec


def test_a_stream_of_batches_is_stored_as_batches_sent_one_after_another() -> None:
    batches = [BATCH[:2], BATCH[2:4], [line("e2", '"bytes": 2')], BATCH[4:]]
    one_by_one = ingestion()
    expected = [one_by_one.ingest_json(batch) for batch in batches]
    assert list(ingestion().ingest_json_stream(batches)) == expected


def test_a_stream_left_early_stores_no_batch_after_the_last_report() -> None:
    service = ingestion()
    reports = service.ingest_json_stream([[line("e1")], [line("e2")], [line("e3")]])
    first = next(reports)
    reports.close()
    assert first.results[0].status.value == "accepted"
    with service.store.unit_of_work() as uow:
        assert sorted(uow.events.find_many(["e1", "e2", "e3"])) == ["e1"]


def test_a_failing_source_still_reports_the_batch_it_stored() -> None:
    def batches() -> Any:
        yield [line("e1")]
        raise OSError("the file went away")

    reports = ingestion().ingest_json_stream(batches())
    assert next(reports).results[0].status.value == "accepted"
    with pytest.raises(OSError, match="went away"):
        next(reports)
