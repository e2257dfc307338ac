"""``uow.usage``: every store aggregates a metric's events as the pure engine does.

The SQL stores push the grouping and aggregation down into the database; the cases below
compare their answers with :func:`orbcore.events.aggregate` on known values and on
random events and metrics. The strategies are shared with ``test_rollup_queries``.
"""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbcore import ValidationError
from orbcore.events import (
    Aggregation,
    AllOf,
    AnyOf,
    BillableMetric,
    Condition,
    Event,
    Filter,
    Operator,
    PropertyValue,
    Quantities,
    aggregate,
    filter_from_json,
)
from orbcore.events._aggregate import partials_of
from orbcore.storage import Store

from .factories import serial

START = datetime(2024, 3, 1, 10, tzinfo=UTC)
END = START + timedelta(hours=3)
MICRO = timedelta(microseconds=1)

NAMES = ("n", "r", "größe", "a.b c", "$x[0]")
"""Property names, some that a JSON path would misread unless quoted."""
EVENT_NAMES = ("api", "storage")
CUSTOMERS = (
    ("cus_a", None),
    ("cus_a", "ext_a"),
    (None, "ext_a"),
    ("cus_b", "ext_b"),
    (None, "ext_c"),
)
"""(customer_id, external_customer_id) of the random events."""
SELECTIONS: tuple[dict[str, str], ...] = (
    {"customer_id": "cus_a"},
    {"external_customer_id": "ext_a"},
    {"customer_id": "cus_a", "external_customer_id": "ext_a"},
    {"customer_id": "cus_b", "external_customer_id": "ext_c"},
    {"external_customer_id": "ext_c"},
    {"customer_id": "nobody"},
)
PERIODS = ((START, END), (START + timedelta(minutes=30) + MICRO, START + timedelta(hours=1)))
INSTANTS = (
    START - timedelta(hours=2),
    START - MICRO,
    START,
    START + MICRO,
    START + timedelta(hours=1) - MICRO,
    START + timedelta(hours=1),
    START + timedelta(minutes=90),
    END - MICRO,
    END,
    END + timedelta(hours=1),
)
"""Instants around the period bounds and hour boundaries; shared ones make ties."""

SPECIAL_NUMBERS = tuple(
    Decimal(text)
    for text in (
        "0",
        "-0.000",
        "1",
        "1.0",
        "1.50",
        "1.5",
        "1E+2",
        "100",
        "-3E-5",
        "12345678901234567890.123456789",
        "12345678901234567890.123456788",
    )
)
NUMBERS = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(-3, 3).map(Decimal),
    st.builds(
        lambda m, e: Decimal(f"{m}E{e}"), st.integers(-(10**15), 10**15), st.integers(-20, 8)
    ),
)
STRINGS = st.one_of(
    st.sampled_from(["us", "eu", "1", "1.5", "true", "", "Z", "a", "é", 'q"uote', "b\\s", "😀"]),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=4),
)
VALUES: st.SearchStrategy[PropertyValue] = st.one_of(NUMBERS, STRINGS, st.booleans())
KEYS = st.text("aAzZ09_é😀", min_size=1, max_size=4)


@st.composite
def events(draw: st.DrawFn) -> Event:
    customer_id, external_id = draw(st.sampled_from(CUSTOMERS))
    instant = draw(
        st.one_of(
            st.sampled_from(INSTANTS),
            st.integers(-3 * 3600 * 10**6, 4 * 3600 * 10**6).map(
                lambda us: START + timedelta(microseconds=us)
            ),
        )
    )
    return Event(
        idempotency_key=draw(KEYS),
        event_name=draw(st.sampled_from(EVENT_NAMES)),
        timestamp=instant,
        ingested_at=START,
        body_hash="sha256:test",
        customer_id=customer_id,
        external_customer_id=external_id,
        properties=draw(st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=4)),
        status=draw(st.sampled_from(["active"] * 4 + ["deprecated", "pending"])),
    )


EVENT_LISTS = st.lists(events(), min_size=1, max_size=60, unique_by=lambda e: e.idempotency_key)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    name, op = draw(st.sampled_from(NAMES)), draw(st.sampled_from(Operator))
    if op is Operator.EXISTS:
        return Condition(name, op)
    if op in (Operator.IN, Operator.NOT_IN):
        return Condition(name, op, tuple(draw(st.lists(VALUES, min_size=1, max_size=3))))
    if op in (Operator.EQ, Operator.NE):
        return Condition(name, op, (draw(VALUES),))
    return Condition(name, op, (draw(st.one_of(NUMBERS, STRINGS)),))


FILTERS: st.SearchStrategy[Filter] = st.recursive(
    conditions(),
    lambda parts: st.one_of(
        st.lists(parts, min_size=1, max_size=3).map(lambda p: AllOf(tuple(p))),
        st.lists(parts, min_size=1, max_size=3).map(lambda p: AnyOf(tuple(p))),
    ),
    max_leaves=6,
)


@st.composite
def metrics(
    draw: st.DrawFn, aggregations: Sequence[Aggregation] = tuple(Aggregation)
) -> BillableMetric:
    aggregation = draw(st.sampled_from(aggregations))
    return BillableMetric(
        id=f"met_{draw(st.integers(0, 10**6))}",
        name="random",
        event_name=draw(st.sampled_from(EVENT_NAMES)),
        aggregation=aggregation,
        property=None if aggregation is Aggregation.COUNT else draw(st.sampled_from(NAMES)),
        filter=draw(st.none() | FILTERS),
        group_by=tuple(draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True))),
        created_at=START,
    )


RANDOM = settings(
    max_examples=25,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
"""A few examples of many events each: the store is made once per test, not per example."""


def belongs(
    event: Event, customer_id: str | None = None, external_customer_id: str | None = None
) -> bool:
    """Whether ``uow.usage`` selects ``event`` for that customer."""
    if customer_id is not None and event.customer_id == customer_id:
        return True
    return external_customer_id is not None and event.external_customer_id == external_customer_id


@contextmanager
def every_digit() -> Iterator[None]:
    """Run the pure engine with every digit kept. It normalises group and unique values in
    the thread's decimal context (28 digits by default), where the stores keep them all;
    ``test_group_values_keep_every_digit`` shows the difference."""
    with decimal.localcontext() as context:
        context.prec = 1000
        yield


def metric(aggregation: str, prop: str | None = "n", **fields: Any) -> BillableMetric:
    """A metric of ``api`` events."""
    where = fields.pop("filter", None)
    return BillableMetric(
        id="met_api",
        name="API",
        event_name="api",
        aggregation=Aggregation(aggregation),
        property=prop,
        filter=None if where is None else filter_from_json(where),
        created_at=START,
        **fields,
    )


def api(at: datetime, customer: str | None = "cus_a", **fields: Any) -> Event:
    """An active ``api`` event of ``customer`` with ``fields`` (properties among them)."""
    values: dict[str, Any] = {
        "idempotency_key": f"evt_{serial():06d}",
        "event_name": "api",
        "timestamp": at,
        "ingested_at": at,
        "body_hash": "sha256:test",
        "customer_id": customer,
    }
    return Event(**(values | fields))


def quantities(
    store: Store, m: BillableMetric, stored: Sequence[Event], *, end: datetime = END
) -> Quantities:
    """What the store aggregates for ``cus_a`` over ``[START, end)`` from ``stored``
    (added in a unit of work that is never committed)."""
    with store.unit_of_work() as uow:
        uow.events.add_many(stored)
        return uow.usage.aggregate(m, START, end, customer_id="cus_a")


def test_count_counts_the_active_events_of_the_metric_in_the_period(store: Store) -> None:
    stored = [
        api(START),
        api(START + timedelta(hours=1), properties={"n": "not a number"}),
        api(END - MICRO),
        api(END),
        api(START - MICRO),
        api(START, status="deprecated"),
        api(START, event_name="storage"),
        api(START, customer="cus_b"),
    ]
    assert quantities(store, metric("count", None), stored) == {(): Decimal(3)}


def test_sum_min_max_and_average_are_exact(store: Store) -> None:
    values = ["0.1", "0.2", "12345678901234567890.123456789", "-3E-5"]
    stored = [api(START, properties={"n": Decimal(v)}) for v in values]
    stored.append(api(START, properties={"n": "12"}))  # a string takes no part
    total = Decimal("12345678901234567890.423426789")
    assert quantities(store, metric("sum"), stored) == {(): total}
    assert quantities(store, metric("min"), stored) == {(): Decimal("-0.00003")}
    assert quantities(store, metric("max"), stored) == {(): Decimal(values[2])}
    assert quantities(store, metric("average"), stored) == {
        (): Decimal("3086419725308641972.605856697250")
    }


def test_unique_count_tells_kinds_apart_and_numbers_by_value(store: Store) -> None:
    values: list[PropertyValue] = [Decimal(1), Decimal("1.0"), "1", "1.0", True, Decimal("1E+2")]
    values += [Decimal(100), "true"]
    stored = [api(START, properties={"n": v}) for v in values]
    assert quantities(store, metric("unique_count"), stored) == {(): Decimal(6)}


def test_latest_breaks_a_timestamp_tie_by_the_larger_key(store: Store) -> None:
    at = START + timedelta(minutes=5)
    stored = [
        api(at, idempotency_key="b", properties={"n": Decimal(2)}),
        api(at, idempotency_key="a", properties={"n": Decimal(3)}),
        api(at - MICRO, idempotency_key="z", properties={"n": Decimal(4)}),
        api(at + MICRO, idempotency_key="y", properties={"n": "later, but a string"}),
    ]
    assert quantities(store, metric("latest"), stored) == {(): Decimal(2)}


def test_time_weighted_sum_carries_in_the_level_set_before_the_period(store: Store) -> None:
    stored = [
        api(START - timedelta(hours=2), properties={"n": Decimal(7)}),
        api(START - timedelta(hours=1), properties={"n": Decimal(10)}),
        api(START + timedelta(minutes=30, microseconds=1), properties={"n": Decimal("0.5")}),
        api(START + timedelta(hours=1), properties={"n": Decimal(99)}),  # after the end
    ]
    end = START + timedelta(hours=1)
    expected = Decimal(10) * Decimal("1800.000001") + Decimal("0.5") * Decimal("1799.999999")
    assert quantities(store, metric("time_weighted_sum"), stored, end=end) == {(): expected}


def test_groups_hold_numbers_by_value_and_merge_with_equal_text(store: Store) -> None:
    stored = [
        api(START, properties={"n": Decimal(1), "r": Decimal("1.50")}),
        api(START, properties={"n": Decimal(2), "r": "1.5"}),
        api(START, properties={"n": Decimal(4), "r": Decimal("1E+2")}),
        api(START, properties={"n": Decimal(8), "r": Decimal("-0.000")}),
        api(START, properties={"n": Decimal(16), "r": False}),
        api(START, properties={"n": Decimal(32)}),
    ]
    assert quantities(store, metric("sum", group_by=("r",)), stored) == {
        ("1.5",): Decimal(3),
        ("100",): Decimal(4),
        ("0",): Decimal(8),
        ("false",): Decimal(16),
        (None,): Decimal(32),
    }


def test_group_values_keep_every_digit(store: Store) -> None:
    digits = ["12345678901234567890.123456789", "12345678901234567890.123456788"]
    stored = [api(START, properties={"n": Decimal(1), "r": Decimal(d)}) for d in digits]
    found = quantities(store, metric("count", None, group_by=("r",)), stored)
    assert found == {(digits[0],): Decimal(1), (digits[1],): Decimal(1)}


def test_filters_compare_kinds_values_and_code_points(store: Store) -> None:
    stored = [
        api(START, properties={"n": Decimal(1), "r": "Z"}),
        api(START, properties={"n": Decimal(2), "r": "a"}),
        api(START, properties={"n": Decimal(4), "r": "é"}),
        api(START, properties={"n": Decimal(8), "r": Decimal("2.0")}),
        api(START, properties={"n": Decimal(16), "r": True}),
        api(START, properties={"n": Decimal(32)}),
    ]
    cases = {
        '{"property": "r", "op": ">", "value": "Z"}': 6,
        '{"property": "r", "op": "<", "value": 3}': 8,
        '{"property": "r", "op": "!=", "value": "a"}': 29,
        '{"property": "r", "op": "not_in", "value": [2, true]}': 7,
        '{"property": "r", "op": "in", "value": ["2.0", 2, false]}': 8,
        '{"property": "r", "op": "exists"}': 31,
        '{"or": [{"property": "r", "op": "=", "value": true}, {"and": ['
        '{"property": "n", "op": ">=", "value": 2}, {"property": "r", "op": "<=", "value": "a"}'
        "]}]}": 18,
    }
    for text, total in cases.items():
        where = json.loads(text, parse_float=Decimal)
        found = quantities(store, metric("sum", filter=where), stored)
        assert found == {(): Decimal(total)}, text


def test_a_customer_is_chosen_by_its_id_or_its_external_id(store: Store) -> None:
    stored = [
        api(START, customer="cus_a", properties={"n": Decimal(1)}),
        api(START, customer=None, external_customer_id="ext_a", properties={"n": Decimal(2)}),
        api(START, customer="cus_b", external_customer_id="ext_b", properties={"n": Decimal(4)}),
    ]
    m = metric("sum")
    with store.unit_of_work() as uow:
        uow.events.add_many(stored)
        chosen = uow.usage.aggregate(
            m, START, END, customer_id="cus_a", external_customer_id="ext_a"
        )
        by_external = uow.usage.aggregate(m, START, END, external_customer_id="ext_b")
    assert (chosen, by_external) == ({(): Decimal(3)}, {(): Decimal(4)})


def test_bad_requests_are_refused(store: Store) -> None:
    with store.unit_of_work() as uow:
        with pytest.raises(ValidationError, match="customer"):
            uow.usage.aggregate(metric("sum"), START, END)
        with pytest.raises(ValidationError, match="period"):
            uow.usage.aggregate(metric("sum"), END, START, customer_id="cus_a")
        with pytest.raises(ValidationError, match="cannot be rolled up"):
            uow.usage.partials(metric("latest"), START, END, customer_id="cus_a")
        with pytest.raises(ValidationError, match="cannot be rolled up"):
            uow.usage.rollups(metric("unique_count"), START, END)


@RANDOM
@given(stored=EVENT_LISTS, chosen=st.lists(metrics(), min_size=6, max_size=6))
def test_random_metrics_aggregate_as_the_pure_engine(
    store: Store, stored: list[Event], chosen: list[BillableMetric]
) -> None:
    with every_digit(), store.unit_of_work() as uow:
        uow.events.add_many(stored)  # never committed: each example starts empty
        for m in chosen:
            for start, end in PERIODS:
                for selection in SELECTIONS:
                    theirs = [e for e in stored if belongs(e, **selection)]
                    found = uow.usage.aggregate(m, start, end, **selection)
                    assert found == aggregate(m, theirs, start, end), (m, selection)
                    if m.aggregation.decomposable:
                        in_period = [e for e in theirs if start <= e.timestamp < end]
                        parts = uow.usage.partials(m, start, end, **selection)
                        assert parts == partials_of(m, in_period), (m, selection)
