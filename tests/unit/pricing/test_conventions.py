"""Conventions from other billing systems, each option with a hand-worked example."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import ValidationError
from orbcore.pricing import Price, PriceResult, Usage

D = Decimal


def price(model_type: str, **config: Any) -> Price:
    return Price.from_orb({"model_type": model_type, f"{model_type}_config": config})


def amounts(result: PriceResult) -> list[tuple[str, Decimal]]:
    return [(line.name, line.amount) for line in result.sub_lines]


def adds_up(result: PriceResult) -> bool:
    return sum((line.amount for line in result.sub_lines), D(0)) == result.amount


def problem_paths(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [".".join(str(part) for part in problem.path) for problem in error.value.problems]


# 1.00 a unit and a 5.00 fee up to 10 units; 0.50 a unit and a 2.00 fee beyond.
ORB_TIERS = [
    {"first_unit": 0, "last_unit": 10, "unit_amount": "1.00", "flat_amount": "5.00"},
    {"first_unit": 10, "last_unit": None, "unit_amount": "0.50", "flat_amount": "2.00"},
]
# The same cut written with inclusive bounds, as Lago writes its ranges.
INCLUSIVE_TIERS = [
    {"first_unit": 0, "last_unit": 10, "unit_amount": "1.00", "flat_amount": "5.00"},
    {"first_unit": 11, "last_unit": None, "unit_amount": "0.50", "flat_amount": "2.00"},
]

GRADUATED = price("orbcore_graduated", tiers=ORB_TIERS)
GRADUATED_INCLUSIVE = price("orbcore_graduated", tiers=INCLUSIVE_TIERS, tier_bounds="inclusive")
GRADUATED_NO_BASE_FEE = price("orbcore_graduated", tiers=ORB_TIERS, first_flat_at_zero=False)


# Graduated tiers with flat fees


def test_graduated_charges_each_unit_at_its_tier_and_each_entered_tier_its_fee() -> None:
    # 10 x 1.00 + 5.00, then 15 x 0.50 + 2.00.
    result = GRADUATED.evaluate(25)
    assert result.amount == D("24.50")
    assert amounts(result) == [
        ("tier 1 (0-10)", D("10.00")),
        ("tier 1 (0-10) flat fee", D("5.00")),
        ("tier 2 (10-)", D("7.50")),
        ("tier 2 (10-) flat fee", D("2.00")),
    ]
    assert adds_up(result)


def test_graduated_usage_at_a_bound_does_not_enter_the_next_tier() -> None:
    assert GRADUATED.evaluate(10).amount == D("15.00")
    assert GRADUATED.evaluate(11).amount == D("17.50")  # 10 + 5 + 0.50 + 2


def test_graduated_first_flat_fee_is_due_at_zero_usage_by_default() -> None:
    result = GRADUATED.evaluate(0)
    assert result.amount == D("5.00")
    assert amounts(result) == [("tier 1 (0-10)", D("0.00")), ("tier 1 (0-10) flat fee", D("5.00"))]


def test_graduated_first_flat_fee_can_wait_for_usage() -> None:
    assert GRADUATED_NO_BASE_FEE.evaluate(0).amount == D("0.00")
    assert amounts(GRADUATED_NO_BASE_FEE.evaluate(0)) == [("tier 1 (0-10)", D("0.00"))]
    assert GRADUATED_NO_BASE_FEE.evaluate(1).amount == D("6.00")


def test_graduated_inclusive_bounds_read_lago_ranges_as_meant() -> None:
    # 0-10 then 11-: unit 11 is the first of tier 2, so 10 units are in tier 1.
    assert GRADUATED_INCLUSIVE.evaluate(10).amount == D("15.00")
    assert GRADUATED_INCLUSIVE.evaluate(11).amount == D("17.50")
    result = GRADUATED_INCLUSIVE.evaluate(D("10.5"))  # between the written bounds: tier 2
    assert amounts(result)[2:] == [
        ("tier 2 (11-)", D("0.250")),
        ("tier 2 (11-) flat fee", D("2.00")),
    ]
    assert result.amount == D("17.250")


@pytest.mark.parametrize("quantity", ["0", "1", "10", "10.5", "11", "20", "1000"])
def test_graduated_bound_styles_cut_the_same_quantities(quantity: str) -> None:
    assert GRADUATED.evaluate(quantity).amount == GRADUATED_INCLUSIVE.evaluate(quantity).amount


def test_graduated_inclusive_middle_tier_holds_its_written_units() -> None:
    tiers = [
        {"first_unit": 0, "last_unit": 100, "unit_amount": "1.00"},
        {"first_unit": 101, "last_unit": 200, "unit_amount": "0.50", "flat_amount": "10.00"},
        {"first_unit": 201, "last_unit": None, "unit_amount": "0.25"},
    ]
    result = price("orbcore_graduated", tiers=tiers, tier_bounds="inclusive").evaluate(250)
    # 100 x 1.00, 100 x 0.50 + 10.00, 50 x 0.25.
    assert [line.quantity for line in result.sub_lines] == [100, 100, 1, 50]
    assert result.amount == D("172.50")


@pytest.mark.parametrize("quantity", [0, 5, 10000, 10001, 150000])
def test_graduated_without_flat_fees_matches_orbs_tiered(quantity: int) -> None:
    tiers = [
        {"first_unit": 0, "last_unit": 10000, "unit_amount": "0.001"},
        {"first_unit": 10000, "last_unit": 100000, "unit_amount": "0.0008"},
        {"first_unit": 100000, "last_unit": None, "unit_amount": "0.0005"},
    ]
    ours = price("orbcore_graduated", tiers=tiers).evaluate(quantity)
    orbs = price("tiered", tiers=tiers).evaluate(quantity)
    assert ours.amount == orbs.amount
    assert ours.sub_lines == orbs.sub_lines


@pytest.mark.parametrize(
    "config",
    [
        {"tiers": ORB_TIERS},
        {"tiers": INCLUSIVE_TIERS, "tier_bounds": "inclusive", "first_flat_at_zero": False},
    ],
)
def test_graduated_round_trips_through_orb_json(config: dict[str, Any]) -> None:
    original = price("orbcore_graduated", **config)
    assert Price.from_orb(original.to_orb()) == original
    assert Price.from_orb(original.to_json()) == original
    assert original.to_orb()["orbcore_graduated_config"] == config


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"tiers": INCLUSIVE_TIERS}, "tiers.1.first_unit"),  # Lago ranges read as Orb's: gap
        ({"tiers": ORB_TIERS, "tier_bounds": "inclusive"}, "tiers.1.first_unit"),  # overlap
        ({"tiers": ORB_TIERS, "tier_bounds": "exclusive"}, "tier_bounds"),
        ({"tiers": ORB_TIERS, "first_flat_at_zero": "sometimes"}, "first_flat_at_zero"),
        ({"tiers": [{**ORB_TIERS[0], "last_unit": 10}]}, "tiers.0.last_unit"),  # closed last
        ({"tiers": [{**ORB_TIERS[0], "last_unit": 0}, ORB_TIERS[1]]}, "tiers.0.last_unit"),
        ({"tiers": [{**ORB_TIERS[0], "flat_amount": "-1"}, ORB_TIERS[1]]}, "tiers.0.flat_amount"),
        ({"tiers": []}, "tiers"),
        ({"tiers": ORB_TIERS, "flat_amount": "5"}, "flat_amount"),
    ],
)
def test_graduated_invalid_configurations_name_the_field(config: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        price("orbcore_graduated", **config)
    assert f"orbcore_graduated_config.{path}" in problem_paths(error)


# Volume tiers with flat fees

VOLUME = price("orbcore_volume", tiers=ORB_TIERS)
VOLUME_INCLUSIVE = price("orbcore_volume", tiers=INCLUSIVE_TIERS, tier_bounds="inclusive")


def test_volume_prices_every_unit_at_the_reached_tier_plus_its_flat_fee() -> None:
    # 25 units reach tier 2: 25 x 0.50 + 2.00; tier 1 charges nothing.
    result = VOLUME.evaluate(25)
    assert amounts(result) == [
        ("tier 2 (10-), all units", D("12.50")),
        ("tier 2 (10-) flat fee", D("2.00")),
    ]
    assert result.amount == D("14.50")
    assert adds_up(result)


def test_volume_usage_at_a_bound_stays_in_the_lower_tier() -> None:
    assert VOLUME.evaluate(10).amount == D("15.00")  # 10 x 1.00 + 5.00
    assert VOLUME.evaluate(11).amount == D("7.50")  # 11 x 0.50 + 2.00


def test_volume_zero_usage_owes_the_first_flat_fee_by_default() -> None:
    result = VOLUME.evaluate(0)
    assert amounts(result) == [
        ("tier 1 (0-10), all units", D("0.00")),
        ("tier 1 (0-10) flat fee", D("5.00")),
    ]
    waiting = price("orbcore_volume", tiers=ORB_TIERS, first_flat_at_zero=False)
    assert waiting.evaluate(0).amount == D("0.00")
    assert waiting.evaluate(1).amount == D("6.00")


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("10", "15.00"), ("10.5", "7.250"), ("11", "7.50"), ("0", "5.00")],
)
def test_volume_inclusive_bounds_put_a_quantity_between_tiers_in_the_upper_one(
    quantity: str, expected: str
) -> None:
    assert VOLUME_INCLUSIVE.evaluate(quantity).amount == D(expected)
    assert VOLUME.evaluate(quantity).amount == D(expected)


@pytest.mark.parametrize("quantity", [0, 10, 11, 1000])
def test_volume_without_flat_fees_matches_orbs_bulk(quantity: int) -> None:
    tiers = [
        {"first_unit": 0, "last_unit": 10, "unit_amount": "0.50"},
        {"first_unit": 10, "last_unit": None, "unit_amount": "0.40"},
    ]
    bulk = price(
        "bulk", tiers=[{"maximum_units": 10, "unit_amount": "0.50"}, {"unit_amount": "0.40"}]
    )
    assert price("orbcore_volume", tiers=tiers).evaluate(quantity).amount == (
        bulk.evaluate(quantity).amount
    )


def test_volume_round_trips_through_orb_json() -> None:
    for original in (VOLUME, VOLUME_INCLUSIVE):
        assert Price.from_orb(original.to_orb()) == original
        assert Price.from_orb(original.to_json()) == original
    assert VOLUME_INCLUSIVE.to_orb()["orbcore_volume_config"] == {
        "tiers": INCLUSIVE_TIERS,
        "tier_bounds": "inclusive",
    }


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({"tiers": INCLUSIVE_TIERS}, "tiers.1.first_unit"),
        ({"tiers": ORB_TIERS, "tier_bounds": "inclusive"}, "tiers.1.first_unit"),
        ({"tiers": ORB_TIERS, "tier_bounds": "up_to"}, "tier_bounds"),
        ({"tiers": [ORB_TIERS[1], ORB_TIERS[0]]}, "tiers.0.last_unit"),  # open tier first
        ({"tiers": [{**ORB_TIERS[0], "unit_amount": "x"}, ORB_TIERS[1]]}, "tiers.0.unit_amount"),
    ],
)
def test_volume_invalid_configurations_name_the_field(config: dict[str, Any], path: str) -> None:
    with pytest.raises(ValidationError) as error:
        price("orbcore_volume", **config)
    assert f"orbcore_volume_config.{path}" in problem_paths(error)


# Packages with free units


def package(**options: Any) -> Price:
    return price("orbcore_package", package_amount="1.00", package_size=5, **options)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(0, "0.00"), (10, "0.00"), (11, "1.00"), (15, "1.00"), (16, "2.00"), (40, "6.00")],
)
def test_package_bills_whole_packages_after_the_free_units(quantity: int, expected: str) -> None:
    # 10 free units, then packages of 5 at 1.00: 16 units leave 6, two packages.
    assert package(free_units=10).evaluate(quantity).amount == D(expected)


def test_package_sub_lines_show_the_free_units_and_the_packages() -> None:
    result = package(free_units=10).evaluate(16)
    assert [(line.name, line.quantity, line.amount) for line in result.sub_lines] == [
        ("free units", 10, D(0)),
        ("packages of 5", 2, D("2.00")),
    ]
    assert adds_up(result)


def test_package_zero_usage_bills_no_package_by_default() -> None:
    assert package().evaluate(0).amount == D("0.00")
    assert (
        package().evaluate(0).sub_lines
        == price("package", package_amount="1.00", package_size=5).evaluate(0).sub_lines
    )


@pytest.mark.parametrize(
    ("quantity", "expected"), [(0, "1.00"), (3, "1.00"), (10, "1.00"), (11, "1.00"), (16, "2.00")]
)
def test_package_can_bill_one_package_when_nothing_is_left_to_bill(
    quantity: int, expected: str
) -> None:
    # With 10 free units, usage up to 10 leaves nothing to bill: one package all the same.
    result = package(free_units=10, one_package_at_zero=True).evaluate(quantity)
    assert result.amount == D(expected)
    assert adds_up(result)


def test_package_one_package_at_zero_shows_as_its_own_sub_line() -> None:
    result = package(one_package_at_zero=True).evaluate(0)
    assert amounts(result) == [("packages of 5", D("0.00")), ("at least one package", D("1.00"))]


@pytest.mark.parametrize("quantity", [0, 1, 4, 5, 6, 99])
def test_package_without_options_matches_orbs_package(quantity: int) -> None:
    orbs = price("package", package_amount="1.00", package_size=5)
    assert package().evaluate(quantity) == orbs.evaluate(quantity)._replace(
        model_type="orbcore_package"
    )


def test_package_round_trips_through_orb_json() -> None:
    for original in (package(), package(free_units=D("2.5"), one_package_at_zero=True)):
        assert Price.from_orb(original.to_orb()) == original
        assert Price.from_orb(original.to_json()) == original
    assert package(free_units=10).to_orb()["orbcore_package_config"] == {
        "package_amount": "1.00",
        "package_size": 5,
        "free_units": 10,
    }


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"free_units": -1}, "free_units"),
        ({"free_units": "x"}, "free_units"),
        ({"one_package_at_zero": "yes please"}, "one_package_at_zero"),
        ({"package_size": 0}, "package_size"),
        ({"package_amount": "-1.00"}, "package_amount"),
        ({"free_package": 1}, "free_package"),
    ],
)
def test_package_invalid_configurations_name_the_field(options: dict[str, Any], path: str) -> None:
    config = {"package_amount": "1.00", "package_size": 5, **options}
    with pytest.raises(ValidationError) as error:
        price("orbcore_package", **config)
    assert f"orbcore_package_config.{path}" in problem_paths(error)


# Percentage of each transaction


def percentage(**options: Any) -> Price:
    return price("orbcore_percentage", amount_key="total", percent="2", **options)


def payments(*totals: str) -> Usage:
    return Usage(events=[{"total": value} for value in totals])


def test_percentage_charges_each_transaction_its_share_and_fixed_fee() -> None:
    # 2% of 100 and of 50, plus 0.30 twice: 2.00 + 1.00 + 0.60.
    result = percentage(fixed_amount="0.30").evaluate(payments("100", "50"))
    assert amounts(result) == [("2% of total", D("3.00")), ("fixed fee per transaction", D("0.60"))]
    assert result.amount == D("3.60")
    assert result.quantity == D(150)


def test_percentage_free_transactions_pay_nothing() -> None:
    result = percentage(fixed_amount="0.30", free_transactions=2).evaluate(
        payments("100", "50", "10")
    )
    # Only the third pays: 0.20 + 0.30.
    assert amounts(result)[0] == ("free allowance (2 transactions)", D(0))
    assert result.sub_lines[0].quantity == D(150)
    assert result.amount == D("0.50")


def test_percentage_transaction_straddling_the_free_amount_pays_on_its_excess_only() -> None:
    # 120 free: the first 100 is free, 20 of the second 50 is free, its other 30 pays
    # 2% (0.60) and no fixed fee; the third pays 2% of 10 plus 0.30.
    result = percentage(fixed_amount="0.30", free_amount="120").evaluate(
        payments("100", "50", "10")
    )
    assert [(line.name, line.quantity, line.amount) for line in result.sub_lines] == [
        ("free allowance (2 transactions)", D(120), D(0)),
        ("2% of total", D(40), D("0.80")),
        ("fixed fee per transaction", D(1), D("0.30")),
    ]
    assert result.amount == D("1.10")


def test_percentage_allowance_ends_when_either_limit_runs_out() -> None:
    # 5 free transactions but only 60 free: the amount runs out during the second.
    by_amount = percentage(free_transactions=5, free_amount="60").evaluate(
        payments("50", "50", "50")
    )
    assert by_amount.amount == D("1.80")  # 2% of 40 + 2% of 50
    # 1000 free but a single free transaction: the count runs out first.
    by_count = percentage(free_transactions=1, free_amount="1000").evaluate(
        payments("50", "50", "50")
    )
    assert by_count.amount == D("2.00")


def test_percentage_minimum_and_maximum_apply_to_each_transaction() -> None:
    config = {"fixed_amount": "0.30", "per_transaction_min_amount": "0.50"}
    result = percentage(**config, per_transaction_max_amount="5.00").evaluate(
        payments("5", "100", "1000")
    )
    # 0.40 raised to 0.50; 2.30 as is; 20.30 capped at 5.00.
    assert amounts(result) == [
        ("2% of total", D("22.10")),
        ("fixed fee per transaction", D("0.90")),
        ("raised to the per-transaction minimum", D("0.10")),
        ("capped at the per-transaction maximum", D("-15.30")),
    ]
    assert result.amount == D("7.80")
    assert adds_up(result)


def test_percentage_worked_example_with_every_option() -> None:
    config = {
        "fixed_amount": "0.30",
        "free_transactions": 3,
        "free_amount": "150",
        "per_transaction_min_amount": "0.50",
        "per_transaction_max_amount": "5.00",
    }
    result = percentage(**config).evaluate(payments("100", "80", "10", "10", "500", "1000"))
    # 100 free; 80 straddles: 30 pays 0.60; 0.50, 0.50; 10.30 and 20.30 capped at 5.00.
    assert result.amount == D("11.60")
    assert adds_up(result)


def test_percentage_wholly_free_transactions_escape_the_minimum() -> None:
    result = percentage(free_transactions=1, per_transaction_min_amount="1.00").evaluate(
        payments("10")
    )
    assert result.amount == D("0.00")


def test_percentage_zero_usage_costs_nothing() -> None:
    result = percentage(fixed_amount="0.30", per_transaction_min_amount="1").evaluate(Usage())
    assert result.amount == D(0)
    assert adds_up(result)


def test_percentage_event_without_its_amount_is_named() -> None:
    with pytest.raises(ValidationError) as error:
        percentage().evaluate(Usage(events=[{"total": "1"}, {"amount": "5"}]))
    assert problem_paths(error) == ["events.1.total"]


def test_percentage_round_trips_through_orb_json() -> None:
    config = {
        "fixed_amount": "0.30",
        "free_transactions": 3,
        "free_amount": "150",
        "per_transaction_min_amount": "0.50",
        "per_transaction_max_amount": "5.00",
    }
    for original in (percentage(), percentage(**config)):
        assert Price.from_orb(original.to_orb()) == original
        assert Price.from_orb(original.to_json()) == original
    body = percentage(**config).to_orb()["orbcore_percentage_config"]
    assert body == {"amount_key": "total", "percent": "2", **config}


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({"percent": "101"}, "percent"),
        ({"percent": "-1"}, "percent"),
        ({"amount_key": ""}, "amount_key"),
        ({"free_transactions": D("1.5")}, "free_transactions"),
        ({"free_amount": "-5"}, "free_amount"),
        (
            {"per_transaction_min_amount": "5", "per_transaction_max_amount": "1"},
            "per_transaction_max_amount",
        ),
        ({"fixed_fee": "1"}, "fixed_fee"),
    ],
)
def test_percentage_invalid_configurations_name_the_field(
    options: dict[str, Any], path: str
) -> None:
    config = {"amount_key": "total", "percent": "2", **options}
    with pytest.raises(ValidationError) as error:
        price("orbcore_percentage", **config)
    assert f"orbcore_percentage_config.{path}" in problem_paths(error)


amounts_st = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


@st.composite
def graduated_prices(draw: st.DrawFn) -> Price:
    widths = draw(st.lists(st.integers(min_value=1, max_value=50), max_size=4))
    inclusive = draw(st.booleans())
    tiers, first = [], 0
    for width in [*widths, None]:
        last = None if width is None else first + width
        tier = {"first_unit": first, "last_unit": last, "unit_amount": str(draw(amounts_st))}
        tier["flat_amount"] = str(draw(amounts_st))
        tiers.append(tier)
        if last is not None:
            first = last + 1 if inclusive else last
    return price(
        "orbcore_graduated",
        tiers=tiers,
        tier_bounds="inclusive" if inclusive else "orb",
        first_flat_at_zero=draw(st.booleans()),
    )


quantities = st.decimals(min_value=0, max_value=400, places=1, allow_nan=False)


@given(graduated_prices(), quantities, quantities)
def test_graduated_amount_never_decreases_as_quantity_grows(
    graduated: Price, a: Decimal, b: Decimal
) -> None:
    low, high = sorted((a, b))
    low_result, high_result = graduated.evaluate(low), graduated.evaluate(high)
    assert low_result.amount <= high_result.amount
    assert adds_up(low_result)
    assert adds_up(high_result)
