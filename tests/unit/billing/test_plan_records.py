"""Plans as storage records: one Plan row, one Price row per price and version."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from orbcore import Cadence, ValidationError
from orbcore.billing import (
    PlanDefinition,
    PriceRef,
    definition_from_records,
    plan_records,
    price_record_id,
)

CREATED = datetime(2024, 3, 1, 12, tzinfo=UTC)

FULL_PLAN: dict[str, Any] = {
    "name": "Scale",
    "currency": "EUR",
    "external_plan_id": "scale",
    "default_invoice_memo": "Net 45, please.",
    "metadata": {"tier": "3"},
    "net_terms": 45,
    "version": 3,
    "trial_config": {"trial_period": 14, "trial_period_unit": "days"},
    "adjustments": [
        {
            "adjustment_type": "percentage_discount",
            "percentage_discount": Decimal("0.1"),
            "applies_to_price_ids": [],
            "is_invoice_level": True,
            "applies_to_all": True,
        }
    ],
    "plan_phases": [
        {"order": 1, "duration": 2, "duration_unit": "monthly", "minimum": "10.00"},
        {"order": 2, "duration": None},
    ],
    "prices": [
        {
            "id": "seats",
            "name": "Seats",
            "model_type": "unit",
            "unit_config": {"unit_amount": "12.00"},
            "cadence": "custom",
            "billing_cycle_configuration": {"duration": 14, "duration_unit": "day"},
            "billing_mode": "in_arrear",
            "price_type": "fixed_price",
            "fixed_price_quantity": Decimal("2.5"),
            "currency": "EUR",
            "item": {"id": "item_seats", "name": "Seats"},
            "adjustments": [
                {
                    "adjustment_type": "maximum",
                    "maximum_amount": "100.00",
                    "applies_to_price_ids": ["seats"],
                    "is_invoice_level": False,
                }
            ],
        },
        {
            "id": "gb",
            "name": "Storage",
            "model_type": "package",
            "package_config": {"package_amount": "1.00", "package_size": 100},
            "cadence": "quarterly",
            "billing_mode": "in_arrear",
            "price_type": "usage_price",
            "billable_metric_id": "met_gb",
            "item_id": "item_storage",
        },
    ],
}


def full() -> PlanDefinition:
    return PlanDefinition.from_orb(FULL_PLAN)


def test_the_full_plan_exports_exactly_as_written() -> None:
    assert full().to_orb() == FULL_PLAN


def test_a_plan_round_trips_through_its_records() -> None:
    plan_row, price_rows = plan_records(full(), "pln_scale", CREATED)
    assert definition_from_records(plan_row, price_rows) == full()
    assert definition_from_records(plan_row, list(reversed(price_rows))) == full()


def test_the_columns_hold_what_storage_filters_on_and_rating_needs() -> None:
    plan_row, (seats, storage) = plan_records(full(), "pln_scale", CREATED)
    assert (plan_row.id, plan_row.plan_version, plan_row.net_terms) == ("pln_scale", 3, 45)
    assert plan_row.external_plan_id == "scale"
    assert (seats.id, seats.plan_version, seats.cadence) == (
        "pln_scale:v3:seats",
        3,
        "custom:14:day",
    )
    assert (seats.price_type, seats.billing_mode, seats.fixed_price_quantity) == (
        "fixed_price",
        "in_arrear",
        Decimal("2.5"),
    )
    assert (storage.cadence, storage.billable_metric_id, storage.currency) == (
        "quarterly",
        "met_gb",
        "EUR",
    )
    assert storage.config == {"package_amount": "1.00", "package_size": 100}
    assert {seats.created_at, storage.created_at, plan_row.created_at} == {CREATED}


def test_what_has_no_column_is_kept_as_json_in_terms_and_details() -> None:
    plan_row, (seats, storage) = plan_records(full(), "pln_scale", CREATED)
    assert plan_row.metadata == {"tier": "3"}
    assert set(plan_row.terms) == {
        "default_invoice_memo",
        "adjustments",
        "trial_config",
        "plan_phases",
    }
    assert plan_row.terms["trial_config"] == {"trial_period": 14, "trial_period_unit": "days"}
    assert storage.details == {
        "position": 1,
        "item_id": "item_storage",
        "plan_terms": plan_row.terms,
    }
    assert seats.details["position"] == 0
    assert seats.details["item"] == {"id": "item_seats", "name": "Seats"}
    assert seats.details["adjustments"][0]["adjustment_type"] == "maximum"


def test_metadata_keys_starting_with_orbcore_are_the_users_own() -> None:
    plan = PlanDefinition.from_orb({**FULL_PLAN, "metadata": {"orbcore.plan": "mine"}})
    plan_row, rows = plan_records(plan, "pln_scale", CREATED)
    assert plan_row.metadata == {"orbcore.plan": "mine"}
    assert definition_from_records(plan_row, rows) == plan


def test_an_older_version_is_rebuilt_from_its_own_rows() -> None:
    first = PlanDefinition.from_orb({**FULL_PLAN, "version": 1})
    _, old_rows = plan_records(first, "pln_scale", CREATED)
    changed = {
        **FULL_PLAN,
        "version": 2,
        "default_invoice_memo": "Thanks!",
        "trial_config": None,
        "plan_phases": None,
        "prices": list(reversed(FULL_PLAN["prices"])),
    }
    second = PlanDefinition.from_orb(changed)
    new_plan, new_rows = plan_records(second, "pln_scale", CREATED)
    every_row = new_rows + old_rows
    assert definition_from_records(new_plan, every_row, version=1) == first
    assert definition_from_records(new_plan, every_row) == second
    assert [p.id for p in second.prices] == ["gb", "seats"]


def test_a_version_without_rows_is_refused() -> None:
    plan_row, rows = plan_records(full(), "pln_scale", CREATED)
    with pytest.raises(ValidationError, match="no price rows of version 2"):
        definition_from_records(plan_row, rows, version=2)


def test_a_new_version_adds_rows_beside_the_old_ones() -> None:
    first = PlanDefinition.from_orb({**FULL_PLAN, "version": 1})
    old_plan, old_rows = plan_records(first, "pln_scale", CREATED)
    changed = [
        {
            **FULL_PLAN["prices"][1],
            "package_config": {"package_amount": "0.80", "package_size": 100},
        }
    ]
    second = PlanDefinition.from_orb({**first.to_orb(), "prices": changed}).with_version(2)
    new_plan, new_rows = plan_records(second, "pln_scale", CREATED)
    assert [row.id for row in new_rows] == ["pln_scale:v2:gb"]
    assert not {row.id for row in old_rows} & {row.id for row in new_rows}
    # The stored plan row is at version 2: all the plan's rows may be passed back.
    assert definition_from_records(new_plan, old_rows + new_rows) == second
    assert definition_from_records(old_plan, old_rows + new_rows) == first


def test_rows_of_another_plan_or_with_foreign_ids_are_refused() -> None:
    plan_row, rows = plan_records(full(), "pln_scale", CREATED)
    stray = replace(rows[0], plan_id="pln_other")
    foreign = replace(rows[1], id="price_123")
    with pytest.raises(ValidationError) as caught:
        definition_from_records(plan_row, [stray, foreign])
    assert [p.path for p in caught.value.problems] == [
        ("prices", 0, "plan_id"),
        ("prices", 1, "id"),
    ]


def test_stored_values_are_validated_again() -> None:
    plan_row, rows = plan_records(full(), "pln_scale", CREATED)
    broken = replace(rows[1], config={"package_amount": "1.00", "package_size": 0})
    with pytest.raises(ValidationError, match=r"prices\.1\.package_config\.package_size"):
        definition_from_records(plan_row, [rows[0], broken])
    garbled = replace(plan_row, terms={"trial_config": {"trial_period": -1}})
    with pytest.raises(ValidationError, match=r"trial_config\.trial_period"):
        definition_from_records(garbled, rows)


def test_record_ids_feed_the_timeline() -> None:
    refs = full().price_refs(plan_id="pln_scale")
    assert refs[1] == PriceRef.usage(price_record_id("pln_scale", 3, "gb"), Cadence.quarterly())


@pytest.mark.parametrize(("plan_id", "created"), [("", CREATED), ("pln", datetime(2024, 1, 1))])
def test_records_need_an_id_and_an_aware_instant(plan_id: str, created: datetime) -> None:
    with pytest.raises(ValidationError):
        plan_records(full(), plan_id, created)
