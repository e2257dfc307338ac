"""Plans and subscriptions keep what a billing run loads: plan terms, price details and
the subscription's timeline read back equal on every store."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from orbcore.billing import (
    PlanDefinition,
    SubscriptionTimeline,
    definition_from_records,
    plan_records,
    unschedule_cancellation,
)
from orbcore.storage import Store

from .factories import at, subscription
from .helpers import fetch, list_all, save, save_parents

CATALOG: dict[str, Any] = {
    "name": "Scale",
    "currency": "EUR",
    "default_invoice_memo": "Net 45, please.",
    "metadata": {"orbcore.tier": "3"},
    "trial_config": {"trial_period": 14, "trial_period_unit": "days"},
    "adjustments": [
        {
            "adjustment_type": "percentage_discount",
            "percentage_discount": "0.125",
            "is_invoice_level": True,
            "applies_to_all": True,
        },
    ],
    "plan_phases": [{"order": 1, "duration": 2, "duration_unit": "monthly"}, {"order": 2}],
    "prices": [
        {
            "id": "seats",
            "name": "Seats",
            "model_type": "unit",
            "unit_config": {"unit_amount": "12.00"},
            "cadence": "custom",
            "billing_cycle_configuration": {"duration": 14, "duration_unit": "day"},
            "fixed_price_quantity": "2.5",
            "item": {"id": "item_seats", "name": "Seats"},
        },
        {
            "id": "gb",
            "name": "Storage",
            "model_type": "package",
            "package_config": {"package_amount": "1.00", "package_size": 100},
            "cadence": "quarterly",
            "billable_metric_id": "met_gb",
            "adjustments": [{"adjustment_type": "maximum", "maximum_amount": "100.00"}],
        },
    ],
}


def test_every_version_of_a_plan_is_rebuilt_from_stored_rows(store: Store) -> None:
    first = PlanDefinition.from_orb(CATALOG)
    second = PlanDefinition.from_orb(
        {**CATALOG, "version": 2, "trial_config": None, "prices": CATALOG["prices"][::-1]}
    )
    plan_v1, rows_v1 = plan_records(first, "pln_scale", at())
    plan_v2, rows_v2 = plan_records(second, "pln_scale", at(hours=1))
    save(store, "plans", plan_v1)
    save(store, "prices", *rows_v1, *rows_v2)
    with store.unit_of_work() as uow:
        uow.plans.update(plan_v2)
        uow.commit()

    stored_plan = fetch(store, "plans", "pln_scale")
    stored_rows = list_all(store, "prices")
    assert stored_plan.terms == plan_v2.terms
    assert definition_from_records(stored_plan, stored_rows) == second
    assert definition_from_records(stored_plan, stored_rows, version=1) == first


def test_a_subscription_keeps_its_timeline(store: Store) -> None:
    record = subscription()
    timeline = SubscriptionTimeline.from_json(record.timeline)
    save_parents(store, "subscriptions", record)
    save(store, "subscriptions", record)
    stored = fetch(store, "subscriptions", record.id)
    assert stored == record
    assert SubscriptionTimeline.from_json(stored.timeline) == timeline


def test_an_updated_timeline_replaces_the_stored_one(store: Store) -> None:
    record = subscription(timeline={})
    save(store, "subscriptions", record)
    assert fetch(store, "subscriptions", record.id).timeline == {}
    timeline = SubscriptionTimeline.from_json(subscription().timeline)
    changed = unschedule_cancellation(timeline, as_of=timeline.start)
    with store.unit_of_work() as uow:
        uow.subscriptions.update(replace(record, timeline=changed.to_json()))
        uow.commit()
    stored = fetch(store, "subscriptions", record.id)
    assert SubscriptionTimeline.from_json(stored.timeline) == changed
