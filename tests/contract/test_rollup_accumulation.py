"""``usage_rollups.accumulate``: counts and sums add up, minimum and maximum merge."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal
from typing import Any

from orbcore.events import UsageRollup
from orbcore.storage import Store

from .factories import at, usage_rollup
from .helpers import list_all

HOUR = at(hours=10)


def rollup(group: str = "", **fields: Any) -> UsageRollup:
    """A roll-up of metric ``met_api`` for customer ``cus_a`` in hour :data:`HOUR`."""
    identity = {"metric_id": "met_api", "customer_id": "cus_a", "bucket_start": HOUR}
    return usage_rollup(**(identity | {"group_key": group} | fields))


def test_a_new_rollup_is_stored_as_given(store: Store) -> None:
    first = rollup(count=2, sum=Decimal("1.5"), min=Decimal("0.5"), max=Decimal(1))
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([first])
        uow.commit()
    assert list_all(store, "usage_rollups") == [first]


def test_rollups_of_the_same_hour_and_group_add_up(store: Store) -> None:
    first = rollup(
        count=2,
        sum=Decimal("123456789.123456789012"),
        min=Decimal("0.000000000001"),
        max=Decimal("100"),
    )
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([first])
        uow.commit()
    more = rollup(count=3, sum=Decimal("0.000000000002"), min=Decimal("-5"), max=Decimal("99"))
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([more])
        uow.commit()
    (stored,) = list_all(store, "usage_rollups")
    assert stored.id == first.id
    assert stored.count == 5
    assert stored.sum == Decimal("123456789.123456789014")
    assert (stored.min, stored.max) == (Decimal("-5"), Decimal("100"))


def test_repeats_within_one_call_add_up(store: Store) -> None:
    parts = [rollup(count=1, sum=Decimal(n), min=Decimal(n), max=Decimal(n)) for n in (3, 1, 2)]
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate(parts)
        uow.commit()
    (stored,) = list_all(store, "usage_rollups")
    assert (stored.id, stored.count, stored.sum) == (parts[0].id, 3, Decimal(6))
    assert (stored.min, stored.max) == (Decimal(1), Decimal(3))


def test_a_missing_minimum_or_maximum_takes_the_other(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([rollup(count=1, sum=Decimal(0), min=None, max=None)])
        uow.usage_rollups.accumulate([rollup(count=1, sum=Decimal(7), min=Decimal(7), max=None)])
        uow.commit()
    (stored,) = list_all(store, "usage_rollups")
    assert (stored.min, stored.max) == (Decimal(7), None)


def test_other_groups_hours_metrics_and_customers_stay_apart(store: Store) -> None:
    base = rollup(group="region=eu")
    others = [
        rollup(group="region=us"),
        usage_rollup(
            metric_id="met_api",
            customer_id="cus_a",
            bucket_start=HOUR + timedelta(hours=1),
            group_key="region=eu",
        ),
        usage_rollup(
            metric_id="met_other", customer_id="cus_a", bucket_start=HOUR, group_key="region=eu"
        ),
        usage_rollup(
            metric_id="met_api", customer_id="cus_b", bucket_start=HOUR, group_key="region=eu"
        ),
    ]
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([base, *others])
        uow.commit()
    assert len(list_all(store, "usage_rollups")) == 5


def test_the_same_hour_in_another_offset_is_the_same_bucket(store: Store) -> None:
    first = rollup(count=1, sum=Decimal(1))
    in_kolkata = rollup(
        count=1,
        sum=Decimal(1),
        bucket_start=HOUR.astimezone(timezone(timedelta(hours=5, minutes=30))),
    )
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([first, in_kolkata])
        uow.commit()
    (stored,) = list_all(store, "usage_rollups")
    assert stored.count == 2
    assert stored.bucket_start == HOUR


def test_a_rolled_back_accumulation_leaves_the_stored_rollup(store: Store) -> None:
    first = rollup(count=1, sum=Decimal(1))
    with store.unit_of_work() as uow:
        uow.usage_rollups.accumulate([first])
        uow.commit()
        uow.usage_rollups.accumulate([rollup(count=5, sum=Decimal(5)), rollup(group="other")])
        uow.rollback()
    assert list_all(store, "usage_rollups") == [first]
