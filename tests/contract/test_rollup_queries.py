"""Roll-ups in the store: built from events by ``uow.usage.rollups``, added up per group by
``usage_rollups.partials`` and deleted by ``usage_rollups.clear``, as the pure engine does."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from orbcore.events import (
    Aggregation,
    BillableMetric,
    Event,
    Partial,
    UsageRollup,
    customer_ref,
    partials_from_rollups,
    rollups_from_events,
)
from orbcore.storage import Store

from .factories import usage_rollup
from .test_metric_aggregation import (
    CUSTOMERS,
    END,
    EVENT_LISTS,
    PERIODS,
    RANDOM,
    SELECTIONS,
    START,
    api,
    belongs,
    every_digit,
    metric,
    metrics,
)

HOUR = timedelta(hours=1)
REFS = sorted({customer_ref(cid, xid) for cid, xid in CUSTOMERS})
REF_CHOICES: tuple[list[str], ...] = (REFS, ["cus_a"], [customer_ref(None, "ext_a"), "cus_b"], [])
HOURS = ((START - 3 * HOUR, END + 2 * HOUR), (START, END), (START + HOUR, START + 2 * HOUR))
DECOMPOSABLE = [a for a in Aggregation if a.decomposable]


def stored_rollup(
    hour: int, customer: str = "cus_a", group: str = "", **fields: Any
) -> UsageRollup:
    """A roll-up of ``met_api`` for ``hour`` hours after START."""
    where = {"metric_id": "met_api", "customer_id": customer, "group_key": group}
    return usage_rollup(**(where | {"bucket_start": START + hour * HOUR} | fields))


def by_id(rollups: list[UsageRollup]) -> list[UsageRollup]:
    return sorted(rollups, key=lambda r: r.id)


def test_rollups_are_hourly_per_customer_reference_and_group(store: Store) -> None:
    stored = [
        api(START, properties={"n": Decimal("0.1"), "r": "us"}),
        api(START + HOUR - timedelta(microseconds=1), properties={"n": Decimal("0.2"), "r": "us"}),
        api(START + HOUR, properties={"n": Decimal(5), "r": "us"}),
        api(START, customer=None, external_customer_id="ext_a", properties={"n": Decimal(7)}),
        api(START, customer="cus_a", external_customer_id="ext_x", properties={"n": Decimal(1)}),
    ]
    m = metric("sum", group_by=("r",))
    with store.unit_of_work() as uow:
        uow.events.add_many(stored)
        found = uow.usage.rollups(m, START, END)
    by_place = {(r.customer_id, r.bucket_start, r.group_key): r for r in found}
    assert set(by_place) == {
        ("cus_a", START, '["us"]'),
        ("cus_a", START + HOUR, '["us"]'),
        ("cus_a", START, "[null]"),
        (customer_ref(None, "ext_a"), START, "[null]"),
    }
    first = by_place["cus_a", START, '["us"]']
    assert (first.count, first.sum, first.min, first.max) == (
        2,
        Decimal("0.3"),
        Decimal("0.1"),
        Decimal("0.2"),
    )
    assert by_id(found) == by_id(rollups_from_events(m, stored))


def test_partials_add_up_stored_decimals_exactly(store: Store) -> None:
    rollups = [
        stored_rollup(0, count=1, sum=Decimal("0.1"), min=Decimal("0.1"), max=Decimal("0.1")),
        stored_rollup(1, count=2, sum=Decimal("0.2"), min=Decimal("-1E-20"), max=None),
        stored_rollup(
            2, count=1, sum=Decimal("12345678901234567890.123456789"), min=None, max=None
        ),
        stored_rollup(0, customer="cus_b", count=9, sum=Decimal(9)),
        stored_rollup(0, group='["eu"]', count=4, sum=Decimal(4), min=None, max=Decimal(3)),
    ]
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate(rollups)
        found = uow.usage_rollups.partials("met_api", START, END, ["cus_a"])
        none = uow.usage_rollups.partials("met_api", START, END, [])
    assert found == {
        (): Partial(
            4, Decimal("12345678901234567890.423456789"), Decimal("-1E-20"), Decimal("0.1")
        ),
        ("eu",): Partial(4, Decimal(4), None, Decimal(3)),
    }
    assert none == {}


def test_clear_deletes_the_hours_of_the_metric_and_customers_given(store: Store) -> None:
    kept = [
        stored_rollup(-1),
        stored_rollup(3),
        stored_rollup(0, metric_id="met_other"),
        stored_rollup(1, customer="cus_b"),
    ]
    doomed = [stored_rollup(0), stored_rollup(2, group='["eu"]')]
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([*kept, *doomed])
        assert uow.usage_rollups.clear("met_api", START, END, ["cus_a", "cus_c"]) == 2
        assert [uow.usage_rollups.find(r.id) for r in doomed] == [None, None]
        assert [uow.usage_rollups.find(r.id) for r in kept] == kept
        assert uow.usage_rollups.clear("met_api", START, END) == 1
        assert uow.usage_rollups.find(kept[3].id) is None


@RANDOM
@given(
    stored=EVENT_LISTS,
    chosen=st.lists(metrics(DECOMPOSABLE), min_size=4, max_size=4),
)
def test_random_rollups_equal_the_pure_engines(
    store: Store, stored: list[Event], chosen: list[BillableMetric]
) -> None:
    with every_digit(), store.unit_of_work() as uow:
        uow.events.add_many(stored)  # never committed: each example starts empty
        for m in chosen:
            for start, end in PERIODS:
                for selection in ({}, *SELECTIONS):
                    theirs = [e for e in stored if not selection or belongs(e, **selection)]
                    in_period = [e for e in theirs if start <= e.timestamp < end]
                    found = uow.usage.rollups(m, start, end, **selection)
                    assert by_id(found) == by_id(rollups_from_events(m, in_period)), m


@RANDOM
@given(
    stored=EVENT_LISTS,
    chosen=st.lists(metrics(DECOMPOSABLE), min_size=3, max_size=3),
    doomed=st.tuples(
        st.integers(0, 2), st.sampled_from(HOURS), st.sampled_from((None, *REF_CHOICES))
    ),
)
def test_random_rollup_partials_and_clears_equal_the_pure_engines(
    store: Store, stored: list[Event], chosen: list[BillableMetric], doomed: tuple[Any, ...]
) -> None:
    chosen = [dataclasses.replace(m, id=f"met_{i}") for i, m in enumerate(chosen)]
    rollups = [r for m in chosen for r in rollups_from_events(m, stored)]
    with every_digit(), store.unit_of_work() as uow:
        uow.usage_rollups.accumulate(rollups)  # never committed
        for m in chosen:
            for start, end in HOURS:
                for refs in REF_CHOICES:
                    expected = partials_from_rollups(
                        r
                        for r in rollups
                        if r.metric_id == m.id
                        and r.customer_id in refs
                        and start <= r.bucket_start < end
                    )
                    assert uow.usage_rollups.partials(m.id, start, end, refs) == expected
                    by_customer = uow.usage_rollups.partials_by_customer(m.id, start, end, refs)
                    assert by_customer == {
                        ref: found
                        for ref in refs
                        if (found := uow.usage_rollups.partials(m.id, start, end, [ref]))
                    }
        which, (start, end), refs = doomed
        gone = {
            r.id
            for r in rollups
            if r.metric_id == f"met_{which}"
            and start <= r.bucket_start < end
            and (refs is None or r.customer_id in refs)
        }
        assert uow.usage_rollups.clear(f"met_{which}", start, end, refs) == len(gone)
        left = {r.id for r in rollups if uow.usage_rollups.find(r.id) is not None}
        assert left == {r.id for r in rollups} - gone


def test_partials_for_one_aggregation_keep_what_it_reads(store: Store) -> None:
    rollups = [
        stored_rollup(0, count=1, sum=Decimal("0.5"), min=Decimal("0.5"), max=Decimal("0.5")),
        stored_rollup(1, count=3, sum=Decimal("7.25"), min=Decimal("-2"), max=Decimal("9")),
    ]
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate(rollups)
        full = uow.usage_rollups.partials("met_api", START, END, ["cus_a"])[()]
        narrowed = {
            only_for: uow.usage_rollups.partials(
                "met_api", START, END, ["cus_a"], only_for=only_for
            )[()]
            for only_for in Aggregation
            if only_for.decomposable
        }
    assert full == Partial(4, Decimal("7.75"), Decimal("-2"), Decimal("9"))
    for only_for, partial in narrowed.items():
        assert partial.count == 4
        if only_for in (Aggregation.SUM, Aggregation.AVERAGE):
            assert partial.sum == full.sum
        if only_for is Aggregation.MIN:
            assert partial.min == full.min
        if only_for is Aggregation.MAX:
            assert partial.max == full.max
