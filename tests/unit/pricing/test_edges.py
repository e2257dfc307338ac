"""Edges of pricing: batch limits, usage checks, the envelope, copies of configs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from orbcore import FloatNotAllowedError, ValidationError
from orbcore.pricing import Price, Tier, Usage, evaluate_batch

D = Decimal


def unit(amount: str) -> Price:
    return Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": amount}})


def tiered(*tiers: tuple[int, int | None, str]) -> Price:
    rows = [{"first_unit": f, "last_unit": last, "unit_amount": r} for f, last, r in tiers]
    return Price.from_orb({"model_type": "tiered", "tiered_config": {"tiers": rows}})


@pytest.mark.parametrize(
    ("price", "values", "dtype"),
    [
        (unit("1"), [2**63, 2**64 - 1], np.uint64),
        (unit("1000000000000000000000"), [0, 0], np.int64),
        (unit("0.333333333333333333333333333333"), [7, 3], np.int64),
        (tiered((0, 10**20, "1"), (10**20, None, "2")), [5, 0], np.int64),
        (
            Price.from_orb(
                {
                    "model_type": "package",
                    "package_config": {"package_amount": "1", "package_size": 10**20},
                }
            ),
            [5, 10**18],
            np.int64,
        ),
    ],
)
def test_batch_equals_scalar_beyond_int64_and_28_digits(
    price: Price, values: list[int], dtype: Any
) -> None:
    expected = [price.evaluate(v).amount for v in values]
    assert evaluate_batch(price, np.array(values, dtype=dtype)).amounts() == expected
    assert evaluate_batch(price, values).amounts() == expected


def test_a_fixed_fee_of_quantity_zero_costs_nothing() -> None:
    fee = Price.from_orb(
        {
            "model_type": "unit",
            "price_type": "fixed_price",
            "fixed_price_quantity": 0,
            "unit_config": {"unit_amount": "2.00"},
        }
    )
    assert fee.evaluate().amount == 0


def test_the_last_graduated_tier_must_be_open() -> None:
    with pytest.raises(ValidationError, match=r"tiers\.0\.last_unit: the last tier must be open"):
        tiered((0, 10, "1"))


@pytest.mark.parametrize(
    ("usage", "error", "fragment"),
    [
        (Usage(quantity=1.5), FloatNotAllowedError, "quantity"),  # type: ignore[arg-type]
        (Usage(quantity="abc"), ValidationError, "quantity"),  # type: ignore[arg-type]
        (Usage(quantity=D(-3)), ValidationError, "negative"),
        (Usage(upstream=1.5), FloatNotAllowedError, "upstream"),  # type: ignore[arg-type]
        (Usage(groups={("a",): 2.5}), FloatNotAllowedError, "groups"),  # type: ignore[dict-item]
        (Usage(groups={"a": D(1)}), ValidationError, "tuple of text"),  # type: ignore[dict-item]
        (Usage(groups={(1,): D(1)}), ValidationError, "tuple of text"),  # type: ignore[dict-item]
        (Usage(events=[{"a": 1}, 7]), ValidationError, r"events\.1"),  # type: ignore[list-item]
        (Usage(events=None), ValidationError, "events"),  # type: ignore[arg-type]
    ],
)
def test_usage_is_checked_before_rating(
    usage: Usage, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error, match=fragment):
        unit("1").evaluate(usage)


def test_a_negative_quantity_is_refused() -> None:
    with pytest.raises(ValidationError, match="negative"):
        unit("1").evaluate(-3)


def test_the_envelope_refuses_floats_odd_keys_and_runaway_nesting() -> None:
    with pytest.raises(FloatNotAllowedError, match="conversion_rate"):
        Price.from_orb(
            {"model_type": "unit", "unit_config": {"unit_amount": "1"}, "conversion_rate": 1.5}
        )
    with pytest.raises(ValidationError, match="field names are text"):
        Price.from_orb({"model_type": "unit", "unit_config": {"unit_amount": "1"}, 5: "x"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="not JSON"):
        Price.from_orb("[" * 100_000 + "]" * 100_000)


def test_a_copied_config_rates_with_its_own_tiers() -> None:
    price = tiered((0, 10, "1"), (10, None, "0.5"))
    assert price.evaluate(20).amount == D(15)
    copied = price.config.model_copy(update={"tiers": [Tier(first_unit=0, unit_amount=D(9))]})
    assert Price("tiered", copied).evaluate(20).amount == D(180)
    assert price.evaluate(20).amount == D(15)


FIVE_TIERS = tiered(
    (0, 1_000, "0.01"),
    (1_000, 10_000, "0.008"),
    (10_000, 100_000, "0.006"),
    (100_000, 1_000_000, "0.004"),
    (1_000_000, None, "0.002"),
)


@pytest.mark.parametrize("price", [unit("1"), FIVE_TIERS], ids=["unit", "tiered"])
@pytest.mark.parametrize(
    "quantity", [D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"), D("-1"), D("-0.5")]
)
def test_a_bare_decimal_quantity_must_be_finite_and_not_negative(
    price: Price, quantity: Decimal
) -> None:
    with pytest.raises(ValidationError, match="quantity"):
        price.evaluate(quantity)


@pytest.mark.parametrize("price", [unit("1"), FIVE_TIERS], ids=["unit", "tiered"])
def test_negative_zero_is_rated_as_zero(price: Price) -> None:
    result = price.evaluate(D("-0"))
    assert result == price.evaluate(D(0))
    assert not result.quantity.is_signed()


@pytest.mark.parametrize("price", [unit("0.0125"), FIVE_TIERS], ids=["unit", "tiered"])
@pytest.mark.parametrize("quantity", ["0", "0.000", "999", "1000", "1000.00", "1000.5", "2500000"])
def test_a_bare_quantity_rates_as_its_usage_does(price: Price, quantity: str) -> None:
    bare = price.evaluate(D(quantity))
    assert bare == price.evaluate(Usage(quantity=D(quantity))) == price.evaluate(quantity)
    assert str(bare) == str(price.evaluate(Usage(quantity=D(quantity))))


def test_a_quantity_at_a_tier_bound_fills_the_tier_as_the_bound_is_written() -> None:
    assert str(FIVE_TIERS.evaluate(D("10000.00"))) == "\n".join(
        [
            "tiered: 10000.00 -> 82.000",
            "  tier 1 (0-1000): 1000 x 0.01 = 10.00",
            "  tier 2 (1000-10000): 9000 x 0.008 = 72.000",
        ]
    )


class Region(str):
    """Text of a subclass of ``str``: still text to a group key."""


def test_group_keys_may_hold_text_of_any_str_class_and_missing_values() -> None:
    matrix = Price.from_orb(
        {
            "model_type": "matrix",
            "matrix_config": {
                "dimensions": ["region", "tier"],
                "default_unit_amount": "1",
                "matrix_values": [{"dimension_values": ["eu", None], "unit_amount": "2"}],
            },
        }
    )
    result = matrix.evaluate(Usage(groups={(Region("eu"), None): D(3), ("us", "gold"): D(1)}))
    assert result.amount == D(7)
