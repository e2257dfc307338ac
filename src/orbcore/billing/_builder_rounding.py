"""The invoice's rounding points: one amount rounded once, and parts that add up to a whole.

Every figure on an invoice is a whole number of the currency's minor units. An exact
amount is rounded once, with the invoice's :class:`~orbcore.money.RoundingMode`
(:func:`round_money`); parts that must add up to a rounded whole (a line's sub-lines, the
tax of each line) are rounded by the largest-remainder method (:func:`split_rounded`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

from orbcore._errors import PrecisionError
from orbcore.money import Currency, Money, RoundingMode, is_quantized, quantize, round_rational
from orbcore.money._numbers import exact_sum

__all__ = ["round_money", "split_rounded", "sum_money", "zero_money"]


def round_money(amount: Decimal, currency: Currency, mode: RoundingMode) -> Money:
    """``amount`` rounded to ``currency``'s minor unit with ``mode``, always written with
    exactly that many decimals (``50`` becomes ``50.00`` in USD)."""
    return Money(quantize(amount, currency.minor_units, mode), currency)


@functools.cache
def zero_money(currency: Currency) -> Money:
    """Zero written with the currency's decimals: ``0.00`` in USD, ``0`` in JPY."""
    return Money(quantize(Decimal(0), currency.minor_units), currency)


def sum_money(amounts: Iterable[Money], currency: Currency) -> Money:
    """The sum of ``amounts`` (zero for none), written with the currency's decimals.

    Raises:
        CurrencyMismatchError: an amount is in another currency.
    """
    total = zero_money(currency)
    for amount in amounts:
        total = total + amount
    return total


def split_rounded(exact: Sequence[Decimal], total: Money) -> list[Money]:
    """Round each of ``exact`` to a whole minor unit so that the parts add up to ``total``.

    Each part is first rounded down (toward minus infinity); the minor units still missing
    go, one each, to the parts with the largest remainders, the earlier part first on a
    tie. ``total`` must be a rounding of ``sum(exact)`` (less than one minor unit away);
    each part then differs from its exact value by less than one minor unit, and a part
    that is already whole is never changed. Parts may be negative.

    Raises:
        PrecisionError: ``total`` is a minor unit or more away from ``sum(exact)``.

    >>> split_rounded([Decimal("0.005")] * 3, Money("0.02", "USD"))
    [Money('0.01', 'USD'), Money('0.01', 'USD'), Money('0.00', 'USD')]
    """
    currency = total.currency
    places = currency.minor_units
    if all(is_quantized(value, places) for value in exact) and exact_sum(exact) == total.amount:
        # Already whole minor units that add up: nothing to round (the usual case).
        return [round_money(value, currency, RoundingMode.HALF_UP) for value in exact]
    scale = 10**places
    scaled = [Fraction(value) * scale for value in exact]
    target = Fraction(total.amount) * scale
    if target.denominator != 1 or abs(target - sum(scaled)) >= 1:
        raise PrecisionError(f"{total} is not a rounding of the sum of {len(scaled)} parts")
    units = [math.floor(value) for value in scaled]
    # Within one unit of the exact sum, the units missing are no more than the parts
    # with a remainder, so a part that is already whole is never bumped.
    missing = int(target) - sum(units)
    by_remainder = sorted(range(len(units)), key=lambda i: (units[i] - scaled[i], i))
    for index in by_remainder[:missing]:
        units[index] += 1
    return [Money(round_rational(Fraction(unit, scale), places), currency) for unit in units]
