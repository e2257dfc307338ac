"""The last of Orb's model types: hand-worked examples, zero usage, exact sub-lines,
round trips and validation, model by model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orbcore import ValidationError
from orbcore.pricing import Price, PriceResult, Usage

D = Decimal

Lines = list[tuple[tuple[str | None, ...] | None, Decimal, Decimal]]


def rate(body: dict[str, Any], usage: Usage) -> PriceResult:
    """Rate ``usage`` and check what every result must satisfy."""
    result = Price.from_orb(body).evaluate(usage)
    assert sum((line.amount for line in result.sub_lines), D(0)) == result.amount
    return result


def groups(**quantities: int | str) -> Usage:
    """One-dimension groups: ``groups(eu=70)`` is ``{("eu",): 70}``."""
    return Usage(groups={(key,): D(q) for key, q in quantities.items()})


def lines(result: PriceResult) -> Lines:
    return [(line.grouping, line.quantity, line.amount) for line in result.sub_lines]


def changed(body: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``body`` with config fields replaced; ``...`` removes a field."""
    key = f"{body['model_type']}_config"
    config = {**body[key], **changes}
    return {"model_type": body["model_type"], key: {k: v for k, v in config.items() if v != ...}}


def assert_refused(body: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Price.from_orb(body)
    assert expected in str(caught.value)


def assert_round_trips(body: dict[str, Any]) -> None:
    price = Price.from_orb(body)
    assert Price.from_orb(price.to_orb()) == price
    assert Price.from_orb(price.to_json()) == price
    assert price.to_orb() == body


# cumulative_grouped_bulk

CUMULATIVE_BULK = {
    "model_type": "cumulative_grouped_bulk",
    "cumulative_grouped_bulk_config": {
        "group": "region",
        "dimension_values": [
            {"grouping_key": "eu", "tier_lower_bound": "0", "unit_amount": "1.00"},
            {"grouping_key": "us", "tier_lower_bound": "0", "unit_amount": "2.00"},
            {"grouping_key": "eu", "tier_lower_bound": "100", "unit_amount": "0.80"},
            {"grouping_key": "us", "tier_lower_bound": "100", "unit_amount": "1.50"},
        ],
    },
}


def test_cumulative_bulk_picks_the_tier_by_the_total_of_all_groups() -> None:
    # total 70 + 50 = 120 passes 100: eu 70 x 0.80 = 56.00; us 50 x 1.50 = 75.00
    result = rate(CUMULATIVE_BULK, groups(us=50, eu=70))
    assert result.amount == D("131.00")
    assert result.quantity == 120
    assert lines(result) == [(("eu",), D(70), D("56.00")), (("us",), D(50), D("75.00"))]
    assert result.sub_lines[0].name == "eu: tier 2 (from 100)"


def test_cumulative_bulk_total_on_a_bound_stays_in_the_tier_below() -> None:
    # total exactly 100 does not pass the exclusive bound: eu 70 x 1.00 + us 30 x 2.00
    result = rate(CUMULATIVE_BULK, groups(eu=70, us=30))
    assert result.amount == D("130.00")
    assert [line.unit_amount for line in result.sub_lines] == [D("1.00"), D("2.00")]


def test_cumulative_bulk_shows_a_group_without_rates_at_zero() -> None:
    # jp counts towards the total (105 > 100) but has no rate
    result = rate(CUMULATIVE_BULK, groups(eu=100, jp=5))
    assert result.amount == D("80.00")
    assert lines(result) == [(("eu",), D(100), D("80.00")), (("jp",), D(5), D(0))]
    assert result.sub_lines[1].name == "jp (no price)"


def test_cumulative_bulk_with_no_usage_bills_nothing() -> None:
    result = rate(CUMULATIVE_BULK, Usage())
    assert (result.amount, result.sub_lines) == (0, ())
    assert rate(CUMULATIVE_BULK, groups(eu=0)).amount == 0


def test_cumulative_bulk_round_trips() -> None:
    assert_round_trips(CUMULATIVE_BULK)


_ROW = {"grouping_key": "eu", "tier_lower_bound": "0", "unit_amount": "1"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (changed(CUMULATIVE_BULK, group=...), "cumulative_grouped_bulk_config.group"),
        (changed(CUMULATIVE_BULK, group=""), "cumulative_grouped_bulk_config.group"),
        (changed(CUMULATIVE_BULK, dimension_values=[]), "config.dimension_values"),
        (
            changed(CUMULATIVE_BULK, dimension_values=[{**_ROW, "unit_amount": "-1"}]),
            "cumulative_grouped_bulk_config.dimension_values.0.unit_amount: must not be",
        ),
        (
            changed(CUMULATIVE_BULK, dimension_values=[{**_ROW, "tier_lower_bound": "5"}]),
            "cumulative_grouped_bulk_config.dimension_values.0.tier_lower_bound: leaves a gap",
        ),
        (
            changed(CUMULATIVE_BULK, dimension_values=[_ROW, _ROW]),
            "cumulative_grouped_bulk_config.dimension_values.1: repeats row 0",
        ),
        (
            changed(
                CUMULATIVE_BULK,
                dimension_values=[_ROW, {**_ROW, "grouping_key": "us", "tier_lower_bound": "9"}],
            ),
            "cumulative_grouped_bulk_config.dimension_values: the tier from 0 has no row for us",
        ),
    ],
)
def test_cumulative_bulk_refuses_invalid_configs(body: dict[str, Any], expected: str) -> None:
    assert_refused(body, expected)


# grouped_tiered_matrix

TIERED_MATRIX = {
    "model_type": "grouped_tiered_matrix",
    "grouped_tiered_matrix_config": {
        "dimension": "model",
        "default_unit_amount": "0.05",
        "tiers": [
            {"dimension_value": "gpt", "tier_lower_bound": "0", "unit_amount": "0.02"},
            {"dimension_value": "gpt", "tier_lower_bound": "1000", "unit_amount": "0.01"},
            {"dimension_value": "llama", "tier_lower_bound": "0", "unit_amount": "0.004"},
        ],
    },
}


def test_tiered_matrix_tiers_each_value_against_its_own_rows() -> None:
    # gpt: 1000 x 0.02 + 500 x 0.01 = 25.00; llama: 2000 x 0.004 = 8.000;
    # mistral has no rows: 100 x 0.05 = 5.00
    result = rate(TIERED_MATRIX, groups(llama=2000, mistral=100, gpt=1500))
    assert result.amount == D("38.00")
    assert result.quantity == 3600
    assert lines(result) == [
        (("gpt",), D(1000), D("20.00")),
        (("gpt",), D(500), D("5.00")),
        (("llama",), D(2000), D("8.000")),
        (("mistral",), D(100), D("5.00")),
    ]
    assert [line.name for line in result.sub_lines] == [
        "gpt: tier 1 (0-1000)",
        "gpt: tier 2 (1000-)",
        "llama: tier 1 (0-)",
        "mistral: default rate",
    ]


def test_tiered_matrix_does_not_share_tiers_between_values() -> None:
    # llama's volume does not move gpt into its second tier
    result = rate(TIERED_MATRIX, groups(gpt=600, llama=5000))
    assert lines(result)[0] == (("gpt",), D(600), D("12.00"))


def test_tiered_matrix_with_no_usage_bills_nothing() -> None:
    result = rate(TIERED_MATRIX, Usage())
    assert (result.amount, result.sub_lines) == (0, ())
    assert rate(TIERED_MATRIX, groups(gpt=0)).amount == 0


def test_tiered_matrix_round_trips() -> None:
    assert_round_trips(TIERED_MATRIX)


_GPT = {"dimension_value": "gpt", "tier_lower_bound": "0", "unit_amount": "0.02"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (changed(TIERED_MATRIX, dimension=...), "grouped_tiered_matrix_config.dimension"),
        (changed(TIERED_MATRIX, tiers=[]), "grouped_tiered_matrix_config.tiers"),
        (
            changed(TIERED_MATRIX, default_unit_amount="-1"),
            "grouped_tiered_matrix_config.default_unit_amount: must not be negative",
        ),
        (
            changed(TIERED_MATRIX, tiers=[{**_GPT, "tier_lower_bound": "10"}]),
            "grouped_tiered_matrix_config.tiers.0.tier_lower_bound: leaves a gap",
        ),
        (
            changed(TIERED_MATRIX, tiers=[_GPT, _GPT]),
            "grouped_tiered_matrix_config.tiers.1.tier_lower_bound: leaves an overlap",
        ),
        (
            changed(TIERED_MATRIX, tiers=[{"tier_lower_bound": "0", "unit_amount": "1"}]),
            "grouped_tiered_matrix_config.tiers.0.dimension_value",
        ),
    ],
)
def test_tiered_matrix_refuses_invalid_configs(body: dict[str, Any], expected: str) -> None:
    assert_refused(body, expected)


# matrix_with_threshold_discounts

BLUE_CIRCLE = {
    "first_dimension_value": "blue",
    "second_dimension_value": "circle",
    "unit_amount": "2.00",
}
SHAPES = {
    "cell_coordinates": "blue,circle;green,triangle",
    "threshold_amount": "100.00",
    "below_threshold_discount_percentage": "5",
    "above_threshold_discount_percentage": "20",
    "description": "shapes",
}
THRESHOLD_DISCOUNTS = {
    "model_type": "matrix_with_threshold_discounts",
    "matrix_with_threshold_discounts_config": {
        "first_dimension": "color",
        "second_dimension": "shape",
        "default_unit_amount": "1.00",
        "matrix_values": [
            BLUE_CIRCLE,
            {
                "first_dimension_value": "green",
                "second_dimension_value": "triangle",
                "unit_amount": "3.00",
            },
        ],
        "threshold_discount_groups": [SHAPES],
    },
}


def cells(**quantities: int) -> Usage:
    """Two-dimension cells: ``cells(blue_circle=30)`` is ``{("blue", "circle"): 30}``."""
    return Usage(
        groups={tuple(key.split("_")): D(q) for key, q in quantities.items()},
    )


def test_threshold_discounts_discount_spend_below_and_above_the_threshold() -> None:
    # blue/circle 30 x 2.00 = 60.00; green/triangle 40 x 3.00 = 120.00; red/square
    # 10 x 1.00 = 10.00 (default, outside the group). Group spend 180.00:
    # 100.00 x 5% = 5.00 and 80.00 x 20% = 16.00 off; 190.00 - 21.00 = 169.00
    result = rate(THRESHOLD_DISCOUNTS, cells(red_square=10, green_triangle=40, blue_circle=30))
    assert result.amount == D("169.00")
    assert result.quantity == 80
    assert lines(result) == [
        (("blue", "circle"), D(30), D("60.00")),
        (("green", "triangle"), D(40), D("120.00")),
        (("red", "square"), D(10), D("10.00")),
        (None, D("100.00"), D("-5.00")),
        (None, D("80.00"), D("-16.00")),
    ]
    assert result.sub_lines[3].name == "shapes: 5% off spend at or below 100.00"
    assert result.sub_lines[4].name == "shapes: 20% off spend above 100.00"


def test_threshold_discounts_below_the_threshold_use_only_the_baseline() -> None:
    # 30 x 2.00 = 60.00, all at or below 100.00: 5% off = 3.00
    result = rate(THRESHOLD_DISCOUNTS, cells(blue_circle=30))
    assert result.amount == D("57.00")
    assert len(result.sub_lines) == 2


def test_threshold_discounts_spend_on_the_threshold_is_below_it() -> None:
    # 50 x 2.00 = 100.00 is "at or below": 5% only
    assert rate(THRESHOLD_DISCOUNTS, cells(blue_circle=50)).amount == D("95.00")


def test_threshold_discounts_with_no_usage_bills_nothing() -> None:
    result = rate(THRESHOLD_DISCOUNTS, Usage())
    assert (result.amount, result.sub_lines) == (0, ())


def test_threshold_discounts_without_groups_is_a_plain_matrix() -> None:
    body = changed(THRESHOLD_DISCOUNTS, threshold_discount_groups=...)
    assert rate(body, cells(blue_circle=30, red_square=1)).amount == D("61.00")
    assert_round_trips(body)


def test_threshold_discounts_round_trip() -> None:
    assert_round_trips(THRESHOLD_DISCOUNTS)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (changed(THRESHOLD_DISCOUNTS, first_dimension=...), "discounts_config.first_dimension"),
        (
            changed(THRESHOLD_DISCOUNTS, default_unit_amount="-1"),
            "discounts_config.default_unit_amount: must not be negative",
        ),
        (
            changed(THRESHOLD_DISCOUNTS, second_dimension=...),
            "discounts_config.matrix_values.0.second_dimension_value: is set but",
        ),
        (
            changed(THRESHOLD_DISCOUNTS, matrix_values=[BLUE_CIRCLE, BLUE_CIRCLE]),
            "discounts_config.matrix_values.1: repeats blue, circle",
        ),
        (
            changed(
                THRESHOLD_DISCOUNTS,
                matrix_values=[{"first_dimension_value": "blue", "unit_amount": "1"}],
            ),
            "discounts_config.matrix_values.0.second_dimension_value: is required",
        ),
        (
            changed(
                THRESHOLD_DISCOUNTS,
                threshold_discount_groups=[{**SHAPES, "cell_coordinates": "blue;green"}],
            ),
            "discounts_config.threshold_discount_groups.0.cell_coordinates: needs 2 values",
        ),
        (
            changed(THRESHOLD_DISCOUNTS, threshold_discount_groups=[SHAPES, SHAPES]),
            "threshold_discount_groups.1.cell_coordinates: blue, circle is already in group 0",
        ),
        (
            changed(
                THRESHOLD_DISCOUNTS,
                threshold_discount_groups=[
                    {**SHAPES, "above_threshold_discount_percentage": "120"}
                ],
            ),
            "threshold_discount_groups.0.above_threshold_discount_percentage: must be at most",
        ),
        (
            changed(
                THRESHOLD_DISCOUNTS,
                threshold_discount_groups=[{**SHAPES, "threshold_amount": "-1"}],
            ),
            "threshold_discount_groups.0.threshold_amount: must not be negative",
        ),
    ],
)
def test_threshold_discounts_refuse_invalid_configs(body: dict[str, Any], expected: str) -> None:
    assert_refused(body, expected)


# grouped_with_metered_minimum

METERED_MINIMUM = {
    "model_type": "grouped_with_metered_minimum",
    "grouped_with_metered_minimum_config": {
        "grouping_key": "customer",
        "pricing_key": "model",
        "scaling_key": "region",
        "scaling_factors": [{"scaling_value": "eu", "scaling_factor": "1.5"}],
        "unit_amounts": [
            {"pricing_value": "gpt", "unit_amount": "0.10"},
            {"pricing_value": "llama", "unit_amount": "0.02"},
        ],
        "minimum_unit_amount": "0.05",
    },
}


def keyed(*rows: tuple[str, str, str, int]) -> Usage:
    return Usage(groups={(group, pricing, scaling): D(q) for group, pricing, scaling, q in rows})


def test_metered_minimum_scales_rates_and_raises_each_group_to_its_minimum() -> None:
    # acme: gpt/eu 100 x 0.10 x 1.5 = 15.00; llama/us 100 x 0.02 = 2.00; 17.00 is above
    # its minimum 200 x 0.05 = 10.00. beta: llama/us 200 x 0.02 = 4.00; mistral has no
    # unit amount, so the minimum rate: 10 x 0.05 x 1.5 = 0.75; 4.75 is raised to
    # 210 x 0.05 = 10.50 (+5.75). Total 27.50.
    result = rate(
        METERED_MINIMUM,
        keyed(
            ("beta", "mistral", "eu", 10),
            ("acme", "gpt", "eu", 100),
            ("beta", "llama", "us", 200),
            ("acme", "llama", "us", 100),
        ),
    )
    assert result.amount == D("27.50")
    assert result.quantity == 410
    assert lines(result) == [
        (("acme", "gpt", "eu"), D(100), D("15.00")),
        (("acme", "llama", "us"), D(100), D("2.00")),
        (("beta", "llama", "us"), D(200), D("4.00")),
        (("beta", "mistral", "eu"), D(10), D("0.75")),
        (("beta",), D(0), D("5.75")),
    ]
    assert result.sub_lines[3].name == "beta, mistral, eu: no unit amount: the minimum x 1.5"
    assert result.sub_lines[4].name == "beta: raised to the metered minimum (210 x 0.05)"


def test_metered_minimum_reads_a_key_without_a_scaling_value_at_factor_1() -> None:
    # 100 x 0.02 = 2.00, raised to 100 x 0.05 = 5.00
    result = rate(METERED_MINIMUM, Usage(groups={("acme", "llama"): D(100)}))
    assert lines(result) == [(("acme", "llama", None), D(100), D("2.00")), (("acme",), D(0), D(3))]
    assert result.amount == D("5.00")


def test_metered_minimum_with_no_usage_bills_nothing() -> None:
    result = rate(METERED_MINIMUM, Usage())
    assert (result.amount, result.sub_lines) == (0, ())
    assert rate(METERED_MINIMUM, keyed(("acme", "gpt", "us", 0))).amount == 0


def test_metered_minimum_round_trips() -> None:
    assert_round_trips(METERED_MINIMUM)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (changed(METERED_MINIMUM, pricing_key=...), "metered_minimum_config.pricing_key"),
        (changed(METERED_MINIMUM, scaling_key=""), "metered_minimum_config.scaling_key"),
        (
            changed(METERED_MINIMUM, minimum_unit_amount="-0.05"),
            "metered_minimum_config.minimum_unit_amount: must not be negative",
        ),
        (
            changed(
                METERED_MINIMUM, scaling_factors=[{"scaling_value": "eu", "scaling_factor": "-1"}]
            ),
            "metered_minimum_config.scaling_factors.0.scaling_factor: must not be negative",
        ),
        (
            changed(
                METERED_MINIMUM, unit_amounts=[{"pricing_value": "gpt", "unit_amount": "1"}] * 2
            ),
            "metered_minimum_config.unit_amounts.1: repeats 'gpt'",
        ),
        (
            changed(
                METERED_MINIMUM,
                scaling_factors=[{"scaling_value": "eu", "scaling_factor": "2"}] * 2,
            ),
            "metered_minimum_config.scaling_factors.1: repeats 'eu'",
        ),
    ],
)
def test_metered_minimum_refuses_invalid_configs(body: dict[str, Any], expected: str) -> None:
    assert_refused(body, expected)


# daily_credit_allowance

DAILY_ALLOWANCE = {
    "model_type": "daily_credit_allowance",
    "daily_credit_allowance_config": {
        "event_day_property": "event_day",
        "dimensions": ["model"],
        "default_unit_amount": "1.00",
        "daily_allowance": "100",
        "matrix_values": [{"dimension_values": ["gpt"], "unit_amount": "2.00"}],
    },
}
MARCH_1, MARCH_2 = "2026-03-01", "2026-03-02"


def test_daily_allowance_frees_the_first_credits_of_each_day() -> None:
    # March 1: gpt 40 x 2.00 = 80.00, llama 30 x 1.00 = 30.00; 110.00 - 100 free = 10.00
    # March 2: gpt 20 x 2.00 = 40.00, all free (the 60 left over do not roll over)
    usage = Usage(
        groups={(MARCH_2, "gpt"): D(20), (MARCH_1, "llama"): D(30), (MARCH_1, "gpt"): D(40)}
    )
    result = rate(DAILY_ALLOWANCE, usage)
    assert result.amount == D("10.00")
    assert result.quantity == 90
    assert lines(result) == [
        ((MARCH_1, "gpt"), D(40), D("80.00")),
        ((MARCH_1, "llama"), D(30), D("30.00")),
        ((MARCH_1,), D(0), D(-100)),
        ((MARCH_2, "gpt"), D(20), D("40.00")),
        ((MARCH_2,), D(0), D("-40.00")),
    ]
    assert result.sub_lines[2].name == "2026-03-01: daily allowance of 100"


def test_daily_allowance_does_not_roll_over_to_the_next_day() -> None:
    # Day 1 uses nothing; day 2: 150 x 1.00 = 150.00 - 100 = 50.00, not 150.00 - 200
    usage = Usage(groups={(MARCH_1, "llama"): D(0), (MARCH_2, "llama"): D(150)})
    assert rate(DAILY_ALLOWANCE, usage).amount == D("50.00")


def test_daily_allowance_with_no_usage_bills_nothing() -> None:
    result = rate(DAILY_ALLOWANCE, Usage())
    assert (result.amount, result.sub_lines) == (0, ())


def test_daily_allowance_round_trips() -> None:
    assert_round_trips(DAILY_ALLOWANCE)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            changed(DAILY_ALLOWANCE, event_day_property=...),
            "daily_credit_allowance_config.event_day_property",
        ),
        (
            changed(DAILY_ALLOWANCE, daily_allowance="-1"),
            "daily_credit_allowance_config.daily_allowance: must not be negative",
        ),
        (changed(DAILY_ALLOWANCE, dimensions=[]), "daily_credit_allowance_config.dimensions"),
        (
            changed(DAILY_ALLOWANCE, dimensions=["model", "region"]),
            "daily_credit_allowance_config.matrix_values.0.dimension_values: needs 2 values",
        ),
        (
            changed(
                DAILY_ALLOWANCE,
                matrix_values=[{"dimension_values": ["gpt"], "unit_amount": "1"}] * 2,
            ),
            "daily_credit_allowance_config.matrix_values.1.dimension_values: repeats a cell",
        ),
    ],
)
def test_daily_allowance_refuses_invalid_configs(body: dict[str, Any], expected: str) -> None:
    assert_refused(body, expected)


# metered_allowance

METERED_ALLOWANCE = {
    "model_type": "metered_allowance",
    "metered_allowance_config": {
        "grouping_key": "event_name",
        "consumption_grouping_value": "download",
        "allowance_grouping_value": "storage_snapshot",
        "unit_amount": "0.09",
        "consumption_display_name": "bytes gotten",
        "allowance_display_name": "Up to 3x free egress",
    },
}


def test_metered_allowance_credits_the_allowance_against_consumption() -> None:
    # 500 x 0.09 = 45.00 less 300 x 0.09 = 27.00; "upload" is not part of the price
    result = rate(METERED_ALLOWANCE, groups(download=500, storage_snapshot=300, upload=7))
    assert result.amount == D("18.00")
    assert result.quantity == 500
    assert lines(result) == [
        (("download",), D(500), D("45.00")),
        (("storage_snapshot",), D(300), D("-27.00")),
    ]
    assert [line.name for line in result.sub_lines] == ["bytes gotten", "Up to 3x free egress"]
    assert result.sub_lines[1].unit_amount == D("-0.09")


def test_metered_allowance_credit_is_capped_at_consumption() -> None:
    # allowance 300 > consumption 200: the credit is 200 x 0.09, the amount 0, not -9.00
    result = rate(METERED_ALLOWANCE, groups(download=200, storage_snapshot=300))
    assert result.amount == 0
    assert lines(result)[1] == (("storage_snapshot",), D(200), D("-18.00"))


def test_metered_allowance_with_no_usage_bills_nothing() -> None:
    result = rate(METERED_ALLOWANCE, Usage())
    assert result.amount == 0
    assert [(line.quantity, str(line.amount)) for line in result.sub_lines] == [
        (0, "0.00"),
        (0, "0.00"),
    ]


def test_metered_allowance_without_display_names_uses_plain_names() -> None:
    body = changed(METERED_ALLOWANCE, consumption_display_name=..., allowance_display_name=...)
    result = rate(body, groups(download=10))
    assert [line.name for line in result.sub_lines] == ["consumption", "allowance"]
    assert result.amount == D("0.90")
    assert_round_trips(body)


def test_metered_allowance_round_trips() -> None:
    assert_round_trips(METERED_ALLOWANCE)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (changed(METERED_ALLOWANCE, grouping_key=""), "metered_allowance_config.grouping_key"),
        (
            changed(METERED_ALLOWANCE, allowance_grouping_value=...),
            "metered_allowance_config.allowance_grouping_value",
        ),
        (
            changed(METERED_ALLOWANCE, allowance_grouping_value="download"),
            "metered_allowance_config.allowance_grouping_value: must differ",
        ),
        (
            changed(METERED_ALLOWANCE, unit_amount="-0.09"),
            "metered_allowance_config.unit_amount: must not be negative",
        ),
        (
            changed(METERED_ALLOWANCE, consumption_display_name=3),
            "metered_allowance_config.consumption_display_name",
        ),
    ],
)
def test_metered_allowance_refuses_invalid_configs(body: dict[str, Any], expected: str) -> None:
    assert_refused(body, expected)
