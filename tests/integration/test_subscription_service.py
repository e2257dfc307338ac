"""Subscriptions in the store: the same scenarios on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Any

import pytest

from orbcore import ConflictError, NotFoundError, ValidationError, VirtualClock
from orbcore.billing import charges_on
from orbcore.services import Subscriptions
from orbcore.storage import Store

JAN_15 = datetime(2024, 1, 15, 9, 0, tzinfo=UTC)


def orb_plan(name: str, fee: str) -> dict[str, Any]:
    return {
        "name": name,
        "currency": "USD",
        "net_terms": 30,
        "prices": [
            {"id": "platform", "name": "Platform fee", "model_type": "unit",
             "cadence": "monthly", "unit_config": {"unit_amount": fee}},
            {"id": "api", "name": "API calls", "model_type": "unit", "cadence": "monthly",
             "billable_metric_id": "met_api", "unit_config": {"unit_amount": "0.01"}},
        ],
    }  # fmt: skip


@pytest.fixture
def service(store: Store) -> Subscriptions:
    subscriptions = Subscriptions(store, VirtualClock(JAN_15))
    subscriptions.add_plan(orb_plan("Basic", "50.00"), plan_id="pln_basic")
    subscriptions.add_plan(orb_plan("Pro", "100.00"), plan_id="pln_pro")
    return subscriptions


def subscribe(service: Subscriptions) -> str:
    record = service.create(
        "cus_1", "pln_basic", start_date=date(2024, 1, 1), subscription_id="sub_1"
    )
    return record.id


def test_create_stores_the_plan_timeline_and_derived_fields(service: Subscriptions) -> None:
    record = service.create("cus_1", "pln_basic", start_date=date(2024, 1, 1))

    assert record.id.startswith("sub_")
    assert (record.plan_id, record.plan_version, record.status) == ("pln_basic", 1, "active")
    assert record.start_date == datetime(2024, 1, 1, tzinfo=UTC)
    assert (record.end_date, record.trial_end_date, record.net_terms) == (None, None, 30)
    timeline = service.timeline(record.id)
    assert sorted(iv.price.price_id for iv in timeline.intervals) == [
        "pln_basic:v1:api",
        "pln_basic:v1:platform",
    ]


def test_cancel_at_end_of_term_ends_at_the_next_period_boundary(service: Subscriptions) -> None:
    sub_id = subscribe(service)

    record = service.cancel(sub_id, "end_of_subscription_term")

    assert record.end_date == datetime(2024, 2, 1, tzinfo=UTC)
    assert (record.status, record.revision) == ("active", 2)
    assert service.timeline(sub_id).end == record.end_date


def test_immediate_plan_change_credits_the_old_fee_and_charges_the_new(
    service: Subscriptions,
) -> None:
    sub_id = subscribe(service)

    record = service.change_plan(sub_id, "pln_pro", "immediate")

    assert (record.plan_id, record.plan_version) == ("pln_pro", 1)
    charges = charges_on(service.timeline(sub_id), JAN_15)
    assert [(c.plan_id, c.price_id, c.role.value) for c in charges] == [
        ("pln_basic", "pln_basic:v1:api", "period"),
        ("pln_basic", "pln_basic:v1:platform", "unused_credit"),
        ("pln_pro", "pln_pro:v1:platform", "period"),
    ]


def test_set_quantity_changes_the_fixed_fee_from_its_date(service: Subscriptions) -> None:
    sub_id = subscribe(service)

    service.set_quantity(sub_id, "pln_basic:v1:platform", 3, effective_date=date(2024, 2, 1))

    charges = charges_on(service.timeline(sub_id), datetime(2024, 2, 1, tzinfo=UTC))
    assert [(c.price_id, c.quantity) for c in charges if c.quantity is not None] == [
        ("pln_basic:v1:platform", 3)
    ]


def test_a_stale_revision_is_refused_and_changes_nothing(service: Subscriptions) -> None:
    sub_id = subscribe(service)
    service.cancel(sub_id, "end_of_subscription_term", expected_revision=1)
    before = service.timeline(sub_id)

    with pytest.raises(ConflictError):
        service.change_plan(sub_id, "pln_pro", "immediate", expected_revision=1)

    assert service.timeline(sub_id) == before


def test_unknown_customer_plan_or_subscription_is_not_found(service: Subscriptions) -> None:
    with pytest.raises(NotFoundError):
        service.create("cus_nobody", "pln_basic", start_date=date(2024, 1, 1))
    with pytest.raises(NotFoundError):
        service.create("cus_1", "pln_nothing", start_date=date(2024, 1, 1))
    sub_id = subscribe(service)
    with pytest.raises(NotFoundError):
        service.change_plan(sub_id, "pln_nothing", "immediate")
    with pytest.raises(NotFoundError):
        service.cancel("sub_nothing", "immediate")


def test_a_plan_in_another_currency_than_the_customer_is_refused(
    service: Subscriptions, store: Store
) -> None:
    with store.unit_of_work() as uow:
        uow.customers.update(dataclasses.replace(uow.customers.get("cus_1"), currency="USD"))
        uow.commit()
    service.add_plan({**orb_plan("Euro", "40.00"), "currency": "EUR"}, plan_id="pln_eur")

    with pytest.raises(ValidationError, match="EUR"):
        service.create("cus_1", "pln_eur", start_date=date(2024, 1, 1), subscription_id="a")
    sub_id = subscribe(service)
    with pytest.raises(ValidationError, match="EUR"):
        service.change_plan(sub_id, "pln_eur", "immediate")


def test_a_customer_without_a_currency_takes_its_first_plans(
    service: Subscriptions, store: Store
) -> None:
    service.add_plan({**orb_plan("Euro", "40.00"), "currency": "EUR"}, plan_id="pln_eur")
    service.create("cus_1", "pln_eur", start_date=date(2024, 1, 1), subscription_id="a")

    with store.unit_of_work() as uow:
        assert uow.customers.get("cus_1").currency == "EUR"
    with pytest.raises(ValidationError, match="EUR"):
        service.create("cus_1", "pln_basic", start_date=date(2024, 1, 1), subscription_id="b")


def test_a_pending_cancellation_and_plan_change_can_be_withdrawn(
    service: Subscriptions,
) -> None:
    sub_id = subscribe(service)
    service.cancel(sub_id, "end_of_subscription_term")
    assert service.timeline(sub_id).end is not None

    restored = service.unschedule_cancellation(sub_id)
    service.change_plan(sub_id, "pln_pro", "end_of_subscription_term")
    changed = service.timeline(sub_id)
    kept = service.unschedule_plan_changes(sub_id)

    assert (restored.end_date, service.timeline(sub_id).end) == (None, None)
    assert {iv.plan_id for iv in changed.intervals} == {"pln_basic", "pln_pro"}
    assert {iv.plan_id for iv in service.timeline(sub_id).intervals} == {"pln_basic"}
    assert kept.plan_id == "pln_basic"
    with pytest.raises(ValidationError, match="no cancellation is pending"):
        service.unschedule_cancellation(sub_id)
    with pytest.raises(ValidationError):
        service.unschedule_plan_changes(sub_id)
