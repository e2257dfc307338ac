"""``allocate``: split an amount into parts that add up to it exactly."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from orbcore._errors import Problem, ValidationError
from orbcore.money._money import Money
from orbcore.money._numbers import DecimalLike, to_decimal
from orbcore.money._rounding import round_rational

__all__ = ["allocate"]


def allocate(total: Money, weights: Sequence[DecimalLike | Fraction]) -> list[Money]:
    """Split ``total`` in proportion to ``weights`` by the largest-remainder method.

    Each part is a whole number of minor units, the parts sum to ``total`` exactly, and
    each differs from its exact share by less than one minor unit. Leftover units go to
    the parts with the largest remainders; ties go to the earlier part. Use it to spread
    an invoice-level tax or discount over lines.

    Args:
        total: the amount to split, already rounded to its currency's minor unit.
        weights: one non-negative weight per part (at least one positive): numbers
            or exact ``Fraction`` shares such as day-count fractions.

    Returns:
        One ``Money`` per weight, in order.

    Raises:
        ValidationError: ``total`` is not rounded, or the weights are empty, negative,
            all zero, or not exact numbers.

    >>> [str(part) for part in allocate(Money("100.00", "USD"), [1, 1, 1])]
    ['33.34 USD', '33.33 USD', '33.33 USD']
    """
    currency = total.currency
    if not total.is_rounded:
        raise ValidationError.at(
            ("total",), f"{total} is not a whole number of {currency.code} minor units; round it"
        )
    exact = _check_weights(weights)
    scale = 10**currency.minor_units
    units = int(Fraction(total.amount) * scale)
    sign = -1 if units < 0 else 1
    units = abs(units)
    weight_sum = sum(exact, Fraction(0))
    shares = [units * weight / weight_sum for weight in exact]
    parts = [share.numerator // share.denominator for share in shares]
    leftover = units - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return [
        Money._of(round_rational(Fraction(sign * part, scale), currency.minor_units), currency)
        for part in parts
    ]


def _check_weights(weights: Sequence[DecimalLike | Fraction]) -> list[Fraction]:
    if isinstance(weights, str | bytes) or not isinstance(weights, Sequence) or not weights:
        raise ValidationError.at(("weights",), "need a non-empty sequence of weights")
    exact: list[Fraction] = []
    problems: list[Problem] = []
    for index, weight in enumerate(weights):
        try:
            value = weight if isinstance(weight, Fraction) else to_decimal(weight, field="weights")
        except ValidationError as exc:
            problems.extend(Problem(("weights", index), p.message) for p in exc.problems)
            continue
        if value < 0:
            problems.append(Problem(("weights", index), "must not be negative"))
        exact.append(Fraction(value))
    if problems:
        raise ValidationError(problems)
    if not any(exact):
        raise ValidationError.at(("weights",), "at least one weight must be positive")
    return exact
