"""The grouped and matrix models: hand-worked examples, zero usage, exact sub-lines,
round trips and validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orbcore import FloatNotAllowedError, ValidationError
from orbcore.pricing import Price, PriceResult, Usage

D = Decimal


def rate(body: dict[str, Any], groups: dict[tuple[str | None, ...], int | str]) -> PriceResult:
    """Rate ``groups`` and check what every result must satisfy."""
    price = Price.from_orb(body)
    result = price.evaluate(Usage(groups={key: D(q) for key, q in groups.items()}))
    assert sum((line.amount for line in result.sub_lines), D(0)) == result.amount
    assert all(line.grouping is not None for line in result.sub_lines)
    return result


def lines(result: PriceResult) -> list[tuple[tuple[str | None, ...] | None, Decimal, Decimal]]:
    return [(line.grouping, line.quantity, line.amount) for line in result.sub_lines]


GROUPED_TIERED = {
    "model_type": "grouped_tiered",
    "grouped_tiered_config": {
        "grouping_key": "region",
        "tiers": [
            {"tier_lower_bound": "0", "unit_amount": "1.00"},
            {"tier_lower_bound": "100", "unit_amount": "0.50"},
        ],
    },
}
GROUPED_ALLOCATION = {
    "model_type": "grouped_allocation",
    "grouped_allocation_config": {
        "grouping_key": "region",
        "allocation": "100",
        "overage_unit_rate": "0.25",
    },
}
MIN_MAX = {
    "model_type": "grouped_with_min_max_thresholds",
    "grouped_with_min_max_thresholds_config": {
        "grouping_key": "region",
        "per_unit_rate": "0.10",
        "minimum_charge": "5.00",
        "maximum_charge": "20.00",
    },
}
PRORATED_MINIMUM = {
    "model_type": "grouped_with_prorated_minimum",
    "grouped_with_prorated_minimum_config": {
        "grouping_key": "region",
        "minimum": "10.00",
        "unit_rate": "0.20",
    },
}

MATRIX_WITH_ALLOCATION = {
    "model_type": "matrix_with_allocation",
    "matrix_with_allocation_config": {
        "dimensions": ["cluster", "region"],
        "default_unit_amount": "3.00",
        "matrix_values": [{"dimension_values": ["alpha", "west"], "unit_amount": "2.00"}],
        "allocation": "10",
    },
}
DISPLAY_NAME = {
    "model_type": "matrix_with_display_name",
    "matrix_with_display_name_config": {
        "dimension": "model",
        "unit_amounts": [
            {"dimension_value": "gpt", "display_name": "GPT calls", "unit_amount": "0.02"},
            {"dimension_value": "llama", "display_name": "Llama calls", "unit_amount": "0.01"},
        ],
    },
}
SCALABLE_UNIT = {
    "model_type": "scalable_matrix_with_unit_pricing",
    "scalable_matrix_with_unit_pricing_config": {
        "first_dimension": "region",
        "second_dimension": "plan",
        "matrix_scaling_factors": [
            {
                "first_dimension_value": "us",
                "second_dimension_value": "premium",
                "scaling_factor": "2",
            },
            {
                "first_dimension_value": "eu",
                "second_dimension_value": "premium",
                "scaling_factor": "1.5",
            },
        ],
        "unit_price": "0.10",
    },
}
SCALABLE_TIERED = {
    "model_type": "scalable_matrix_with_tiered_pricing",
    "scalable_matrix_with_tiered_pricing_config": {
        "first_dimension": "region",
        "matrix_scaling_factors": [{"first_dimension_value": "us", "scaling_factor": "2"}],
        "tiers": [
            {"tier_lower_bound": "0", "unit_amount": "1.00"},
            {"tier_lower_bound": "100", "unit_amount": "0.50"},
        ],
    },
}

GROUPED_TIERED_PACKAGE = {
    "model_type": "grouped_tiered_package",
    "grouped_tiered_package_config": {
        "grouping_key": "region",
        "package_size": "10",
        "tiers": [
            {"tier_lower_bound": "0", "per_unit": "5.00"},
            {"tier_lower_bound": "20", "per_unit": "4.00"},
        ],
    },
}
MAX_GROUP = {
    "model_type": "max_group_tiered_package",
    "max_group_tiered_package_config": {
        "grouping_key": "region",
        "package_size": "10",
        "tiers": [
            {"tier_lower_bound": "0", "unit_amount": "1.00"},
            {"tier_lower_bound": "100", "unit_amount": "0.50"},
        ],
    },
}

CUMULATIVE_ALLOCATION = {
    "model_type": "cumulative_grouped_allocation",
    "cumulative_grouped_allocation_config": {
        "grouping_key": "region",
        "group_allocation": "100",
        "cumulative_allocation": "150",
        "unit_amount": "1.00",
    },
}

EXAMPLES = [
    GROUPED_TIERED,
    GROUPED_ALLOCATION,
    MIN_MAX,
    PRORATED_MINIMUM,
    MATRIX_WITH_ALLOCATION,
    DISPLAY_NAME,
    SCALABLE_UNIT,
    SCALABLE_TIERED,
    GROUPED_TIERED_PACKAGE,
    MAX_GROUP,
    CUMULATIVE_ALLOCATION,
]


def test_grouped_tiered_restarts_the_tiers_in_each_group() -> None:
    # eu: 100 x 1.00 + 50 x 0.50 = 125.00; us: 30 x 1.00 = 30.00
    result = rate(GROUPED_TIERED, {("us",): 30, ("eu",): 150})
    assert result.amount == D("155.00")
    assert result.quantity == 180
    assert lines(result) == [
        (("eu",), D(100), D("100.00")),
        (("eu",), D(50), D("25.00")),
        (("us",), D(30), D("30.00")),
    ]
    assert result.sub_lines[1].name == "eu: tier 2 (100-)"


def test_grouped_allocation_frees_the_allocation_in_each_group() -> None:
    # eu: (250 - 100) x 0.25 = 37.50; us: 80 is within its allocation
    result = rate(GROUPED_ALLOCATION, {("eu",): 250, ("us",): 80})
    assert result.amount == D("37.50")
    assert lines(result) == [(("eu",), D(150), D("37.50")), (("us",), D(0), D(0))]


def test_grouped_min_max_clamps_each_group() -> None:
    # eu: 10 x 0.10 = 1.00 -> 5.00; de: 100 x 0.10 = 10.00; us: 500 x 0.10 = 50.00 -> 20.00
    result = rate(MIN_MAX, {("eu",): 10, ("de",): 100, ("us",): 500})
    assert result.amount == D("35.00")
    assert lines(result) == [
        (("de",), D(100), D("10.00")),
        (("eu",), D(10), D("1.00")),
        (("eu",), D(0), D("4.00")),
        (("us",), D(500), D("50.00")),
        (("us",), D(0), D("-30.00")),
    ]


def test_grouped_min_max_charges_the_minimum_to_a_group_with_zero_usage() -> None:
    assert rate(MIN_MAX, {("eu",): 0}).amount == D("5.00")


def test_grouped_prorated_minimum_raises_each_group_to_the_minimum() -> None:
    # eu: 20 x 0.20 = 4.00 -> 10.00; us: 100 x 0.20 = 20.00
    result = rate(PRORATED_MINIMUM, {("eu",): 20, ("us",): 100})
    assert result.amount == D("30.00")
    assert lines(result) == [
        (("eu",), D(20), D("4.00")),
        (("eu",), D(0), D("6.00")),
        (("us",), D(100), D("20.00")),
    ]


def test_matrix_allocation_is_taken_from_the_cells_in_sorted_order() -> None:
    # 10 free: all 6 of (alpha, west), then 4 of (beta, east); 16 x 3.00 = 48.00
    result = rate(MATRIX_WITH_ALLOCATION, {("beta", "east"): 20, ("alpha", "west"): 6})
    assert result.amount == D("48.00")
    assert lines(result) == [
        (("alpha", "west"), D(0), D(0)),
        (("beta", "east"), D(16), D("48.00")),
    ]
    assert result.sub_lines[1].name == "beta, east: default rate, 4 allocated free"


def test_matrix_allocation_larger_than_usage_bills_nothing() -> None:
    assert rate(MATRIX_WITH_ALLOCATION, {("alpha", "west"): 4}).amount == 0


def test_matrix_with_display_name_names_each_line_and_skips_unpriced_values() -> None:
    # gpt: 100 x 0.02 = 2.00; llama: 300 x 0.01 = 3.00; mistral has no row
    result = rate(DISPLAY_NAME, {("llama",): 300, ("gpt",): 100, ("mistral",): 5})
    assert result.amount == D("5.00")
    assert [(line.name, line.amount) for line in result.sub_lines] == [
        ("GPT calls", D("2.00")),
        ("Llama calls", D("3.00")),
        ("mistral (no price)", D(0)),
    ]


def test_scalable_unit_pricing_scales_each_cell_before_the_unit_price() -> None:
    # eu/basic: 10 x 1 x 0.10 = 1.00; eu/premium: 10 x 1.5 x 0.10 = 1.50;
    # us/premium: 10 x 2 x 0.10 = 2.00
    groups = {("us", "premium"): 10, ("eu", "premium"): 10, ("eu", "basic"): 10}
    result = rate(SCALABLE_UNIT, groups)
    assert result.amount == D("4.50")
    assert lines(result) == [
        (("eu", "basic"), D(10), D("1.00")),
        (("eu", "premium"), D("15.0"), D("1.500")),
        (("us", "premium"), D(20), D("2.00")),
    ]


def test_scalable_tiered_pricing_tiers_the_total_scaled_quantity() -> None:
    # scaled: eu 60, us 40 x 2 = 80; total 140 = 100 x 1.00 + 40 x 0.50 = 120.00.
    # eu fills units 0-60 of tier 1; us fills 60-100 of tier 1 and 100-140 of tier 2.
    result = rate(SCALABLE_TIERED, {("us",): 40, ("eu",): 60})
    assert result.amount == D("120.00")
    assert lines(result) == [
        (("eu",), D(60), D("60.00")),
        (("us",), D(40), D("40.00")),
        (("us",), D(40), D("20.00")),
    ]


def test_grouped_tiered_package_tiers_whole_packages_per_group() -> None:
    # eu: 35 units -> 4 packages of 10: 2 x 5.00 + 2 x 4.00 = 18.00; us: 5 -> 1 x 5.00
    result = rate(GROUPED_TIERED_PACKAGE, {("us",): 5, ("eu",): 35})
    assert result.amount == D("23.00")
    assert lines(result) == [
        (("eu",), D(2), D("10.00")),
        (("eu",), D(2), D("8.00")),
        (("us",), D(1), D("5.00")),
    ]


def test_max_group_tiered_package_charges_only_the_largest_group() -> None:
    # eu 105 -> 110 after packages of 10: 100 x 1.00 + 10 x 0.50 = 105.00; us is not charged
    result = rate(MAX_GROUP, {("us",): 30, ("eu",): 105})
    assert result.amount == D("105.00")
    assert result.quantity == 135
    assert lines(result) == [(("eu",), D(100), D("100.00")), (("eu",), D(10), D("5.00"))]


def test_max_group_tie_charges_the_first_group_in_sorted_order() -> None:
    result = rate(MAX_GROUP, {("us",): 10, ("eu",): 10})
    assert {line.grouping for line in result.sub_lines} == {("eu",)}
    assert result.amount == D("10.00")


def test_cumulative_allocation_charges_the_larger_overage_group_by_group() -> None:
    # a: own 120 - 100 = 20; running 0 -> 120 adds no cumulative overage: 20
    # b: own 0; running 120 -> 200 adds 50 above 150: 50
    # c: own 0; running 200 -> 210 adds 10: 10; 80 units x 1.00
    result = rate(CUMULATIVE_ALLOCATION, {("c",): 10, ("b",): 80, ("a",): 120})
    assert result.amount == D("80.00")
    assert lines(result) == [
        (("a",), D(20), D("20.00")),
        (("b",), D(50), D("50.00")),
        (("c",), D(10), D("10.00")),
    ]


@pytest.mark.parametrize("body", EXAMPLES, ids=lambda body: body["model_type"])
def test_no_usage_bills_nothing(body: dict[str, Any]) -> None:
    result = rate(body, {})
    assert result.amount == 0
    assert result.sub_lines == ()


@pytest.mark.parametrize("body", EXAMPLES, ids=lambda body: body["model_type"])
def test_the_orb_and_json_round_trips_are_the_identity(body: dict[str, Any]) -> None:
    price = Price.from_orb(body)
    assert Price.from_orb(price.to_orb()) == price
    assert Price.from_orb(price.to_json()) == price
    assert price.to_orb() == body


def _with(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    key = f"{body['model_type']}_config"
    config = {**body[key], **changes}
    return {"model_type": body["model_type"], key: {k: v for k, v in config.items() if v != ...}}


INVALID = [
    (
        _with(GROUPED_TIERED, tiers=[{"tier_lower_bound": "5", "unit_amount": "1"}] * 2),
        "grouped_tiered_config.tiers.0.tier_lower_bound: leaves a gap",
    ),
    (
        _with(
            GROUPED_TIERED,
            tiers=[
                {"tier_lower_bound": "0", "unit_amount": "1"},
                {"tier_lower_bound": "0", "unit_amount": "1"},
            ],
        ),
        "grouped_tiered_config.tiers.1.tier_lower_bound: leaves an overlap",
    ),
    (
        _with(GROUPED_TIERED, tiers=[{"tier_lower_bound": "0", "unit_amount": "1"}]),
        "grouped_tiered_config.tiers",
    ),
    (
        _with(
            GROUPED_TIERED,
            tiers=[
                {"tier_lower_bound": "0", "unit_amount": "-1"},
                {"tier_lower_bound": "10", "unit_amount": "1"},
            ],
        ),
        "grouped_tiered_config.tiers.0.unit_amount: must not be negative",
    ),
    (_with(GROUPED_TIERED, grouping_key=...), "grouped_tiered_config.grouping_key"),
    (_with(GROUPED_ALLOCATION, allocation="-1"), "grouped_allocation_config.allocation: must"),
    (_with(GROUPED_ALLOCATION, overage_unit_rate=...), "grouped_allocation_config.overage_unit"),
    (_with(GROUPED_ALLOCATION, grouping_key=7), "grouped_allocation_config.grouping_key"),
    (
        _with(MIN_MAX, maximum_charge="1.00"),
        "grouped_with_min_max_thresholds_config.maximum_charge: must not be below",
    ),
    (_with(MIN_MAX, per_unit_rate="x"), "grouped_with_min_max_thresholds_config.per_unit_rate"),
    (
        _with(PRORATED_MINIMUM, minimum="-10"),
        "grouped_with_prorated_minimum_config.minimum: must not be negative",
    ),
    (_with(PRORATED_MINIMUM, unit_rate=[]), "grouped_with_prorated_minimum_config.unit_rate"),
    (
        _with(MATRIX_WITH_ALLOCATION, allocation="-1"),
        "matrix_with_allocation_config.allocation: must not be negative",
    ),
    (
        _with(MATRIX_WITH_ALLOCATION, dimensions=["a"]),
        "matrix_with_allocation_config.matrix_values.0.dimension_values: needs 1",
    ),
    (_with(DISPLAY_NAME, dimension=...), "matrix_with_display_name_config.dimension"),
    (
        _with(DISPLAY_NAME, unit_amounts=[{"dimension_value": "gpt", "unit_amount": "1"}]),
        "matrix_with_display_name_config.unit_amounts.0.display_name",
    ),
    (
        _with(
            DISPLAY_NAME,
            unit_amounts=[{"dimension_value": "a", "display_name": "A", "unit_amount": "1"}] * 2,
        ),
        "matrix_with_display_name_config.unit_amounts.1: repeats a",
    ),
    (
        _with(SCALABLE_UNIT, second_dimension=...),
        "matrix_scaling_factors.0.second_dimension_value: is set but",
    ),
    (_with(SCALABLE_UNIT, unit_price="-1"), "unit_pricing_config.unit_price: must not be"),
    (
        _with(SCALABLE_TIERED, tiers=[{"tier_lower_bound": "0", "unit_amount": "1"}] * 2),
        "scalable_matrix_with_tiered_pricing_config.tiers.1.tier_lower_bound: leaves an overlap",
    ),
    (
        _with(
            SCALABLE_TIERED,
            matrix_scaling_factors=[{"first_dimension_value": "us", "scaling_factor": "-2"}],
        ),
        "tiered_pricing_config.matrix_scaling_factors.0.scaling_factor: must not be negative",
    ),
    (
        _with(GROUPED_TIERED_PACKAGE, package_size="0"),
        "grouped_tiered_package_config.package_size: must be greater than zero",
    ),
    (
        _with(
            GROUPED_TIERED_PACKAGE,
            tiers=[
                {"tier_lower_bound": "0", "per_unit": "1"},
                {"tier_lower_bound": "15", "per_unit": "1"},
            ],
        ),
        "grouped_tiered_package_config.tiers.1.tier_lower_bound: must be a multiple",
    ),
    (
        _with(GROUPED_TIERED_PACKAGE, tiers=[{"tier_lower_bound": "0", "unit_amount": "1"}] * 2),
        "grouped_tiered_package_config.tiers.0.per_unit",
    ),
    (
        _with(MAX_GROUP, tiers=[{"tier_lower_bound": "10", "unit_amount": "1"}] * 2),
        "max_group_tiered_package_config.tiers.0.tier_lower_bound: leaves a gap",
    ),
    (_with(MAX_GROUP, package_size=...), "max_group_tiered_package_config.package_size"),
    (
        _with(CUMULATIVE_ALLOCATION, cumulative_allocation="-5"),
        "cumulative_grouped_allocation_config.cumulative_allocation: must not be negative",
    ),
    (_with(CUMULATIVE_ALLOCATION, unit_amount=...), "cumulative_grouped_allocation_config.unit"),
]


@pytest.mark.parametrize(("body", "fragment"), INVALID)
def test_invalid_configurations_name_the_field(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Price.from_orb(body)
    assert fragment in str(caught.value)


FLOATS = [
    (_with(GROUPED_TIERED, tiers=[{"tier_lower_bound": 0.5, "unit_amount": "1"}] * 2), "tiers.0"),
    (_with(GROUPED_ALLOCATION, allocation=100.0), "grouped_allocation_config.allocation"),
    (_with(MIN_MAX, minimum_charge=5.0), "grouped_with_min_max_thresholds_config.minimum"),
    (_with(PRORATED_MINIMUM, unit_rate=0.2), "grouped_with_prorated_minimum_config.unit_rate"),
    (_with(MATRIX_WITH_ALLOCATION, allocation=10.0), "matrix_with_allocation_config.allocation"),
    (
        _with(
            DISPLAY_NAME,
            unit_amounts=[{"dimension_value": "a", "display_name": "A", "unit_amount": 0.5}],
        ),
        "matrix_with_display_name_config.unit_amounts.0.unit_amount",
    ),
    (_with(SCALABLE_UNIT, unit_price=0.1), "scalable_matrix_with_unit_pricing_config.unit_price"),
    (
        _with(
            SCALABLE_TIERED,
            matrix_scaling_factors=[{"first_dimension_value": "us", "scaling_factor": 2.0}],
        ),
        "matrix_scaling_factors.0.scaling_factor",
    ),
    (_with(GROUPED_TIERED_PACKAGE, package_size=10.0), "tiered_package_config.package_size"),
    (_with(MAX_GROUP, package_size=10.5), "max_group_tiered_package_config.package_size"),
    (_with(CUMULATIVE_ALLOCATION, group_allocation=1.5), "allocation_config.group_allocation"),
]


@pytest.mark.parametrize(("body", "fragment"), FLOATS)
def test_floats_are_refused_with_their_path(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(FloatNotAllowedError) as caught:
        Price.from_orb(body)
    assert fragment in str(caught.value)
