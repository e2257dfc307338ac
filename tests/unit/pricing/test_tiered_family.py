"""Tiered variants: threshold totals, package tiers, minimums, filters, allocations,
proration and the legacy basis-point models, each with a hand-worked example."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orbcore import FloatNotAllowedError, ValidationError
from orbcore.pricing import Price, PriceResult, Usage

D = Decimal


def price(model_type: str, **config: Any) -> Price:
    return Price.from_orb({"model_type": model_type, f"{model_type}_config": config})


def lines_of(result: PriceResult) -> list[tuple[Decimal, Decimal]]:
    return [(line.quantity, line.amount) for line in result.sub_lines]


def adds_up(result: PriceResult) -> bool:
    return sum((line.amount for line in result.sub_lines), D(0)) == result.amount


THRESHOLD = price(
    "threshold_total_amount",
    consumption_table=[
        {"threshold": "0", "total_amount": "10.00"},
        {"threshold": "100", "total_amount": "50.00"},
        {"threshold": "1000", "total_amount": "300.00"},
    ],
)

TIERED_PACKAGE = price(
    "tiered_package",
    package_size="10",
    tiers=[
        {"tier_lower_bound": "0", "per_unit": "5.00"},
        {"tier_lower_bound": "50", "per_unit": "4.00"},
    ],
)

TIERED_WITH_MINIMUM = price(
    "tiered_with_minimum",
    tiers=[
        {"tier_lower_bound": "0", "unit_amount": "1.00", "minimum_amount": "20.00"},
        {"tier_lower_bound": "100", "unit_amount": "0.50", "minimum_amount": "150.00"},
    ],
)

TIERED_PACKAGE_WITH_MINIMUM = price(
    "tiered_package_with_minimum",
    package_size=5,
    tiers=[
        {"tier_lower_bound": "0", "per_unit": "2.00", "minimum_amount": "10.00"},
        {"tier_lower_bound": "20", "per_unit": "1.50", "minimum_amount": "40.00"},
    ],
)

BULK_WITH_FILTERS = price(
    "bulk_with_filters",
    filters=[
        {"property_key": "region", "property_value": "us-east-1"},
        {"property_key": "environment", "property_value": "production"},
    ],
    tiers=[
        {"tier_lower_bound": "0", "unit_amount": "1.00"},
        {"tier_lower_bound": "100", "unit_amount": "0.80"},
    ],
)

PACKAGE_WITH_ALLOCATION = price(
    "package_with_allocation", allocation="100", package_amount="5.00", package_size="50"
)

UNIT_WITH_PERCENT = price("unit_with_percent", percent="20", unit_amount="2.50")

UNIT_WITH_PRORATION = price("unit_with_proration", unit_amount="3.00")

TIERED_WITH_PRORATION = price(
    "tiered_with_proration",
    tiers=[
        {"tier_lower_bound": "0", "unit_amount": "1.00"},
        {"tier_lower_bound": "10", "unit_amount": "0.50"},
    ],
)

BULK_WITH_PRORATION = price(
    "bulk_with_proration",
    tiers=[{"unit_amount": "1.00"}, {"tier_lower_bound": "100", "unit_amount": "0.80"}],
)

QUANTITY_PRICES = [
    THRESHOLD,
    TIERED_PACKAGE,
    TIERED_WITH_MINIMUM,
    TIERED_PACKAGE_WITH_MINIMUM,
    PACKAGE_WITH_ALLOCATION,
    UNIT_WITH_PERCENT,
    UNIT_WITH_PRORATION,
    TIERED_WITH_PRORATION,
    BULK_WITH_PRORATION,
]

BPS = price("bps", bps=25, per_unit_maximum="25.00")

BULK_BPS = price(
    "bulk_bps",
    tiers=[
        {"maximum_amount": "1000000.00", "bps": 125, "per_unit_maximum": "19.00"},
        {"maximum_amount": None, "bps": 115, "per_unit_maximum": "4.00"},
    ],
)

TIERED_BPS = price(
    "tiered_bps",
    tiers=[
        {"minimum_amount": "0", "maximum_amount": "1000", "bps": 100, "per_unit_maximum": "5.00"},
        {"minimum_amount": "1000", "bps": D("50")},
    ],
)

EVENT_PRICES = [BULK_WITH_FILTERS, BPS, BULK_BPS, TIERED_BPS]
ALL_PRICES = [*QUANTITY_PRICES, *EVENT_PRICES]


# threshold_total_amount


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [("0", "0"), ("1", "10.00"), ("100", "10.00"), ("150", "50.00"), ("1000.5", "300.00")],
)
def test_threshold_total_charges_the_total_of_the_highest_threshold_passed(
    quantity: str, expected: str
) -> None:
    result = THRESHOLD.evaluate(D(quantity))
    assert result.amount == D(expected)
    assert lines_of(result) == [(D(quantity), D(expected))]


def test_threshold_totals_are_not_added_up() -> None:
    assert THRESHOLD.evaluate(5000).amount == D("300.00")


# tiered_package


def test_tiered_package_rounds_up_to_packages_then_tiers_them() -> None:
    # 73 units -> 80 (8 packages of 10): 5 packages in 0-50 at 5.00, 3 above 50 at 4.00.
    result = TIERED_PACKAGE.evaluate(73)
    assert result.amount == D("37.00")
    assert lines_of(result) == [(D(5), D("25.00")), (D(3), D("12.00"))]
    assert "tier 2 (50-), packages of 10: 3 x 4.00 = 12.00" in str(result)


def test_tiered_package_starts_a_package_with_its_first_unit() -> None:
    assert TIERED_PACKAGE.evaluate(1).amount == D("5.00")
    assert TIERED_PACKAGE.evaluate(50).amount == D("25.00")
    assert TIERED_PACKAGE.evaluate(51).amount == D("29.00")


# tiered_with_minimum


@pytest.mark.parametrize(
    ("quantity", "expected", "lines"),
    [
        (0, "20.00", [(0, "0"), (0, "20.00")]),
        (10, "20.00", [(10, "10.00"), (0, "10.00")]),
        (150, "150.00", [(100, "100.00"), (50, "25.00"), (0, "25.00")]),
        (300, "200.00", [(100, "100.00"), (200, "100.00")]),
    ],
)
def test_tiered_with_minimum_raises_the_tiers_to_the_reached_tier_minimum(
    quantity: int, expected: str, lines: list[tuple[int, str]]
) -> None:
    result = TIERED_WITH_MINIMUM.evaluate(quantity)
    assert result.amount == D(expected)
    assert lines_of(result) == [(D(q), D(a)) for q, a in lines]


def test_tiered_with_minimum_can_hide_zero_amount_tiers() -> None:
    free_first = price(
        "tiered_with_minimum",
        hide_zero_amount_tiers=True,
        tiers=[
            {"tier_lower_bound": "0", "unit_amount": "0", "minimum_amount": "0"},
            {"tier_lower_bound": "10", "unit_amount": "2", "minimum_amount": "0"},
        ],
    )
    result = free_first.evaluate(15)
    assert lines_of(result) == [(D(5), D(10))]
    assert free_first.evaluate(0).sub_lines == ()


# tiered_package_with_minimum


@pytest.mark.parametrize(
    ("quantity", "expected", "lines"),
    [
        (0, "10.00", [(0, "0"), (0, "10.00")]),
        (3, "10.00", [(1, "2.00"), (0, "8.00")]),
        (33, "40.00", [(4, "8.00"), (3, "4.50"), (0, "27.50")]),
        (200, "62.00", [(4, "8.00"), (36, "54.00")]),
    ],
)
def test_tiered_package_with_minimum_rounds_tiers_and_raises_to_the_minimum(
    quantity: int, expected: str, lines: list[tuple[int, str]]
) -> None:
    result = TIERED_PACKAGE_WITH_MINIMUM.evaluate(quantity)
    assert result.amount == D(expected)
    assert lines_of(result) == [(D(q), D(a)) for q, a in lines]


# bulk_with_filters

MATCHING = {"region": "us-east-1", "environment": "production"}


def events(matching: int, other: int) -> Usage:
    others = [{"region": "us-east-1", "environment": "staging"}, {"region": "eu-west-1"}]
    return Usage(events=[MATCHING] * matching + [others[i % 2] for i in range(other)])


def test_orb_bulk_with_filters_example_75_of_150_events_cost_60() -> None:
    result = BULK_WITH_FILTERS.evaluate(events(75, 75))
    assert result.amount == D("60.00")
    assert result.quantity == 75
    assert lines_of(result) == [(D(75), D("60.00"))]
    assert result.sub_lines[0].unit_amount == D("0.80")


@pytest.mark.parametrize(
    ("matching", "other", "expected"),
    [(0, 0, "0"), (40, 59, "40.00"), (40, 60, "32.00"), (0, 150, "0")],
)
def test_bulk_with_filters_rate_follows_all_events_and_lower_bounds_are_inclusive(
    matching: int, other: int, expected: str
) -> None:
    result = BULK_WITH_FILTERS.evaluate(events(matching, other))
    assert result.amount == D(expected)
    assert adds_up(result)


def test_bulk_with_filters_compares_values_as_text_and_needs_every_filter() -> None:
    usage = Usage(
        events=[
            {"region": "us-east-1", "environment": "production", "n": 1},
            {"region": "us-east-1"},
            {"region": "us-east-1", "environment": None},
        ]
    )
    assert BULK_WITH_FILTERS.evaluate(usage).quantity == 1
    numeric = price(
        "bulk_with_filters",
        filters=[{"property_key": "tier", "property_value": "2"}],
        tiers=[{"unit_amount": "1"}, {"tier_lower_bound": "5", "unit_amount": "0.5"}],
    )
    assert numeric.evaluate(Usage(events=[{"tier": 2}, {"tier": "2"}, {"tier": 3}])).amount == 2


# package_with_allocation


@pytest.mark.parametrize(
    ("quantity", "expected", "lines"),
    [
        (0, "0", [(0, "0"), (0, "0")]),
        (60, "0", [(60, "0"), (0, "0")]),
        (100, "0", [(100, "0"), (0, "0")]),
        (101, "5.00", [(100, "0"), (1, "5.00")]),
        (180, "10.00", [(100, "0"), (2, "10.00")]),
    ],
)
def test_package_with_allocation_bills_whole_packages_after_the_allocation(
    quantity: int, expected: str, lines: list[tuple[int, str]]
) -> None:
    result = PACKAGE_WITH_ALLOCATION.evaluate(quantity)
    assert result.amount == D(expected)
    assert lines_of(result) == [(D(q), D(a)) for q, a in lines]


# unit_with_percent


def test_unit_with_percent_charges_the_percent_of_the_unit_total() -> None:
    # 10 x 2.50 = 25.00, and 20% of it is 5.00.
    result = UNIT_WITH_PERCENT.evaluate(10)
    assert result.amount == D("5.00")
    assert result.sub_lines[0].unit_amount == D("0.50")
    assert lines_of(result) == [(D(10), D("5.00"))]
    assert UNIT_WITH_PERCENT.evaluate(0).amount == 0


# the proration models rate a full period


def test_unit_with_proration_rates_a_full_period() -> None:
    assert lines_of(UNIT_WITH_PRORATION.evaluate(4)) == [(D(4), D("12.00"))]
    assert UNIT_WITH_PRORATION.evaluate(0).amount == 0


def test_tiered_with_proration_is_graduated() -> None:
    result = TIERED_WITH_PRORATION.evaluate(25)
    assert result.amount == D("17.50")
    assert lines_of(result) == [(D(10), D("10.00")), (D(15), D("7.50"))]
    assert TIERED_WITH_PRORATION.evaluate(0).amount == 0


@pytest.mark.parametrize(
    ("quantity", "expected"), [(0, "0"), (99, "99.00"), (100, "80.00"), (250, "200.00")]
)
def test_bulk_with_proration_prices_every_unit_at_the_reached_tier(
    quantity: int, expected: str
) -> None:
    result = BULK_WITH_PRORATION.evaluate(quantity)
    assert result.amount == D(expected)
    assert lines_of(result) == [(D(quantity), D(expected))]


# bps, bulk_bps, tiered_bps: each event's value is under "amount"


def payments(*amounts: str | int) -> Usage:
    return Usage(events=[{"amount": amount, "id": str(i)} for i, amount in enumerate(amounts)])


def test_bps_charges_each_event_capped_at_the_per_unit_maximum() -> None:
    # 0.25% of 1000 = 2.50; of 20000 = 50.00, capped at 25.00; of 400 = 1.00.
    result = BPS.evaluate(payments("1000.00", "20000.00", 400))
    assert result.amount == D("28.50")
    assert result.quantity == D("21400.00")
    assert lines_of(result) == [(D("21400.00"), D("53.50")), (D(1), D("-25.00"))]
    assert BPS.evaluate(Usage()).amount == 0


def test_bulk_bps_picks_one_tier_by_the_period_total() -> None:
    # 2500 in total, tier 1 (1.25%, cap 19.00): 2000 -> 25.00 capped at 19.00; 500 -> 6.25.
    low = BULK_BPS.evaluate(payments(2000, 500))
    assert low.amount == D("25.25")
    assert lines_of(low) == [(D(2500), D("31.25")), (D(1), D("-6.00"))]
    # 1000200 in total, tier 2 (1.15%, cap 4.00): 1000000 -> 4.00; 200 -> 2.30.
    high = BULK_BPS.evaluate(payments(1000000, 200))
    assert high.amount == D("6.30")
    assert BULK_BPS.evaluate(Usage()).amount == 0


def test_tiered_bps_grades_each_event_by_its_addition_to_the_period_total() -> None:
    # 600: tier 1, 6.00 capped at 5.00. 800 (600->1400): 400 in tier 1 = 4.00, 400 in
    # tier 2 = 2.00. 300 (1400->1700): tier 2, 1.50.
    result = TIERED_BPS.evaluate(payments(600, 800, 300))
    assert result.amount == D("12.50")
    assert result.quantity == 1700
    assert lines_of(result) == [
        (D(1000), D("10.00")),
        (D(1), D("-1.00")),
        (D(700), D("3.50")),
    ]
    assert lines_of(TIERED_BPS.evaluate(Usage())) == [(D(0), D(0))]


@pytest.mark.parametrize("p", [BPS, BULK_BPS, TIERED_BPS], ids=lambda p: p.model_type)
def test_bps_events_need_an_exact_non_negative_amount(p: Price) -> None:
    with pytest.raises(ValidationError, match=r"events\.1\.amount: is required"):
        p.evaluate(Usage(events=[{"amount": "1"}, {"value": "2"}]))
    with pytest.raises(ValidationError, match=r"events\.0\.amount: must not be negative"):
        p.evaluate(payments("-1"))
    with pytest.raises(FloatNotAllowedError, match=r"events\.0\.amount"):
        p.evaluate(Usage(events=[{"amount": 1.5}]))


@pytest.mark.parametrize("p", EVENT_PRICES, ids=lambda p: p.model_type)
@pytest.mark.parametrize(
    "amounts",
    [(), ("0",), ("999.99", "0.01", "1"), ("5000", "1000000", "3.333"), ("1",) * 150],
)
def test_event_sub_lines_add_up_to_the_amount(p: Price, amounts: tuple[str, ...]) -> None:
    events = [{"amount": a, **MATCHING} for a in amounts]
    assert adds_up(p.evaluate(Usage(events=events)))


# every model


@pytest.mark.parametrize("p", QUANTITY_PRICES, ids=lambda p: p.model_type)
@pytest.mark.parametrize("quantity", ["0", "1", "7.5", "99", "100", "101", "12345.678"])
def test_sub_lines_add_up_to_the_amount(p: Price, quantity: str) -> None:
    assert adds_up(p.evaluate(D(quantity)))


@pytest.mark.parametrize("p", ALL_PRICES, ids=lambda p: p.model_type)
def test_prices_round_trip_through_orb_json(p: Price) -> None:
    assert Price.from_orb(p.to_orb()) == p
    assert Price.from_orb(p.to_json()) == p
    assert Price.from_orb(p.to_json()).to_orb() == p.to_orb()


def test_bounds_and_amounts_are_written_as_orb_writes_them() -> None:
    assert TIERED_PACKAGE.to_orb()["tiered_package_config"] == {
        "package_size": "10",
        "tiers": [
            {"tier_lower_bound": "0", "per_unit": "5.00"},
            {"tier_lower_bound": "50", "per_unit": "4.00"},
        ],
    }
    assert (
        TIERED_PACKAGE_WITH_MINIMUM.to_orb()["tiered_package_with_minimum_config"]["package_size"]
        == 5
    )


def _with(p: Price, **changes: Any) -> dict[str, Any]:
    body = p.to_orb()
    body[f"{p.model_type}_config"].update(changes)
    return body


def _tier(p: Price, index: int, **changes: Any) -> dict[str, Any]:
    body = p.to_orb()
    config = body[f"{p.model_type}_config"]
    rows = config["consumption_table" if "consumption_table" in config else "tiers"]
    rows[index].update(changes)
    return body


INVALID = [
    (
        _tier(THRESHOLD, 1, total_amount="-5"),
        "threshold_total_amount_config.consumption_table.1.total_amount: must not be negative",
    ),
    (
        _tier(THRESHOLD, 2, threshold="100"),
        "threshold_total_amount_config.consumption_table.2.threshold: must be above",
    ),
    (
        _with(THRESHOLD, consumption_table=[{"threshold": "0", "total_amount": "1"}]),
        "threshold_total_amount_config.consumption_table",
    ),
    (_with(THRESHOLD, prorate="often"), "threshold_total_amount_config.prorate"),
    (
        _with(TIERED_PACKAGE, package_size="0"),
        "tiered_package_config.package_size: must be greater",
    ),
    (
        _tier(TIERED_PACKAGE, 1, tier_lower_bound="55"),
        "tiered_package_config.tiers.1.tier_lower_bound: must be a multiple of package_size",
    ),
    (
        _tier(TIERED_PACKAGE, 0, tier_lower_bound="10"),
        "tiered_package_config.tiers.0.tier_lower_bound: leaves a gap: the first tier must start",
    ),
    (
        {"model_type": "tiered_package", "tiered_package_config": {"package_size": "10"}},
        "tiered_package_config.tiers: Field required",
    ),
    (
        _tier(TIERED_WITH_MINIMUM, 1, tier_lower_bound="0"),
        "tiered_with_minimum_config.tiers.1.tier_lower_bound: leaves an overlap: must be above",
    ),
    (
        _tier(TIERED_WITH_MINIMUM, 0, minimum_amount="-1"),
        "tiered_with_minimum_config.tiers.0.minimum_amount: must not be negative",
    ),
    (
        _tier(TIERED_WITH_MINIMUM, 0, unit_amount=["1"]),
        "tiered_with_minimum_config.tiers.0.unit_amount",
    ),
    (
        _with(TIERED_PACKAGE_WITH_MINIMUM, package_size=0),
        "tiered_package_with_minimum_config.package_size: must be greater than zero",
    ),
    (
        _tier(TIERED_PACKAGE_WITH_MINIMUM, 1, per_unit="abc"),
        "tiered_package_with_minimum_config.tiers.1.per_unit: 'abc' is not a decimal number",
    ),
    (
        _with(BULK_WITH_FILTERS, filters=[]),
        "bulk_with_filters_config.filters: List should have at least 1 item",
    ),
    (
        _with(BULK_WITH_FILTERS, filters=[{"property_value": "x"}]),
        "bulk_with_filters_config.filters.0.property_key: Field required",
    ),
    (
        _tier(BULK_WITH_FILTERS, 1, tier_lower_bound=None),
        "bulk_with_filters_config.tiers.1.tier_lower_bound: is required after the first tier",
    ),
    (
        _tier(BULK_WITH_FILTERS, 1, unit_amount="-0.80"),
        "bulk_with_filters_config.tiers.1.unit_amount: must not be negative",
    ),
    (
        _with(PACKAGE_WITH_ALLOCATION, package_size="0"),
        "package_with_allocation_config.package_size: must be greater than zero",
    ),
    (
        _with(PACKAGE_WITH_ALLOCATION, allocation="-1"),
        "package_with_allocation_config.allocation: must not be negative",
    ),
    (
        {"model_type": "package_with_allocation", "package_with_allocation_config": {}},
        "package_with_allocation_config.allocation: Field required",
    ),
    (
        _with(UNIT_WITH_PERCENT, percent="120"),
        "unit_with_percent_config.percent: must be at most 100",
    ),
    (_with(UNIT_WITH_PERCENT, unit_amount=True), "unit_with_percent_config.unit_amount"),
    (
        _with(UNIT_WITH_PRORATION, unit_amount="-3"),
        "unit_with_proration_config.unit_amount: must not be negative",
    ),
    (
        _with(TIERED_WITH_PRORATION, tiers=[]),
        "tiered_with_proration_config.tiers: List should have at least 1 item",
    ),
    (
        _tier(TIERED_WITH_PRORATION, 1, tier_lower_bound="0"),
        "tiered_with_proration_config.tiers.1.tier_lower_bound: leaves an overlap: must be above",
    ),
    (
        _tier(BULK_WITH_PRORATION, 0, tier_lower_bound="5"),
        "bulk_with_proration_config.tiers.0.tier_lower_bound: leaves a gap: the first tier",
    ),
    (_with(BPS, bps=-1), "bps_config.bps: must not be negative"),
    (_with(BPS, per_unit_maximum="-1"), "bps_config.per_unit_maximum: must not be negative"),
    ({"model_type": "bps", "bps_config": {}}, "bps_config.bps: Field required"),
    (
        _tier(BULK_BPS, 0, maximum_amount=None),
        "bulk_bps_config.tiers.0.maximum_amount: only the last tier is open",
    ),
    (_with(BULK_BPS, tiers=[]), "bulk_bps_config.tiers: List should have at least 1 item"),
    (
        _tier(TIERED_BPS, 1, minimum_amount="1200"),
        "tiered_bps_config.tiers.1.minimum_amount: must be 1000",
    ),
    (_tier(TIERED_BPS, 0, bps="many"), "tiered_bps_config.tiers.0.bps: 'many' is not a decimal"),
]


@pytest.mark.parametrize(("body", "fragment"), INVALID)
def test_invalid_configurations_name_the_field(body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Price.from_orb(body)
    assert fragment in str(caught.value)


FLOATS = [
    (_tier(THRESHOLD, 1, threshold=100.0), r"consumption_table\.1\.threshold"),
    (_with(TIERED_PACKAGE, package_size=10.0), r"tiered_package_config\.package_size"),
    (_tier(TIERED_WITH_MINIMUM, 0, unit_amount=1.0), r"tiers\.0\.unit_amount"),
    (_with(TIERED_PACKAGE_WITH_MINIMUM, package_size=5.0), r"package_size"),
    (
        _with(PACKAGE_WITH_ALLOCATION, allocation=100.0),
        r"package_with_allocation_config\.allocation",
    ),
    (_with(UNIT_WITH_PERCENT, percent=20.0), r"unit_with_percent_config\.percent"),
    (_tier(BULK_WITH_FILTERS, 0, unit_amount=1.0), r"bulk_with_filters_config\.tiers\.0"),
    (_with(UNIT_WITH_PRORATION, unit_amount=3.0), r"unit_with_proration_config\.unit_amount"),
    (_tier(TIERED_WITH_PRORATION, 1, tier_lower_bound=10.0), r"tiers\.1\.tier_lower_bound"),
    (_tier(BULK_WITH_PRORATION, 1, unit_amount=0.8), r"bulk_with_proration_config\.tiers\.1"),
    (_with(BPS, bps=2.5), r"bps_config\.bps"),
    (_tier(BULK_BPS, 0, per_unit_maximum=19.0), r"bulk_bps_config\.tiers\.0\.per_unit_maximum"),
    (_tier(TIERED_BPS, 1, minimum_amount=1000.0), r"tiered_bps_config\.tiers\.1\.minimum_amount"),
]


@pytest.mark.parametrize(("body", "pattern"), FLOATS)
def test_floats_are_refused_with_their_path(body: dict[str, Any], pattern: str) -> None:
    with pytest.raises(FloatNotAllowedError, match=pattern):
        Price.from_orb(body)
