"""Rounding: every quantize in orbcore happens here, with a named mode.

Amounts stay exact (unrounded) while they are computed. They are rounded to a currency's
minor unit only at the points an invoice declares, with one of the modes below.
"""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from orbcore._checks import require_int
from orbcore._errors import ValidationError

__all__ = ["RoundingMode", "is_quantized", "quantize", "round_rational"]


class RoundingMode(StrEnum):
    """How to round to a number of decimal places.

    ``HALF_UP`` is the default: halves go away from zero (2.5 -> 3, -2.5 -> -3), which is
    what invoices and most tax authorities expect. ``HALF_EVEN`` is banker's rounding.
    """

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    HALF_DOWN = "half_down"
    UP = "up"
    DOWN = "down"
    CEILING = "ceiling"
    FLOOR = "floor"


_DECIMAL_MODES = {
    RoundingMode.HALF_UP: decimal.ROUND_HALF_UP,
    RoundingMode.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    RoundingMode.HALF_DOWN: decimal.ROUND_HALF_DOWN,
    RoundingMode.UP: decimal.ROUND_UP,
    RoundingMode.DOWN: decimal.ROUND_DOWN,
    RoundingMode.CEILING: decimal.ROUND_CEILING,
    RoundingMode.FLOOR: decimal.ROUND_FLOOR,
}


def _check_places(places: int) -> None:
    require_int(places, 0, 64, "places")


def _check_mode(mode: RoundingMode | str) -> RoundingMode:
    try:
        return RoundingMode(mode)
    except ValueError:
        known = ", ".join(m.value for m in RoundingMode)
        raise ValidationError.at(("mode",), f"unknown rounding mode {mode!r} ({known})") from None


def quantize(value: Decimal, places: int, mode: RoundingMode = RoundingMode.HALF_UP) -> Decimal:
    """Round ``value`` to ``places`` decimal places.

    The result always has exactly ``places`` digits after the point, whatever the
    thread's decimal context says.

    >>> quantize(Decimal("2.675"), 2)
    Decimal('2.68')
    >>> quantize(Decimal("2.675"), 2, RoundingMode.HALF_EVEN)
    Decimal('2.68')
    >>> quantize(Decimal("-0.125"), 2, RoundingMode.HALF_EVEN)
    Decimal('-0.12')
    """
    _check_places(places)
    mode = _check_mode(mode)
    digits = max(value.adjusted(), 0) + places + 2
    context = _context(max(digits, 28), _DECIMAL_MODES[mode])
    result = value.quantize(_unit(places), context=context)
    if result.is_zero() and result.is_signed():
        result = result.copy_abs()
    return result


@functools.lru_cache(maxsize=256)
def _context(precision: int, rounding: str) -> decimal.Context:
    """A context of ``precision`` digits rounding with ``rounding``, made once and only
    ever read (quantize takes it as an argument)."""
    return decimal.Context(prec=precision, rounding=rounding, traps=[decimal.InvalidOperation])


@functools.lru_cache(maxsize=64)
def _unit(places: int) -> Decimal:
    """One unit of the ``places``-th decimal place: ``0.01`` for 2."""
    return Decimal((0, (1,), -places))


def round_rational(
    value: Fraction, places: int, mode: RoundingMode = RoundingMode.HALF_UP
) -> Decimal:
    """Round an exact rational (a prorated amount, a share) to ``places`` decimal places.

    >>> round_rational(Fraction(100, 3), 2)
    Decimal('33.33')
    >>> round_rational(Fraction(-5, 8), 2, RoundingMode.HALF_UP)
    Decimal('-0.63')
    """
    _check_places(places)
    mode = _check_mode(mode)
    scaled = value * 10**places
    units = _round_to_int(scaled.numerator, scaled.denominator, mode)
    digits = tuple(int(ch) for ch in str(abs(units)))
    return Decimal((1 if units < 0 else 0, digits, -places))


def is_quantized(value: Decimal, places: int) -> bool:
    """Whether ``value`` has no non-zero digit beyond ``places`` decimal places."""
    _check_places(places)
    return value == quantize(value, places, RoundingMode.DOWN)


def _round_to_int(numerator: int, denominator: int, mode: RoundingMode) -> int:
    """Round ``numerator / denominator`` (denominator > 0) to an integer."""
    floor, remainder = divmod(numerator, denominator)
    if remainder == 0:
        return floor
    ceiling = floor + 1
    negative = numerator < 0
    away_from_zero = floor if negative else ceiling
    toward_zero = ceiling if negative else floor
    directed = {
        RoundingMode.CEILING: ceiling,
        RoundingMode.FLOOR: floor,
        RoundingMode.UP: away_from_zero,
        RoundingMode.DOWN: toward_zero,
    }
    if mode in directed:
        return directed[mode]
    twice = 2 * remainder
    if twice != denominator:
        return floor if twice < denominator else ceiling
    if mode is RoundingMode.HALF_UP:
        return away_from_zero
    if mode is RoundingMode.HALF_DOWN:
        return toward_zero
    return floor if floor % 2 == 0 else ceiling
