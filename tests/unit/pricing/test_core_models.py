"""The core price models: Orb's worked examples, invariants and validation."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import FloatNotAllowedError, ValidationError
from orbcore.pricing import Price, Usage

D = Decimal

ORB_TIERED = {
    "model_type": "tiered",
    "tiered_config": {
        "tiers": [
            {"first_unit": 0, "last_unit": 10000, "unit_amount": "0.001"},
            {"first_unit": 10000, "last_unit": 100000, "unit_amount": "0.0008"},
            {"first_unit": 100000, "last_unit": None, "unit_amount": "0.0005"},
        ]
    },
}


def test_orb_tiered_example_150000_calls_cost_107() -> None:
    result = Price.from_orb(ORB_TIERED).evaluate(150_000)
    assert result.amount == D("107.00")
    assert [(line.quantity, line.amount) for line in result.sub_lines] == [
        (D(10000), D("10.00")),
        (D(90000), D("72.00")),
        (D(50000), D("25.00")),
    ]
    assert "tier 2 (10000-100000): 90000 x 0.0008 = 72.0000" in str(result)


def test_orb_bulk_example_101_units_cost_40_40() -> None:
    bulk = Price.from_orb(
        {
            "model_type": "bulk",
            "bulk_config": {
                "tiers": [
                    {"maximum_units": 10, "unit_amount": "0.50"},
                    {"maximum_units": 1000, "unit_amount": "0.40"},
                ]
            },
        }
    )
    assert bulk.evaluate(101).amount == D("40.40")
    assert bulk.evaluate(10).amount == D("5.00")
    assert bulk.evaluate(9).amount == D("4.50")


@pytest.mark.parametrize(
    ("size", "amount", "quantity", "billed_units"),
    [(5, "1.00", 4, 5), (5, "1.00", 6, 10), (10, "1.00", 4, 10), (10, "1.00", 11, 20)],
)
def test_orb_package_examples_bill_whole_packages(
    size: int, amount: str, quantity: int, billed_units: int
) -> None:
    package = Price.from_orb(
        {
            "model_type": "package",
            "package_config": {"package_amount": amount, "package_size": size},
        }
    )
    result = package.evaluate(quantity)
    assert result.sub_lines[0].quantity * size == billed_units
    assert result.amount == D(amount) * billed_units / size


def test_package_zero_usage_bills_nothing() -> None:
    package = Price.from_orb(
        {"model_type": "package", "package_config": {"package_amount": "0.80", "package_size": 10}}
    )
    assert package.evaluate(0).amount == 0


def test_orb_matrix_example_default_versus_matched_cell() -> None:
    matrix = Price.from_orb(
        {
            "model_type": "matrix",
            "matrix_config": {
                "dimensions": ["cluster_name", "region"],
                "default_unit_amount": "3.00",
                "matrix_values": [{"dimension_values": ["alpha", "west"], "unit_amount": "2.00"}],
            },
        }
    )
    usage = Usage(groups={("alpha", "west"): D(10), ("beta", "east"): D(2)})
    result = matrix.evaluate(usage)
    assert result.amount == D("26.00")
    by_cell = {line.grouping: line for line in result.sub_lines}
    assert by_cell[("alpha", "west")].unit_amount == D("2.00")
    assert by_cell[("beta", "east")].unit_amount == D("3.00")


def test_unit_price_multiplies_exactly() -> None:
    unit = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "0.50"}})
    assert unit.evaluate(D("3.3")).amount == D("1.650")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model_type": "nope"}, "unknown model_type 'nope'"),
        ({"model_type": "unit"}, "unit_config: is required"),
        (
            {"model_type": "unit", "unit_config": {"unit_amount": "1"}, "tiered_config": {}},
            "tiered_config: belongs to another model type",
        ),
        ({"model_type": "unit", "unit_config": {}}, "unit_config.unit_amount"),
        ({"model_type": "unit", "unit_config": {"unit_amount": "abc"}}, "not a decimal number"),
        ({"model_type": "unit", "unit_config": {"unit_amount": "1", "x": 1}}, "unit_config.x"),
        (
            {"model_type": "package", "package_config": {"package_amount": "1", "package_size": 0}},
            "package_config.package_size: must be greater than zero",
        ),
        (
            {
                "model_type": "package",
                "package_config": {"package_amount": "-1", "package_size": 1},
            },
            "package_config.package_amount: must not be negative",
        ),
        (
            {
                "model_type": "tiered",
                "tiered_config": {
                    "tiers": [
                        {"first_unit": 0, "last_unit": 10, "unit_amount": "1"},
                        {"first_unit": 12, "last_unit": None, "unit_amount": "1"},
                    ]
                },
            },
            "tiered_config.tiers.1.first_unit: leaves a gap",
        ),
        (
            {
                "model_type": "tiered",
                "tiered_config": {
                    "tiers": [
                        {"first_unit": 0, "last_unit": 10, "unit_amount": "1"},
                        {"first_unit": 5, "last_unit": None, "unit_amount": "1"},
                    ]
                },
            },
            "tiered_config.tiers.1.first_unit: leaves an overlap",
        ),
        ({"model_type": "tiered", "tiered_config": {"tiers": []}}, "tiered_config.tiers"),
    ],
)
def test_invalid_configurations_name_the_field(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Price.from_orb(body)
    assert fragment in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        Price.from_orb(
            {"model_type": "package", "package_config": {"package_amount": "x", "package_size": 0}}
        )
    paths = {problem.path for problem in caught.value.problems}
    assert paths == {
        ("package_config", "package_amount"),
        ("package_config", "package_size"),
    }


def test_floats_in_a_configuration_are_refused() -> None:
    with pytest.raises(FloatNotAllowedError, match=r"unit_config\.unit_amount"):
        Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": 0.5}})


def test_json_text_is_read_with_exact_decimals() -> None:
    text = '{"model_type": "unit", "unit_config": {"unit_amount": "0.1"}, "name": "API", "x": 0.1}'
    price = Price.from_orb(text)
    assert price.fields == {"name": "API", "x": D("0.1")}
    assert price.evaluate(3).amount == D("0.3")


tier_amounts = st.decimals(min_value=0, max_value=100, places=4)


@st.composite
def tiered_prices(draw: st.DrawFn) -> Price:
    count = draw(st.integers(min_value=1, max_value=6))
    bounds = sorted(
        set(draw(st.lists(st.integers(1, 10**6), min_size=count - 1, max_size=count - 1)))
    )
    edges = [0, *bounds]
    tiers = [
        {
            "first_unit": edges[i],
            "last_unit": edges[i + 1] if i + 1 < len(edges) else None,
            "unit_amount": format(draw(tier_amounts), "f"),
        }
        for i in range(len(edges))
    ]
    return Price.from_orb({"model_type": "tiered", "tiered_config": {"tiers": tiers}})


quantities = st.decimals(min_value=0, max_value=2 * 10**6, places=3)


@given(tiered_prices(), quantities, quantities)
def test_graduated_amounts_never_decrease_and_sub_lines_sum(
    price: Price, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    first, second = price.evaluate(low), price.evaluate(high)
    assert first.amount <= second.amount
    assert sum((line.amount for line in second.sub_lines), D(0)) == second.amount


@given(tiered_prices(), st.integers(min_value=0, max_value=6))
def test_graduated_amounts_do_not_jump_at_tier_bounds(price: Price, index: int) -> None:
    tiers = price.to_orb()["tiered_config"]["tiers"]
    bound = D(tiers[min(index, len(tiers) - 1)]["first_unit"])
    step = D("0.001")
    below = price.evaluate(max(bound - step, D(0))).amount
    above = price.evaluate(bound + step).amount
    highest_rate = max(D(t["unit_amount"]) for t in tiers)
    assert above - below <= 2 * step * highest_rate


@given(tiered_prices())
def test_the_json_round_trip_is_the_identity(price: Price) -> None:
    assert Price.from_orb(price.to_orb()) == price
    assert Price.from_orb(price.to_json()) == price
    assert json.loads(price.to_json(), parse_float=Decimal) == price.to_orb()


def test_a_fixed_fee_is_rated_on_its_quantity_without_usage() -> None:
    seats = Price.from_orb(
        {
            "model_type": "unit",
            "price_type": "fixed_price",
            "fixed_price_quantity": 3,
            "unit_config": {"unit_amount": "2.00"},
        }
    )
    assert seats.fixed_price_quantity == 3
    assert seats.evaluate().amount == D("6.00")
    assert Price.from_orb(seats.to_orb()) == seats
    platform = Price.from_orb(
        {"model_type": "unit", "price_type": "fixed_price", "unit_config": {"unit_amount": "50"}}
    )
    assert platform.evaluate().amount == D(50)


def test_a_usage_price_needs_usage_and_a_fee_quantity_must_be_exact() -> None:
    usage_price = Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "1"}})
    with pytest.raises(ValidationError, match="only a fixed fee"):
        usage_price.evaluate()
    with pytest.raises(ValidationError, match="fixed_price_quantity: must not be negative"):
        Price.from_orb(
            {"model_type": "unit", "fixed_price_quantity": -1, "unit_config": {"unit_amount": "1"}}
        )
    with pytest.raises(ValidationError, match="fixed_price_quantity: floats are not exact"):
        Price.from_orb(
            {"model_type": "unit", "fixed_price_quantity": 1.5, "unit_config": {"unit_amount": "1"}}
        )
