"""Rounding: named modes, one module, exact rationals."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orbcore import RoundingMode, ValidationError
from orbcore.money import is_quantized, quantize, round_rational

H_UP, H_EVEN, H_DOWN = RoundingMode.HALF_UP, RoundingMode.HALF_EVEN, RoundingMode.HALF_DOWN
UP, DOWN, CEIL, FLOOR = RoundingMode.UP, RoundingMode.DOWN, RoundingMode.CEILING, RoundingMode.FLOOR

# value, then the result to 2 places for: half_up half_even half_down up down ceiling floor
TABLE = """
 2.345    2.35  2.34  2.34  2.35  2.34  2.35  2.34
-2.345   -2.35 -2.34 -2.34 -2.35 -2.34 -2.34 -2.35
 2.355    2.36  2.36  2.35  2.36  2.35  2.36  2.35
 2.341    2.34  2.34  2.34  2.35  2.34  2.35  2.34
-2.341   -2.34 -2.34 -2.34 -2.35 -2.34 -2.34 -2.35
-0.001    0.00  0.00  0.00 -0.01  0.00  0.00 -0.01
 7        7.00  7.00  7.00  7.00  7.00  7.00  7.00
"""
MODES = [H_UP, H_EVEN, H_DOWN, UP, DOWN, CEIL, FLOOR]
CASES = [
    (Decimal(row[0]), mode, row[i + 1])
    for row in (line.split() for line in TABLE.strip().splitlines())
    for i, mode in enumerate(MODES)
]


@pytest.mark.parametrize(("value", "mode", "expected"), CASES)
def test_every_mode_rounds_as_named(value: Decimal, mode: RoundingMode, expected: str) -> None:
    assert str(quantize(value, 2, mode)) == expected
    assert str(round_rational(Fraction(value), 2, mode)) == expected


def test_half_up_is_the_default() -> None:
    assert quantize(Decimal("0.5"), 0) == 1
    assert round_rational(Fraction(-1, 2), 0) == -1


def test_rationals_without_a_decimal_form_round_exactly() -> None:
    assert round_rational(Fraction(100, 3), 2) == Decimal("33.33")
    assert round_rational(Fraction(200, 3), 2) == Decimal("66.67")
    assert round_rational(Fraction(1, 3), 4, RoundingMode.UP) == Decimal("0.3334")


def test_results_ignore_the_thread_decimal_context() -> None:
    import decimal

    with decimal.localcontext() as context:
        context.prec = 3
        context.rounding = decimal.ROUND_FLOOR
        assert quantize(Decimal("123456.789"), 2) == Decimal("123456.79")


@pytest.mark.parametrize("places", [-1, 65, True, 1.0])
def test_bad_places_are_refused(places: object) -> None:
    with pytest.raises(ValidationError, match="places"):
        quantize(Decimal(1), places)  # type: ignore[arg-type]


decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15)
modes = st.sampled_from(list(RoundingMode))
places = st.integers(min_value=0, max_value=6)


@given(decimals, places, modes)
def test_rounding_is_idempotent_and_both_implementations_agree(
    value: Decimal, places: int, mode: RoundingMode
) -> None:
    once = quantize(value, places, mode)
    assert quantize(once, places, mode) == once
    assert once.as_tuple().exponent == -places
    assert is_quantized(once, places)
    assert round_rational(Fraction(value), places, mode) == once


@given(decimals, places, modes)
def test_rounding_moves_less_than_one_unit_in_the_named_direction(
    value: Decimal, places: int, mode: RoundingMode
) -> None:
    # Compared as fractions: Decimal subtraction would round at 28 digits.
    result, exact = Fraction(quantize(value, places, mode)), Fraction(value)
    unit = Fraction(1, 10**places)
    assert abs(result - exact) < unit
    if mode is RoundingMode.CEILING:
        assert result >= exact
    if mode is RoundingMode.FLOOR:
        assert result <= exact
    if mode is RoundingMode.DOWN:
        assert abs(result) <= abs(exact)
    if mode is RoundingMode.UP:
        assert abs(result) >= abs(exact)
    if mode in (H_UP, H_EVEN, H_DOWN):
        assert abs(result - exact) * 2 <= unit


@given(st.fractions(max_denominator=10**6), places, modes)
def test_rounding_a_rational_lands_within_one_unit(
    value: Fraction, places: int, mode: RoundingMode
) -> None:
    result = Fraction(round_rational(value, places, mode))
    assert abs(result - value) < Fraction(1, 10**places)


def test_an_unknown_mode_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="unknown rounding mode 'bogus'"):
        quantize(Decimal(1), 2, "bogus")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="unknown rounding mode"):
        round_rational(Fraction(1), 2, "HALF_UP")  # type: ignore[arg-type]
