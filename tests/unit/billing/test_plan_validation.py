"""Reading plans: what is derived, and every problem reported at once with its path."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orbcore import Cadence, FloatNotAllowedError, ValidationError
from orbcore.billing import (
    BillingMode,
    Minimum,
    PercentageDiscount,
    PhaseDiscount,
    PlanDefinition,
    PlanPhase,
    PriceKind,
    TrialConfig,
)


def fee(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Platform fee",
        "model_type": "unit",
        "unit_config": {"unit_amount": "50.00"},
        "cadence": "monthly",
    } | fields


def calls(**fields: Any) -> dict[str, Any]:
    return {
        "name": "API calls",
        "model_type": "unit",
        "unit_config": {"unit_amount": "0.01"},
        "cadence": "monthly",
        "billable_metric_id": "met_calls",
    } | fields


def plan(*prices: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "Starter", "currency": "USD", "prices": list(prices or [fee()])} | fields


def problems(raw: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        PlanDefinition.from_orb(raw)  # type: ignore[arg-type]
    return {".".join(map(str, p.path)): p.message for p in caught.value.problems}


# What the JSON may leave out


def test_a_unit_price_without_a_metric_is_a_fixed_fee_billed_in_advance() -> None:
    price = PlanDefinition.from_orb(plan(fee())).prices[0]
    assert (price.id, price.kind, price.billing_mode) == (
        "platform_fee",
        PriceKind.FIXED,
        BillingMode.IN_ADVANCE,
    )
    assert price.price_type == "fixed_price"


def test_a_price_with_a_metric_is_usage_billed_in_arrears() -> None:
    price = PlanDefinition.from_orb(plan(calls())).prices[0]
    assert (price.kind, price.billing_mode, price.price_type) == (
        PriceKind.USAGE,
        BillingMode.IN_ARREAR,
        "usage_price",
    )


def test_a_fixed_price_quantity_makes_any_model_a_fixed_fee() -> None:
    tiered = {
        "name": "Seats",
        "model_type": "tiered",
        "cadence": "monthly",
        "fixed_price_quantity": 12,
        "tiered_config": {
            "tiers": [
                {"first_unit": 0, "last_unit": 10, "unit_amount": "5.00"},
                {"first_unit": 10, "last_unit": None, "unit_amount": "4.00"},
            ]
        },
    }
    price = PlanDefinition.from_orb(plan(tiered)).prices[0]
    assert price.kind is PriceKind.FIXED
    assert price.price.evaluate().amount == Decimal("58.00")


def test_a_fixed_fee_may_be_billed_in_arrears_with_orbs_flag() -> None:
    price = PlanDefinition.from_orb(plan(fee(billed_in_advance=False))).prices[0]
    assert price.billing_mode is BillingMode.IN_ARREAR
    assert "billed_in_advance" not in price.to_orb()


def test_derived_ids_come_from_the_name() -> None:
    prices = PlanDefinition.from_orb(
        plan(fee(name="Über-Support (24/7)"), calls(name="€€€"))
    ).prices
    assert prices[0].id == "uber_support_24_7"
    assert prices[1].id.startswith("price_")
    assert len(prices[1].id) == len("price_") + 12


def test_a_custom_cadence_reads_as_a_calendar_cadence_and_writes_back() -> None:
    cycle = {"duration": 14, "duration_unit": "day"}
    price = PlanDefinition.from_orb(
        plan(fee(cadence="custom", billing_cycle_configuration=cycle))
    ).prices[0]
    assert price.cadence == Cadence.every_days(14)
    assert price.to_orb()["billing_cycle_configuration"] == cycle


def test_a_price_s_own_adjustments_apply_to_it_without_naming_it() -> None:
    own = [{"adjustment_type": "percentage_discount", "percentage_discount": "0.1"}]
    definition = PlanDefinition.from_orb(plan(fee(id="platform", adjustments=own)))
    assert definition.prices[0].adjustments == (
        PercentageDiscount(percentage_discount=Decimal("0.1"), applies_to_price_ids=["platform"]),
    )
    assert definition.all_adjustments == definition.prices[0].adjustments


def test_trial_and_phases_are_kept_and_written_back() -> None:
    raw = plan(
        fee(id="platform"),
        trial_config={"trial_period": 30, "trial_period_unit": "days"},
        plan_phases=[
            {
                "order": 1,
                "duration": 3,
                "duration_unit": "monthly",
                "discount": {"discount_type": "percentage", "percentage_discount": Decimal("0.5")},
            },
            {"order": 2, "duration": None, "minimum": "100.00", "maximum": "900.00"},
        ],
    )
    definition = PlanDefinition.from_orb(raw)
    assert definition.trial_config == TrialConfig(30)
    assert definition.plan_phases == (
        PlanPhase(1, 3, "monthly", discount=PhaseDiscount("percentage", Decimal("0.5"))),
        PlanPhase(2, minimum=Decimal("100.00"), maximum=Decimal("900.00")),
    )
    assert definition.to_orb()["plan_phases"] == raw["plan_phases"]
    assert definition.to_orb()["trial_config"] == raw["trial_config"]


def test_a_new_version_changes_only_the_version() -> None:
    definition = PlanDefinition.from_orb(plan())
    second = definition.with_version(2)
    assert (second.version, second.prices) == (2, definition.prices)
    with pytest.raises(ValidationError, match="version"):
        definition.with_version(0)


def test_json_text_is_read_with_exact_numbers() -> None:
    text = '{"name": "P", "currency": "USD", "prices": [{"name": "Seats", "model_type": "unit",'
    text += (
        ' "cadence": "monthly", "fixed_price_quantity": 2.5, "unit_config": {"unit_amount": 3}}]}'
    )
    price = PlanDefinition.from_orb(text).prices[0]
    assert price.fixed_price_quantity == Decimal("2.5")
    assert price.price.evaluate().amount == Decimal("7.5")


# Problems, each with its path


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    raw = {
        "name": "",
        "currency": "usd",
        "net_terms": -30,
        "colour": "blue",
        "trial_config": {"trial_period": 1, "trial_period_unit": "months"},
        "prices": [
            fee(unit_config={"unit_amount": "fifty"}),
            calls(cadence="weekly"),
            {
                "name": "Storage",
                "model_type": "tiered",
                "cadence": "monthly",
                "tiered_config": {
                    "tiers": [{"first_unit": 0, "last_unit": None, "unit_amount": "1"}]
                },
            },
        ],
    }
    assert problems(raw) == {
        "colour": "is not a field here (known: adjustments, currency, default_invoice_memo, "
        "external_plan_id, metadata, name, net_terms, plan_phases, prices, trial_config, version)",
        "name": "expected a non-empty string, got ''",
        "currency": "unknown currency 'usd'; did you mean 'USD'? "
        "(register custom units with register_currency)",
        "net_terms": "must be a whole number from 0 to 36600, got -30",
        "prices.0.unit_config.unit_amount": "'fifty' is not a decimal number",
        "prices.1.cadence": "unknown cadence 'weekly' (annual, custom, monthly, one_time, "
        "quarterly, semi_annual)",
        "prices.2.billable_metric_id": "a usage price needs a billable metric",
        "trial_config.trial_period_unit": "only 'days' is supported, got 'months'",
    }


@pytest.mark.parametrize(
    ("price", "path", "message"),
    [
        (fee(currency="EUR"), "prices.0.currency", "'EUR' is not the plan's currency"),
        (
            fee(billable_metric_id="m", fixed_price_quantity=1),
            "prices.0.billable_metric_id",
            "a fixed fee takes no billable metric",
        ),
        (calls(billing_mode="in_advance"), "prices.0.billing_mode", "usage is billed in arrears"),
        (calls(cadence="one_time"), "prices.0.cadence", "a usage price must recur"),
        (
            calls(price_type="usage_price", fixed_price_quantity=2),
            "prices.0.fixed_price_quantity",
            "only a fixed fee has a quantity",
        ),
        (
            fee(price_type="composite_price"),
            "prices.0.price_type",
            "must be fixed_price or usage_price, got 'composite_price'",
        ),
        (
            fee(billing_mode="in_advance", billed_in_advance=False),
            "prices.0.billed_in_advance",
            "contradicts billing_mode",
        ),
        (
            fee(cadence="monthly", billing_cycle_configuration={"duration": 2}),
            "prices.0.billing_cycle_configuration",
            "is for a custom cadence only",
        ),
        (
            fee(
                cadence="custom",
                billing_cycle_configuration={"duration": 0, "duration_unit": "day"},
            ),
            "prices.0.billing_cycle_configuration.duration",
            "must be an int from 1 to 36600, got 0",
        ),
        (fee(model_type="cubic"), "prices.0.model_type", "unknown model_type 'cubic'; known: ..."),
        (fee(tiered_config={}), "prices.0.tiered_config", "is not the config of model_type 'unit'"),
        (fee(colour="red"), "prices.0.colour", "is not a field here (known: adjustments, ..."),
        (
            fee(fixed_price_quantity="-1"),
            "prices.0.fixed_price_quantity",
            "must not be negative, got -1",
        ),
        (
            fee(item={"id": "a", "name": "A"}, item_id="b"),
            "prices.0.item_id",
            "is not the item's id 'a'",
        ),
        (fee(id=""), "prices.0.id", "expected a non-empty string, got ''"),
        (fee(name=None), "prices.0.name", "is required"),
        ("fee", "prices.0", "expected a JSON object, got str"),
    ],
)
def test_a_bad_price_is_named_by_its_path(price: Any, path: str, message: str) -> None:
    found = problems(plan(price))
    assert path in found, found
    if message.endswith("..."):
        assert found[path].startswith(message[:-3])
    else:
        assert found[path] == message


def test_duplicate_price_ids_are_refused_even_when_derived() -> None:
    found = problems(plan(fee(), fee(unit_config={"unit_amount": "60.00"})))
    assert found == {
        "prices.1.id": "'platform_fee' is also the id of prices.0; give each price its own id "
        "(a missing id is derived from the name)"
    }


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"prices": []}, "prices"),
        ({"prices": None}, "prices"),
        ({"prices": {"a": 1}}, "prices"),
        ({"currency": None}, "currency"),
        ({"net_terms": True}, "net_terms"),
        ({"version": 0}, "version"),
        ({"metadata": {"a": 1}}, "metadata.a"),
        ({"default_invoice_memo": 7}, "default_invoice_memo"),
        ({"trial_config": {"trial_period": -1}}, "trial_config.trial_period"),
        ({"trial_config": {}}, "trial_config.trial_period"),
        ({"trial_config": {"trial_period": 3, "x": 1}}, "trial_config.x"),
        ({"adjustments": [{"adjustment_type": "minimum"}]}, "adjustments.0.minimum_amount"),
        ({"plan_phases": [{"order": 2}]}, "plan_phases.0.order"),
        ({"plan_phases": [{"order": 1}, {"order": 1}]}, "plan_phases.1.order"),
        (
            {"plan_phases": [{"order": 1}, {"order": 2, "duration": 1, "duration_unit": "annual"}]},
            "plan_phases.0.duration",
        ),
        ({"plan_phases": [{"order": 1, "duration": 2}]}, "plan_phases.0.duration_unit"),
        ({"plan_phases": [{"order": 1, "minimum": "5", "maximum": "4"}]}, "plan_phases.0.maximum"),
        (
            {
                "plan_phases": [
                    {
                        "order": 1,
                        "discount": {"discount_type": "percentage", "percentage_discount": 2},
                    }
                ]
            },
            "plan_phases.0.discount.percentage_discount",
        ),
        (
            {
                "plan_phases": [
                    {
                        "order": 1,
                        "discount": {
                            "discount_type": "amount",
                            "amount_discount": "1",
                            "applies_to_price_ids": ["nope"],
                        },
                    }
                ]
            },
            "plan_phases.0.discount.applies_to_price_ids.0",
        ),
        ({"plan_phases": [{"order": 1, "name": "intro"}]}, "plan_phases.0.name"),
    ],
)
def test_a_bad_plan_field_is_named_by_its_path(fields: dict[str, Any], path: str) -> None:
    assert path in problems(plan(**fields))


def test_a_plan_needs_a_recurring_price() -> None:
    assert problems(plan(fee(cadence="one_time"))) == {
        "prices": "a plan needs a recurring price (a subscription bills on it)"
    }


def test_adjustments_must_name_prices_of_the_plan() -> None:
    minimum = {"adjustment_type": "minimum", "minimum_amount": "50", "applies_to_price_ids": ["x"]}
    assert problems(plan(fee(), adjustments=[minimum])) == {
        "adjustments.0.applies_to_price_ids.0": "no price 'x' in this plan"
    }
    ok = PlanDefinition.from_orb(plan(fee(id="x"), adjustments=[minimum]))
    assert ok.adjustments == (Minimum(minimum_amount=Decimal(50), applies_to_price_ids=["x"]),)


def test_a_price_s_own_adjustment_is_line_level_on_that_price() -> None:
    invoice_level = {
        "adjustment_type": "maximum",
        "maximum_amount": "9",
        "applies_to_all": True,
        "is_invoice_level": True,
    }
    other = {"adjustment_type": "maximum", "maximum_amount": "9", "applies_to_price_ids": ["y"]}
    found = problems(plan(fee(id="x", adjustments=[invoice_level, other])))
    assert found == {
        "prices.0.adjustments.0.is_invoice_level": "a price's own adjustment is line-level",
        "prices.0.adjustments.1.applies_to_price_ids": "must be ['x'], its price",
    }


def test_floats_are_refused_with_the_float_error() -> None:
    with pytest.raises(FloatNotAllowedError) as caught:
        PlanDefinition.from_orb(plan(fee(unit_config={"unit_amount": 0.5})))
    assert [p.path for p in caught.value.problems] == [("prices", 0, "unit_config", "unit_amount")]


@pytest.mark.parametrize("raw", ["[1, 2]", "{not json", 42, None, ["a"]])
def test_input_that_is_not_a_json_object_is_refused(raw: object) -> None:
    with pytest.raises(ValidationError):
        PlanDefinition.from_orb(raw)  # type: ignore[arg-type]


def test_a_plan_price_can_be_looked_up_by_id() -> None:
    definition = PlanDefinition.from_orb(plan(fee(id="platform")))
    assert definition.price("platform").name == "Platform fee"
    with pytest.raises(ValidationError, match="no price 'nope'"):
        definition.price("nope")
