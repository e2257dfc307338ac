"""allocate: splitting an amount into parts that add up exactly."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import Money, ValidationError, allocate


def amounts(parts: list[Money]) -> list[str]:
    return [part.to_decimal_string() for part in parts]


def test_a_hundred_dollars_three_ways() -> None:
    assert amounts(allocate(Money("100.00", "USD"), [1, 1, 1])) == ["33.34", "33.33", "33.33"]


def test_leftover_units_go_to_the_largest_remainders() -> None:
    # exact shares 2.50, 2.25, 5.25 of 10.00 over 10/9/21 -> no leftover
    assert amounts(allocate(Money("10.00", "USD"), [10, 9, 21])) == ["2.50", "2.25", "5.25"]
    # exact shares 0.333.., 0.666..: the second has the larger remainder
    assert amounts(allocate(Money("0.01", "USD"), [1, 2])) == ["0.00", "0.01"]


def test_negative_totals_split_symmetrically() -> None:
    assert amounts(allocate(Money("-0.05", "USD"), [1, 1, 1])) == ["-0.02", "-0.02", "-0.01"]


def test_zero_decimal_currencies_split_in_whole_units() -> None:
    assert amounts(allocate(Money("100", "JPY"), [1, 1, 1])) == ["34", "33", "33"]


def test_zero_weights_get_nothing() -> None:
    assert amounts(allocate(Money("1.00", "EUR"), [0, "1.5", 0])) == ["0.00", "1.00", "0.00"]


def test_an_unrounded_total_is_refused() -> None:
    with pytest.raises(ValidationError, match="round it"):
        allocate(Money("1.005", "USD"), [1, 1])


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([], "non-empty"),
        ([0, 0], "at least one weight must be positive"),
        ([1, -1, -2], "weights.1: must not be negative; weights.2: must not be negative"),
        ([1, 0.5], "weights.1: floats are not exact"),
        ("11", "non-empty sequence"),
    ],
)
def test_bad_weights_report_each_problem(weights: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        allocate(Money("1.00", "USD"), weights)  # type: ignore[arg-type]


currencies = st.sampled_from(["USD", "JPY", "KWD", "CLF"])
weights = st.lists(
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=25,
).filter(lambda ws: any(w > 0 for w in ws))


@given(st.integers(min_value=-(10**12), max_value=10**12), currencies, weights)
def test_parts_sum_exactly_and_stay_within_one_minor_unit(
    units: int, code: str, ws: list[Decimal]
) -> None:
    total = Money(Decimal(units).scaleb(-Money.zero(code).currency.minor_units), code)
    parts = allocate(total, ws)
    assert len(parts) == len(ws)
    assert Money.sum(parts, code) == total
    assert all(part.is_rounded for part in parts)
    quantum = Fraction(total.currency.quantum)
    weight_sum = sum(Fraction(w) for w in ws)
    for part, weight in zip(parts, ws, strict=True):
        exact_share = Fraction(total.amount) * Fraction(weight) / weight_sum
        assert abs(Fraction(part.amount) - exact_share) < quantum
    assert allocate(total, ws) == parts


def test_day_count_fractions_can_be_the_weights() -> None:
    parts = allocate(Money("50.00", "USD"), [Fraction(17, 31), Fraction(14, 31)])
    assert amounts(parts) == ["27.42", "22.58"]
