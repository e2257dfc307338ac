"""The in-memory aggregation engine: worked values and invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orbcore.events import (
    Aggregation,
    BillableMetric,
    Event,
    aggregate,
    finish,
    merge_partials,
    partials_from_rollups,
    rollups_from_events,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def metric(aggregation: str, **more: Any) -> BillableMetric:
    return BillableMetric.from_json(
        {
            "id": f"m_{aggregation}",
            "name": aggregation,
            "event_name": "e",
            "aggregation": aggregation,
            **({} if aggregation == "count" else {"property": "v"}),
            **more,
        },
        created_at=T0,
    )


def event(key: str, seconds: int, v: Any = None, *, micros: int = 0, **props: Any) -> Event:
    """An event ``seconds`` after T0; an int ``v`` becomes a Decimal, others stay."""
    properties = dict(props)
    if v is not None:
        properties["v"] = Decimal(v) if type(v) is int else v
    return Event(
        idempotency_key=key,
        event_name="e",
        customer_id="c",
        timestamp=T0 + timedelta(seconds=seconds, microseconds=micros),
        ingested_at=T0,
        body_hash="",
        properties=properties,
    )


def run(aggregation: str, events: list[Event], end: int = 3600, **more: Any) -> Any:
    return aggregate(metric(aggregation, **more), events, T0, T0 + timedelta(seconds=end))


def test_the_period_is_half_open() -> None:
    events = [event("a", -1, 1), event("b", 0, 2), event("c", 3599, 4), event("d", 3600, 8)]
    assert run("sum", events) == {(): Decimal(6)}
    assert run("count", events) == {(): Decimal(2)}


def test_numeric_aggregations_skip_values_that_are_not_numbers() -> None:
    events = [
        event("a", 1, 4),
        event("b", 2, "x"),
        event("c", 3, True),
        event("d", 4),
        event("e", 5, 1),
    ]
    assert run("count", events) == {(): Decimal(5)}
    assert run("sum", events) == {(): Decimal(5)}
    assert run("min", events) == {(): Decimal(1)}
    assert run("max", events) == {(): Decimal(4)}
    assert run("average", events) == {(): Decimal("2.500000000000")}


def test_average_rounds_half_even_to_twelve_places() -> None:
    events = [event("a", 1, 1), event("b", 2, 1), event("c", 3, 0)]
    assert run("average", events) == {(): Decimal("0.666666666667")}


def test_unique_count_tells_kinds_apart_and_numbers_by_value() -> None:
    events = [
        event("a", 1, "1"),
        event("b", 2, Decimal("1.0")),
        event("c", 3, 1),
        event("d", 4, "1"),
        event("e", 5, True),
        event("f", 6),
    ]
    assert run("unique_count", events) == {(): Decimal(3)}  # 1, "1", true


def test_latest_takes_the_last_timestamp_then_the_greater_key() -> None:
    events = [event("b", 10, 5), event("a", 10, 7), event("z", 5, 9), event("y", 11, "text")]
    assert run("latest", events) == {(): Decimal(5)}


def test_time_weighted_sum_carries_the_level_in_and_holds_it_to_the_end() -> None:
    events = [event("before", -600, 2), event("up", 1800, 10), event("late", 3600, 100)]
    # 2 for 1,800 s carried in, then 10 for 1,800 s; the event at the end does not count
    assert run("time_weighted_sum", events) == {(): Decimal(2 * 1800 + 10 * 1800)}


def test_time_weighted_sum_counts_microseconds_exactly() -> None:
    events = [event("a", 0, 3), event("b", 0, 5, micros=1)]
    assert run("time_weighted_sum", events, end=1) == {(): Decimal("4.999998")}


def test_inactive_events_and_other_names_do_not_count() -> None:
    kept = event("a", 1, 1)
    others = [
        Event(**{**_fields(event("b", 2, 5)), "status": "deprecated"}),
        Event(**{**_fields(event("c", 3, 5)), "event_name": "other"}),
    ]
    assert run("sum", [kept, *others]) == {(): Decimal(1)}


def test_groups_split_the_quantity_and_absent_groups_have_no_value() -> None:
    events = [event("a", 1, 1, region="us"), event("b", 2, 2, region="eu"), event("c", 3, 3)]
    assert run("sum", events, group_by=["region"]) == {
        ("us",): Decimal(1),
        ("eu",): Decimal(2),
        (None,): Decimal(3),
    }
    assert run("max", [event("a", 1, "x", region="us")], group_by=["region"]) == {}


values = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False),
    st.sampled_from(["a", "b", True, False]),
)
events_strategy = st.lists(
    st.tuples(
        st.integers(min_value=-7200, max_value=4 * 3600),
        st.one_of(st.none(), values),
        st.sampled_from(["us", "eu", None]),
    ),
    max_size=40,
)


def build(rows: list[tuple[int, Any, str | None]]) -> list[Event]:
    out = []
    for index, (seconds, value, region) in enumerate(rows):
        props: dict[str, Any] = {} if region is None else {"region": region}
        if value is not None:
            props["v"] = value
        out.append(
            Event(
                idempotency_key=f"k{index:03}",
                event_name="e",
                customer_id="c",
                timestamp=T0 + timedelta(seconds=seconds),
                ingested_at=T0,
                body_hash="",
                properties=props,
            )
        )
    return out


@given(events_strategy, st.integers(min_value=1, max_value=3 * 3600 - 1))
def test_additive_aggregations_split_at_any_instant(rows: Any, cut: int) -> None:
    events = build(rows)
    start, middle, end = T0, T0 + timedelta(seconds=cut), T0 + timedelta(hours=3)
    for name in ("count", "sum", "time_weighted_sum"):
        m = metric(name, group_by=["region"])
        whole = aggregate(m, events, start, end)
        left, right = aggregate(m, events, start, middle), aggregate(m, events, middle, end)
        for group in whole.keys() | left.keys() | right.keys():
            total = left.get(group, Decimal(0)) + right.get(group, Decimal(0))
            assert whole.get(group, Decimal(0)) == total, name


@given(events_strategy)
def test_hourly_rollups_answer_like_the_events_over_whole_hours(rows: Any) -> None:
    events = build(rows)
    start, end = T0 - timedelta(hours=2), T0 + timedelta(hours=4)
    for name in ("count", "sum", "min", "max", "average"):
        m = metric(name, group_by=["region"])
        hours = [r for r in rollups_from_events(m, events) if start <= r.bucket_start < end]
        parts = partials_from_rollups(hours)
        rolled = {g: v for g, p in parts.items() if (v := finish(m, p)) is not None}
        assert rolled == aggregate(m, events, start, end), name


@given(events_strategy, events_strategy)
def test_partials_merge_like_the_union_of_their_events(a: Any, b: Any) -> None:
    first, second = build(a), build(b)
    second = [Event(**{**_fields(e), "idempotency_key": "z" + e.idempotency_key}) for e in second]
    m = metric("sum")
    one = partials_from_rollups(rollups_from_events(m, first))
    two = partials_from_rollups(rollups_from_events(m, second))
    both = partials_from_rollups(rollups_from_events(m, first + second))
    if () in one and () in two:
        assert merge_partials(one[()], two[()]) == both[()]
    assert Aggregation.SUM.decomposable


def _fields(e: Event) -> dict[str, Any]:
    return {name: getattr(e, name) for name in e.__dataclass_fields__}
